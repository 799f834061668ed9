"""Cross-pod L2 (seeds 001, 003): one network, one segment, ports in
several pods; VxLAN pods learn each other's ports as shadow ports."""

import openstack.exceptions as os_exc
import pytest

from tests.network.helpers import bottom
from tests.network.helpers import make_net
from tests.network.helpers import wait_jobs

SHADOW = 'network:tricircle_shadow'
BOTH = ['az1', 'az2']


def span_net(cloud, name, net_type, cidr):
    net = cloud.central.network.create_network(
        name=name, availability_zone_hints=BOTH,
        provider_network_type=net_type)
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr=cidr, ip_version=4)
    return net, subnet


def bound_port(cloud, region, net, host, vtep=None):
    profile = {'vtep_ip': vtep} if vtep else None
    return cloud.pods[region].network.create_port(
        network_id=net.id, name='vm-%s-%s' % (region, host),
        binding_host_id=host, binding_profile=profile)


def shadows(cloud, region, net):
    return {p.id: p for p in cloud.pods[region].network.ports(
        network_id=net.id, device_owner=SHADOW)}


@pytest.fixture(scope='module')
def vx(cloud):
    net, subnet = span_net(cloud, 'l2-vxlan', 'vxlan', '10.60.0.0/24')
    ports = {'Pod1': bound_port(cloud, 'Pod1', net, 'host-a', '192.0.2.1'),
             'Pod2': bound_port(cloud, 'Pod2', net, 'host-b', '192.0.2.2')}
    wait_jobs(cloud, net.id)
    return net, subnet, ports


def test_vxlan_pods_hold_shadows_of_each_other(cloud, vx):
    net, _subnet, ports = vx
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        bottom_net = cloud.pods[region].network.get_network(net.id)
        assert bottom_net.provider_network_type == 'vxlan'
        assert bottom_net.provider_segmentation_id == \
            net.provider_segmentation_id
        found = shadows(cloud, region, net)
        assert set(found) == {ports[other].id}
        shadow, real = found[ports[other].id], ports[other]
        assert shadow.mac_address == real.mac_address
        assert shadow.fixed_ips == real.fixed_ips
        assert shadow.binding_host_id == real.binding_host_id
        # network:* is a trusted owner: no group filters the stand-in in
        # this pod (the port's own pod filters its VM), and no VM-port
        # logic (Nova events, DVR) takes it for a local VM (README).
        assert shadow.device_owner == SHADOW
        assert shadow.security_group_ids == []
        vtep = real.binding_profile['vtep_ip']
        assert shadow.binding_profile['vtep_ip'] == vtep
        agents = list(cloud.pods[region].network.agents(
            host=real.binding_host_id))
        assert [a.configuration['tunneling_ip'] for a in agents] == [vtep]
        # Its own port is no shadow, and central has each port once.
        assert cloud.pods[region].network.get_port(
            ports[region].id).device_owner != SHADOW
    top = [p for p in cloud.central.network.ports(network_id=net.id)
           if p.device_owner != 'network:tricircle_gateway']
    assert sorted(p.id for p in top) == sorted(p.id for p in ports.values())


def test_rebind_moves_and_delete_removes_shadows(cloud, vx):
    net, _subnet, ports = vx
    pod1 = cloud.pods['Pod1'].network
    pod1.update_port(ports['Pod1'], binding_host_id='host-c',
                     binding_profile={'vtep_ip': '192.0.2.3'})
    wait_jobs(cloud, net.id)
    moved = shadows(cloud, 'Pod2', net)[ports['Pod1'].id]
    assert moved.binding_host_id == 'host-c'
    assert moved.binding_profile['vtep_ip'] == '192.0.2.3'

    extra = bound_port(cloud, 'Pod2', net, 'host-d', '192.0.2.4')
    wait_jobs(cloud, net.id)
    assert extra.id in shadows(cloud, 'Pod1', net)
    cloud.pods['Pod2'].network.delete_port(extra)
    wait_jobs(cloud, net.id)
    assert extra.id not in shadows(cloud, 'Pod1', net)
    assert set(shadows(cloud, 'Pod1', net)) == {ports['Pod2'].id}
    # The real port's central twin is untouched by its shadows' lives.
    assert cloud.central.network.get_port(ports['Pod2'].id).mac_address \
        == ports['Pod2'].mac_address


