"""Nova's fake virt driver, plus a namespace per server on the pod's
integration bridge (``sandbox up --compute --dataplane``).

Nova's fake driver runs no guest and plugs nothing, so a server's port
would stay DOWN and no packet would reach it. This driver plugs each VIF
of a server as the Open vSwitch VIF driver does (an internal port with
``iface-id``, ``attached-mac`` and ``iface-status``), moves it into the
namespace ``tc<token>-<server id>`` with the port's addresses, and
unplugs it when the server goes. ``tricircle sandbox vm exec <server id>
-- ping ...`` then runs inside the server.
"""

import ipaddress

from nova.virt import fake
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.sandbox.dataplane import vm

LOG = logging.getLogger(__name__)

GROUP = 'tricircle_dataplane'
OPTS = [
    cfg.StrOpt('ovsdb_connection', help='The sandbox switch\'s OVSDB.'),
    cfg.StrOpt('run_dir', help='The sandbox switch\'s run folder.'),
    cfg.StrOpt('token', help='The sandbox\'s token (device and namespace '
                             'names).'),
    cfg.StrOpt('integration_bridge', help='The pod\'s integration bridge.'),
]
cfg.CONF.register_opts(OPTS, GROUP)


def _switch():
    conf = cfg.CONF[GROUP]
    return {'db': conf.ovsdb_connection, 'run_dir': conf.run_dir,
            'token': conf.token}


def _addresses(vif):
    """(address/prefix, gateway) of the VIF's first IPv4 address."""
    for subnet in vif['network']['subnets']:
        for ip in subnet['ips']:
            if ipaddress.ip_address(ip['address']).version == 4:
                prefix = ipaddress.ip_network(subnet['cidr']).prefixlen
                gateway = (subnet.get('gateway') or {}).get('address')
                return '%s/%d' % (ip['address'], prefix), gateway
    return None, None


class NamespaceDriver(fake.FakeDriverWithoutFakeNodes):

    def _plug(self, instance, vif, first):
        address, gateway = _addresses(vif)
        if address is None:
            LOG.info('VIF %s of %s has no IPv4 address; not plugged',
                     vif['id'], instance.uuid)
            return
        dp = _switch()
        vm.plug(dp, vm.namespace(dp, instance.uuid), vm.device(vif['id']),
                cfg.CONF[GROUP].integration_bridge, vif['address'], address,
                gateway if first else None,
                mtu=vif['network'].get('meta', {}).get('mtu'),
                external_ids=vm.vif_ids(vif['id'], vif['address'],
                                        instance.uuid),
                new_namespace=first)
        LOG.info('Plugged VIF %s (%s) of server %s', vif['id'], address,
                 instance.uuid)

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        super().spawn(context, instance, image_meta, injected_files,
                      admin_password, allocations, network_info,
                      block_device_info, power_on, accel_info)
        for n, vif in enumerate(network_info or []):
            self._plug(instance, vif, first=(n == 0))

    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        dp = _switch()
        vm.unplug(dp, vm.namespace(dp, instance.uuid),
                  [vm.device(vif['id']) for vif in network_info or []])
        super().destroy(context, instance, network_info, block_device_info,
                        destroy_disks, destroy_secrets)

    def attach_interface(self, context, instance, image_meta, vif):
        super().attach_interface(context, instance, image_meta, vif)
        dp = _switch()
        self._plug(instance, vif, first=not vm.namespace_exists(
            vm.namespace(dp, instance.uuid)))

    def detach_interface(self, context, instance, vif):
        super().detach_interface(context, instance, vif)
        vm.unplug(_switch(), None, [vm.device(vif['id'])])
