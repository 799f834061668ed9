"""Central's lookups of ports by column, for the L3 paths.

A router interface add on central asked Neutron for the gateway
reservation of the subnet and for the routers sharing its subnets; Neutron
answered with whole port dicts, every extension's attributes built, where
only ids were read: a tenth of central's ``add_router_interface``
(``benchmarks/l3_convergence.py`` under py-spy).
"""

from neutron.db.models import securitygroup as sg_models
from neutron.db import models_v2
from neutron.services.trunk import models as trunk_models
from neutron_lib.db import api as db_api

from tricircle.common import constants

_INTF = constants.DEVICE_OWNER_ROUTER_INTF

# The port fields ``using_groups`` answers: plain columns, fixed_ips, and
# trunk_details (which Neutron's API asks for beside any field list: the
# answer is then Neutron's own unless no port is a trunk's parent).
COLUMNS = ('id', 'project_id', 'network_id', 'device_owner', 'device_id',
           'name', 'mac_address', 'status', 'admin_state_up')
FIELDS = frozenset(COLUMNS + ('tenant_id', 'fixed_ips', 'trunk_details'))


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


def using_groups(context, sg_ids, fields):
    """The ports bound to any of the security groups ``sg_ids``, as dicts
    of ``fields`` (within ``FIELDS``), in one query: a security group's
    job lists the members of a group after each port create, and Neutron
    would build every member port whole to answer with two fields. None
    when a port is a trunk's parent (Neutron details its trunk)."""
    columns = [getattr(models_v2.Port, c) for c in COLUMNS]
    ports = {}
    with db_api.CONTEXT_READER.using(context):
        query = context.session.query(
            *columns, models_v2.IPAllocation.subnet_id,
            models_v2.IPAllocation.ip_address).select_from(
                models_v2.Port).join(
            sg_models.SecurityGroupPortBinding,
            sg_models.SecurityGroupPortBinding.port_id ==
            models_v2.Port.id).outerjoin(
            models_v2.IPAllocation,
            models_v2.IPAllocation.port_id == models_v2.Port.id).filter(
            sg_models.SecurityGroupPortBinding.security_group_id.in_(
                sorted(sg_ids))).order_by(models_v2.Port.id)
        for row in query:
            values = row._asdict()
            port = ports.get(values['id'])
            if port is None:
                port = ports[values['id']] = {c: values[c] for c in COLUMNS}
                port['tenant_id'] = port['project_id']
                port['fixed_ips'] = []
            ip = {'subnet_id': values['subnet_id'],
                  'ip_address': values['ip_address']}
            if values['subnet_id'] is not None and \
                    ip not in port['fixed_ips']:
                port['fixed_ips'].append(ip)
        if 'trunk_details' in fields and ports and context.session.query(
                trunk_models.Trunk.id).filter(
                    trunk_models.Trunk.port_id.in_(sorted(ports))).first():
            return None
    return [{f: port[f] for f in fields if f != 'trunk_details'}
            for port in ports.values()]
