"""Topologies of the networking guide (issue #13), made on central as an
operator would and checked against each pod's own Neutron:

- several external networks: one per pod (a VLAN one in Pod1, a flat one
  in Pod2), each the gateway of a local router of that pod, with a
  floating IP on each;
- several north-south gateways with east-west enabled: those local routers
  and a third router joining both pods' subnets by ports;
- direct provider networks: a provider VLAN network per pod, and servers
  with two interfaces, one on a tenant network spanning the pods and one
  on their pod's provider network.

Each ends with a teardown that leaves nothing in any pod.
"""

import openstack.exceptions as os_exc
import pytest

from tests.conftest import eventually
from tests.conftest import run_tricircle
from tests.network.helpers import bottom
from tests.network.helpers import central_bridge
from tests.network.helpers import wait_jobs
from tests.network import lifecycle as lc

TENANT = 'scenario-tenant'
PODS = (('Pod1', 'az1'), ('Pod2', 'az2'))


@pytest.fixture(scope='module')
def tenant(cloud):
    return cloud.tenant(TENANT).network


def _audit(cloud, *extra):
    return run_tricircle('audit', '--dir', cloud.state['dir'], '--project',
                         TENANT, *extra)


def _bottom_fips(cloud, region, top_id):
    return [f for f in cloud.pods[region].network.ips()
            if f.description == 'tricircle:' + top_id]


def _local_gateway(cloud, tenant, prefix, n, ext_type, net_cidr):
    """In pod n: an external network (``ext_type``: type, physnet, CIDR),
    a tenant network, and a local router R<n> joining them, with a VM
    port made through the pod. Returns (ext, subnet, router, port)."""
    region, az = PODS[n - 1]
    net_type, physnet, cidr = ext_type
    admin = cloud.central.network
    ext = admin.create_network(
        name='%s-ext-%s' % (prefix, region), is_router_external=True,
        provider_network_type=net_type, provider_physical_network=physnet,
        availability_zone_hints=[region])
    admin.create_subnet(network_id=ext.id, cidr=cidr, ip_version=4,
                        is_dhcp_enabled=False)
    net = tenant.create_network(name='%s-net-%s' % (prefix, region),
                                availability_zone_hints=[az])
    subnet = tenant.create_subnet(network_id=net.id, ip_version=4,
                                  cidr=net_cidr)
    router = tenant.create_router(
        name='%s-R%d' % (prefix, n), availability_zone_hints=[az],
        external_gateway_info={'network_id': ext.id})
    tenant.add_interface_to_router(router, subnet_id=subnet.id)
    port = cloud.tenant(TENANT, region).network.create_port(
        network_id=net.id, name='%s-vm-%s' % (prefix, region))
    return ext, subnet, router, port


def _drop_local_gateway(cloud, tenant, region, made):
    ext, subnet, router, port = made
    tenant.remove_interface_from_router(router, subnet_id=subnet.id)
    tenant.update_router(router, external_gateway_info={})
    tenant.delete_router(router)
    cloud.tenant(TENANT, region).network.delete_port(port)
    wait_jobs(cloud, router.id)
    assert bottom(cloud, region, router.id) is None
    cloud.central.network.delete_network(ext)
    lc.wait_gone(cloud, 'network', ext.id, [region])


@pytest.fixture(scope='module')
def gateways(cloud, tenant):
    """Per pod an external network (VLAN in Pod1, flat in Pod2), a local
    router R<n> with its gateway there and a subnet, a VM port and a
    floating IP: ``{region: (ext, subnet, router, port, fip)}``. Shared
    by the two scenarios built on it, and torn down to nothing after."""
    ext_types = {1: ('vlan', 'extern', '163.3.161.0/24'),
                 2: ('flat', 'extern-flat-s2', '163.3.162.0/24')}
    made = {}
    for n, (region, _az) in enumerate(PODS, 1):
        ext, subnet, router, port = _local_gateway(
            cloud, tenant, 's2', n, ext_types[n], '10.52.%d.0/24' % n)
        fip = tenant.create_ip(floating_network_id=ext.id, port_id=port.id)
        made[region] = ext, subnet, router, port, fip
    for _ext, _subnet, router, _port, _fip in made.values():
        wait_jobs(cloud, router.id)
    yield made
    for region, (ext, subnet, router, port, fip) in made.items():
        tenant.delete_ip(fip)
        wait_jobs(cloud, router.id)
        assert _bottom_fips(cloud, region, fip.id) == []
        _drop_local_gateway(cloud, tenant, region, (ext, subnet, router,
                                                    port))


def test_an_external_network_per_pod(cloud, gateways):
    for region, (ext, subnet, router, port, fip) in gateways.items():
        other = 'Pod2' if region == 'Pod1' else 'Pod1'
        piece, ifaces = bottom(cloud, region, router.id)
        assert ifaces == {subnet.id: subnet.gateway_ip}
        assert piece.external_gateway_info['network_id'] == ext.id
        assert bottom(cloud, other, router.id) is None
        held = cloud.pods[region].network.get_network(ext.id)
        top = cloud.central.network.get_network(ext.id)
        assert (held.provider_network_type, held.provider_segmentation_id) \
            == (top.provider_network_type, top.provider_segmentation_id)
        (bfip,) = _bottom_fips(cloud, region, fip.id)
        assert bfip.floating_ip_address == fip.floating_ip_address
        assert bfip.port_id == port.id
        assert _bottom_fips(cloud, other, fip.id) == []
    assert central_bridge(cloud, TENANT) == (None, None)
    eventually(lambda: _audit(cloud).returncode == 0, 'audit clean')


