"""Cross-pod L3 east-west (seed 004): one central router, pieces in pods.

Three pods, real processes: central with the central core and L3 plugins,
pods with the local ones, the Admin API and an XJob process. Everything is
driven through central with openstacksdk, and then every pod's Neutron is
checked directly.
"""

import pytest

from tests.conftest import run_tricircle
from tests.conftest import start_sandbox
from tests.network.conftest import Cloud
from tests.network.helpers import bottom
from tests.network.helpers import bridge_ip
from tests.network.helpers import central_bridge
from tests.network.helpers import make_net
from tests.network.helpers import wait_jobs


@pytest.fixture(scope='module')
def cloud3(tmp_path_factory):
    sandbox_dir = tmp_path_factory.mktemp('l3')
    state = start_sandbox(sandbox_dir, 3)
    yield Cloud(state)
    run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))


@pytest.fixture(scope='module')
def nets(cloud3):
    return {region: make_net(cloud3, 'az%s' % region[-1],
                             '10.1.%s.0/24' % region[-1])
            for region in ('Pod1', 'Pod2', 'Pod3')}


@pytest.fixture(scope='module')
def router(cloud3, nets):
    router = cloud3.central.network.create_router(name='r1')
    for region in ('Pod1', 'Pod2'):
        cloud3.central.network.add_interface_to_router(
            router, subnet_id=nets[region][1].id)
    wait_jobs(cloud3, router.id)
    return router


def test_two_pod_walkthrough(cloud3, nets, router):
    bridge_net, bridge_subnet = central_bridge(cloud3, router.project_id)
    assert bridge_net.provider_network_type == 'shared_vlan'
    assert bridge_subnet is not None
    assert bottom(cloud3, 'Pod3', router.id) is None

    ips = {r: bridge_ip(cloud3, r, router.id, bridge_subnet.id)
           for r in ('Pod1', 'Pod2')}
    assert ips['Pod1'] != ips['Pod2']
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        piece, ifaces = bottom(cloud3, region, router.id)
        subnet = nets[region][1]
        assert ifaces[subnet.id] == subnet.gateway_ip
        assert set(ifaces) == {subnet.id, bridge_subnet.id}
        assert piece.routes == [{'destination': nets[other][1].cidr,
                                 'nexthop': ips[other]}]
        pod_bridge = cloud3.pods[region].network.get_network(bridge_net.id)
        assert pod_bridge.provider_network_type == 'vlan'
        assert pod_bridge.provider_physical_network == 'bridge'
        assert (pod_bridge.provider_segmentation_id ==
                bridge_net.provider_segmentation_id)
        assert cloud3.pods[region].network.get_subnet(
            bridge_subnet.id).cidr == bridge_subnet.cidr
        routing = cloud3.routings(top_id=router.id, resource_type='router',
                                  pod_id=cloud3.pod_ids[region])
        assert len(routing) == 1


def test_third_pod_updates_the_first_two(cloud3, nets, router):
    cloud3.central.network.add_interface_to_router(
        router, subnet_id=nets['Pod3'][1].id)
    wait_jobs(cloud3, router.id)
    _net, bridge_subnet = central_bridge(cloud3, router.project_id)
    ips = {r: bridge_ip(cloud3, r, router.id, bridge_subnet.id)
           for r in ('Pod1', 'Pod2', 'Pod3')}
    for region in ips:
        expected = sorted(
            ({'destination': nets[o][1].cidr, 'nexthop': ips[o]}
             for o in ips if o != region),
            key=lambda r: r['destination'])
        piece, _ifaces = bottom(cloud3, region, router.id)
        assert sorted(piece.routes,
                      key=lambda r: r['destination']) == expected

    cloud3.central.network.remove_interface_from_router(
        router, subnet_id=nets['Pod3'][1].id)
    wait_jobs(cloud3, router.id)
    assert bottom(cloud3, 'Pod3', router.id) is None
    assert cloud3.routings(top_id=router.id, resource_type='router',
                           pod_id=cloud3.pod_ids['Pod3']) == []
    # The router still spans pods: Pod3 keeps its copy of the tenant's
    # bridge, as central does, with nothing on it.
    [kept] = cloud3.pods['Pod3'].network.networks(
        name='tricircle-bridge-' + router.project_id)
    assert kept.id == central_bridge(cloud3, router.project_id)[0].id
    assert list(cloud3.pods['Pod3'].network.ports(network_id=kept.id)) == []
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        piece, _ifaces = bottom(cloud3, region, router.id)
        assert [r['destination'] for r in piece.routes] == [
            nets[other][1].cidr]


def test_tenant_routes_are_kept_beside_ours(cloud3, nets, router):
    mine = {'destination': '192.168.100.0/24', 'nexthop': '10.1.1.50'}
    cloud3.central.network.update_router(router, routes=[mine])
    wait_jobs(cloud3, router.id)
    pod1, _ = bottom(cloud3, 'Pod1', router.id)
    pod2, _ = bottom(cloud3, 'Pod2', router.id)
    assert mine in pod1.routes and len(pod1.routes) == 2
    # Its nexthop is on a subnet Pod2 does not have: not installed there.
    assert mine not in pod2.routes and len(pod2.routes) == 1
    cloud3.central.network.update_router(router, routes=[])
    wait_jobs(cloud3, router.id)
    assert mine not in bottom(cloud3, 'Pod1', router.id)[0].routes


