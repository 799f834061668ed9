"""The central L3 plugin: routers made once, materialised by XJob.

Routers, interfaces and extra routes are stored centrally with Neutron's L3
DB layer; every change that pods must follow registers a ``router_setup``
job for the router, and XJob converges the bottom routers, the bridge
network and the extra routes in every pod the router touches.
"""

from neutron.services.l3_router import l3_router_plugin
from neutron_lib.api.definitions import l3 as l3_apidef
from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from neutron_lib import constants as n_const
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from oslo_log import log as logging
from oslo_utils import uuidutils

from tricircle.common import constants
from tricircle.network import router_reads
from tricircle.network.central import follow
from tricircle.network.central import plugin as central_plugin
from tricircle.network.central import port_rows
from tricircle.network.central import reach

LOG = logging.getLogger(__name__)

JOB_ROUTER_SETUP = constants.JOB_ROUTER_SETUP
# Tries of an interface on a subnet whose gateway IP pods keep reserving.
GATEWAY_ATTEMPTS = 3


FIP_STATUSES = (n_const.FLOATINGIP_STATUS_ACTIVE,
                n_const.FLOATINGIP_STATUS_DOWN,
                n_const.FLOATINGIP_STATUS_ERROR)


class TricircleCentralL3Plugin(router_reads.LightRouterReads,
                               l3_router_plugin.L3RouterPlugin):

    def __init__(self):
        super().__init__()
        # XJob copies each bottom floating IP's status to its top one; only
        # an admin may write it (checked in update_floatingip).
        l3_apidef.RESOURCE_ATTRIBUTE_MAP[l3_apidef.FLOATINGIPS][
            'status']['allow_put'] = True
        registry.subscribe(self._port_deleted, resources.PORT,
                           events.AFTER_DELETE)

    def _sync(self, context, router_id, project_id=None):
        follow.queue(JOB_ROUTER_SETUP, router_id,
                     project_id or context.project_id, 'router')

    def add_router_interface(self, context, router_id, interface_info=None):
        subnet_id = (interface_info or {}).get('subnet_id')
        router = self.get_router(context, router_id)
        reach.check_interface(context, router, interface_info or {})
        for attempt in range(1, GATEWAY_ATTEMPTS + 1):
            if uuidutils.is_uuid_like(subnet_id):  # else Neutron refuses
                # The interface takes the gateway IP's reservation over,
                # or it is released (there is none while the network is
                # in no pod). After a failed attempt every one is
                # released: an IPv6 prefix added to a router's existing
                # port is an update, which takes none over.
                self._release_gateway_reservation(
                    context, subnet_id,
                    router['project_id'] if attempt == 1 else None)
            try:
                info = super().add_router_interface(context, router_id,
                                                    interface_info)
                break
            except central_plugin.IP_TAKEN:
                # A pod reserved the gateway IP between the look-up and
                # the interface (it pulled the subnet meanwhile): the next
                # attempt takes that reservation over, or releases it.
                if not subnet_id or attempt == GATEWAY_ATTEMPTS:
                    raise
                LOG.info('Gateway IP of subnet %s was reserved again while '
                         'router %s took it; trying once more',
                         subnet_id, router_id)
        self._sync(context, router_id, info.get('project_id'))
        self._sync_siblings(context, router_id)
        return info

    def remove_router_interface(self, context, router_id, interface_info):
        info = super().remove_router_interface(context, router_id,
                                               interface_info)
        self._sync(context, router_id, info.get('project_id'))
        core = directory.get_plugin()
        left = [s for s in info.get('subnet_ids') or [info.get('subnet_id')]
                if s]
        self._sync_siblings(context, router_id, left)
        for subnet_id in left:
            core.reserve_gateway(context, core.get_subnet(
                context.elevated(), subnet_id))
        return info

    def _sync_siblings(self, context, router_id, left_subnets=()):
        """Routers sharing a subnet with this one route to what it reaches
        (``sync.router._sibling_routes``): they follow its interfaces."""
        admin = context.elevated()
        subnets = set(left_subnets) | port_rows.interface_subnets(
            admin, router_id)
        if not subnets:
            return
        for sibling, project_id in port_rows.routers_on(admin, subnets,
                                                        router_id):
            self._sync(context, sibling, project_id)

    def create_router(self, context, router):
        reach.check_gateway(context, router['router'],
                            router['router'].get('external_gateway_info'))
        result = super().create_router(context, router)
        if result.get('external_gateway_info'):
            self._sync(context, result['id'], result.get('project_id'))
        return result

    def update_router(self, context, id, router):
        gateway = router['router'].get('external_gateway_info')
        if gateway:
            reach.check_gateway(context, self.get_router(context, id),
                                gateway)
        result = super().update_router(context, id, router)
        self._sync(context, id, result.get('project_id'))
        return result

    def delete_router(self, context, id):
        router = self.get_router(context, id)
        super().delete_router(context, id)
        self._sync(context, id, router.get('project_id'))

    # -- availability zones: hints name pods, zones are where pieces are --

    def validate_availability_zones(self, context, resource_type,
                                    availability_zones):
        """A router's hints name pods (an AZ or a region name), as a
        network's do; Neutron's own check would look for L3 agents."""
        directory.get_plugin().validate_availability_zones(
            context, resource_type, availability_zones)

    def get_router_availability_zones(self, router):
        """The AZs of the pods holding a piece of the router now."""
        return reach.router_zones(router['id'])

    # -- floating IPs: the gateway pod's bottom router carries them -------

    def create_floatingip(self, context, floatingip):
        fip = super().create_floatingip(context, floatingip)
        if fip.get('router_id'):
            self._sync(context, fip['router_id'], fip['project_id'])
        return fip

    def update_floatingip(self, context, id, floatingip):
        attrs = floatingip['floatingip']
        status = attrs.pop('status', None)
        if status is not None:
            self._check_status_write(context, status)
        old = self.get_floatingip(context, id)
        fip = old
        if attrs:
            fip = super().update_floatingip(context, id, floatingip)
            for router_id in {old.get('router_id'), fip.get('router_id')}:
                if router_id:
                    self._sync(context, router_id, fip['project_id'])
        if status is not None and status != fip['status']:
            self.update_floatingip_status(context, id, status)
            fip = self.get_floatingip(context, id)
        return fip

    def delete_floatingip(self, context, id):
        fip = self.get_floatingip(context, id)
        super().delete_floatingip(context, id)
        if fip.get('router_id'):
            self._sync(context, fip['router_id'], fip['project_id'])

    def _port_deleted(self, resource, event, trigger, payload):
        """A port deleted on central has let go of its floating IPs (after
        the commit, so the job sees them free): their routers follow."""
        for router_id in (payload.metadata or {}).get('router_ids') or ():
            if router_id:
                self._sync(payload.context, router_id)

    @staticmethod
    def _check_status_write(context, status):
        if not context.is_admin:
            raise n_exc.NotAuthorized()
        if status not in FIP_STATUSES:
            raise n_exc.InvalidInput(error_message=(
                'floating IP status must be one of %s' %
                ', '.join(FIP_STATUSES)))

    @staticmethod
    def _release_gateway_reservation(context, subnet_id, project_id):
        """The gateway IP's reservation stands in for the interface. The
        interface port takes a reservation of the router's project over
        (``TricircleCentralPlugin.create_port``); one of another project
        (the subnet's, when an admin or an RBAC share lets this router
        take it) is released for the interface to be made; with
        ``project_id`` None, every one is."""
        core = directory.get_plugin()
        admin = context.elevated()
        for port_id, owner in port_rows.holders(
                admin, constants.DEVICE_OWNER_GATEWAY, [subnet_id]):
            if owner != project_id:
                core.delete_port(admin, port_id)
                LOG.debug('Released gateway reservation %s of subnet %s',
                          port_id, subnet_id)