def test_shared_vlan_spans_pods_with_one_vlan_id(cloud):
    net, _subnet = span_net(cloud, 'l2-svlan', 'shared_vlan',
                            '10.61.0.0/24')
    assert net.provider_network_type == 'shared_vlan'
    for region, host in (('Pod1', 'host-a'), ('Pod2', 'host-b')):
        bound_port(cloud, region, net, host)
        pod_net = cloud.pods[region].network.get_network(net.id)
        assert (pod_net.provider_network_type,
                pod_net.provider_physical_network,
                pod_net.provider_segmentation_id) == (
            'vlan', net.provider_physical_network,
            net.provider_segmentation_id)
    for region in ('Pod1', 'Pod2'):
        assert shadows(cloud, region, net) == {}


def test_router_on_a_stretched_subnet(cloud):
    """Both pods get the stretched subnet's one gateway IP; only the
    Pod1-only subnet needs a route, and only in Pod2."""
    net, subnet = span_net(cloud, 'l2-routed', 'shared_vlan',
                           '10.62.0.0/24')
    for region, host in (('Pod1', 'host-a'), ('Pod2', 'host-b')):
        bound_port(cloud, region, net, host)
    _lone, lone_subnet = make_net(cloud, 'az1', '10.62.1.0/24')
    router = cloud.central.network.create_router(name='l2-router')
    for s in (subnet, lone_subnet):
        cloud.central.network.add_interface_to_router(router, subnet_id=s.id)
    wait_jobs(cloud, router.id)
    pieces = {r: bottom(cloud, r, router.id) for r in ('Pod1', 'Pod2')}
    for region, (piece, ifaces) in pieces.items():
        assert ifaces[subnet.id] == subnet.gateway_ip
        assert subnet.cidr not in [r['destination'] for r in piece.routes]
    assert pieces['Pod1'][0].routes == []
    assert [r['destination'] for r in pieces['Pod2'][0].routes] == [
        lone_subnet.cidr]
    for s in (subnet, lone_subnet):
        cloud.central.network.remove_interface_from_router(router,
                                                           subnet_id=s.id)
    cloud.central.network.delete_router(router)
    wait_jobs(cloud, router.id)


def _net_ids(cloud):
    return sorted(n.id for n in cloud.central.network.networks())


@pytest.mark.parametrize('attrs', [
    # A local network cannot span pods (with no type given it would get
    # default_cross_pod_network_type: test_tenant_experience).
    {'availability_zone_hints': BOTH, 'provider_network_type': 'local'},
    {'availability_zone_hints': ['az1', 'nowhere'],
     'provider_network_type': 'vxlan'},
    # Conflicting provider attributes.
    {'availability_zone_hints': BOTH, 'provider_network_type': 'vxlan',
     'provider_physical_network': 'bridge'},
    {'availability_zone_hints': BOTH, 'provider_network_type': 'shared_vlan',
     'provider_physical_network': 'no-such-physnet'},
])
def test_bad_span_is_400_and_allocates_nothing(cloud, attrs):
    before = _net_ids(cloud)
    with pytest.raises(os_exc.BadRequestException):
        cloud.central.network.create_network(name='bad-span', **attrs)
    assert _net_ids(cloud) == before


def test_segment_taken_is_409(cloud, vx):
    before = _net_ids(cloud)
    with pytest.raises(os_exc.ConflictException):
        cloud.central.network.create_network(
            name='taken', availability_zone_hints=BOTH,
            provider_network_type='vxlan',
            provider_segmentation_id=vx[0].provider_segmentation_id)
    assert _net_ids(cloud) == before


def test_local_network_stays_in_its_first_pod(cloud):
    net = cloud.central.network.create_network(
        name='l2-local', provider_network_type='local')
    cloud.central.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr='10.63.0.0/24')
    cloud.pods['Pod1'].network.create_port(network_id=net.id)
    with pytest.raises(os_exc.ConflictException) as err:
        cloud.pods['Pod2'].network.create_port(network_id=net.id)
    assert 'another pod' in str(err.value)
    assert list(cloud.pods['Pod2'].network.networks(id=net.id)) == []
    assert len([p for p in cloud.central.network.ports(network_id=net.id)
                if p.device_owner != 'network:tricircle_gateway']) == 1