def test_router_back_to_one_pod_leaves_the_bridge(cloud3, nets, router):
    """Two pods -> one: the remaining piece drops its routes and bridge
    port, and the unused bridge goes from every pod and from central."""
    cloud3.central.network.remove_interface_from_router(
        router, subnet_id=nets['Pod2'][1].id)
    wait_jobs(cloud3, router.id)
    assert bottom(cloud3, 'Pod2', router.id) is None
    piece, ifaces = bottom(cloud3, 'Pod1', router.id)
    assert piece.routes == []
    assert set(ifaces) == {nets['Pod1'][1].id}
    assert central_bridge(cloud3, router.project_id) == (None, None)
    for pod in cloud3.pods.values():
        assert list(pod.network.networks(
            name='tricircle-bridge-' + router.project_id)) == []

    cloud3.central.network.add_interface_to_router(
        router, subnet_id=nets['Pod2'][1].id)
    wait_jobs(cloud3, router.id)
    _net, bridge_subnet = central_bridge(cloud3, router.project_id)
    piece, ifaces = bottom(cloud3, 'Pod1', router.id)
    assert set(ifaces) == {nets['Pod1'][1].id, bridge_subnet.id}
    assert piece.routes == [{
        'destination': nets['Pod2'][1].cidr,
        'nexthop': bridge_ip(cloud3, 'Pod2', router.id, bridge_subnet.id)}]


def test_router_on_a_network_in_no_pod_yet(cloud3, nets, router):
    """Interfaces first, VMs later (issue #20): the router takes a subnet
    whose network is in no pod; its piece, with routes both ways, reaches
    a pod when the network does."""
    net = cloud3.central.network.create_network(
        name='later', provider_network_type='vxlan')
    subnet = cloud3.central.network.create_subnet(
        network_id=net.id, cidr='10.1.9.0/24', ip_version=4)
    cloud3.central.network.add_interface_to_router(router,
                                                   subnet_id=subnet.id)
    try:
        wait_jobs(cloud3, router.id)
        assert bottom(cloud3, 'Pod3', router.id) is None
        port = cloud3.pods['Pod3'].network.create_port(network_id=net.id)
        wait_jobs(cloud3, router.id)
        bridge_subnet = central_bridge(cloud3, router.project_id)[1]
        piece, ifaces = bottom(cloud3, 'Pod3', router.id)
        assert ifaces[subnet.id] == subnet.gateway_ip
        pod3_ip = ifaces[bridge_subnet.id]
        assert {r['destination'] for r in piece.routes} == {
            nets['Pod1'][1].cidr, nets['Pod2'][1].cidr}
        pod1_piece = bottom(cloud3, 'Pod1', router.id)[0]
        assert {'destination': '10.1.9.0/24', 'nexthop': pod3_ip} in \
            pod1_piece.routes
        cloud3.pods['Pod3'].network.delete_port(port)
    finally:
        cloud3.central.network.remove_interface_from_router(
            router, subnet_id=subnet.id)
        wait_jobs(cloud3, router.id)
    assert bottom(cloud3, 'Pod3', router.id) is None
    cloud3.central.network.delete_network(net)


def test_router_delete_cleans_every_pod(cloud3, nets, router):
    for region in ('Pod1', 'Pod2'):
        cloud3.central.network.remove_interface_from_router(
            router, subnet_id=nets[region][1].id)
    cloud3.central.network.delete_router(router)
    wait_jobs(cloud3, router.id)
    for region, pod in cloud3.pods.items():
        assert bottom(cloud3, region, router.id) is None
        assert list(pod.network.routers()) == []
        assert list(pod.network.networks(
            name='tricircle-bridge-' + router.project_id)) == []
        bridge_ports = [p for p in pod.network.ports()
                        if (p.name or '').startswith('bridge-')]
        assert bridge_ports == []
    assert central_bridge(cloud3, router.project_id) == (None, None)
    assert cloud3.routings(top_id=router.id) == []


def _reservations(cloud, subnet_id):
    return [p.id for p in cloud.central.network.ports(
        device_owner='network:tricircle_gateway',
        fixed_ips='subnet_id=%s' % subnet_id)]


@pytest.mark.parametrize('other_project', [False, True])
def test_an_interface_takes_the_gateway_reservation_over(cloud3,
                                                         other_project):
    """A pod holding a subnet has its gateway IP reserved on central. The
    router's interface takes that very port over (same id, now the
    router's, up); a reservation of another project than the router's is
    released instead, the interface port being the router project's, as
    Neutron makes it. A remove reserves the IP again."""
    n = 41 + other_project
    owner = {'project_id': 'other-project'} if other_project else {}
    net = cloud3.central.network.create_network(
        name='takes-over', availability_zone_hints=['az1'], **owner)
    sub = cloud3.central.network.create_subnet(
        network_id=net.id, cidr='10.1.%d.0/24' % n, ip_version=4, **owner)
    cloud3.pods['Pod1'].network.get_subnet(sub.id)   # pulled: reserved
    reservation = cloud3.gateway_port(sub.id)
    assert not reservation.is_admin_state_up
    router = cloud3.central.network.create_router(name='takes-over-%d' % n)

    info = cloud3.central.network.add_interface_to_router(router,
                                                          subnet_id=sub.id)
    assert (info['port_id'] == reservation.id) is not other_project
    port = cloud3.central.network.get_port(info['port_id'])
    assert (port.device_owner, port.device_id, port.is_admin_state_up,
            port.project_id) == ('network:router_interface', router.id,
                                 True, router.project_id)
    assert [ip['ip_address'] for ip in port.fixed_ips] == [sub.gateway_ip]
    assert _reservations(cloud3, sub.id) == []
    wait_jobs(cloud3, router.id)
    assert bottom(cloud3, 'Pod1', router.id)[1] == {sub.id: sub.gateway_ip}

    cloud3.central.network.remove_interface_from_router(router,
                                                        subnet_id=sub.id)
    again = cloud3.gateway_port(sub.id)
    assert again.id not in (reservation.id, port.id)
    wait_jobs(cloud3, router.id)
    assert bottom(cloud3, 'Pod1', router.id) is None
