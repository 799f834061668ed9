"""A port create's candidate subnets, by column, not by object.

Before it allocates an address, Neutron picks the port's candidate
subnets: it loads every subnet of the network as a whole object (pools,
routes, DNS servers, service types, RBAC entries: a query each), twice
when the port names its addresses, and turns each into a full API dict.
The allocation then reads the id, the CIDR, the IP version and the IPv6
modes. ``benchmarks/port_profile.py`` put that choice at a fifth of a
port create's CPU, and a port made through a pod is created on central
and in the pod.

Mixed into both plugins ahead of ML2. The quick answer covers the
networks Tricircle makes: no subnet on a segment (no routed network)
and no subnet limited to service types. There every subnet is a
candidate, whatever the host, the addresses asked for or the device
owner, which is what Neutron's filters return too. Any other network,
or one with no subnet the caller may see, goes to Neutron's own code,
which also finds the right error.
"""

from neutron.db import ipam_pluggable_backend
from neutron.db import models_v2
from neutron.db.models import subnet_service_type
from neutron_lib.db import api as db_api
from neutron_lib.db import model_query
from neutron_lib import exceptions as n_exc
from sqlalchemy import orm
from sqlalchemy.orm import exc as orm_exc

# What the allocation reads of a candidate, besides what
# ``_make_subnet_dict`` would also give it.
_COLUMNS = ('id', 'name', 'project_id', 'network_id', 'ip_version',
            'subnetpool_id', 'enable_dhcp', 'ipv6_ra_mode',
            'ipv6_address_mode', 'standard_attr_id', 'gateway_ip', 'cidr',
            'segment_id')
_IN_USE = 'This subnet is being modified by another concurrent operation'


class IpamBackend(ipam_pluggable_backend.IpamPluggableBackend):
    """Neutron's IPAM backend, picking plain candidates by column."""

    def _ipam_get_subnets(self, context, network_id, host, service_type=None,
                          fixed_configured=False, fixed_ips=None,
                          distributed_service=False):
        subnets = _plain_subnets(context, network_id)
        if not subnets:
            return super()._ipam_get_subnets(
                context, network_id, host, service_type=service_type,
                fixed_configured=fixed_configured, fixed_ips=fixed_ips,
                distributed_service=distributed_service)
        for subnet in subnets:
            # The same share lock Neutron takes, so a concurrent subnet
            # update or delete still waits for this port.
            models_v2.Subnet.read_lock_register(
                context, n_exc.SubnetInUse(subnet_id=subnet['id'],
                                           reason=_IN_USE),
                id=subnet['id'])
        return subnets


class SubnetLookups:
    """Ahead of ML2 in a plugin's bases: the plugin's IPAM backend (an
    object of its own in Neutron, not a base) becomes ``IpamBackend``."""

    def __init__(self):
        super().__init__()
        self.ipam = IpamBackend()

    def get_network(self, context, id, fields=None, net_db=None):
        """Neutron's, but the network's subnets come without their own
        relationships (pools, DNS servers, routes, the network's
        attributes again: a query each), which a network's dict does not
        show; they load when something reads them."""
        with db_api.CONTEXT_READER.using(context):
            if net_db is None:
                net_db = _network(context, id)
            return super().get_network(context, id, fields=fields,
                                       net_db=net_db)


def _network(context, network_id):
    model = models_v2.Network
    try:
        return model_query.query_with_hooks(context, model).options(
            orm.selectinload(model.subnets).lazyload('*')).filter(
                model.id == network_id).one()
    except orm_exc.NoResultFound:
        raise n_exc.NetworkNotFound(net_id=network_id)


def _plain_subnets(context, network_id):
    """The network's subnets as allocation dicts, or None.

    None when the caller sees none, or when any of them is on a segment
    or limited to service types: those need Neutron's filters.
    """
    model = models_v2.Subnet
    rows = model_query.get_collection_query(context, model).filter(
        model.network_id == network_id).enable_eagerloads(
            False).with_entities(
                *(getattr(model, c) for c in _COLUMNS)).all()
    if not rows or any(row.segment_id for row in rows):
        return None
    typed = context.session.query(
        subnet_service_type.SubnetServiceType.subnet_id).filter(
            subnet_service_type.SubnetServiceType.subnet_id.in_(
                [row.id for row in rows])).first()
    if typed:
        return None
    subnets = []
    for row in rows:
        subnet = dict(zip(_COLUMNS, row))
        subnet['gateway_ip'] = (str(row.gateway_ip)
                                if row.gateway_ip is not None else None)
        subnet['service_types'] = []
        subnets.append(subnet)
    return subnets
