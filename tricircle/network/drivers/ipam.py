"""Neutron's reference IPAM, reading only the columns it uses.

Every address a port gets, on central and again in its pod, starts with
loading the IPAM subnet; the reference driver then loads the whole
Neutron subnet object (pools, routes, DNS servers, service types and
RBAC entries, each a query) for its CIDR, gateway and project. That was
about a tenth of a port create's CPU on each side
(``benchmarks/port_profile.py``). Picking a free address then loads
every allocation of the subnet as an object, a cost that grows with the
ports on the subnet (a tenth of central's create at 300 ports); the
addresses and the pools are read as columns here. The tables, the
allocation algorithm and every answer are the reference driver's, so a
Neutron can switch between ``ipam_driver = internal`` and ``tricircle``
either way at any time.
"""

import collections

import netaddr
from neutron.db import models_v2
from neutron.ipam.drivers.neutrondb_ipam import db_api as ipam_db_api
from neutron.ipam.drivers.neutrondb_ipam import db_models
from neutron.ipam.drivers.neutrondb_ipam import driver
from neutron_lib import constants
from neutron_lib.db import api as db_api
from neutron_lib import exceptions as n_exc

# What NeutronDbSubnet.load reads of the Neutron subnet.
_Subnet = collections.namedtuple('_Subnet', 'cidr gateway_ip project_id')


class SubnetManager(ipam_db_api.IpamSubnetManager):
    """Allocations and pools as rows with the attributes the driver
    reads (``ip_address``; ``first_ip`` and ``last_ip``), not objects."""

    def list_pools(self, context):
        pool = db_models.IpamAllocationPool
        return context.session.query(pool.first_ip, pool.last_ip).filter_by(
            ipam_subnet_id=self._ipam_subnet_id).all()

    def list_allocations(self, context,
                         status=constants.IPAM_ALLOCATION_STATUS_ALLOCATED):
        allocation = db_models.IpamAllocation
        return context.session.query(allocation.ip_address).filter_by(
            ipam_subnet_id=self._ipam_subnet_id, status=status).all()


class Subnet(driver.NeutronDbSubnet):

    def __init__(self, internal_id, ctx, **kwargs):
        super().__init__(internal_id, ctx, **kwargs)
        self.subnet_manager = SubnetManager(internal_id,
                                            self.subnet_manager.neutron_id)

    @classmethod
    def _fetch_subnet(cls, context, id):
        with db_api.CONTEXT_READER.using(context):
            row = context.session.query(
                models_v2.Subnet.cidr, models_v2.Subnet.gateway_ip,
                models_v2.Subnet.project_id).filter_by(id=id).first()
        if row is None:
            raise n_exc.SubnetNotFound(subnet_id=id)
        return _Subnet(netaddr.IPNetwork(row.cidr),
                       netaddr.IPAddress(row.gateway_ip)
                       if row.gateway_ip else None,
                       row.project_id)


class Pool(driver.NeutronDbPool):
    """``ipam_driver = tricircle``."""

    def get_subnet(self, subnet_id):
        return Subnet.load(subnet_id, self._context)
