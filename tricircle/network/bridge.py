"""Per-tenant bridge networks of cross-pod routers.

When a router has interfaces in two or more pods, its bottom routers are
joined by a bridge network: made on central, so its segment (one VLAN id
for all pods) and its addresses are allocated once, then materialised in
each pod like any central network. One bridge serves all of a tenant's
routers; each bottom router gets its own IP on it.
"""

import netaddr
from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

PREFIX = 'tricircle-bridge-'


def name_of(project_id):
    return PREFIX + project_id


def _free_cidr(central):
    used = [netaddr.IPNetwork(s.cidr) for s in central.subnets()
            if (s.name or '').startswith(PREFIX)]
    pool = netaddr.IPNetwork(cfg.CONF.tricircle.bridge_cidr)
    for candidate in pool.subnet(cfg.CONF.tricircle.bridge_prefixlen):
        if not any(candidate in u or u in candidate for u in used):
            return str(candidate)
    raise RuntimeError('bridge CIDR pool %s is exhausted' % pool)


def find(central, project_id):
    """The tenant's bridge network and subnet on central, or (None, None).

    Two jobs may have raced to make one; the oldest wins everywhere.
    """
    nets = sorted(central.networks(name=name_of(project_id),
                                   project_id=project_id),
                  key=lambda n: (n.created_at or '', n.id))
    if not nets:
        return None, None
    subnets = list(central.subnets(network_id=nets[0].id))
    return nets[0], (subnets[0] if subnets else None)


def ensure(central, project_id):
    """Find or make the tenant's bridge network and subnet on central."""
    net, subnet = find(central, project_id)
    if net is None:
        conf = cfg.CONF.tricircle
        net = central.create_network(
            name=name_of(project_id), project_id=project_id,
            provider_network_type=conf.bridge_network_type,
            provider_physical_network=conf.bridge_physnet)
        LOG.info('Made bridge network %s (%s %s/%s) for project %s', net.id,
                 conf.bridge_network_type, net.provider_physical_network,
                 net.provider_segmentation_id, project_id)
        winner, _ = find(central, project_id)
        if winner.id != net.id:
            central.delete_network(net.id)
            net = winner
        subnet = None
    if subnet is None:
        subnet = central.create_subnet(
            network_id=net.id, name=name_of(project_id),
            project_id=project_id, ip_version=4, cidr=_free_cidr(central),
            gateway_ip=None, is_dhcp_enabled=False)
    return net, subnet


def remove_unused(network, project_id):
    """Delete the tenant's bridge networks that no port uses any more, on
    central or in a pod (``network`` is that region's network proxy)."""
    for net in network.networks(name=name_of(project_id)):
        if not list(network.ports(network_id=net.id)):
            network.delete_network(net.id)
            LOG.info('Removed unused bridge network %s of project %s',
                     net.id, project_id)
