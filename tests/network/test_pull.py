"""A pod answers for central's resources by id (issue #20, item 3): Nova
checks a server's networks with ``GET /networks?id=...`` and starts
``server create --port`` with ``GET /ports/{id}``, both against the pod's
own Neutron, for resources made on central that the pod never held; the
openstack CLI finds ``--network NAME`` by name (issue #14)."""

import openstack.exceptions as os_exc
import pytest

from tests.network import lifecycle as lc

PROJECT = 'proj-pull'
OTHER = 'proj-pull-other'


@pytest.fixture(scope='module')
def net(cloud):
    """A tenant's network hinted to az1 (Pod1), made on central only."""
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name='pull-net',
                                        availability_zone_hints=['az1'])
    subnet = tenant.network.create_subnet(network_id=net.id, ip_version=4,
                                          cidr='10.93.0.0/24')
    return net, subnet


def _held(cloud, region, kind, resource_id):
    listing = getattr(cloud.pods[region].network, kind)
    return resource_id in [r.id for r in listing()]


def test_list_by_id_pulls_where_the_network_may_live(cloud, net):
    net, subnet = net
    assert not _held(cloud, 'Pod1', 'networks', net.id)
    # Pod2 is outside the hint: left out of the list, nothing made.
    assert list(cloud.tenant(PROJECT, 'Pod2').network.networks(
        id=net.id)) == []
    assert not _held(cloud, 'Pod2', 'networks', net.id)
    # Another tenant's list names the id in vain.
    assert list(cloud.tenant(OTHER, 'Pod1').network.networks(
        id=net.id)) == []
    assert not _held(cloud, 'Pod1', 'networks', net.id)

    (listed,) = cloud.tenant(PROJECT, 'Pod1').network.networks(id=net.id)
    assert (listed.id, listed.name) == (net.id, 'pull-net')
    assert cloud.pods['Pod1'].network.get_subnet(subnet.id).cidr == \
        '10.93.0.0/24'
    assert [r['pod_id'] for r in cloud.routings(top_id=net.id)] == [
        cloud.pod_ids['Pod1']]


def test_list_by_name_pulls_what_the_tenant_may_see(cloud):
    """``openstack --os-region-name Pod1 server create --network NAME``
    looks the name up in the pod: the tenant's network of that name comes
    over; not for another tenant or the admin, nor into a pod outside the
    hint."""
    tenant = cloud.tenant(PROJECT)
    named = tenant.network.create_network(name='pull-by-name',
                                          availability_zone_hints=['az1'])
    tenant.network.create_subnet(network_id=named.id, ip_version=4,
                                 cidr='10.94.0.0/24')
    assert list(cloud.tenant(OTHER, 'Pod1').network.networks(
        name='pull-by-name')) == []
    # Nor the admin's: a name is no promise of whose network is meant.
    assert list(cloud.pods['Pod1'].network.networks(
        name='pull-by-name')) == []
    assert list(cloud.tenant(PROJECT, 'Pod2').network.networks(
        name='pull-by-name')) == []
    assert not _held(cloud, 'Pod1', 'networks', named.id)
    assert not _held(cloud, 'Pod2', 'networks', named.id)

    (listed,) = cloud.tenant(PROJECT, 'Pod1').network.networks(
        name='pull-by-name')
    assert listed.id == named.id and listed.subnet_ids
    assert list(cloud.tenant(PROJECT, 'Pod1').network.networks(
        name='no-such-network')) == []


def test_central_port_is_pulled_by_id(cloud, net):
    net, _subnet = net
    port = cloud.tenant(PROJECT).network.create_port(
        network_id=net.id, name='made-on-central',
        allowed_address_pairs=[{'ip_address': '10.93.0.250'}])
    assert not _held(cloud, 'Pod1', 'ports', port.id)
    # Not another tenant's to see, and not pulled by asking.
    with pytest.raises(os_exc.NotFoundException):
        cloud.tenant(OTHER, 'Pod1').network.get_port(port.id)
    assert not _held(cloud, 'Pod1', 'ports', port.id)

    bottom = cloud.tenant(PROJECT, 'Pod1').network.get_port(port.id)
    assert (bottom.mac_address, bottom.fixed_ips, bottom.name) == (
        port.mac_address, port.fixed_ips, 'made-on-central')
    assert [p['ip_address'] for p in bottom.allowed_address_pairs] == [
        '10.93.0.250']
    assert bottom.security_group_ids == port.security_group_ids
    assert [(r['pod_id'], r['resource_type']) for r in cloud.routings(
        top_id=port.id)] == [(cloud.pod_ids['Pod1'], 'port')]
    # One pod at a time: Pod2 does not answer for it any more.
    with pytest.raises(os_exc.NotFoundException):
        cloud.pods['Pod2'].network.get_port(port.id)

    # Central's delete reaches the pod it was pulled into.
    cloud.tenant(PROJECT).network.delete_port(port)
    lc.wait_gone(cloud, 'port', port.id, ['Pod1'])


def test_binding_a_central_port_through_the_pod(cloud, net):
    """What Nova does with ``--port``: bind the port to its host with
    its device; central records the binding."""
    net, _subnet = net
    port = cloud.tenant(PROJECT).network.create_port(network_id=net.id)
    bound = cloud.pods['Pod1'].network.update_port(
        port.id, binding_host_id='pod1-compute', device_id='vm-pull',
        device_owner='compute:az1')
    assert bound.binding_host_id == 'pod1-compute'
    top = cloud.central.network.get_port(port.id)
    assert (top.binding_host_id, top.device_id, top.device_owner) == (
        'pod1-compute', 'vm-pull', 'compute:az1')
    assert top.fixed_ips == bound.fixed_ips
    cloud.pods['Pod1'].network.delete_port(port.id)
    with pytest.raises(os_exc.NotFoundException):
        cloud.central.network.get_port(port.id)


def test_delete_through_the_pod_of_a_port_it_never_held(cloud, net):
    net, _subnet = net
    port = cloud.tenant(PROJECT).network.create_port(network_id=net.id)
    with pytest.raises(os_exc.NotFoundException):
        cloud.tenant(OTHER, 'Pod1').network.delete_port(
            port.id, ignore_missing=False)
    cloud.tenant(PROJECT, 'Pod1').network.delete_port(port.id,
                                                      ignore_missing=False)
    with pytest.raises(os_exc.NotFoundException):
        cloud.central.network.get_port(port.id)
    assert not _held(cloud, 'Pod1', 'ports', port.id)


def test_router_ports_are_not_pulled(cloud, net):
    net, subnet = net
    router = cloud.tenant(PROJECT).network.create_router(name='pull-r')
    cloud.tenant(PROJECT).network.add_interface_to_router(
        router, subnet_id=subnet.id)
    (interface,) = cloud.central.network.ports(
        device_id=router.id, device_owner='network:router_interface')
    try:
        with pytest.raises(os_exc.NotFoundException):
            cloud.tenant(PROJECT, 'Pod2').network.get_port(interface.id)
    finally:
        cloud.tenant(PROJECT).network.remove_interface_from_router(
            router, subnet_id=subnet.id)
        cloud.tenant(PROJECT).network.delete_router(router)
