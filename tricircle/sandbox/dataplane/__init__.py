"""``sandbox up --dataplane``: packets, not only API records (issue #19).

Every pod gets Neutron's own agents (``agents.py``) on a private Open
vSwitch with the userspace datapath (``ovs.py``), and VMs are network
namespaces plugged as Nova plugs a server (``vm.py``). What Tricircle
makes in the pods' Neutrons (bottom routers, bridge networks, shadow
ports, floating IPs, security groups) then carries real traffic.
"""

from oslo_log import log as logging

from tricircle.sandbox import rabbitmq
from tricircle.sandbox.dataplane import agents
from tricircle.sandbox.dataplane import ovs
from tricircle.sandbox.dataplane import vm

LOG = logging.getLogger(__name__)

ERRORS = (ovs.OvsError, agents.AgentError, rabbitmq.RabbitError,
          vm.VmError)


def check_host():
    """Before anything starts: this host's one userspace switch is free."""
    ovs.check_free()


def plan(layout):
    ovs.plan(layout)


def neutron_extra(layout, region_name):
    return agents.neutron_extra(layout, region_name)


def start_switch(layout, records):
    """The switch (the sandbox's broker runs already); configs of the
    agents."""
    agents.write_configs(layout)
    ovs.start(layout, records)


def start_agents(layout, records, sess, timeout):
    """Once the pods' Neutrons answer: RPC servers, then agents, until
    each pod counts its agents alive."""
    broker = next(r for r in records if r['name'] == 'rabbitmq')
    rabbitmq.wait(layout, broker, timeout)
    LOG.info('Starting the pods\' RPC servers and agents')
    agents.start_rpc_servers(layout, records)
    agents.start_agents(layout, records, timeout)
    agents.wait(layout, sess, timeout)


def teardown(state):
    """VMs, bridges and devices of the data plane (safe to repeat)."""
    if state.get('dataplane'):
        vm.remove_all(state)
        ovs.remove(state)
