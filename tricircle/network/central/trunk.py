"""Central's trunks: Neutron's trunk service, whose trunks reach the pods.

Trunks and subports are made and validated on central by Neutron's trunk
plugin (a VLAN id twice on one trunk: 409, an unknown segmentation type:
400, a port already in a trunk: 409). Central wires nothing: the pod
holding the parent port copies the trunk and its agent does the wiring.
What central adds:

- a trunk driver, ``tricircle_central``, without which Neutron's plugin
  will not start; central binds a port only to record that a pod bound it
  (VIF type ``other``), so a bound parent can always be trunked here, and
  the pod's own driver decides there. Its callbacks queue ``trunk_sync``
  for a trunk that a pod holds or whose parent port lives in a pod;
- a subport must be able to reach the parent's pod: a subport on a
  network that cannot span pods and lives elsewhere is refused at once
  (409, 400 for a network hinted away from that pod), not left to fail in
  a job;
- XJob writes back the status the pod's trunk has (an admin's PUT of
  ``status``, which Neutron's API otherwise does not take).
"""

from neutron.services.trunk import plugin as trunk_plugin
from neutron.services.trunk.drivers import base as trunk_base
from neutron_lib.api.definitions import portbindings
from neutron_lib.api.definitions import trunk as trunk_apidef
from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from neutron_lib.services.trunk import constants as trunk_consts
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.common import exceptions as t_common_exc
from tricircle.db import api as db_api
from tricircle.network.central import follow
from tricircle.network import placement
from tricircle.network import trunks

LOG = logging.getLogger(__name__)

NAME = 'tricircle_central'


class CentralTrunkDriver(trunk_base.DriverBase):
    """Loaded with central's mechanism driver; follows every trunk change."""

    def __init__(self):
        super().__init__(NAME, (portbindings.VIF_TYPE_OTHER,),
                         (trunk_consts.SEGMENTATION_TYPE_VLAN,),
                         agent_type=None, can_trunk_bound_port=True)

    @property
    def is_loaded(self):
        try:
            return NAME in cfg.CONF.ml2.mechanism_drivers
        except cfg.NoSuchOptError:
            return False

    @registry.receives(resources.TRUNK_PLUGIN, [events.AFTER_INIT])
    def register(self, resource, event, trigger, payload=None):
        super().register(resource, event, trigger, payload=payload)
        for kind, kind_events in (
                (resources.TRUNK, (events.AFTER_CREATE, events.AFTER_UPDATE,
                                   events.AFTER_DELETE)),
                (resources.SUBPORTS, (events.AFTER_CREATE,
                                      events.AFTER_DELETE))):
            for event_type in kind_events:
                registry.subscribe(self._changed, kind, event_type)

    @staticmethod
    def _changed(resource, event, trigger, payload=None):
        trunk = payload.latest_state or payload.states[0]
        changed(trunk['id'], trunk['port_id'], trunk['project_id'],
                '%s %s' % (resource, event))


def changed(trunk_id, parent_id, project_id, why):
    """Queue the trunk's job if a pod holds it or its parent port."""
    if follow.routed(trunk_id, constants.RT_TRUNK) or follow.routed(
            parent_id, constants.RT_PORT):
        follow.queue(constants.JOB_TRUNK_SYNC, trunk_id, project_id, why)


def parent_pod(parent_id):
    """The pod dict holding a port, or None."""
    routed = follow.routed(parent_id, constants.RT_PORT)
    try:
        return db_api.get_pod(None, routed[0]['pod_id']) if routed else None
    except t_common_exc.PodNotFound:
        return None


def check_reach(context, parent_id, subports):
    """Refuse subports whose networks cannot reach the parent's pod."""
    pod = parent_pod(parent_id)
    if pod is None:
        return  # checked when a pod takes the parent
    core = directory.get_plugin()
    for sub in subports:
        port = core.get_port(context.elevated(), sub['port_id'])
        net = core.get_network(context.elevated(), port['network_id'])
        held = {p['pod_id'] for p in placement.network_pods(net)}
        placement.check_pod(net, pod, bool(held) and
                            pod['pod_id'] not in held)


class TricircleCentralTrunkPlugin(trunk_plugin.TrunkPlugin):
    """Neutron's trunk plugin, with reach checks and a writable status."""

    def __init__(self):
        super().__init__()
        trunk_apidef.RESOURCE_ATTRIBUTE_MAP[trunk_apidef.TRUNKS][
            'status']['allow_put'] = True

    def create_trunk(self, context, trunk):
        body = trunk['trunk']
        check_reach(context, body['port_id'],
                    body.get(trunk_apidef.SUB_PORTS) or ())
        return super().create_trunk(context, trunk)

    def add_subports(self, context, trunk_id, subports):
        parent = self._get_trunk(context, trunk_id).port_id
        given = subports.get(trunk_apidef.SUB_PORTS)
        if isinstance(given, list):
            check_reach(context, parent, [s for s in given
                                          if isinstance(s, dict) and
                                          s.get('port_id')])
        return super().add_subports(context, trunk_id, subports)

    def _trigger_trunk_status_change(self, resource, event, trigger,
                                     payload):
        """Not subscribed (an override drops Neutron's receiver): central's
        port loses its binding when the pod reports it unbound, and the
        trunk's status is then the pod's word, brought by trunk_sync."""

    def update_trunk(self, context, trunk_id, trunk):
        body = dict(trunk['trunk'])
        status = body.pop('status', None)
        if status is None:
            return super().update_trunk(context, trunk_id, trunk)
        if not context.is_admin:
            raise n_exc.NotAuthorized()
        if status not in trunks.STATUSES:
            raise n_exc.InvalidInput(error_message=(
                'trunk status must be one of %s' % ', '.join(
                    trunks.STATUSES)))
        if body:
            super().update_trunk(context, trunk_id, {'trunk': body})
        # The pod's word, written as it is: no event, no job of its own.
        self._get_trunk(context, trunk_id).update(status=status)
        LOG.info('Trunk %s is %s, as its pod reports', trunk_id, status)
        return self.get_trunk(context, trunk_id)
