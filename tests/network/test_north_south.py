"""North-south (seed 004): router gateway, floating IPs and SNAT.

The external network lives in Pod2. A tenant (a non-admin member, through
central) builds the seed's flow with openstacksdk; then each pod's Neutron
is read directly to check what XJob made there.
"""

import openstack.exceptions as os_exc
import pytest

from tests.network.helpers import bottom
from tests.network.helpers import central_bridge
from tests.network.helpers import make_external
from tests.network.helpers import wait_jobs

TENANT = 'ns-tenant'
NS_PREFIX = 'tricircle-ns-bridge-'
SHADOW = 'network:tricircle_shadow'


@pytest.fixture(scope='module')
def ext(cloud):
    return make_external(cloud, 'ext-ns', '163.3.125.0/24')


@pytest.fixture(scope='module')
def tenant(cloud):
    return cloud.tenant(TENANT).network


@pytest.fixture(scope='module')
def nets(cloud, tenant):
    """A network per pod, with a VM port made in that pod by the tenant."""
    made = {}
    for n, region in enumerate(('Pod1', 'Pod2'), 1):
        net = tenant.create_network(name='ns-' + region,
                                    availability_zone_hints=['az%d' % n])
        subnet = tenant.create_subnet(network_id=net.id, ip_version=4,
                                      cidr='10.20.%d.0/24' % n)
        port = cloud.tenant(TENANT, region).network.create_port(
            network_id=net.id, name='vm-' + region)
        made[region] = net, subnet, port
    return made


def ns_bridge(cloud, router_id):
    nets = list(cloud.central.network.networks(name=NS_PREFIX + router_id))
    if not nets:
        return None, None
    return nets[0], next(iter(cloud.central.network.subnets(
        network_id=nets[0].id)))


def tagged_fips(pod, top_id=None):
    return [f for f in pod.network.ips()
            if (f.description or '').startswith('tricircle:') and
            (top_id is None or f.description == 'tricircle:' + top_id)]


def assert_gateway_state(cloud, router, ext, nets):
    """Pod2 carries the gateway; Pod1 reaches it over the router's
    north-south bridge, whose gateway IP is Pod2's bottom router."""
    ext_net, ext_subnet = ext
    top = cloud.central.network.get_router(router.id)
    top_ips = {ip['ip_address']
               for ip in top.external_gateway_info['external_fixed_ips']}
    assert all(ip.startswith('163.3.125.') for ip in top_ips)
    pod2, ifaces2 = bottom(cloud, 'Pod2', router.id)
    gw = pod2.external_gateway_info
    assert gw['network_id'] == ext_net.id
    assert {ip['ip_address'] for ip in gw['external_fixed_ips']} == top_ips
    assert gw['enable_snat'] == top.external_gateway_info['enable_snat']

    ns_net, ns_subnet = ns_bridge(cloud, router.id)
    assert ns_net.provider_network_type == 'shared_vlan'
    assert ifaces2[ns_subnet.id] == ns_subnet.gateway_ip
    pod1, _ifaces1 = bottom(cloud, 'Pod1', router.id)
    gw1 = pod1.external_gateway_info
    assert gw1['network_id'] == ns_net.id
    assert gw1['enable_snat'] == top.external_gateway_info['enable_snat']
    pod1_ns = cloud.pods['Pod1'].network.get_network(ns_net.id)
    assert pod1_ns.is_router_external is True
    assert pod1_ns.provider_segmentation_id == \
        ns_net.provider_segmentation_id
    # Pod1's default route: the gateway of its gateway network, Pod2.
    assert cloud.pods['Pod1'].network.get_subnet(
        ns_subnet.id).gateway_ip == ns_subnet.gateway_ip
    # Pod2 routes back to Pod1's subnet (east-west bridge, both pods have
    # subnets) and never into its own.
    pod1_cidr = nets['Pod1'][1].cidr
    assert [r['destination'] for r in pod2.routes] == [pod1_cidr]
    # The external network itself stays in Pod2.
    assert list(cloud.pods['Pod1'].network.networks(id=ext_net.id)) == []


def assert_fip_state(cloud, fip, port, region):
    """The gateway pod maps the floating IP to ``port`` (in ``region``)."""
    top = cloud.central.network.get_ip(fip.id)
    fixed = port.fixed_ips[0]['ip_address']
    assert top.fixed_ip_address == fixed
    [gw_fip] = tagged_fips(cloud.pods['Pod2'], fip.id)
    assert gw_fip.floating_ip_address == top.floating_ip_address
    assert top.status == gw_fip.status
    if region == 'Pod2':
        assert (gw_fip.port_id, gw_fip.fixed_ip_address) == (port.id, fixed)
        assert tagged_fips(cloud.pods['Pod1'], fip.id) == []
        return
    # Port in Pod1: external address -> shadow of Pod1's bridge-side
    # floating IP port (Pod2) -> port's fixed IP (Pod1).
    [side] = tagged_fips(cloud.pods['Pod1'], fip.id)
    assert (side.port_id, side.fixed_ip_address) == (port.id, fixed)
    ns_net, _ = ns_bridge(cloud, top.router_id)
    assert side.floating_network_id == ns_net.id
    shadow = cloud.pods['Pod2'].network.get_port(gw_fip.port_id)
    assert shadow.device_owner == SHADOW
    assert shadow.network_id == ns_net.id
    assert gw_fip.fixed_ip_address == side.floating_ip_address
    assert shadow.fixed_ips[0]['ip_address'] == side.floating_ip_address
    side_port = next(cloud.pods['Pod1'].network.ports(device_id=side.id))
    assert shadow.id == side_port.id
    # Central holds the bridge address once, for Pod1's port.
    assert cloud.central.network.get_port(shadow.id).fixed_ips == \
        shadow.fixed_ips


