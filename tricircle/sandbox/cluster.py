"""``tricircle sandbox up|down|status``: a whole multi-region cloud on
loopback, for trying Tricircle and for its tests.

A sandbox is a folder: configs, logs, SQLite databases and ``sandbox.json``
(URLs, regions, AZs and the processes to stop). Databases survive ``down``
and ``up``, like a real cloud's; remove the folder to start afresh.

By default nothing authenticates (``noauth``, see ``identity.py``); with
``keystone=True`` a real Keystone runs first (``keystone.py``), every
service validates tokens with keystonemiddleware and reaches the others as
the service user through the catalog, as in a real multi-region cloud.
With ``compute=True`` every pod also runs Nova, Placement and Cinder, with
one Glance and one RabbitMQ (``compute/``), in either mode.

The production shape (``db``, ``rabbit``, ``workers``): Neutron and
Tricircle on a private MariaDB or PostgreSQL made by their own migrations
(``dbserver.py``), XJob woken over RabbitMQ, several workers per API and
several XJob processes. SQLite, one worker and the job table scan stay the
default.
"""

import json
import os
import sys

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.sandbox.compute import catalog as compute_catalog
from tricircle.sandbox.compute import configs as compute_configs
from tricircle.sandbox.compute import services as compute_services
from tricircle.sandbox import configs
from tricircle.sandbox import dataplane
from tricircle.sandbox import dbserver
from tricircle.sandbox import keystone
from tricircle.sandbox import processes
from tricircle.sandbox import rabbitmq
from tricircle.sandbox import xjobs

LOG = logging.getLogger(__name__)

STATE_FILE = 'sandbox.json'
POD_NAME = 'Pod%d'
SQLITE = 'sqlite'
DATABASES = (SQLITE,) + tuple(sorted(dbserver.BACKENDS))
HOST = '127.0.0.1'
NEUTRON_READY_PATH = '/v2.0/networks'
ADMIN_READY_PATH = '/v1.0/pods'
FAILED_START_GRACE = 3.0


class SandboxError(Exception):
    """What the user must know when ``up``/``down``/``status`` fails."""


def state_path(sandbox_dir):
    return os.path.join(os.path.abspath(sandbox_dir), STATE_FILE)


def load_state(sandbox_dir):
    """The parsed ``sandbox.json``, or None when there is none."""
    try:
        with open(state_path(sandbox_dir)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def _save_state(sandbox_dir, state):
    tmp = state_path(sandbox_dir) + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, state_path(sandbox_dir))


def _url(port):
    return 'http://%s:%d' % (HOST, port)


def _layout(sandbox_dir, pods, use_keystone=False, compute=False,
            with_dataplane=False, rabbit=False):
    """Regions, AZs and fresh ports of every server of the sandbox."""
    central = {'region_name': constants.CENTRAL_REGION, 'az_name': None,
               'neutron': _url(processes.free_port(HOST))}
    pod_list = [{'region_name': POD_NAME % i, 'az_name': 'az%d' % i,
                 'neutron': _url(processes.free_port(HOST))}
                for i in range(1, pods + 1)]
    layout = {'dir': sandbox_dir,
              'admin_api': _url(processes.free_port(HOST)),
              'central': central, 'pods': pod_list,
              'auth': {'type': 'noauth'},
              'tricircle_conf': os.path.join(sandbox_dir, 'tricircle.conf')}
    if use_keystone:
        layout['keystone'] = {'url': _url(processes.free_port(HOST))}
    if rabbit or compute or with_dataplane:
        rabbitmq.plan(layout, HOST, tricircle=rabbit)
    if compute:
        compute_services.plan(layout, HOST)
    if with_dataplane:
        dataplane.plan(layout)
    return layout


def _wakeups(layout):
    """``[DEFAULT] transport_url`` of XJob's wake-ups, or None (``--rabbit``
    not given: XJob scans the job table often instead)."""
    rabbit = layout.get('rabbitmq')
    if rabbit and rabbitmq.TRICIRCLE_VHOST in rabbit['vhosts']:
        return rabbitmq.transport_url(layout, rabbitmq.TRICIRCLE_VHOST)
    return None


