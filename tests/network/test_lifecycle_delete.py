"""Deletes made on central reach every pod (issue #12), router interfaces
added by port keep that port's address in the pods, and central holds a
subnet's gateway IP whenever no router interface does.

Each case of the issue's list is reproduced as a tenant would meet it.
"""

import openstack.exceptions as os_exc
import pytest

from tests.network import lifecycle as lc
from tests.network.helpers import wait_jobs

PROJECT = 'proj-life-delete'
BOTH = ('Pod1', 'Pod2')


def _span_net(cloud, name, cidr):
    """A VxLAN network in both pods, with a subnet, owned by PROJECT."""
    net = lc.request(cloud.central, 'POST', '/networks', {'network': {
        'name': name, 'project_id': PROJECT,
        'provider:network_type': 'vxlan',
        'availability_zone_hints': ['az1', 'az2']}})[1]['network']
    subnet = cloud.tenant(PROJECT).network.create_subnet(
        network_id=net['id'], cidr=cidr, ip_version=4)
    for region in BOTH:
        cloud.tenant(PROJECT, region).network.get_subnet(subnet.id)
    return net['id'], subnet


def _local_net(cloud, name, cidr, az='az1'):
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name=name,
                                        availability_zone_hints=[az])
    subnet = tenant.network.create_subnet(network_id=net.id, cidr=cidr,
                                          ip_version=4)
    return net.id, subnet


def test_port_deleted_on_central_leaves_its_pod(cloud):
    net_id, subnet = _local_net(cloud, 'del-port', '10.72.0.0/24')
    pod1 = cloud.tenant(PROJECT, 'Pod1')
    port = pod1.network.create_port(
        network_id=net_id, fixed_ips=[{'subnet_id': subnet.id,
                                       'ip_address': '10.72.0.50'}])
    cloud.tenant(PROJECT).network.delete_port(port.id)
    lc.wait_gone(cloud, 'port', port.id, ['Pod1'])
    lc.wait_job(cloud, 'port_sync', port.id, 'SUCCESS')
    assert not cloud.routings(top_id=port.id)
    # The IP can be used through that pod again.
    again = pod1.network.create_port(
        network_id=net_id, fixed_ips=[{'subnet_id': subnet.id,
                                       'ip_address': '10.72.0.50'}])
    assert again.fixed_ips[0]['ip_address'] == '10.72.0.50'


def test_subnet_and_network_deleted_on_central_leave_every_pod(cloud):
    net_id, subnet = _span_net(cloud, 'del-net', '10.73.0.0/24')
    ports = [cloud.pods[r].network.create_port(
        network_id=net_id, project_id=PROJECT, binding_host_id='host-' + r)
        for r in BOTH]
    tenant = cloud.tenant(PROJECT)
    # Ports in pods hold the network: central refuses, naming them.
    with pytest.raises(os_exc.ConflictException) as refused:
        tenant.network.delete_network(net_id)
    for port, region in zip(ports, BOTH):
        assert '%s (in pod %s)' % (port.id, region) in str(refused.value)
    for port in ports:
        tenant.network.delete_port(port.id)
    for port in ports:
        lc.wait_gone(cloud, 'port', port.id, BOTH)

    second = tenant.network.create_subnet(network_id=net_id,
                                          cidr='10.74.0.0/24', ip_version=4)
    cloud.tenant(PROJECT, 'Pod1').network.get_subnet(second.id)
    tenant.network.delete_subnet(second.id)
    lc.wait_gone(cloud, 'subnet', second.id, ['Pod1'])
    assert lc.find(cloud.pods['Pod1'], 'subnet', subnet.id) is not None

    tenant.network.delete_network(net_id)
    lc.wait_gone(cloud, 'network', net_id, BOTH)
    lc.wait_gone(cloud, 'subnet', subnet.id, BOTH)
    lc.wait_job(cloud, 'network_sync', net_id, 'SUCCESS')
    for resource_id in (net_id, subnet.id, second.id):
        assert not cloud.routings(top_id=resource_id)


def test_delete_a_pod_refuses_fails_the_job_with_its_reason(cloud):
    """A port in use in its pod (here by a router made in Pod1 itself):
    the delete stands on central, the job stays FAIL naming the pod and
    Neutron's message, the audit names the leftover, and once the pod lets
    go the retried job finishes."""
    net_id, subnet = _local_net(cloud, 'del-refused', '10.75.0.0/24')
    pod1_admin = cloud.pods['Pod1'].network
    port = cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=net_id)
    local_router = pod1_admin.create_router(name='pod1-own-router',
                                            project_id=PROJECT)
    pod1_admin.add_interface_to_router(local_router, port_id=port.id)
    cloud.tenant(PROJECT).network.delete_port(port.id)
    failed = lc.wait_job(cloud, 'port_sync', port.id, 'FAIL')
    assert 'pod Pod1 refused DELETE /ports/%s (HTTP 409)' % port.id in \
        failed['last_error']
    assert 'network:router_interface' in failed['last_error']
    assert lc.find(cloud.pods['Pod1'], 'port', port.id) is not None

    pod1_admin.remove_interface_from_router(local_router, port_id=port.id)
    pod1_admin.delete_router(local_router)
    lc.redo(cloud, failed['id'])
    lc.wait_gone(cloud, 'port', port.id, ['Pod1'])