def assert_no_north_south(cloud, router_id):
    for region, pod in cloud.pods.items():
        # Its shadow ports went with the north-south bridge.
        assert list(pod.network.networks(name=NS_PREFIX + router_id)) == []
        assert [f for f in tagged_fips(pod)
                if f.router_id in (router_id, None)] == []
        piece = bottom(cloud, region, router_id)
        if piece is not None:
            assert not piece[0].external_gateway_info
    assert ns_bridge(cloud, router_id) == (None, None)


def test_seed_flow(cloud, tenant, ext, nets):
    router = tenant.create_router(name='ns-router')
    for region in ('Pod1', 'Pod2'):
        tenant.add_interface_to_router(router, subnet_id=nets[region][1].id)
    tenant.update_router(router, external_gateway_info={
        'network_id': ext[0].id})
    wait_jobs(cloud, router.id)
    assert_gateway_state(cloud, router, ext, nets)

    fips = {}
    for region in ('Pod1', 'Pod2'):
        fip = tenant.create_ip(floating_network_id=ext[0].id)
        assert fip.floating_ip_address.startswith('163.3.125.')
        tenant.update_ip(fip, port_id=nets[region][2].id)
        fips[region] = fip
    wait_jobs(cloud, router.id)
    for region, fip in fips.items():
        assert_fip_state(cloud, fip, nets[region][2], region)
    assert len({f.floating_ip_address for f in fips.values()}) == 2

    for fip in fips.values():
        tenant.update_ip(fip, port_id=None)
    wait_jobs(cloud, router.id)
    for fip in fips.values():
        assert cloud.central.network.get_ip(fip.id).status == 'DOWN'
        for pod in cloud.pods.values():
            assert tagged_fips(pod, fip.id) == []
    ns_net, _ = ns_bridge(cloud, router.id)
    assert list(cloud.pods['Pod2'].network.ports(
        network_id=ns_net.id, device_owner=SHADOW)) == []

    tenant.update_router(router, external_gateway_info={})
    wait_jobs(cloud, router.id)
    assert_no_north_south(cloud, router.id)
    for region in ('Pod1', 'Pod2'):
        piece, _ = bottom(cloud, region, router.id)
        assert not piece.external_gateway_info

    for fip in fips.values():
        tenant.delete_ip(fip)
    for region in ('Pod1', 'Pod2'):
        tenant.remove_interface_from_router(
            router, subnet_id=nets[region][1].id)
    tenant.delete_router(router)
    wait_jobs(cloud, router.id)
    assert_no_north_south(cloud, router.id)
    for region in cloud.pods:
        assert bottom(cloud, region, router.id) is None
    assert cloud.routings(top_id=router.id) == []
    assert central_bridge(cloud, TENANT) == (None, None)


def test_reverse_order_reaches_the_same_state(cloud, tenant, ext, nets):
    """Gateway first, then the interfaces, then floating IPs."""
    router = tenant.create_router(name='ns-reverse', external_gateway_info={
        'network_id': ext[0].id})
    wait_jobs(cloud, router.id)
    piece, ifaces = bottom(cloud, 'Pod2', router.id)
    assert piece.external_gateway_info['network_id'] == ext[0].id
    assert ifaces == {}
    assert bottom(cloud, 'Pod1', router.id) is None

    for region in ('Pod2', 'Pod1'):
        tenant.add_interface_to_router(router, subnet_id=nets[region][1].id)
    fip = tenant.create_ip(floating_network_id=ext[0].id,
                           port_id=nets['Pod1'][2].id)
    wait_jobs(cloud, router.id)
    assert_gateway_state(cloud, router, ext, nets)
    assert_fip_state(cloud, fip, nets['Pod1'][2], 'Pod1')

    # Tearing down in the other order too: interfaces go while the
    # gateway stays, after the floating IP is deleted.
    tenant.delete_ip(fip)
    for region in ('Pod1', 'Pod2'):
        tenant.remove_interface_from_router(
            router, subnet_id=nets[region][1].id)
    wait_jobs(cloud, router.id)
    assert bottom(cloud, 'Pod1', router.id) is None
    assert_no_north_south_bridge = ns_bridge(cloud, router.id)
    assert assert_no_north_south_bridge == (None, None)
    assert tagged_fips(cloud.pods['Pod2'], fip.id) == []
    tenant.delete_router(router)
    wait_jobs(cloud, router.id)
    assert_no_north_south(cloud, router.id)
    assert cloud.routings(top_id=router.id) == []