def _with_keystone(extra, layout):
    """Keystone-mode sections over a server's own: keystonemiddleware, and
    the service user's ``[client]`` with endpoints from the catalog only."""
    if layout['auth']['type'] != 'password':
        return extra
    merged = configs.merge(extra or {},
                           keystone.service_sections(layout['auth']))
    for option in ('pod_endpoints', 'admin_api_url'):
        merged['client'].pop(option, None)
    return merged


def _neutrons(layout):
    return [layout['central']] + layout['pods']


def _write_configs(layout, neutron_options):
    """``neutron_options(region_name, az_name, layout)`` returns keyword
    arguments of configs.write_neutron_conf for that server (core_plugin,
    service_plugins, extra); None means the Tricircle plugins."""
    neutron_options = neutron_options or configs.tricircle_plugins
    for server in _neutrons(layout):
        kwargs = neutron_options(server['region_name'], server['az_name'],
                                 layout)
        if layout.get('compute') and server is not layout['central']:
            # Nova binds ports to the pod's compute host.
            kwargs['extra'] = configs.merge(compute_configs.neutron_extra(
                layout, server['region_name']), kwargs.get('extra'))
        if layout.get('dataplane') and server is not layout['central']:
            # Agents bind the pod's own host (over the agentless driver).
            kwargs['extra'] = configs.merge(kwargs.get('extra') or {},
                                            dataplane.neutron_extra(
                                                layout,
                                                server['region_name']))
        kwargs['extra'] = configs.merge(kwargs.get('extra') or {},
                                        _production(layout, server))
        kwargs['extra'] = _with_keystone(kwargs.get('extra'), layout)
        state_dir = os.path.join(layout['dir'], server['region_name'])
        server['config'] = configs.write_neutron_conf(state_dir, **kwargs)
    keystone_mode = keystone.enabled(layout)
    wakeups = _wakeups(layout)
    shape = {'DEFAULT': {'api_workers': layout.get('workers', 1)},
             'xjob': xjobs.options(wakeups is not None)}
    if wakeups:
        shape['DEFAULT']['transport_url'] = wakeups
    configs.write_tricircle_conf(
        layout['dir'], int(layout['admin_api'].rsplit(':', 1)[1]),
        [] if keystone_mode else
        [(s['region_name'], s['neutron']) for s in _neutrons(layout)],
        extra=_with_keystone(configs.merge(
            shape, compute_services.tricircle_sections(layout)
            if layout.get('compute') else None), layout),
        database=layout.get('database'))


def _production(layout, server):
    """A Neutron's own database on the sandbox's server; central's
    transport for XJob's wake-ups (its plugin queues jobs). Central's own
    RPC stays in-process: nothing listens to it, and Neutron's casts
    block its API while a broker is down."""
    extra = {}
    if layout.get('database'):
        extra['database'] = {
            'connection': layout['database']['urls'][server['region_name']]}
    wakeups = _wakeups(layout)
    if server is layout['central'] and wakeups:
        extra['tricircle'] = {'wakeup_transport_url': wakeups}
    return extra


def _start_keystone(layout, records, timeout):
    """Keystone first: the other services' configs need its users, and
    the catalog needs every port of this attempt."""
    try:
        keystone.prepare(layout)
        keystone.start(layout, records)
        _remember(layout['dir'], layout, records)
        processes.wait_ready([(records[-1], records[-1]['url'])], timeout)
        LOG.info('Keystone answers; registering regions, endpoints, '
                 'projects and users')
        keystone.register(layout)
        if layout.get('compute'):
            compute_catalog.register(layout)
    except keystone.KeystoneError as e:
        raise SandboxError(str(e)) from None