def test_router_interface_by_port_keeps_its_address(cloud):
    """The issue's case: a port with 10.76.0.50 added to a router gives
    the bottom router that IP and MAC, beside a second router on the same
    subnet's gateway; removing it restores what was there."""
    net_id, subnet = _local_net(cloud, 'by-port', '10.76.0.0/24')
    tenant = cloud.tenant(PROJECT)
    cloud.tenant(PROJECT, 'Pod1').network.create_port(network_id=net_id)
    by_subnet = tenant.network.create_router(name='by-subnet')
    by_port = tenant.network.create_router(name='by-port')
    port = tenant.network.create_port(network_id=net_id, fixed_ips=[{
        'subnet_id': subnet.id, 'ip_address': '10.76.0.50'}])
    tenant.network.add_interface_to_router(by_subnet, subnet_id=subnet.id)
    tenant.network.add_interface_to_router(by_port, port_id=port.id)
    wait_jobs(cloud, by_subnet.id)
    wait_jobs(cloud, by_port.id)
    pod1 = cloud.pods['Pod1'].network

    def interfaces(router):
        return [(p.fixed_ips[0]['ip_address'], p.mac_address) for p in
                pod1.ports(device_id=router.id,
                           device_owner='network:router_interface')]

    assert interfaces(by_port) == [('10.76.0.50', port.mac_address)]
    assert [ip for ip, _mac in interfaces(by_subnet)] == ['10.76.0.1']

    tenant.network.remove_interface_from_router(by_port, port_id=port.id)
    wait_jobs(cloud, by_port.id)
    assert interfaces(by_port) == []
    assert not list(pod1.ports(fixed_ips='ip_address=10.76.0.50'))
    assert [ip for ip, _mac in interfaces(by_subnet)] == ['10.76.0.1']
    # The address is free again, through the pod too.
    again = cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=net_id, fixed_ips=[{'subnet_id': subnet.id,
                                       'ip_address': '10.76.0.50'}])
    assert again.fixed_ips[0]['ip_address'] == '10.76.0.50'


def test_gateway_reserved_again_after_last_interface_leaves(cloud):
    net_id, subnet = _local_net(cloud, 'gw-held', '10.77.0.0/24')
    tenant = cloud.tenant(PROJECT)
    pod1 = cloud.tenant(PROJECT, 'Pod1')
    pod1.network.create_port(network_id=net_id)
    router = tenant.network.create_router(name='gw-held')
    tenant.network.add_interface_to_router(router, subnet_id=subnet.id)
    tenant.network.remove_interface_from_router(router, subnet_id=subnet.id)
    wait_jobs(cloud, router.id)
    assert cloud.gateway_port(subnet.id)['fixed_ips'][0]['ip_address'] == \
        '10.77.0.1'
    with pytest.raises(os_exc.ConflictException):
        pod1.network.create_port(network_id=net_id, fixed_ips=[{
            'subnet_id': subnet.id, 'ip_address': '10.77.0.1'}])


def test_gateway_changed_before_router_attach(cloud):
    """The issue's case: ``subnet set --gateway`` before a router attach;
    central's router interface and the pod's bottom router agree."""
    net_id, subnet = _local_net(cloud, 'gw-moved', '10.78.0.0/24')
    tenant = cloud.tenant(PROJECT)
    cloud.tenant(PROJECT, 'Pod1').network.create_port(network_id=net_id)
    tenant.network.update_subnet(subnet, gateway_ip='10.78.0.254',
                                 allocation_pools=[{'start': '10.78.0.2',
                                                    'end': '10.78.0.200'}])
    lc.wait_same(cloud, 'subnet', subnet.id, ['Pod1'], ['gateway_ip'])
    assert cloud.gateway_port(subnet.id)['fixed_ips'][0]['ip_address'] == \
        '10.78.0.254'
    # The old gateway IP is free for ports again.
    old = cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=net_id, fixed_ips=[{'subnet_id': subnet.id,
                                       'ip_address': '10.78.0.1'}])
    assert old.fixed_ips[0]['ip_address'] == '10.78.0.1'
    router = tenant.network.create_router(name='gw-moved')
    tenant.network.add_interface_to_router(router, subnet_id=subnet.id)
    wait_jobs(cloud, router.id)
    central_ip = next(iter(cloud.central.network.ports(
        device_id=router.id))).fixed_ips[0]['ip_address']
    bottom = [p.fixed_ips[0]['ip_address'] for p in
              cloud.pods['Pod1'].network.ports(device_id=router.id)]
    assert central_ip == '10.78.0.254'
    assert bottom == ['10.78.0.254']


def test_gateway_taken_by_a_port_cannot_become_the_gateway(cloud):
    net_id, subnet = _local_net(cloud, 'gw-taken', '10.79.0.0/24')
    tenant = cloud.tenant(PROJECT)
    tenant.network.create_port(network_id=net_id, fixed_ips=[{
        'subnet_id': subnet.id, 'ip_address': '10.79.0.9'}])
    with pytest.raises(os_exc.ConflictException):
        tenant.network.update_subnet(subnet, gateway_ip='10.79.0.9')
    assert tenant.network.get_subnet(subnet.id).gateway_ip == '10.79.0.1'


def test_delete_while_pod_down_arrives_when_it_returns(cloud):
    net_id, subnet = _local_net(cloud, 'del-down', '10.83.0.0/24', 'az2')
    port = cloud.tenant(PROJECT, 'Pod2').network.create_port(
        network_id=net_id)
    with lc.pod_stopped(cloud, 'Pod2'):
        cloud.tenant(PROJECT).network.delete_port(port.id)
        failed = lc.wait_job(cloud, 'port_sync', port.id, 'FAIL')
        assert 'Pod2' in failed['last_error']
    lc.redo(cloud, failed['id'])
    lc.wait_gone(cloud, 'port', port.id, ['Pod2'])
    lc.wait_job(cloud, 'port_sync', port.id, 'SUCCESS')
    assert not cloud.routings(top_id=port.id)
