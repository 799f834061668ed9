"""Topologies of the networking guide (issue #13), made on central as an
operator would and checked against each pod's own Neutron:

- several external networks: one per pod (a VLAN one in Pod1, a flat one
  in Pod2), each the gateway of a local router of that pod, with a
  floating IP on each;
- direct provider networks: a provider VLAN network per pod, and servers
  with two interfaces, one on a tenant network spanning the pods and one
  on their pod's provider network.

Each ends with a teardown that leaves nothing in any pod.
"""

import openstack.exceptions as os_exc
import pytest

from tests.network.helpers import bottom
from tests.network.helpers import central_bridge
from tests.network.helpers import wait_jobs
from tests.network import lifecycle as lc

TENANT = 'scenario-tenant'
PODS = (('Pod1', 'az1'), ('Pod2', 'az2'))


@pytest.fixture(scope='module')
def tenant(cloud):
    return cloud.tenant(TENANT).network


def _bottom_fips(cloud, region, top_id):
    return [f for f in cloud.pods[region].network.ips()
            if f.description == 'tricircle:' + top_id]


def test_an_external_network_per_pod(cloud, tenant):
    admin = cloud.central.network
    ext_types = {'Pod1': ('vlan', 'extern', '163.3.161.0/24'),
                 'Pod2': ('flat', 'extern-flat-s2', '163.3.162.0/24')}
    made = {}
    for n, (region, az) in enumerate(PODS, 1):
        net_type, physnet, cidr = ext_types[region]
        ext = admin.create_network(
            name='ext-s2-' + region, is_router_external=True,
            provider_network_type=net_type,
            provider_physical_network=physnet,
            availability_zone_hints=[region])
        admin.create_subnet(network_id=ext.id, cidr=cidr, ip_version=4,
                            is_dhcp_enabled=False)
        net = tenant.create_network(name='s2-net-' + region,
                                    availability_zone_hints=[az])
        subnet = tenant.create_subnet(network_id=net.id, ip_version=4,
                                      cidr='10.52.%d.0/24' % n)
        router = tenant.create_router(
            name='R%d' % n, availability_zone_hints=[az],
            external_gateway_info={'network_id': ext.id})
        tenant.add_interface_to_router(router, subnet_id=subnet.id)
        port = cloud.tenant(TENANT, region).network.create_port(
            network_id=net.id, name='s2-vm-' + region)
        fip = tenant.create_ip(floating_network_id=ext.id, port_id=port.id)
        made[region] = ext, subnet, router, port, fip
    for region, (ext, subnet, router, port, fip) in made.items():
        wait_jobs(cloud, router.id)
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

    for region, (ext, subnet, router, port, fip) in made.items():
        tenant.delete_ip(fip)
        tenant.remove_interface_from_router(router, subnet_id=subnet.id)
        tenant.update_router(router, external_gateway_info={})
        tenant.delete_router(router)
        cloud.tenant(TENANT, region).network.delete_port(port)
    for region, (ext, subnet, router, port, fip) in made.items():
        wait_jobs(cloud, router.id)
        assert bottom(cloud, region, router.id) is None
        assert _bottom_fips(cloud, region, fip.id) == []
        admin.delete_network(ext)
        lc.wait_gone(cloud, 'network', ext.id, [region])


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

    for region, (provider, nics) in made.items():
        for nic in nics:
            cloud.tenant(TENANT, region).network.delete_port(nic)
        admin.delete_network(provider)
    tenant.delete_network(cross)
    for region, (provider, _nics) in made.items():
        lc.wait_gone(cloud, 'network', provider.id, [region])
    lc.wait_gone(cloud, 'network', cross.id, ['Pod1', 'Pod2'])