def _start_all(layout, records):
    """Start every server; append each record to ``records`` at once so
    the caller can stop what started if a later start fails."""
    logs = os.path.join(layout['dir'], 'logs')
    for server in _neutrons(layout):
        name = server['region_name']
        port = int(server['neutron'].rsplit(':', 1)[1])
        record = processes.start(
            name, [sys.executable, '-m', 'tricircle.sandbox.neutron_server',
                   '--host', HOST, '--port', str(port),
                   '--workers', str(layout.get('workers', 1)),
                   '--name', 'neutron-api-%s' % name],
            os.path.join(logs, name + '.log'),
            extra_env={'OS_NEUTRON_CONFIG_FILES': server['config']})
        record['url'] = server['neutron'] + NEUTRON_READY_PATH
        records.append(record)
        server.update(pid=record['pid'], log=record['log'])
    record = processes.start('admin-api',
                             processes.console_script(
                                 'tricircle-api', 'tricircle.cmd.api',
                                 '--config-file', layout['tricircle_conf']),
                             os.path.join(logs, 'admin-api.log'))
    record['url'] = layout['admin_api'] + ADMIN_READY_PATH
    records.append(record)
    layout['admin_api_pid'] = record['pid']


def _warm_up(layout):
    """One policy-checked request per Neutron before anyone else's.

    Neutron loads its policy rules on the first enforcement and, while it
    does, concurrent requests see an empty rule set and get 403. A list
    that returns an item (the project's default security group) makes that
    first enforcement happen here, alone.
    """
    sess = session(layout)
    for server in _neutrons(layout):
        adapter.Adapter(sess, endpoint_override=server['neutron']).get(
            '/v2.0/security-groups')


def session(state, user=keystone.ADMIN_USER, timeout=30):
    """A keystoneauth session acting as ``user`` (admin by default) of a
    Keystone sandbox, or sending no token to a noauth one."""
    if keystone.enabled(state):
        return keystone.session(state['auth'], user, timeout)
    return ks_session.Session(auth=noauth.NoAuth(), timeout=timeout)


def admin_api(state, timeout=30):
    """A keystoneauth Adapter for the sandbox's Admin API (as the admin)."""
    return adapter.Adapter(session(state, timeout=timeout),
                           endpoint_override=state['admin_api'])


def _register_pods(layout):
    """Register the central pod and every pod not yet known (their
    databases may come from an earlier ``up`` of this folder)."""
    api = admin_api(layout)
    log = os.path.join(layout['dir'], 'logs', 'admin-api.log')
    try:
        known = {p['region_name']: p['pod_id']
                 for p in api.get('/v1.0/pods').json()['pods']}
        for server in _neutrons(layout):
            if server['region_name'] not in known:
                pod = {'region_name': server['region_name']}
                if server['az_name']:
                    pod['az_name'] = server['az_name']
                body = api.post('/v1.0/pods', json={'pod': pod}).json()
                known[server['region_name']] = body['pod']['pod_id']
            server['pod_id'] = known[server['region_name']]
    except ks_exc.ClientException as e:
        raise SandboxError('registering the pods in the Admin API failed '
                           '(%s); see its log file %s' % (e, log)) from None


def _public(record):
    return {k: v for k, v in record.items() if k != 'popen'}


def _running(state):
    return [r for r in (state or {}).get('processes', [])
            if processes.is_alive(r)]


