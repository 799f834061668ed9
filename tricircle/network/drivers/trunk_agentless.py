"""The trunk driver of the agentless hosts (tricircle_agentless).

On a host with an Open vSwitch agent, the agent wires a trunk once its
parent is bound: it binds each subport to the parent's host, marks it
``trunk:subport`` and reports the trunk ACTIVE. An agentless host has no
agent to do so; this driver does the same bookkeeping when the parent is
bound or unbound there, when a trunk is copied onto a bound parent and when
subports join it (the local plugin has XJob take the status to central
when the parent's binding changes, whichever driver wires it). A pod
that runs Open vSwitch agents uses Neutron's own driver instead (two
drivers for one VIF type would refuse every bound parent).
"""

from neutron.objects import trunk as trunk_objects
from neutron.services.trunk.drivers import base as trunk_base
from neutron_lib.api.definitions import portbindings
from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from neutron_lib.plugins import directory
from neutron_lib.services.trunk import constants as trunk_consts
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.network import trunks

LOG = logging.getLogger(__name__)

NAME = 'tricircle_agentless'


class AgentlessTrunkDriver(trunk_base.DriverBase):

    def __init__(self):
        super().__init__(NAME, (portbindings.VIF_TYPE_OVS,),
                         (trunk_consts.SEGMENTATION_TYPE_VLAN,),
                         agent_type=None, can_trunk_bound_port=True)

    @property
    def is_loaded(self):
        try:
            drivers = cfg.CONF.ml2.mechanism_drivers
        except cfg.NoSuchOptError:
            return False
        return NAME in drivers and 'openvswitch' not in drivers

    @registry.receives(resources.TRUNK_PLUGIN, [events.AFTER_INIT])
    def register(self, resource, event, trigger, payload=None):
        super().register(resource, event, trigger, payload=payload)
        registry.subscribe(self._parent_updated, resources.PORT,
                           events.AFTER_UPDATE)
        registry.subscribe(self._trunk_changed, resources.TRUNK,
                           events.AFTER_CREATE)
        registry.subscribe(self._trunk_changed, resources.SUBPORTS,
                           events.AFTER_CREATE)

    def _parent_updated(self, resource, event, trigger, payload=None):
        port, old = payload.latest_state, payload.states[0]
        details = port.get('trunk_details')
        if not details or all(port.get(k) == old.get(k) for k in (
                portbindings.HOST_ID, portbindings.VIF_TYPE)):
            return
        self.wire(payload.context, details['trunk_id'])

    def _trunk_changed(self, resource, event, trigger, payload=None):
        self.wire(payload.context, payload.resource_id)

    def wire(self, context, trunk_id):
        """Subports bound where the parent is, and the trunk's status."""
        admin = context.elevated()
        trunk = trunk_objects.Trunk.get_object(admin, id=trunk_id)
        if trunk is None:
            return
        core = directory.get_plugin()
        parent = core.get_port(admin, trunk.port_id)
        host = trunks.bound_host(parent)
        for sub in trunk.sub_ports:
            current = core.get_port(admin, sub.port_id)
            if current.get(portbindings.HOST_ID) == host and (
                    not host or current['device_owner'] ==
                    trunks.SUBPORT_OWNER):
                continue
            changes = {portbindings.HOST_ID: host}
            if host:
                changes['device_owner'] = trunks.SUBPORT_OWNER
            core.update_port(admin, sub.port_id, {'port': changes})
        status = (trunk_consts.TRUNK_ACTIVE_STATUS if host else
                  trunk_consts.TRUNK_DOWN_STATUS)
        if trunk.status != status:
            trunk.update(status=status)
            LOG.info('Trunk %s is %s (parent %s on %s)', trunk_id, status,
                     trunk.port_id, host or 'no host')
