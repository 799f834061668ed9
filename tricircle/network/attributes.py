"""The attributes central owns for the whole life of a resource.

Central is the single source of truth for every attribute below: a change
made on central is pushed to each pod holding a copy (the ``*_sync`` jobs,
tricircle.network.sync.resources), a change asked of a pod goes to central
first and the pod then takes central's answer (tricircle.network.local),
and the audit compares exactly these. Everything else about a copy is the
pod's own business: a port's binding (host, profile, vif) belongs to the
pod whose compute service bound it, a subnet's gateway is the reserved
gateway IP, segments never change once allocated.

One list per resource kind keeps the three in agreement.
"""

import netaddr

from tricircle.common import constants

NETWORK = ('name', 'description', 'admin_state_up', 'mtu',
           'port_security_enabled', 'shared', 'dns_domain', 'qos_policy_id')
SUBNET = ('name', 'description', 'dns_nameservers', 'host_routes',
          'allocation_pools', 'gateway_ip', 'enable_dhcp')
PORT = ('name', 'description', 'admin_state_up', 'allowed_address_pairs',
        'security_groups', 'port_security_enabled', 'extra_dhcp_opts',
        'device_owner', 'device_id', 'qos_policy_id')
TAGS = 'tags'

OWNED = {'network': NETWORK, 'subnet': SUBNET, 'port': PORT}
COLLECTIONS = {'network': 'networks', 'subnet': 'subnets', 'port': 'ports'}
SYNC_JOBS = {'network': constants.JOB_NETWORK_SYNC,
             'subnet': constants.JOB_SUBNET_SYNC,
             'port': constants.JOB_PORT_SYNC}

# A bottom router takes ports over (device_owner network:router_*), and
# central records pod L3 twins under its own owner: neither side's owner
# is the other's business.
_L3_OWNERS = (constants.DEVICE_OWNER_POD_L3, constants.DEVICE_OWNER_GATEWAY)


def _pairs(value):
    return sorted((p.get('ip_address'), p.get('mac_address'))
                  for p in value or ())


def _dhcp_opts(value):
    return sorted((o.get('opt_name'), str(o.get('opt_value')),
                   o.get('ip_version')) for o in value or ())


def _routes(value):
    return sorted((str(netaddr.IPNetwork(r['destination'])),
                   str(netaddr.IPAddress(r['nexthop']))) for r in value or ())


def _pools(value):
    return sorted((str(netaddr.IPAddress(p['start'])),
                   str(netaddr.IPAddress(p['end']))) for p in value or ())


def _ip(value):
    return str(netaddr.IPAddress(value)) if value else None


# How to compare values whose order or spelling Neutron does not keep.
_NORMALISE = {
    'allowed_address_pairs': _pairs,
    'extra_dhcp_opts': _dhcp_opts,
    'host_routes': _routes,
    'allocation_pools': _pools,
    'gateway_ip': _ip,
    'security_groups': lambda v: sorted(v or ()),
    'dns_nameservers': lambda v: [_ip(i) for i in v or ()],
    'description': lambda v: v or '',
    'name': lambda v: v or '',
    'device_id': lambda v: v or '',
    'device_owner': lambda v: v or '',
    TAGS: lambda v: sorted(v or ()),
}


def held_gateway(subnet):
    """Whether central must hold ``subnet``'s gateway IP for the pods'
    bottom routers: only an address a pod's port could otherwise take.
    An off-link gateway (Neutron allows one) is not on the subnet, and
    IPv6's subnet-router anycast address (Neutron's default IPv6
    gateway) is refused to every port but a router's."""
    gateway = subnet.get('gateway_ip')
    if not gateway:
        return False
    ip, cidr = netaddr.IPAddress(gateway), netaddr.IPNetwork(subnet['cidr'])
    return ip in cidr and not (cidr.version == 6 and ip == cidr.network)


def same(key, a, b):
    norm = _NORMALISE.get(key, lambda v: v)
    return norm(a) == norm(b)


def owned_keys(kind, top, bottom=None):
    """The attributes of ``kind`` central pushes for this pair: those both
    sides show (an extension one side lacks is nobody's to push)."""
    keys = [k for k in OWNED[kind] if k in top and
            (bottom is None or k in bottom)]
    if kind == 'port' and _owner_is_local(top, bottom):
        keys = [k for k in keys if k not in ('device_owner', 'device_id')]
    return keys


def _owner_is_local(top, bottom):
    if top.get('device_owner') in _L3_OWNERS:
        return True
    owner = (bottom or {}).get('device_owner') or ''
    return owner.startswith('network:router') or owner in (
        constants.DEVICE_OWNER_SHADOW, constants.DEVICE_OWNER_FLOATINGIP)


def wanted(kind, top, bottom=None):
    """``{attribute: central's value}`` to create or update a copy with."""
    return {k: top[k] for k in owned_keys(kind, top, bottom)}


def differences(kind, top, bottom):
    """``{attribute: (pod's value, central's value)}`` where they differ,
    tags included when both sides have them."""
    diff = {k: (bottom[k], top[k]) for k in owned_keys(kind, top, bottom)
            if not same(k, bottom[k], top[k])}
    if TAGS in top and TAGS in bottom and not same(TAGS, bottom[TAGS],
                                                   top[TAGS]):
        diff[TAGS] = (bottom[TAGS], top[TAGS])
    return diff
