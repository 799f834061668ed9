"""Router reads that skip the attached ports (tricircle/network/
router_reads.py) still answer as Neutron does: a route update is still
checked against the router's interfaces, on central and in a pod, and the
router is still read whole wherever its ports matter (adding and removing
interfaces right after a light read)."""

import openstack.exceptions as os_exc
import pytest

from tests.network.helpers import bottom
from tests.network.helpers import wait_jobs

TENANT = 'router-reads-tenant'


def _net(tenant, name, cidr, az):
    net = tenant.create_network(name=name, availability_zone_hints=[az])
    return tenant.create_subnet(network_id=net.id, cidr=cidr, ip_version=4)


def _refused(call, exc, *words):
    with pytest.raises(exc) as caught:
        call()
    for word in words:
        assert word in str(caught.value), caught.value


def test_routes_are_checked_against_the_interfaces(cloud):
    tenant = cloud.tenant(TENANT).network
    first = _net(tenant, 'reads-1', '10.61.1.0/24', 'az1')
    second = _net(tenant, 'reads-2', '10.61.2.0/24', 'az1')
    router = tenant.create_router(name='reads')
    tenant.add_interface_to_router(router, subnet_id=first.id)
    good = {'destination': '192.168.61.0/24', 'nexthop': '10.61.1.50'}

    # Central: a nexthop on no interface, or the router's own address,
    # is refused and changes nothing.
    _refused(lambda: tenant.update_router(router, routes=[
        {'destination': '192.168.61.0/24', 'nexthop': '10.61.2.50'}]),
        os_exc.BadRequestException, 'not connected')
    _refused(lambda: tenant.update_router(router, routes=[
        {'destination': '192.168.61.0/24',
         'nexthop': first.gateway_ip}]),
        os_exc.BadRequestException, 'used by router')
    assert tenant.get_router(router.id).routes == []
    assert tenant.update_router(router, routes=[good]).routes == [good]

    # The router's ports are read whole right after a light read: a
    # second subnet joins, the first is refused while a route uses it.
    tenant.add_interface_to_router(router, subnet_id=second.id)
    _refused(lambda: tenant.add_interface_to_router(
        router, subnet_id=second.id), os_exc.BadRequestException,
        second.id)
    _refused(lambda: tenant.remove_interface_from_router(
        router, subnet_id=first.id), os_exc.ConflictException,
        'required by one or more routes')
    tenant.update_router(router, name='reads-renamed')
    wait_jobs(cloud, router.id)

    # The pod's piece, updated by XJob through the same light reads, and
    # as checked when its admin writes to it.
    piece, ifaces = bottom(cloud, 'Pod1', router.id)
    assert set(ifaces) == {first.id, second.id}
    assert good in piece.routes
    pod = cloud.pods['Pod1'].network
    _refused(lambda: pod.update_router(piece.id, routes=[
        {'destination': '192.168.62.0/24', 'nexthop': '10.61.9.9'}]),
        os_exc.BadRequestException, 'not connected')
    assert pod.get_router(piece.id).routes == piece.routes

    tenant.update_router(router, routes=[])
    for subnet in (first, second):
        tenant.remove_interface_from_router(router, subnet_id=subnet.id)
    tenant.delete_router(router)
    wait_jobs(cloud, router.id)
    assert bottom(cloud, 'Pod1', router.id) is None
