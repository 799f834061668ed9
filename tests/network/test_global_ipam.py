"""Global IPAM under load: ports made concurrently in two pods on one
subnet never share an IP or a MAC, and top and bottom agree exactly."""

import collections
import concurrent.futures
import threading

import netaddr

import openstack.exceptions as os_exc
import pytest

from tests.network.conftest import Cloud

PORTS = 64
WORKERS = 16
GATEWAY = 'network:tricircle_gateway'


def test_concurrent_ports_over_two_pods(cloud, sandbox):
    # One L2 segment in both pods (cross-pod VxLAN), one subnet.
    net = cloud.central.network.create_network(
        name='ipam-load', availability_zone_hints=['az1', 'az2'],
        provider_network_type='vxlan')
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr='10.50.0.0/23', ip_version=4)
    local = threading.local()

    def create(i):
        if not hasattr(local, 'cloud'):
            local.cloud = Cloud(sandbox)   # one HTTP session per thread
        region = 'Pod1' if i % 2 else 'Pod2'
        port = local.cloud.pods[region].network.create_port(
            network_id=net.id, name='load-%d' % i)
        return region, port

    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        made = list(pool.map(create, range(PORTS)))

    top = {p.id: p for p in cloud.central.network.ports(network_id=net.id)
           if p.device_owner != GATEWAY}
    assert len(top) == PORTS
    ips = collections.Counter(ip['ip_address'] for p in top.values()
                              for ip in p.fixed_ips)
    macs = collections.Counter(p.mac_address for p in top.values())
    assert [ip for ip, n in ips.items() if n > 1] == []
    assert [mac for mac, n in macs.items() if n > 1] == []
    gateway = cloud.gateway_port(subnet.id).fixed_ips[0]['ip_address']
    assert gateway not in ips

    for region, pod in cloud.pods.items():
        bottom = {p.id: p for p in pod.network.ports(network_id=net.id)}
        expected = {p.id for r, p in made if r == region}
        assert set(bottom) == expected
        for port_id, port in bottom.items():
            assert (port.mac_address, port.fixed_ips) == (
                top[port_id].mac_address, top[port_id].fixed_ips)
        routed = {r['top_id'] for r in cloud.routings(
            pod_id=cloud.pod_ids[region], resource_type='port')}
        assert expected <= routed
        assert pod.network.get_subnet(subnet.id).gateway_ip == gateway


def test_address_rules_hold_through_a_pod(cloud):
    """Neutron's IPAM answers stand on both sides (both run ``ipam_driver
    = tricircle``): an address outside the subnet is 400, a taken one 409,
    a full subnet 409; nothing is left half-made by any of them."""
    net = cloud.central.network.create_network(
        name='ipam-rules', availability_zone_hints=['az1'])
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr='10.51.0.0/29', ip_version=4)
    pod = cloud.pods['Pod1'].network

    def ports():
        # Central's reservation of the gateway IP comes with the pod's
        # first use of the subnet, refused or not.
        return (sorted(p.id for p in pod.ports(network_id=net.id)),
                sorted(p.id for p in cloud.central.network.ports(
                    network_id=net.id) if p.device_owner != GATEWAY))

    def refused(error, ip=None):
        before = ports()
        fixed = {'fixed_ips': [{'subnet_id': subnet.id,
                                'ip_address': ip}]} if ip else {}
        with pytest.raises(error) as err:
            pod.create_port(network_id=net.id, **fixed)
        assert ports() == before
        return str(err.value)

    assert '10.51.0.9' in refused(os_exc.BadRequestException, '10.51.0.9')
    made = [pod.create_port(network_id=net.id, fixed_ips=[
        {'subnet_id': subnet.id, 'ip_address': '10.51.0.5'}])]
    assert '10.51.0.5' in refused(os_exc.ConflictException, '10.51.0.5')
    # .2-.6 is the pool: four more ports fill it.
    made += [pod.create_port(network_id=net.id) for _ in range(4)]
    assert sorted(p.fixed_ips[0]['ip_address'] for p in made) == [
        '10.51.0.%d' % n for n in range(2, 7)]
    assert 'No more IP addresses' in refused(os_exc.ConflictException)
    for port in made:
        assert pod.get_port(port.id).fixed_ips == port.fixed_ips
        pod.delete_port(port.id)


def test_candidate_subnets_are_neutron_s(cloud):
    """Both sides pick a port's subnets by column (``tricircle.network.
    subnet_lookups``) and must still pick what Neutron picks: every plain
    subnet, an EUI-64 address on a SLAAC one, a subnet limited to service
    types only for its owners, a tenant's port on another project's shared
    network, and Neutron's errors when there is nothing to pick from."""
    admin = cloud.central.network
    net = admin.create_network(name='candidates', shared=True,
                               availability_zone_hints=['az1'])
    v4 = admin.create_subnet(network_id=net.id, cidr='10.52.0.0/24',
                             ip_version=4)
    v6 = admin.create_subnet(network_id=net.id, cidr='2001:db8:52::/64',
                             ip_version=6, ipv6_ra_mode='slaac',
                             ipv6_address_mode='slaac')
    tenant = cloud.tenant('candidates-b', region='Pod1').network
    port = tenant.create_port(network_id=net.id)
    eui64 = str(netaddr.EUI(port.mac_address).ipv6(
        netaddr.IPNetwork(v6.cidr).first))
    got = {ip['subnet_id']: ip['ip_address'] for ip in port.fixed_ips}
    assert set(got) == {v4.id, v6.id} and got[v6.id] == eui64, got
    assert admin.get_port(port.id).fixed_ips == port.fixed_ips
    # An address asked for by IP alone finds its subnet (the network's
    # owner may ask: Neutron's policy refuses the tenant, 403).
    pod = cloud.pods['Pod1'].network
    named = pod.create_port(network_id=net.id,
                            fixed_ips=[{'ip_address': '10.52.0.77'}])
    assert named.fixed_ips[0] == {'subnet_id': v4.id,
                                  'ip_address': '10.52.0.77'}
    assert {ip['subnet_id'] for ip in named.fixed_ips} == {v4.id, v6.id}

    # A subnet limited to router gateways: ordinary ports leave it alone
    # (Neutron's own filter runs: the network is no longer plain).
    gw_only = admin.create_subnet(network_id=net.id, cidr='10.53.0.0/24',
                                  ip_version=4,
                                  service_types=['network:router_gateway'])
    later = tenant.create_port(network_id=net.id)
    assert gw_only.id not in {ip['subnet_id'] for ip in later.fixed_ips}
    assert {ip['subnet_id'] for ip in later.fixed_ips} == {v4.id, v6.id}
    with pytest.raises(os_exc.BadRequestException):
        admin.create_port(network_id=net.id, fixed_ips=[
            {'subnet_id': gw_only.id}], device_owner='compute:nova')

    bare = admin.create_network(name='candidates-bare')
    empty = admin.create_port(network_id=bare.id)
    assert empty.fixed_ips == []
    with pytest.raises(os_exc.BadRequestException):
        admin.create_port(network_id=bare.id,
                          fixed_ips=[{'ip_address': '10.54.0.5'}])
    for made in (port, named, later):
        pod.delete_port(made.id)
    admin.delete_port(empty.id)
    admin.delete_network(bare.id)
    admin.delete_network(net.id)