def up(sandbox_dir, pods=2, timeout=60.0, neutron_options=None, attempts=3,
       xjob_count=1, use_keystone=False, compute=False,
       with_dataplane=False, db=SQLITE, rabbit=False, workers=1):
    """Start a sandbox in ``sandbox_dir``; return its state (sandbox.json).

    ``xjob_count`` XJob processes (xjob-1...) run the jobs; 0: none.
    ``use_keystone``: a real Keystone and tokens everywhere (see keystone.py).
    ``compute``: Nova, Placement, Cinder per pod, Glance, RabbitMQ
    (see compute/).
    ``with_dataplane``: Neutron's agents per pod on a private Open vSwitch,
    and namespace VMs (see dataplane/).
    ``db``: ``sqlite``, ``mariadb`` or ``postgresql`` for Neutron and
    Tricircle (see dbserver.py); ``rabbit``: XJob woken over RabbitMQ;
    ``workers``: per neutron-api and Admin API (more than 1 needs a
    database server).

    Raises SandboxError, having stopped every process it started, when a
    server fails; a lost race for a free port is retried on new ports.
    """
    sandbox_dir = os.path.abspath(sandbox_dir)
    if pods < 0:
        raise SandboxError('--pods must be 0 or more, not %d' % pods)
    if xjob_count < 0:
        raise SandboxError('--xjobs must be 0 or more, not %d' % xjob_count)
    _check_shape(db, workers)
    if _running(load_state(sandbox_dir)):
        raise SandboxError('a sandbox is already running in %s; run '
                           '"tricircle sandbox down --dir %s" first'
                           % (sandbox_dir, sandbox_dir))
    if with_dataplane:
        try:
            dataplane.check_host()
        except dataplane.ERRORS as e:
            raise SandboxError(str(e)) from None
    os.makedirs(sandbox_dir, exist_ok=True)
    # The database server outlives port races: it starts once.
    base = []
    database = _start_database(sandbox_dir, db, pods, base)
    LOG.info('Upgrading the Tricircle DB in %s', sandbox_dir)
    from tricircle.db import migration  # alembic: only "up" needs it
    try:
        migration.upgrade(configs.tricircle_db_url(sandbox_dir, database))
    except BaseException:
        _stop_all(base, grace=FAILED_START_GRACE)
        raise
    for attempt in range(1, attempts + 1):
        layout = _layout(sandbox_dir, pods, use_keystone, compute,
                         with_dataplane, rabbit)
        layout.update(workers=workers)
        if database:
            layout['database'] = database
        records = list(base)
        try:
            if 'rabbitmq' in layout:
                rabbitmq.start(layout, records)
            if use_keystone:
                _start_keystone(layout, records, timeout)
            _write_configs(layout, neutron_options)
            _start_all(layout, records)
            xjobs.start(layout, records, xjob_count)
            if compute:
                # Database set-ups run while the Neutron servers boot.
                compute_services.start(layout, records, lambda: _remember(
                    sandbox_dir, layout, records))
            if with_dataplane:
                dataplane.start_switch(layout, records)
            _remember(sandbox_dir, layout, records)
            LOG.info('Started %d servers; waiting for them to answer',
                     len(records))
            processes.wait_ready([(r, r['url']) for r in records
                                  if r.get('url')], timeout)
            xjobs.wait([r for r in records
                        if r['name'].startswith(xjobs.NAME_PREFIX)], timeout)
            _warm_up(layout)
            LOG.info('Registering the pods in the Admin API')
            _register_pods(layout)
            if with_dataplane:
                dataplane.start_agents(layout, records, session(layout),
                                       timeout)
                _remember(sandbox_dir, layout, records)
            if compute:
                LOG.info('Waiting for the compute hosts; flavor and image')
                compute_services.finish(layout, records, timeout)
            _save_state(sandbox_dir, layout)
            return layout
        except processes.StartError as e:
            # Nothing to save in servers that never served: stop them fast.
            if e.reason == processes.PORT_IN_USE and attempt < attempts:
                _stop_all(records[len(base):], grace=FAILED_START_GRACE,
                          layout=layout)
                LOG.warning('%s lost its port to another process; '
                            'retrying on new ports', e.name)
                continue
            _stop_all(records, grace=FAILED_START_GRACE, layout=layout)
            _forget(sandbox_dir)
            raise SandboxError(str(e)) from None
        except compute_services.ERRORS + dataplane.ERRORS as e:
            _stop_all(records, grace=FAILED_START_GRACE, layout=layout)
            _forget(sandbox_dir)
            raise SandboxError(str(e)) from None
        except BaseException:
            _stop_all(records, grace=FAILED_START_GRACE, layout=layout)
            _forget(sandbox_dir)
            raise


def _check_shape(db, workers):
    if db not in DATABASES:
        raise SandboxError('--db must be one of %s, not %r'
                           % (', '.join(DATABASES), db))
    if workers < 1:
        raise SandboxError('--workers must be 1 or more, not %d' % workers)
    if workers > 1 and db == SQLITE:
        raise SandboxError('--workers %d needs --db mariadb or postgresql: '
                           'several processes writing one SQLite file lock '
                           'each other out' % workers)


