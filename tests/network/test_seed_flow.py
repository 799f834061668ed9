"""The seeds' walkthrough: networks made once on central, used in pods.

Everything runs against the session sandbox: central with the central
plugin, Pod1/Pod2 with the local plugin, the Admin API, all real
neutron-api processes, driven by openstacksdk.
"""

import uuid

import openstack.exceptions as os_exc
import pytest


@pytest.fixture(scope='module')
def topology(cloud):
    nets = {}
    for i, az in ((1, 'az1'), (2, 'az2')):
        net = cloud.central.network.create_network(
            name='seed-net%d' % i, availability_zone_hints=[az])
        subnet = cloud.central.network.create_subnet(
            network_id=net.id, cidr='10.0.%d.0/24' % i, ip_version=4,
            name='seed-subnet%d' % i)
        nets['Pod%d' % i] = (net, subnet)
    return nets


def test_central_network_creates_nothing_in_pods(cloud):
    net = cloud.central.network.create_network(
        name='unused', availability_zone_hints=['az1'])
    cloud.central.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr='10.9.0.0/24')
    for pod in cloud.pods.values():
        # A list naming no id never pulls (one naming it would, as Nova's
        # does, where the network may live).
        assert net.id not in [n.id for n in pod.network.networks()]
    assert cloud.routings(top_id=net.id) == []
    assert cloud.central.network.get_network(net.id).availability_zones == []


@pytest.mark.parametrize('region', ['Pod1', 'Pod2'])
def test_port_in_pod_mirrors_central(cloud, topology, region):
    net, subnet = topology[region]
    pod = cloud.pods[region]
    bottom = pod.network.create_port(network_id=net.id, name='vm-' + region,
                                     device_id='vm-' + region)
    top = cloud.central.network.get_port(bottom.id)
    assert (top.mac_address, top.fixed_ips) == (bottom.mac_address,
                                                bottom.fixed_ips)
    assert top.name == 'vm-' + region and top.device_id == 'vm-' + region
    assert bottom.fixed_ips[0]['subnet_id'] == subnet.id

    bottom_net = pod.network.get_network(net.id)
    assert bottom_net.name == net.name
    bottom_subnet = pod.network.get_subnet(subnet.id)
    assert bottom_subnet.cidr == subnet.cidr
    gateway = cloud.gateway_port(subnet.id)
    assert bottom_subnet.gateway_ip == gateway.fixed_ips[0]['ip_address']
    assert bottom_subnet.gateway_ip == subnet.gateway_ip

    pod_id = cloud.pod_ids[region]
    for rtype, top_id in (('network', net.id), ('subnet', subnet.id),
                          ('port', bottom.id)):
        found = cloud.routings(top_id=top_id, resource_type=rtype)
        assert [(r['pod_id'], r['bottom_id']) for r in found] == [
            (pod_id, top_id)]
    zone = 'az' + region[-1]
    assert cloud.central.network.get_network(
        net.id).availability_zones == [zone]
    other = 'Pod2' if region == 'Pod1' else 'Pod1'
    assert list(cloud.pods[other].network.networks(id=net.id)) == []


def test_port_delete_in_pod_releases_top_port(cloud, topology):
    net, _subnet = topology['Pod1']
    pod = cloud.pods['Pod1']
    port = pod.network.create_port(network_id=net.id)
    ip = port.fixed_ips[0]['ip_address']
    pod.network.delete_port(port.id)
    assert cloud.central.network.find_port(port.id) is None
    assert cloud.routings(top_id=port.id) == []
    # The address is free again: central may hand it out to a new port.
    again = cloud.central.network.create_port(
        network_id=net.id, fixed_ips=[{'ip_address': ip}])
    cloud.central.network.delete_port(again.id)


def test_port_update_in_pod_is_reported_to_central(cloud, topology):
    net, _subnet = topology['Pod1']
    pod = cloud.pods['Pod1']
    port = pod.network.create_port(network_id=net.id)
    pod.network.update_port(port.id, binding_host_id='compute-1',
                            device_id='vm-42', device_owner='compute:az1',
                            name='renamed')
    top = cloud.central.network.get_port(port.id)
    assert (top.binding_host_id, top.device_id, top.device_owner,
            top.name) == ('compute-1', 'vm-42', 'compute:az1', 'renamed')
    # Central binds it (mechanism driver tricircle_central), never fails.
    assert top.binding_vif_type == 'other'
    pod.network.delete_port(port.id)


def test_uuid_name_materialises_central_network(cloud, topology):
    """Seed 000: a network or subnet created in a pod whose name is a
    central UUID becomes that network or subnet, with that id."""
    net = cloud.central.network.create_network(
        name='by-name', availability_zone_hints=['az2'])
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr='10.0.20.0/24', ip_version=4)
    pod = cloud.pods['Pod2']
    made = pod.network.create_network(name=net.id)
    assert made.id == net.id and made.name == 'by-name'
    made_subnet = pod.network.create_subnet(network_id=net.id,
                                            name=subnet.id, ip_version=4,
                                            cidr='10.0.20.0/24')
    assert made_subnet.id == subnet.id
    assert made_subnet.gateway_ip == cloud.gateway_port(
        subnet.id).fixed_ips[0]['ip_address']


def test_pod_local_network_stays_local(cloud):
    """A network made directly in a pod (no central twin) works as plain
    ML2 there and never reaches central."""
    pod = cloud.pods['Pod1']
    net = pod.network.create_network(name='pod-only-%s' % uuid.uuid4().hex)
    pod.network.create_subnet(network_id=net.id, cidr='192.168.7.0/24',
                              ip_version=4)
    port = pod.network.create_port(network_id=net.id)
    assert list(cloud.central.network.networks(id=net.id)) == []
    assert list(cloud.central.network.ports(id=port.id)) == []
    pod.network.delete_port(port.id)
    pod.network.delete_network(net.id)


def test_pod_dhcp_port_takes_its_ip_from_central(cloud, topology):
    """A DHCP agent's port in a pod goes through the same path as a VM's:
    its IP is allocated on central, so no other pod can ever get it."""
    net, subnet = topology['Pod2']
    pod = cloud.pods['Pod2']
    dhcp = pod.network.create_port(network_id=net.id,
                                   device_owner='network:dhcp',
                                   device_id='dhcp-agent-host-1')
    top = cloud.central.network.get_port(dhcp.id)
    assert top.fixed_ips == dhcp.fixed_ips
    assert top.device_owner == 'network:dhcp'
    with pytest.raises(os_exc.ConflictException):
        cloud.central.network.create_port(network_id=net.id, fixed_ips=[
            {'subnet_id': subnet.id,
             'ip_address': dhcp.fixed_ips[0]['ip_address']}])
    pod.network.delete_port(dhcp.id)
