"""Local networking (issue #13, scenario 1): a router hinted to one pod
lives in that pod only, beside its networks and its external network; no
bridge network, no piece anywhere else. Central refuses, with a 400 naming
both pods, what would take it outside its pod, and changes nothing."""

import openstack.exceptions as os_exc
import pytest

from tests.conftest import eventually
from tests.conftest import run_tricircle
from tests.network.helpers import bottom
from tests.network.helpers import central_bridge
from tests.network.helpers import make_external
from tests.network.helpers import wait_jobs

TENANT = 'local-router-tenant'


@pytest.fixture(scope='module')
def tenant(cloud):
    return cloud.tenant(TENANT).network


@pytest.fixture(scope='module')
def ext1(cloud):
    return make_external(cloud, 'ext-local-1', '163.3.151.0/24', pod='Pod1')


def _net(tenant, name, cidr, hints):
    net = tenant.create_network(name=name, availability_zone_hints=hints)
    subnet = tenant.create_subnet(network_id=net.id, cidr=cidr,
                                  ip_version=4)
    return net, subnet


def _refused(call, *words):
    with pytest.raises(os_exc.BadRequestException) as caught:
        call()
    for word in words:
        assert word in str(caught.value), caught.value
    return caught.value


def test_router_hinted_to_a_pod_lives_there_only(cloud, tenant, ext1):
    ext_net, _ext_subnet = ext1
    net, subnet = _net(tenant, 'local-net', '10.51.1.0/24', ['az1'])
    router = tenant.create_router(name='R-local',
                                  availability_zone_hints=['az1'])
    assert router.availability_zone_hints == ['az1']
    assert router.availability_zones == []  # nothing in a pod yet
    tenant.update_router(router, external_gateway_info={
        'network_id': ext_net.id})
    tenant.add_interface_to_router(router, subnet_id=subnet.id)
    cloud.tenant(TENANT, 'Pod1').network.create_port(network_id=net.id,
                                                     name='vm-local')
    wait_jobs(cloud, router.id)

    piece, ifaces = bottom(cloud, 'Pod1', router.id)
    assert ifaces == {subnet.id: subnet.gateway_ip}
    assert piece.external_gateway_info['network_id'] == ext_net.id
    assert piece.routes == []
    assert bottom(cloud, 'Pod2', router.id) is None
    assert central_bridge(cloud, TENANT) == (None, None)
    assert list(cloud.central.network.networks(
        name='tricircle-ns-bridge-' + router.id)) == []
    assert tenant.get_router(router.id).availability_zones == ['az1']
    assert [r['pod_id'] for r in cloud.routings(top_id=router.id)] == [
        cloud.pod_ids['Pod1']]
    eventually(lambda: run_tricircle(
        'audit', '--dir', cloud.state['dir'], '--project',
        TENANT).returncode == 0, 'audit clean')

    # Torn down on central, gone from Pod1 with nothing left behind.
    tenant.remove_interface_from_router(router, subnet_id=subnet.id)
    tenant.update_router(router, external_gateway_info={})
    tenant.delete_router(router)
    wait_jobs(cloud, router.id)
    assert bottom(cloud, 'Pod1', router.id) is None
    assert cloud.routings(top_id=router.id) == []


def test_local_router_stays_in_its_pod(cloud, tenant, ext1):
    """Another pod's network, a network that may go anywhere, another
    pod's external network: each a 400 naming the pods, and the router
    unchanged."""
    _net2, subnet2 = _net(tenant, 'pod2-net', '10.51.2.0/24', ['az2'])
    _free, free_subnet = _net(tenant, 'free-net', '10.51.3.0/24', [])
    ext2_net, _ext2_subnet = make_external(cloud, 'ext-local-2',
                                           '163.3.152.0/24', pod='Pod2')
    router = tenant.create_router(name='R-pod1',
                                  availability_zone_hints=['Pod1'])

    _refused(lambda: tenant.add_interface_to_router(
        router, subnet_id=subnet2.id), 'Pod1', 'Pod2', subnet2.id)
    _refused(lambda: tenant.add_interface_to_router(
        router, subnet_id=free_subnet.id), 'availability_zone_hints',
        'Pod1')
    _refused(lambda: tenant.update_router(router, external_gateway_info={
        'network_id': ext2_net.id}), 'Pod1', 'Pod2', ext2_net.id)
    # Made with a gateway out of its pod: refused, no router made.
    _refused(lambda: tenant.create_router(
        name='R-wrong-gw', availability_zone_hints=['az1'],
        external_gateway_info={'network_id': ext2_net.id}), 'Pod2')
    assert list(tenant.routers(name='R-wrong-gw')) == []

    after = tenant.get_router(router.id)
    assert after.external_gateway_info is None
    assert list(cloud.central.network.ports(device_id=router.id)) == []
    assert cloud.routings(top_id=router.id) == []
    # A router that spans pods takes the same network, as before.
    spanning = tenant.create_router(name='R-spanning')
    tenant.add_interface_to_router(spanning, subnet_id=subnet2.id)
    tenant.remove_interface_from_router(spanning, subnet_id=subnet2.id)
    for made in (router, spanning):
        tenant.delete_router(made)


def test_router_hints_name_pods(tenant):
    _refused(lambda: tenant.create_router(
        name='R-nowhere', availability_zone_hints=['nowhere']),
        'nowhere', 'name no pod')
    assert list(tenant.routers(name='R-nowhere')) == []
