"""ML2 mechanism driver of a pod whose compute hosts run no Neutron agent.

nova-compute asks the pod's Neutron to bind each port to its host and puts
the server in ERROR when the binding fails. A real pod has an agent (Open
vSwitch...) on every host whose mechanism driver binds; the sandbox's
compute hosts (``sandbox up --compute``, Nova's fake virt driver) run none,
so this driver binds for them: an ``ovs`` VIF, as the Open vSwitch agent's
driver would give, with no port filter. Nothing is wired; the port becomes
ACTIVE at once, as if an agent had reported it up.

Only the hosts named in ``[ml2_agentless] hosts`` are bound (all hosts when
the list is empty), so a pod that also runs real agents keeps their
bindings for its other hosts. ``sandbox up --compute`` lists each pod's
compute host.

It also brings the QoS and trunk drivers such an agent's mechanism driver
would: a pod's Neutron accepts a QoS policy on a port it binds exactly
where an Open vSwitch agent would enforce it, and a trunk whose parent it
binds is wired as that agent would report it
(tricircle.network.drivers.trunk_agentless).
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api
from neutron_lib.services.qos import base as qos_base
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.network.drivers import trunk_agentless
from tricircle.network import qos_checks

LOG = logging.getLogger(__name__)

GROUP = 'ml2_agentless'
OPTS = [
    cfg.ListOpt('hosts', default=[],
                help='Hosts this driver binds ports for (agentless compute '
                     'hosts); empty: every host.'),
]


class AgentlessQosDriver(qos_base.DriverBase):

    def __init__(self):
        super().__init__(name='tricircle_agentless',
                         vif_types=[portbindings.VIF_TYPE_OVS],
                         vnic_types=[portbindings.VNIC_NORMAL],
                         supported_rules=qos_checks.SUPPORTED_RULES)


class AgentlessMechanismDriver(api.MechanismDriver):

    def initialize(self):
        cfg.CONF.register_opts(OPTS, GROUP)
        # Registered with the QoS and trunk plugins when they start (after
        # ML2).
        self._qos_driver = AgentlessQosDriver()
        self._trunk_driver = trunk_agentless.AgentlessTrunkDriver()
        self.hosts = set(cfg.CONF[GROUP].hosts)
        LOG.info('Agentless binding for hosts: %s',
                 ', '.join(sorted(self.hosts)) or 'any')

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        if self.hosts and context.host not in self.hosts:
            return
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                {portbindings.CAP_PORT_FILTER: False,
                                 portbindings.OVS_HYBRID_PLUG: False},
                                status=constants.PORT_STATUS_ACTIVE)
            return
