"""Central's lookups of ports by column, for the L3 paths.

A router interface add on central asked Neutron for the gateway
reservation of the subnet and for the routers sharing its subnets; Neutron
answered with whole port dicts, every extension's attributes built, where
only ids were read: a tenth of central's ``add_router_interface``
(``benchmarks/l3_convergence.py`` under py-spy).
"""

from neutron.db import models_v2
from neutron_lib.db import api as db_api

from tricircle.common import constants

_INTF = constants.DEVICE_OWNER_ROUTER_INTF


def _query(context, *columns):
    query = context.session.query(*columns).select_from(models_v2.Port)
    return query.join(models_v2.IPAllocation,
                      models_v2.IPAllocation.port_id == models_v2.Port.id)


def holders(context, device_owner, subnet_ids, ip_address=None):
    """``[(port_id, project_id)]`` of the ports of ``device_owner`` with an
    IP (``ip_address``, if given) on those subnets."""
    with db_api.CONTEXT_READER.using(context):
        query = _query(context, models_v2.Port.id,
                       models_v2.Port.project_id).filter(
            models_v2.Port.device_owner == device_owner,
            models_v2.IPAllocation.subnet_id.in_(sorted(subnet_ids)))
        if ip_address is not None:
            query = query.filter(
                models_v2.IPAllocation.ip_address == ip_address)
        return sorted({tuple(row) for row in query})


def interface_subnets(context, router_id):
    """The subnets of a router's interfaces."""
    with db_api.CONTEXT_READER.using(context):
        return {row[0] for row in _query(
            context, models_v2.IPAllocation.subnet_id).filter(
                models_v2.Port.device_id == router_id,
                models_v2.Port.device_owner == _INTF)}


def routers_on(context, subnet_ids, but):
    """``[(router_id, project_id)]`` of the routers other than ``but``
    with an interface on those subnets."""
    with db_api.CONTEXT_READER.using(context):
        return sorted({tuple(row) for row in _query(
            context, models_v2.Port.device_id,
            models_v2.Port.project_id).filter(
                models_v2.Port.device_owner == _INTF,
                models_v2.Port.device_id != but,
                models_v2.IPAllocation.subnet_id.in_(sorted(subnet_ids)))})
