"""Neutron's own agents in every pod: ``neutron-rpc-server``, the Open
vSwitch agent and the L3 agent, over the pod's vhost of the sandbox's
RabbitMQ.

Neutron 29 serves agent RPC only from ``neutron-rpc-server`` (the WSGI
API process starts no RPC consumers), so each pod runs one beside its
neutron-api, on the same config. Agents find no ``sudo`` here: they run
their commands through ``env`` with the venv's ``bin`` (``privsep-helper``)
on PATH. An L3 agent removes every ``qrouter-*`` namespace its server
does not know, so each runs in a mount namespace of its own, with a
private ``/run/netns``: the pods' agents never see each other's routers,
and nothing of theirs is left in the host's ``/run/netns``.
"""

import os
import sys
import time

from oslo_log import log as logging

from tricircle.sandbox.compute import configs as compute_configs
from tricircle.sandbox import rabbitmq
from tricircle.sandbox import configs
from tricircle.sandbox import processes

LOG = logging.getLogger(__name__)

RUNNER = 'tricircle.sandbox.compute.runner'
RPC_QUEUES = ('q-plugin', 'q-reports-plugin', 'q-l3-plugin')
OVS_AGENT = 'Open vSwitch agent'
L3_AGENT = 'L3 agent'
NETNS_RUN_DIR = '/run/netns'


class AgentError(Exception):
    """An agent or its RPC server did not come up; says where to look."""


def host(region_name):
    """The host the pod's agents report: its compute host, so Nova's
    ports (``sandbox up --compute``) bind to them."""
    return compute_configs.compute_host(region_name)


def neutron_extra(layout, region_name):
    """A pod's neutron-api and rpc-server with agents to talk to."""
    return {
        'DEFAULT': {
            'transport_url': rabbitmq.transport_url(layout, region_name),
            'rpc_workers': '1', 'rpc_state_report_workers': '1',
            # VM addresses come from the port (sandbox vm), not DHCP.
            'dhcp_agent_notification': 'False',
        },
        'ml2': {
            # The pod's agent binds its host; the agentless driver binds
            # the remote hosts of shadow ports (no agent of theirs here).
            'mechanism_drivers': 'openvswitch,l2population,'
                                 'tricircle_agentless',
        },
        'ml2_agentless': {'hosts': ','.join(
            host(pod['region_name']) for pod in layout['pods']
            if pod['region_name'] != region_name)},
        'securitygroup': {'firewall_driver': 'openvswitch'},
    }


def _agent_sections(layout, region_name):
    dp = layout['dataplane']
    pod = dp['pods'][region_name]
    common = {
        'DEFAULT': {'host': host(region_name),
                    'transport_url': rabbitmq.transport_url(layout,
                                                            region_name),
                    'state_path': os.path.join(layout['dir'], region_name,
                                               'agents')},
        'agent': {'root_helper': 'env', 'report_interval': '10'},
        'oslo_concurrency': {'lock_path': os.path.join(
            layout['dir'], region_name, 'agents', 'lock')},
    }
    ovs = configs.merge(common, {
        'ovs': {'integration_bridge': pod['integration_bridge'],
                'tunnel_bridge': pod['tunnel_bridge'],
                'int_peer_patch_port': pod['int_peer_patch_port'],
                'tun_peer_patch_port': pod['tun_peer_patch_port'],
                'datapath_type': 'netdev',
                'bridge_mappings': ','.join(
                    '%s:%s' % kv for kv in sorted(pod['bridges'].items())),
                'ovsdb_connection': dp['db'],
                'of_listen_port': str(pod['of_listen_port']),
                'local_ip': pod['vtep_ip']},
        'agent': {'tunnel_types': 'vxlan', 'l2_population': 'True'},
        'securitygroup': {'firewall_driver': 'openvswitch',
                          'enable_security_group': 'True'},
    })
    l3 = configs.merge(common, {
        'DEFAULT': {'interface_driver': 'openvswitch',
                    'agent_mode': 'legacy',
                    # No haproxy here, and no VM asks for metadata.
                    'enable_metadata_proxy': 'False'},
        'ovs': {'integration_bridge': pod['integration_bridge'],
                'ovsdb_connection': dp['db']},
    })
    return ovs, l3


def write_configs(layout):
    for region_name in layout['dataplane']['pods']:
        folder = os.path.join(layout['dir'], region_name, 'agents')
        os.makedirs(os.path.join(folder, 'lock'), exist_ok=True)
        ovs, l3 = _agent_sections(layout, region_name)
        pod = layout['dataplane']['pods'][region_name]
        pod['ovs_ini'] = configs.write_ini(
            os.path.join(folder, 'openvswitch_agent.ini'), ovs)
        pod['l3_ini'] = configs.write_ini(
            os.path.join(folder, 'l3_agent.ini'), l3)
        pod['netns_dir'] = os.path.join(folder, 'netns')
        os.makedirs(pod['netns_dir'], exist_ok=True)


