"""A router's way out: its external gateway, in the pod of the external
network, and the north-south bridge that brings the other pods to it.

The gateway pod's bottom router gets the top router's gateway (same
external IPs, same ``enable_snat``). When the router also has subnets in
other pods, a north-south bridge network is made for it on central: the
gateway pod's bottom router holds its subnet's gateway IP, and in each other
pod the bridge is an external network that is the bottom router's gateway.
So a pod's default route leads to the gateway pod, SNAT happens where the
top router asks for it, and a floating IP of a port in another pod is a
chain of two DNATs (see ``floatingips``).
"""

import netaddr
import openstack.exceptions as os_exc
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.common import exceptions as t_exc
from tricircle.network.sync import bridge
from tricircle.network import placement

LOG = logging.getLogger(__name__)


class Gateway:
    """Where a top router's external gateway lives, or ``None``."""

    def __init__(self, info, network, subnets, pod_id):
        self.info = info
        self.network = network
        self.subnets = subnets
        self.pod_id = pod_id

    @property
    def enable_snat(self):
        return self.info.get('enable_snat', True)

    @property
    def fixed_ips(self):
        return [{'subnet_id': ip['subnet_id'], 'ip_address': ip['ip_address']}
                for ip in self.info.get('external_fixed_ips') or ()]

    @classmethod
    def of(cls, central, top, pods):
        info = top.external_gateway_info or {}
        if not info.get('network_id'):
            return None
        try:
            net = central.get_network(info['network_id'])
        except os_exc.NotFoundException:
            return None
        chosen = placement.network_pods(
            {'id': net.id,
             'availability_zone_hints': net.availability_zone_hints}, pods)
        if len(chosen) != 1:
            raise t_exc.TricircleError(
                'external network %s of router %s is in %d pods, not one'
                % (net.id, top.id, len(chosen)))
        return cls(info, net, list(central.subnets(network_id=net.id)),
                   chosen[0]['pod_id'])


def bridge_for(central, top, gateway, router_pods):
    """The router's north-south bridge (network, subnet): made when pods
    other than the gateway pod need one, else the old one if any."""
    if gateway and set(router_pods) - {gateway.pod_id}:
        return bridge.ensure_ns(central, top.id, top.project_id)
    return bridge.find_ns(central, top.id, top.project_id)


def converge(conn, pod_id, top, gateway, ns_net, ns_subnet, needed,
             router=None):
    """Set or clear one pod's bottom gateway; return this pod's gateway IP
    on the north-south bridge (None in the gateway pod or without it).
    ``router``: the bottom router, if the caller has just read it."""
    router = router or conn.get_router(top.id)
    if gateway is not None and pod_id == gateway.pod_id:
        conn.get_network(gateway.network.id)  # materialises it
        _set_gateway(conn, router, {
            'network_id': gateway.network.id,
            'enable_snat': gateway.enable_snat,
            'external_fixed_ips': gateway.fixed_ips})
        if needed:
            _attach(conn, top.id, ns_subnet)
        elif ns_subnet is not None:
            _detach(conn, top.id, ns_subnet)
        return None
    if ns_subnet is not None:
        # Only the gateway pod holds the bridge's gateway IP.
        _detach(conn, top.id, ns_subnet)
    if gateway is None or not needed:
        if router.external_gateway_info:
            conn.update_router(top.id, external_gateway_info={})
            LOG.info('Cleared gateway of router %s in pod %s', top.id,
                     pod_id)
        return None
    net = conn.get_network(ns_net.id)  # materialises it with its subnet
    if not net.is_router_external:
        conn.update_network(ns_net.id, is_router_external=True)
    router = _set_gateway(conn, router, {'network_id': ns_net.id,
                                         'enable_snat': gateway.enable_snat})
    return next(ip['ip_address'] for ip in
                router.external_gateway_info['external_fixed_ips']
                if ip['subnet_id'] == ns_subnet.id)


def _set_gateway(conn, router, wanted):
    have = router.external_gateway_info or {}
    same = (have.get('network_id') == wanted['network_id'] and
            have.get('enable_snat') == wanted['enable_snat'])
    if same and 'external_fixed_ips' in wanted:
        same = ({ip['ip_address'] for ip in have.get('external_fixed_ips')
                 or ()} ==
                {ip['ip_address'] for ip in wanted['external_fixed_ips']})
    if same:
        return router
    router = conn.update_router(router.id, external_gateway_info=wanted)
    LOG.info('Gateway of router %s is now %s', router.id, wanted)
    return router


def _interfaces_on(conn, router_id, subnet):
    return list(conn.ports(device_id=router_id,
                           device_owner=constants.DEVICE_OWNER_ROUTER_INTF,
                           fixed_ips='subnet_id=%s' % subnet.id))


def _attach(conn, router_id, subnet):
    if _interfaces_on(conn, router_id, subnet):
        return
    conn.get_subnet(subnet.id)
    conn.add_interface_to_router(router_id, subnet_id=subnet.id)
    LOG.info('Router %s now holds the gateway of its north-south bridge %s',
             router_id, subnet.cidr)


def _detach(conn, router_id, subnet):
    ports = _interfaces_on(conn, router_id, subnet)
    if not ports:
        return
    # Neutron keeps a subnet that a route's nexthop is on.
    cidr = netaddr.IPNetwork(subnet.cidr)
    routes = conn.get_router(router_id).routes or []
    kept = [r for r in routes if netaddr.IPAddress(r['nexthop']) not in cidr]
    if len(kept) != len(routes):
        conn.update_router(router_id, routes=kept)
    for port in ports:
        conn.remove_interface_from_router(router_id, port_id=port.id)
    LOG.info('Router %s left its north-south bridge %s', router_id,
             subnet.cidr)


def remove_bridge(pods_conns, central, router_id):
    """Drop the north-south bridge wherever it is no longer used."""
    for conn in pods_conns:
        bridge.remove_ns(conn, router_id)
    bridge.remove_ns(central, router_id)
