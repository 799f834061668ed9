"""A private RabbitMQ broker: Nova's and Cinder's RPC, Neutron's agents,
and XJob's wake-ups.

oslo.messaging has no broker-less transport that crosses processes, and
Nova's api, conductor, scheduler and compute (Cinder's api, scheduler and
volume alike, Neutron's server and agents, Tricircle's API and XJob) are
separate processes, so ``sandbox up --compute``, ``--dataplane`` or
``--rabbit`` runs one broker of its own: Debian's ``rabbitmq-server``
started straight from ``/usr/lib/rabbitmq/bin`` (the ``/usr/sbin``
wrapper switches to the ``rabbitmq`` user and the system folders), every
port on loopback, every file under ``<sandbox>/rabbitmq/``. One vhost
per pod keeps the pods' RPC apart as separate brokers would; the vhosts
and the user come from a definitions file loaded at boot, so no
``rabbitmqctl`` call is needed.

Erlang's port mapper (epmd) would otherwise be started by the node as a
daemon outside the sandbox's process groups and outlive ``down``; the
sandbox starts its own epmd in the foreground on a private port instead.
"""

import json
import os
import shutil
import time

from tricircle.sandbox import processes

SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
USER = 'sandbox'
PASSWORD = 'sandbox'
NODE = 'rabbit@localhost'
# Debian's rabbitmq-server package; tools/install-deps.sh installs it.
PACKAGE = 'rabbitmq-server'


class RabbitError(Exception):
    """The broker cannot run here; the message says what to do."""


def available():
    return os.access(SERVER, os.X_OK) and _epmd() is not None


def _epmd():
    return shutil.which('epmd') or (
        '/usr/bin/epmd' if os.access('/usr/bin/epmd', os.X_OK) else None)


# The vhost of Tricircle's own messages (XJob wake-ups).
TRICIRCLE_VHOST = 'tricircle'


def plan(layout, host, tricircle=False):
    """Ports of the broker (AMQP, Erlang distribution, epmd); a vhost per
    pod, and ``tricircle`` for XJob's wake-ups when asked."""
    layout['rabbitmq'] = {
        'port': processes.free_port(host),
        'dist_port': processes.free_port(host),
        'epmd_port': processes.free_port(host),
        'host': host,
        'vhosts': [p['region_name'] for p in layout['pods']] + (
            [TRICIRCLE_VHOST] if tricircle else []),
    }
    layout['rabbitmq']['url'] = transport_url(layout, '')


def transport_url(layout, vhost):
    rabbit = layout['rabbitmq']
    return 'rabbit://%s:%s@%s:%d/%s' % (USER, PASSWORD, rabbit['host'],
                                        rabbit['port'], vhost)


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def _files(base, vhosts):
    """Config, advanced config, plugins and definitions under ``base``."""
    for sub in ('home', 'mnesia', 'log'):
        os.makedirs(os.path.join(base, sub), exist_ok=True)
    definitions = {
        'users': [{'name': USER, 'password': PASSWORD,
                   'tags': 'administrator'}],
        'vhosts': [{'name': v} for v in vhosts],
        'permissions': [{'user': USER, 'vhost': v, 'configure': '.*',
                         'write': '.*', 'read': '.*'} for v in vhosts],
    }
    defs = _write(os.path.join(base, 'definitions.json'),
                  json.dumps(definitions, indent=2))
    _write(os.path.join(base, 'rabbitmq.conf'), '\n'.join([
        'loopback_users = none',
        'load_definitions = %s' % defs,
        'disk_free_limit.absolute = 50MB',
        # Beyond the watermark publishers block: keep it well above what a
        # sandbox's few queues use, yet small next to a test machine.
        'vm_memory_high_watermark.absolute = 512MB',
        'log.file.level = warning',
        '']))
    # Keep the Erlang distribution listener on loopback too.
    _write(os.path.join(base, 'advanced.config'),
           '[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n')
    _write(os.path.join(base, 'enabled_plugins'), '[].\n')
    _write(os.path.join(base, 'rabbitmq-env.conf'), '')


def start(layout, records):
    """Start epmd and the broker; append both records (no url)."""
    if not available():
        raise RabbitError(
            '%s (or epmd) is missing: install Debian\'s %s package '
            '(tools/install-deps.sh does, as root)' % (SERVER, PACKAGE))
    rabbit = layout['rabbitmq']
    base = os.path.join(layout['dir'], 'rabbitmq')
    _files(base, rabbit['vhosts'])
    logs = os.path.join(layout['dir'], 'logs')
    epmd_env = {'ERL_EPMD_PORT': str(rabbit['epmd_port']),
                'ERL_EPMD_ADDRESS': rabbit['host']}
    records.append(processes.start(
        'epmd', [_epmd(), '-port', str(rabbit['epmd_port'])],
        os.path.join(logs, 'epmd.log'), extra_env=epmd_env))
    env = dict(epmd_env, **{
        'HOME': os.path.join(base, 'home'),  # the Erlang cookie lives here
        'RABBITMQ_NODENAME': NODE,
        'RABBITMQ_NODE_IP_ADDRESS': rabbit['host'],
        'RABBITMQ_NODE_PORT': str(rabbit['port']),
        'RABBITMQ_DIST_PORT': str(rabbit['dist_port']),
        'RABBITMQ_MNESIA_BASE': os.path.join(base, 'mnesia'),
        'RABBITMQ_LOG_BASE': os.path.join(base, 'log'),
        'RABBITMQ_PID_FILE': os.path.join(base, 'rabbit.pid'),
        'RABBITMQ_CONFIG_FILE': os.path.join(base, 'rabbitmq'),
        'RABBITMQ_ADVANCED_CONFIG_FILE': os.path.join(base,
                                                      'advanced.config'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(base,
                                                      'enabled_plugins'),
        'RABBITMQ_CONF_ENV_FILE': os.path.join(base, 'rabbitmq-env.conf'),
        # Ours answers already; never daemonize another one.
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS': '-start_epmd false',
    })
    records.append(processes.start('rabbitmq', [SERVER],
                                   os.path.join(logs, 'rabbitmq.log'),
                                   extra_env=env))
    # Nova and Cinder shut down cleanly only while their broker answers.
    for record in records[-2:]:
        record['stop_last'] = True
    rabbit['pid'] = records[-1]['pid']
    return records[-1]


def _connects(layout, vhost):
    import amqp
    rabbit = layout['rabbitmq']
    conn = amqp.Connection('%s:%d' % (rabbit['host'], rabbit['port']),
                           userid=USER, password=PASSWORD,
                           virtual_host=vhost, connect_timeout=2)
    try:
        conn.connect()
        return True
    except Exception:
        return False
    finally:
        try:
            conn.collect()
        except Exception:
            pass


def wait(layout, record, timeout):
    """Wait until every pod's vhost takes an AMQP login."""
    deadline = time.monotonic() + timeout
    for vhost in layout['rabbitmq']['vhosts']:
        processes.wait_until(
            record, lambda: _connects(layout, vhost), deadline,
            'vhost %s not answering after %ds' % (vhost, timeout), 0.3)