def _env(layout):
    from tricircle.sandbox.dataplane import ovs
    bin_dir = os.path.dirname(sys.executable)
    return dict(ovs.env(layout['dataplane']),
                PATH='%s:%s' % (bin_dir, os.environ.get('PATH', '')))


def start_rpc_servers(layout, records):
    logs = os.path.join(layout['dir'], 'logs')
    for pod in layout['pods']:
        name = pod['region_name']
        records.append(processes.start(
            'rpc-server-%s' % name,
            [sys.executable, '-m', RUNNER, 'run',
             'neutron.cmd.server:main_rpc', '--config-file', pod['config']],
            os.path.join(logs, 'rpc-server-%s.log' % name),
            extra_env=_env(layout)))


def _queues_ready(url):
    """Whether every RPC queue the agents call exists in the vhost."""
    import kombu
    try:
        with kombu.Connection(url.replace('rabbit://', 'amqp://', 1),
                              connect_timeout=2) as conn:
            channel = conn.channel()
            for queue in RPC_QUEUES:
                channel.queue_declare(queue, passive=True)
        return True
    except Exception:  # a missing queue closes the channel: not yet
        return False


def start_agents(layout, records, timeout):
    """Once the pods' RPC servers consume (else the agents' first calls
    wait a whole RPC timeout), every pod's OVS and L3 agent."""
    deadline = time.monotonic() + timeout
    servers = {r['name']: r for r in records}
    for pod in layout['pods']:
        name = pod['region_name']
        record = servers['rpc-server-%s' % name]
        processes.wait_until(
            record, lambda: _queues_ready(rabbitmq.transport_url(
                layout, name)), deadline,
            'the RPC queues of %s' % name, interval=0.5)
    logs = os.path.join(layout['dir'], 'logs')
    env = _env(layout)
    for pod in layout['pods']:
        name = pod['region_name']
        dp_pod = layout['dataplane']['pods'][name]
        records.append(processes.start(
            'ovs-agent-%s' % name, processes.console_script(
                'neutron-openvswitch-agent',
                'neutron.cmd.agents.ovs_neutron_agent',
                '--config-file', pod['config'],
                '--config-file', dp_pod['ovs_ini']),
            os.path.join(logs, 'ovs-agent-%s.log' % name), extra_env=env))
        l3 = processes.console_script(
            'neutron-l3-agent', 'neutron.cmd.agents.l3',
            '--config-file', pod['config'], '--config-file',
            dp_pod['l3_ini'])
        records.append(processes.start(
            'l3-agent-%s' % name, _in_private_netns(dp_pod['netns_dir'], l3),
            os.path.join(logs, 'l3-agent-%s.log' % name), extra_env=env))


def _in_private_netns(netns_dir, argv):
    """``argv`` in a mount namespace whose ``/run/netns`` is ``netns_dir``."""
    os.makedirs(NETNS_RUN_DIR, exist_ok=True)
    return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
            'mount --bind "$0" %s && exec "$@"' % NETNS_RUN_DIR,
            netns_dir] + list(argv)


def wait(layout, sess, timeout):
    """Until every pod's Neutron counts its OVS and L3 agents alive."""
    from keystoneauth1 import adapter
    deadline = time.monotonic() + timeout
    for pod in layout['pods']:
        api = adapter.Adapter(sess, endpoint_override=pod['neutron'])
        want = {OVS_AGENT, L3_AGENT}
        while True:
            agents = api.get('/v2.0/agents?host=%s'
                             % host(pod['region_name'])).json()['agents']
            alive = {a['agent_type'] for a in agents if a['alive']}
            if want <= alive:
                break
            if time.monotonic() > deadline:
                raise AgentError(
                    'the agents of %s did not report (alive: %s); see '
                    'logs/ovs-agent-%s.log and logs/l3-agent-%s.log' % (
                        pod['region_name'], ', '.join(sorted(alive)) or
                        'none', pod['region_name'], pod['region_name']))
            time.sleep(0.5)


# Nova loads its driver from nova.virt only: the runner puts ours there.
NOVA_DRIVER_ALIAS = 'nova.virt.tricircle_dataplane'
NOVA_DRIVER = 'tricircle_dataplane.NamespaceDriver'


def nova_env():
    from tricircle.sandbox.compute import runner
    return {runner.ALIASES_ENV: '%s=tricircle.sandbox.dataplane.nova_virt'
            % NOVA_DRIVER_ALIAS}


def nova_extra(layout, region_name):
    """A pod's nova-compute that plugs its servers into the data plane."""
    dp = layout['dataplane']
    return {
        'DEFAULT': {'compute_driver': NOVA_DRIVER},
        'tricircle_dataplane': {
            'ovsdb_connection': dp['db'], 'run_dir': dp['run_dir'],
            'token': dp['token'],
            'integration_bridge': dp['pods'][region_name][
                'integration_bridge']},
    }
