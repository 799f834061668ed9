"""Bridge networks: how a router's pieces in different pods reach each other.

Both kinds are made on central, so their segment (one VLAN id for all pods)
and their addresses are allocated once, then materialised in each pod like
any central network:

- the east-west bridge, one per tenant, joins the bottom routers of all of
  its cross-pod routers; each bottom router has its own IP on it;
- the north-south bridge, one per router with a gateway, joins the gateway
  pod's bottom router (which holds the subnet's gateway IP) to the bottom
  routers of the other pods, whose external gateway it is in their pod.
"""

import netaddr
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import constants

LOG = logging.getLogger(__name__)

PREFIX = constants.BRIDGE_PREFIX
NS_PREFIX = constants.NS_BRIDGE_PREFIX


def is_bridge(network_name):
    """Whether a network of this name is one of Tricircle's bridges."""
    return (network_name or '').startswith((PREFIX, NS_PREFIX))


def name_of(project_id):
    return PREFIX + project_id


def ns_name_of(router_id):
    return NS_PREFIX + router_id


def _free_cidr(central, pool, prefixlen):
    used = [netaddr.IPNetwork(s.cidr) for s in central.subnets()
            if is_bridge(s.name)]
    pool = netaddr.IPNetwork(pool)
    for candidate in pool.subnet(prefixlen):
        if not any(candidate in u or u in candidate for u in used):
            return str(candidate)
    raise RuntimeError('bridge CIDR pool %s is exhausted' % pool)


def _find(central, name, project_id):
    """A bridge network and subnet on central, or (None, None).

    Two jobs may have raced to make one; the oldest wins everywhere.
    """
    nets = sorted(central.networks(name=name, project_id=project_id),
                  key=lambda n: (n.created_at or '', n.id))
    if not nets:
        return None, None
    subnets = list(central.subnets(network_id=nets[0].id))
    return nets[0], (subnets[0] if subnets else None)


def _ensure(central, name, project_id, pool, prefixlen, gateway):
    net, subnet = _find(central, name, project_id)
    if net is None:
        conf = cfg.CONF.tricircle
        net = central.create_network(
            name=name, project_id=project_id,
            provider_network_type=conf.bridge_network_type,
            provider_physical_network=conf.bridge_physnet)
        LOG.info('Made bridge network %s %s (%s %s/%s)', name, net.id,
                 conf.bridge_network_type, net.provider_physical_network,
                 net.provider_segmentation_id)
        winner, _ = _find(central, name, project_id)
        if winner.id != net.id:
            central.delete_network(net.id)
            net = winner
        subnet = None
    if subnet is None:
        extra = {} if gateway else {'gateway_ip': None}
        subnet = central.create_subnet(
            network_id=net.id, name=name, project_id=project_id,
            ip_version=4, cidr=_free_cidr(central, pool, prefixlen),
            is_dhcp_enabled=False, **extra)
    return net, subnet


def find(central, project_id):
    """The tenant's east-west bridge network and subnet, or (None, None)."""
    return _find(central, name_of(project_id), project_id)


def ensure(central, project_id):
    """Find or make the tenant's east-west bridge on central."""
    conf = cfg.CONF.tricircle
    return _ensure(central, name_of(project_id), project_id,
                   conf.bridge_cidr, conf.bridge_prefixlen, gateway=False)


def find_ns(central, router_id, project_id):
    """A router's north-south bridge network and subnet, or (None, None)."""
    return _find(central, ns_name_of(router_id), project_id)


def ensure_ns(central, router_id, project_id):
    """Find or make a router's north-south bridge on central; its subnet's
    gateway IP is the gateway pod's bottom router."""
    conf = cfg.CONF.tricircle
    return _ensure(central, ns_name_of(router_id), project_id,
                   conf.ns_bridge_cidr, conf.ns_bridge_prefixlen,
                   gateway=True)


def remove_unused(network, project_id):
    """Delete the tenant's east-west bridges that no port uses any more, on
    central or in a pod (``network`` is that region's network proxy)."""
    for net in network.networks(name=name_of(project_id)):
        if not list(network.ports(network_id=net.id)):
            network.delete_network(net.id)
            LOG.info('Removed unused bridge network %s of project %s',
                     net.id, project_id)


def remove_ns(network, router_id):
    """Delete a router's north-south bridge in one region, with central's
    reservation of its gateway IP; a port still on it keeps it."""
    for net in network.networks(name=ns_name_of(router_id)):
        ports = list(network.ports(network_id=net.id))
        if any(p.device_owner != constants.DEVICE_OWNER_GATEWAY
               for p in ports):
            continue
        for port in ports:
            network.delete_port(port.id)
        network.delete_network(net.id)
        LOG.info('Removed north-south bridge network %s of router %s',
                 net.id, router_id)