def _start_database(sandbox_dir, db, pods, records):
    """The database server with every database migrated, or None for
    SQLite (each server then makes its own file)."""
    if db == SQLITE:
        return None
    regions = [constants.CENTRAL_REGION] + [POD_NAME % i
                                            for i in range(1, pods + 1)]
    try:
        LOG.info('Starting %s', db)
        database = dbserver.start(sandbox_dir, db, regions, records)
        LOG.info('Migrating the Neutron databases (neutron-db-manage '
                 'upgrade heads)')
        dbserver.migrate_neutron(
            database, regions, os.path.join(sandbox_dir, 'logs'),
            dbserver.server_of(sandbox_dir, database))
        return database
    except BaseException as e:
        _stop_all(records, grace=FAILED_START_GRACE)
        if isinstance(e, (dbserver.DatabaseError, processes.StartError)):
            raise SandboxError(str(e)) from None
        raise


def _remember(sandbox_dir, layout, records):
    """Save the layout with every process started so far, so that "down"
    stops them all from now on."""
    layout['processes'] = [_public(r) for r in records]
    _save_state(sandbox_dir, layout)


def _stop_all(records, grace=10.0, layout=None):
    """Stop every process; those marked ``stop_last`` (the RabbitMQ broker
    its clients need to shut down cleanly, the data plane's switch) once
    the others are gone. The data plane's VMs and bridges go in between,
    while the switch still runs."""
    processes.stop([r for r in records if not r.get('stop_last')], grace)
    if layout is not None:
        dataplane.teardown(layout)
    processes.stop([r for r in records if r.get('stop_last')], grace)
    if layout is not None:
        dataplane.teardown(layout)


def _forget(sandbox_dir):
    try:
        os.remove(state_path(sandbox_dir))
    except FileNotFoundError:
        pass


def down(sandbox_dir, grace=10.0):
    """Stop every process of the sandbox; return the records stopped."""
    state = load_state_or_fail(sandbox_dir)
    records = state.get('processes', [])
    _stop_all(records, grace, layout=state)
    left = _running(state)
    if left:
        raise SandboxError('processes still running: %s' % ', '.join(
            '%s (pid %d)' % (r['name'], r['pid']) for r in left))
    return records


def _record_of(state, name):
    for record in state.get('processes', []):
        if record['name'] == name:
            return record
    raise SandboxError('no server named %s in this sandbox; known: %s' % (
        name, ', '.join(r['name'] for r in state.get('processes', []))))


def stop_server(sandbox_dir, name, grace=10.0):
    """Stop one server (e.g. a pod's neutron-api, to play a fault)."""
    state = load_state_or_fail(sandbox_dir)
    processes.stop([_record_of(state, name)], grace)


def start_server(sandbox_dir, name, timeout=60.0):
    """Start a stopped server again, on its old port, and wait for it."""
    state = load_state_or_fail(sandbox_dir)
    old = _record_of(state, name)
    if processes.is_alive(old):
        raise SandboxError('%s is already running (pid %d)'
                           % (name, old['pid']))
    new = processes.restart(old)
    try:
        if new.get('url'):
            processes.wait_ready([(new, new['url'])], timeout)
    except processes.StartError as e:
        processes.stop([new], FAILED_START_GRACE)
        raise SandboxError(str(e)) from None
    state['processes'] = [_public(new) if r['name'] == name else r
                          for r in state['processes']]
    for server in _neutrons(state):
        if server['region_name'] == name:
            server['pid'] = new['pid']
    _save_state(sandbox_dir, state)
    return _public(new)


def load_state_or_fail(sandbox_dir):
    state = load_state(sandbox_dir)
    if state is None:
        raise SandboxError('no sandbox in %s (no %s)'
                           % (os.path.abspath(sandbox_dir), STATE_FILE))
    return state


def status(sandbox_dir):
    """One row per recorded process: name, pid, url, alive, answering."""
    state = load_state_or_fail(sandbox_dir)
    rows = []
    for record in state.get('processes', []):
        alive = processes.is_alive(record)
        if not record.get('url'):  # XJob: no HTTP; alive is all there is
            rows.append({'name': record['name'], 'pid': record['pid'],
                         'url': '-', 'alive': alive, 'answering': alive})
            continue
        port = int(record['url'].split('/')[2].rsplit(':', 1)[1])
        answering = (alive and processes.listening(record, port)
                     and processes.http_ready(record['url']))
        rows.append({'name': record['name'], 'pid': record['pid'],
                     'url': record['url'], 'alive': alive,
                     'answering': bool(answering)})
    return rows