def set_snat(cloud, router, ext, enabled):
    """Turning SNAT off is an admin's call (Neutron's policy); both
    pieces of the router follow."""
    cloud.central.network.update_router(router, external_gateway_info={
        'network_id': ext[0].id, 'enable_snat': enabled})
    wait_jobs(cloud, router.id)
    for region in ('Pod1', 'Pod2'):
        piece, _ = bottom(cloud, region, router.id)
        assert piece.external_gateway_info['enable_snat'] is enabled


def test_enable_snat_is_honoured(cloud, tenant, ext, nets):
    router = tenant.create_router(name='ns-nosnat')
    tenant.add_interface_to_router(router, subnet_id=nets['Pod1'][1].id)
    set_snat(cloud, router, ext, False)
    # Pod2 has no subnet of this router, so no east-west bridge: it routes
    # back to Pod1's subnet over the north-south bridge.
    pod1, _ = bottom(cloud, 'Pod1', router.id)
    pod1_ns_ip = pod1.external_gateway_info['external_fixed_ips'][0]
    pod2, _ = bottom(cloud, 'Pod2', router.id)
    assert pod2.routes == [{'destination': nets['Pod1'][1].cidr,
                            'nexthop': pod1_ns_ip['ip_address']}]

    set_snat(cloud, router, ext, True)

    tenant.update_router(router, external_gateway_info={})
    tenant.remove_interface_from_router(router, subnet_id=nets['Pod1'][1].id)
    tenant.delete_router(router)
    wait_jobs(cloud, router.id)
    assert_no_north_south(cloud, router.id)


@pytest.fixture
def gw_router(cloud, tenant, ext, nets):
    router = tenant.create_router(name='ns-bad', external_gateway_info={
        'network_id': ext[0].id})
    tenant.add_interface_to_router(router, subnet_id=nets['Pod1'][1].id)
    yield router
    tenant.remove_interface_from_router(router, subnet_id=nets['Pod1'][1].id)
    tenant.delete_router(router)
    wait_jobs(cloud, router.id)


def _fip_ids(conn):
    return sorted(f.id for f in conn.ips())


def test_floating_ip_on_internal_network_is_400(cloud, tenant, nets):
    before = _fip_ids(cloud.central.network)
    with pytest.raises(os_exc.BadRequestException):
        tenant.create_ip(floating_network_id=nets['Pod1'][0].id)
    assert _fip_ids(cloud.central.network) == before


def test_port_of_another_tenant_is_refused(cloud, tenant, ext, gw_router):
    other = cloud.tenant('ns-other').network
    net = other.create_network(name='other')
    other.create_subnet(network_id=net.id, cidr='10.30.0.0/24',
                        ip_version=4)
    port = other.create_port(network_id=net.id)
    fip = tenant.create_ip(floating_network_id=ext[0].id)
    with pytest.raises((os_exc.BadRequestException,
                        os_exc.NotFoundException)):
        tenant.update_ip(fip, port_id=port.id)
    assert cloud.central.network.get_ip(fip.id).port_id is None
    wait_jobs(cloud, gw_router.id)
    assert tagged_fips(cloud.pods['Pod2'], fip.id) == []
    tenant.delete_ip(fip)
    other.delete_port(port)
    other.delete_network(net)


def test_port_without_ip_is_refused(cloud, tenant, ext, nets, gw_router):
    port = tenant.create_port(network_id=nets['Pod1'][0].id, fixed_ips=[])
    before = _fip_ids(cloud.central.network)
    with pytest.raises(os_exc.BadRequestException):
        tenant.create_ip(floating_network_id=ext[0].id, port_id=port.id)
    assert _fip_ids(cloud.central.network) == before
    tenant.delete_port(port)


def test_port_in_no_pod_gives_status_error(cloud, tenant, ext, nets,
                                           gw_router):
    """Central knows the port, no pod has it yet: nothing to map the
    floating IP to, and its status says so."""
    port = tenant.create_port(network_id=nets['Pod1'][0].id)
    fip = tenant.create_ip(floating_network_id=ext[0].id, port_id=port.id)
    wait_jobs(cloud, gw_router.id)
    assert cloud.central.network.get_ip(fip.id).status == 'ERROR'
    assert tagged_fips(cloud.pods['Pod2'], fip.id) == []
    tenant.delete_ip(fip)
    tenant.delete_port(port)


def test_only_admin_writes_floating_ip_status(cloud, tenant, ext):
    fip = tenant.create_ip(floating_network_id=ext[0].id)
    with pytest.raises(os_exc.ForbiddenException):
        tenant.update_ip(fip, status='ACTIVE')
    with pytest.raises(os_exc.BadRequestException):
        cloud.central.network.update_ip(fip, status='BOGUS')
    assert cloud.central.network.get_ip(fip.id).status == 'DOWN'
    tenant.delete_ip(fip)
