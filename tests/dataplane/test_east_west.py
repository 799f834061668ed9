"""Packets through what Tricircle builds (issue #19): east-west across
pods, and cross-pod L2 on one network.

Everything is made on central as a tenant would; the pods' agents wire
what XJob materialised; namespace VMs plugged on the pods' ports ping.
"""

import pytest

from tests.conftest import eventually
from tests.network.helpers import make_net
from tests.network.helpers import wait_jobs
from tests.network.test_cross_pod_l2 import span_net


def _address(vm):
    return vm['address'].split('/')[0]


@pytest.fixture(scope='module')
def east_west(dataplane):
    nets = {'Pod1': make_net(dataplane, 'az1', '10.71.1.0/24'),
            'Pod2': make_net(dataplane, 'az2', '10.71.2.0/24')}
    router = dataplane.central.network.create_router(name='ew')
    for _net, subnet in nets.values():
        dataplane.central.network.add_interface_to_router(
            router, subnet_id=subnet.id)
    vms = {}
    for n, (region, (net, _subnet)) in enumerate(sorted(nets.items()), 1):
        port = dataplane.pods[region].network.create_port(
            network_id=net.id, name='ew-vm%d' % n)
        vms[region] = dataplane.vm('ew-vm%d' % n, region, port.id)
    wait_jobs(dataplane, router.id)
    return router, nets, vms


def test_vms_in_two_pods_ping_through_the_bottom_routers(dataplane,
                                                         east_west):
    router, nets, vms = east_west
    dataplane.reaches('east-west', 'ew-vm1', _address(vms['Pod2']))
    dataplane.reaches('east-west', 'ew-vm2', _address(vms['Pod1']))


def test_removing_a_subnet_on_central_stops_the_ping(dataplane, east_west):
    router, nets, vms = east_west
    subnet2 = nets['Pod2'][1]
    dataplane.reaches('east-west', 'ew-vm1', _address(vms['Pod2']))
    dataplane.central.network.remove_interface_from_router(
        router, subnet_id=subnet2.id)
    wait_jobs(dataplane, router.id)
    dataplane.blocked('east-west, subnet removed', 'ew-vm1',
                      _address(vms['Pod2']))
    dataplane.central.network.add_interface_to_router(
        router, subnet_id=subnet2.id)
    wait_jobs(dataplane, router.id)
    dataplane.reaches('east-west, subnet added back', 'ew-vm1',
                      _address(vms['Pod2']))


def _span(dataplane, name, net_type, cidr):
    net, _subnet = span_net(dataplane, name, net_type, cidr)
    vms = {}
    for n, region in enumerate(('Pod1', 'Pod2'), 1):
        port = dataplane.pods[region].network.create_port(
            network_id=net.id, name='%s-vm%d' % (name, n))
        vms[region] = dataplane.vm('%s-vm%d' % (name, n), region, port.id)
    return net, vms


def test_one_shared_vlan_network_in_two_pods(dataplane):
    net, vms = _span(dataplane, 'l2v', 'shared_vlan', '10.72.0.0/24')
    dataplane.reaches('cross-pod L2, shared VLAN', 'l2v-vm1',
                      _address(vms['Pod2']))
    dataplane.reaches('cross-pod L2, shared VLAN', 'l2v-vm2',
                      _address(vms['Pod1']))


def test_a_rule_removed_on_central_stops_the_ping(dataplane, east_west):
    """Security groups are enforced by the pods' OVS firewall: a VM in a
    group whose only ingress rule allows ICMP answers, then stops once
    the rule is deleted on central, and answers again when it is back."""
    router, nets, vms = east_west
    central = dataplane.central.network
    group = central.create_security_group(name='dp-icmp')
    for rule in list(central.security_group_rules(
            security_group_id=group.id, direction='ingress')):
        central.delete_security_group_rule(rule)

    def allow_icmp():
        return central.create_security_group_rule(
            security_group_id=group.id, direction='ingress',
            ethertype='IPv4', protocol='icmp',
            remote_ip_prefix='0.0.0.0/0')
    rule = allow_icmp()
    port = dataplane.pods['Pod2'].network.create_port(
        network_id=nets['Pod2'][0].id, name='sg-vm',
        security_group_ids=[group.id])
    target = _address(dataplane.vm('sg-vm', 'Pod2', port.id))
    dataplane.reaches('security group, ICMP allowed', 'ew-vm1', target)
    central.delete_security_group_rule(rule)
    dataplane.blocked('security group, rule deleted', 'ew-vm1', target)
    allow_icmp()
    dataplane.reaches('security group, rule back', 'ew-vm1', target)


def test_vxlan_network_in_two_pods(dataplane):
    """A VxLAN network spanning pods: each pod holds shadows of the other
    pod's ports, and L2 population turns them into a tunnel to the other
    pod's VTEP on each pod's tunnel bridge; VMs of one pod talk locally.

    Packets do not cross that tunnel here: both pods share one userspace
    ovs-vswitchd on one host, whose tunnel route lookup always prefers the
    kernel's local route to the remote VTEP (an address of this host) over
    any route through another bridge. What crosses is measured and
    reported; pods on hosts of their own (or network namespaces of their
    own, one switch each) would carry it.
    """
    net, vms = _span(dataplane, 'l2x', 'vxlan', '10.73.0.0/24')
    wait_jobs(dataplane, net.id)
    port = dataplane.pods['Pod1'].network.create_port(
        network_id=net.id, name='l2x-vm3')
    local = dataplane.vm('l2x-vm3', 'Pod1', port.id)
    dataplane.reaches('VxLAN, same pod', 'l2x-vm1', _address(local))
    vteps = {region: pod['vtep_ip'] for region, pod in
             dataplane.state['dataplane']['pods'].items()}
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        assert (vteps[region], vteps[other]) in \
            eventually(lambda: dataplane.tunnels(region),
                       'a VxLAN tunnel in %s' % region)
    dataplane.measure('VxLAN, across pods (one host)', 'l2x-vm1',
                      _address(vms['Pod2']))
