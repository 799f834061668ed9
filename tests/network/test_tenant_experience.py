"""Rough edges a new tenant met (issue #18): cross-pod networks a tenant
can make, AZ hints naming several pods, bridge networks read-only to
tenants, and a pod's clear answer for a network bound elsewhere."""

import openstack.exceptions as os_exc
import pytest

from tests.network import lifecycle as lc
from tests.network.helpers import wait_jobs

PROJECT = 'proj-tenant-experience'


def test_tenant_network_across_pods_gets_the_default_type(cloud):
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name='span-by-tenant',
                                        availability_zone_hints=['az1',
                                                                 'az2'])
    subnet = tenant.network.create_subnet(network_id=net.id,
                                          cidr='10.91.0.0/24', ip_version=4)
    assert cloud.central.network.get_network(net.id).provider_network_type \
        == 'vxlan'
    ports = [cloud.tenant(PROJECT, region).network.create_port(
        network_id=net.id) for region in ('Pod1', 'Pod2')]
    assert {p.fixed_ips[0]['subnet_id'] for p in ports} == {subnet.id}
    for region in ('Pod1', 'Pod2'):
        assert cloud.pods[region].network.get_network(
            net.id).provider_network_type == 'vxlan'


def test_untyped_unhinted_network_reaches_every_pod(cloud):
    """Central's tenant type is a spanning one (issue #20): a network
    made with no type and no hint serves the tenant's VMs in any pod."""
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name='untyped')
    tenant.network.create_subnet(network_id=net.id, cidr='10.92.0.0/24',
                                 ip_version=4)
    top = cloud.central.network.get_network(net.id)
    assert top.provider_network_type == 'vxlan'
    for region in ('Pod1', 'Pod2'):
        cloud.tenant(PROJECT, region).network.create_port(network_id=net.id)
        bottom = cloud.pods[region].network.get_network(net.id)
        assert (bottom.provider_network_type,
                bottom.provider_segmentation_id) == (
            'vxlan', top.provider_segmentation_id)


@pytest.fixture
def crowded_az(cloud):
    """A third pod registered in az1 (its Neutron never asked for)."""
    pod = cloud.admin.post('/v1.0/pods', json={'pod': {
        'region_name': 'PodCrowded', 'az_name': 'az1'}}).json()['pod']
    yield 'az1'
    cloud.admin.delete('/v1.0/pods/%s' % pod['pod_id'])


def test_az_holding_several_pods(cloud, crowded_az):
    """The rule: an AZ hint means every pod of that AZ. A tenant's network
    gets the cross-pod type; a type that cannot span pods is refused."""
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name='crowded',
                                        availability_zone_hints=[crowded_az])
    assert cloud.central.network.get_network(net.id).provider_network_type \
        == 'vxlan'
    status, body = lc.request(cloud.central, 'POST', '/networks', {
        'network': {'name': 'crowded-local', 'project_id': PROJECT,
                    'provider:network_type': 'local',
                    'availability_zone_hints': [crowded_az]}})
    assert status == 400, body
    assert 'AZ az1 holds several' in body['NeutronError']['message']
    assert not list(cloud.central.network.networks(name='crowded-local'))


def test_bridge_networks_are_read_only_to_tenants(cloud):
    tenant = cloud.tenant(PROJECT)
    router = tenant.network.create_router(name='bridge-maker')
    for az, cidr in (('az1', '10.92.1.0/24'), ('az2', '10.92.2.0/24')):
        net = tenant.network.create_network(name='bm-' + az,
                                            availability_zone_hints=[az])
        subnet = tenant.network.create_subnet(network_id=net.id, cidr=cidr,
                                              ip_version=4)
        tenant.network.add_interface_to_router(router, subnet_id=subnet.id)
    wait_jobs(cloud, router.id)
    bridge = next(tenant.network.networks(
        name='tricircle-bridge-' + PROJECT))  # the tenant sees it
    name = bridge.name
    with pytest.raises(os_exc.ForbiddenException) as refused:
        tenant.network.create_port(network_id=bridge.id)
    assert 'bridge network' in str(refused.value)
    with pytest.raises(os_exc.ForbiddenException):
        tenant.network.update_network(bridge, name='mine-now')
    with pytest.raises(os_exc.ForbiddenException):
        tenant.network.delete_network(bridge)
    with pytest.raises(os_exc.ForbiddenException):
        cloud.tenant(PROJECT, 'Pod1').network.create_port(
            network_id=bridge.id)
    assert cloud.central.network.get_network(bridge.id).name == name


def test_pod_shows_a_network_bound_elsewhere_and_says_why(cloud):
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name='az1-only',
                                        availability_zone_hints=['az1'])
    tenant.network.create_subnet(network_id=net.id, cidr='10.93.0.0/24',
                                 ip_version=4)
    tenant_pod2 = cloud.tenant(PROJECT, 'Pod2')
    shown = lc.get(tenant_pod2, 'network', net.id)
    assert shown['id'] == net.id
    status, body = lc.request(tenant_pod2, 'POST', '/ports', {
        'port': {'network_id': net.id}})
    assert status == 400, body
    assert body['NeutronError']['type'] == 'NetworkNotInPod'
    assert lc.find(cloud.pods['Pod2'], 'network', net.id) is None
    assert not cloud.routings(top_id=net.id, pod_id=cloud.pod_ids['Pod2'])
    # Another tenant learns nothing.
    status, _body = lc.request(cloud.tenant('someone-else', 'Pod2'), 'GET',
                               '/networks/%s' % net.id)
    assert status == 404