def test_north_south_per_pod_and_east_west_over_a_third_router(
        cloud, tenant, gateways):
    """R1 and R2 carry each pod's north-south and hold their subnets'
    gateway IPs; R3, on a port of each subnet, joins the pods over the
    bridge. Each local router routes the other pod's subnet via R3's IP
    on its own subnet, so VM to VM goes via R3 and out via R1/R2."""
    pods = {region: made[:4] for region, made in gateways.items()}
    r3 = tenant.create_router(name='s3-R3')
    r3_ports = {}
    for region, (_ext, subnet, _router, _port) in pods.items():
        r3_ports[region] = tenant.create_port(
            network_id=subnet.network_id, name='s3-r3-' + region)
        tenant.add_interface_to_router(r3, port_id=r3_ports[region].id)
    for _ext, _subnet, router, _port in pods.values():
        wait_jobs(cloud, router.id)
    wait_jobs(cloud, r3.id)

    _net, bridge_subnet = central_bridge(cloud, TENANT)
    assert bridge_subnet is not None
    for region, (ext, subnet, router, _port) in pods.items():
        other = 'Pod2' if region == 'Pod1' else 'Pod1'
        other_subnet = pods[other][1]
        r3_ip = r3_ports[region].fixed_ips[0]['ip_address']
        # R3's piece: on the subnet at its port's IP, on the bridge, and
        # routing the other pod's subnet over the bridge.
        piece, ifaces = bottom(cloud, region, r3.id)
        assert ifaces[subnet.id] == r3_ip
        assert bridge_subnet.id in ifaces
        assert [r['destination'] for r in piece.routes] == [
            other_subnet.cidr]
        # The local router keeps the gateway IP and north-south, and
        # sends the other pod's subnet to R3.
        local, local_ifaces = bottom(cloud, region, router.id)
        assert local_ifaces == {subnet.id: subnet.gateway_ip}
        assert local.external_gateway_info['network_id'] == ext.id
        assert local.routes == [{'destination': other_subnet.cidr,
                                 'nexthop': r3_ip}]
        assert bottom(cloud, other, router.id) is None

    # The audit agrees, and finds a sibling route removed behind its back.
    eventually(lambda: _audit(cloud).returncode == 0, 'audit clean')
    r1 = pods['Pod1'][2]
    cloud.pods['Pod1'].network.update_router(r1.id, routes=[])
    found = _audit(cloud)
    assert found.returncode == 1, found.stdout + found.stderr
    assert 'routes' in found.stdout and 'different' in found.stdout
    assert pods['Pod2'][1].cidr in found.stdout
    assert _audit(cloud, '--fix').returncode == 0
    wait_jobs(cloud, r1.id)
    assert [r['destination'] for r in bottom(cloud, 'Pod1', r1.id)[
        0].routes] == [pods['Pod2'][1].cidr]

    # R3 leaves: the local routers' routes to it go too.
    for region, port in r3_ports.items():
        tenant.remove_interface_from_router(r3, port_id=port.id)
    tenant.delete_router(r3)
    wait_jobs(cloud, r3.id)
    for region, (_ext, _subnet, router, _port) in pods.items():
        wait_jobs(cloud, router.id)
        assert bottom(cloud, region, router.id)[0].routes == []
        assert bottom(cloud, region, r3.id) is None
    for region in pods:
        tenant.delete_port(r3_ports[region])


def test_direct_provider_network_per_pod(cloud, tenant):
    """Two NICs per server: the cross-pod tenant network and the pod's own
    provider network, which stays out of the other pod."""
    admin = cloud.central.network
    cross = tenant.create_network(name='s4-cross')
    tenant.create_subnet(network_id=cross.id, ip_version=4,
                         cidr='10.53.0.0/24')
    made = {}
    for n, (region, az) in enumerate(PODS, 1):
        provider = admin.create_network(
            name='s4-provider-' + region, project_id=TENANT,
            provider_network_type='vlan', provider_physical_network='extern',
            availability_zone_hints=[az])
        admin.create_subnet(network_id=provider.id, project_id=TENANT,
                            ip_version=4, cidr='10.54.%d.0/24' % n)
        pod = cloud.tenant(TENANT, region).network
        nics = [pod.create_port(network_id=net.id, name='s4-vm-%s-%d'
                                % (region, i))
                for i, net in enumerate((cross, provider))]
        made[region] = provider, nics
    for region, (provider, nics) in made.items():
        other = 'Pod2' if region == 'Pod1' else 'Pod1'
        held = cloud.pods[region].network.get_network(provider.id)
        assert (held.provider_network_type,
                held.provider_physical_network,
                held.provider_segmentation_id) == (
            'vlan', 'extern', provider.provider_segmentation_id)
        for nic in nics:
            top = cloud.central.network.get_port(nic.id)
            assert (top.mac_address, top.fixed_ips) == (nic.mac_address,
                                                        nic.fixed_ips)
        # The other pod holds the cross network, never this provider one,
        # and refuses a port on it.
        assert provider.id not in [
            net.id for net in cloud.pods[other].network.networks()]
        with pytest.raises(os_exc.HttpException) as caught:
            cloud.tenant(TENANT, other).network.create_port(
                network_id=provider.id)
        assert 400 <= caught.value.status_code < 500
    assert {r['pod_id'] for r in cloud.routings(top_id=cross.id)} == {
        cloud.pod_ids['Pod1'], cloud.pod_ids['Pod2']}
    eventually(lambda: _audit(cloud).returncode == 0, 'audit clean')

    for region, (provider, nics) in made.items():
        for nic in nics:
            cloud.tenant(TENANT, region).network.delete_port(nic)
        admin.delete_network(provider)
    tenant.delete_network(cross)
    for region, (provider, _nics) in made.items():
        lc.wait_gone(cloud, 'network', provider.id, [region])
    lc.wait_gone(cloud, 'network', cross.id, ['Pod1', 'Pod2'])
