"""The central L3 plugin: routers made once, materialised by XJob.

Routers, interfaces and extra routes are stored centrally with Neutron's L3
DB layer; every change that pods must follow registers a ``router_setup``
job for the router, and XJob converges the bottom routers, the bridge
network and the extra routes in every pod the router touches.
"""

from neutron.services.l3_router import l3_router_plugin
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.db import jobs
from tricircle.network import placement
from tricircle.xjob import rpc

LOG = logging.getLogger(__name__)

JOB_ROUTER_SETUP = constants.JOB_ROUTER_SETUP


class TricircleCentralL3Plugin(l3_router_plugin.L3RouterPlugin):

    def _sync(self, context, router_id, project_id=None):
        job = jobs.register_job(None, JOB_ROUTER_SETUP, router_id,
                                project_id or context.project_id)
        rpc.wake(JOB_ROUTER_SETUP, router_id)
        LOG.info('Queued %s job %s for router %s', JOB_ROUTER_SETUP,
                 job['id'], router_id)

    def add_router_interface(self, context, router_id, interface_info=None):
        core = directory.get_plugin()
        subnet_id = (interface_info or {}).get('subnet_id')
        if subnet_id:
            subnet = core.get_subnet(context, subnet_id)
            self._check_placed(context, subnet['network_id'])
            self._release_gateway_reservation(context, subnet)
        elif (interface_info or {}).get('port_id'):
            port = core.get_port(context, interface_info['port_id'])
            self._check_placed(context, port['network_id'])
        info = super().add_router_interface(context, router_id,
                                            interface_info)
        self._sync(context, router_id, info.get('project_id'))
        return info

    def remove_router_interface(self, context, router_id, interface_info):
        info = super().remove_router_interface(context, router_id,
                                               interface_info)
        self._sync(context, router_id, info.get('project_id'))
        return info

    def update_router(self, context, id, router):
        result = super().update_router(context, id, router)
        self._sync(context, id, result.get('project_id'))
        return result

    def delete_router(self, context, id):
        router = self.get_router(context, id)
        super().delete_router(context, id)
        self._sync(context, id, router.get('project_id'))

    @staticmethod
    def _check_placed(context, network_id):
        """A router interface must know which pod its network is in."""
        core = directory.get_plugin()
        network = core.get_network(context, network_id)
        if network.get('router:external'):
            return
        if not placement.network_pods(network):
            raise n_exc.BadRequest(resource='router', msg=(
                'network %s has no availability_zone_hints naming a pod '
                'and no port in any pod yet, so Tricircle cannot tell '
                'where to route it; give it availability_zone_hints or '
                'create a port for it in a pod first' % network_id))

    @staticmethod
    def _release_gateway_reservation(context, subnet):
        """The router interface takes the gateway IP over from the port
        that reserved it for the pods; both are a reservation of it."""
        core = directory.get_plugin()
        for port in core.get_ports(
                context.elevated(),
                filters={'device_owner': [constants.DEVICE_OWNER_GATEWAY],
                         'fixed_ips': {'subnet_id': [subnet['id']]}}):
            core.delete_port(context.elevated(), port['id'])
            LOG.debug('Released gateway reservation %s of subnet %s',
                      port['id'], subnet['id'])
