"""North-south packets (seed 004's floating IPs): an outside host on the
``extern`` physnet reaches VMs in both pods through their floating IPs,
and a VM reaches it through the router's SNAT.

The external network lives in Pod2. A floating IP of Pod2's VM is DNAT
in Pod2's bottom router; one of Pod1's VM crosses the router's
north-south bridge network into Pod1. The outside host has no route to
the tenant networks, so every reply it sends proves the NAT. The VMs' group
lets ICMP in from anywhere, as a tenant opens a service to the outside
(the default group takes ingress from its own members only).
"""

import pytest

from tests.network.helpers import make_external
from tests.network.helpers import make_net
from tests.network.helpers import wait_jobs

EXT_CIDR = '163.3.124.0/24'
OUTSIDE = '163.3.124.1'  # the external subnet's gateway: the upstream


@pytest.fixture(scope='module')
def north_south(dataplane):
    central = dataplane.central.network
    ext, _ext_subnet = make_external(dataplane, 'dp-ext', EXT_CIDR,
                                     pod='Pod2')
    router = central.create_router(
        name='ns', external_gateway_info={'network_id': ext.id})
    group = central.create_security_group(name='ns-icmp')
    central.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ethertype='IPv4',
        protocol='icmp', remote_ip_prefix='0.0.0.0/0')
    fips, vms = {}, {}
    for n, region in enumerate(('Pod1', 'Pod2'), 1):
        net, subnet = make_net(dataplane, 'az%d' % n, '10.81.%d.0/24' % n)
        central.add_interface_to_router(router, subnet_id=subnet.id)
        port = dataplane.pods[region].network.create_port(
            network_id=net.id, name='ns-vm%d' % n,
            security_group_ids=[group.id])
        vms[region] = dataplane.vm('ns-vm%d' % n, region, port.id)
        fips[region] = central.create_ip(floating_network_id=ext.id,
                                         port_id=port.id)
    wait_jobs(dataplane, router.id)
    dataplane.outside('ns-outside', 'extern',
                      ext.provider_segmentation_id, OUTSIDE + '/24')
    return router, fips, vms


def test_outside_host_reaches_the_vm_of_the_gateway_pod(dataplane,
                                                        north_south):
    _router, fips, _vms = north_south
    dataplane.reaches('north-south, DNAT in the gateway pod', 'ns-outside',
                      fips['Pod2'].floating_ip_address)


def test_outside_host_reaches_the_vm_of_the_other_pod(dataplane,
                                                      north_south):
    _router, fips, _vms = north_south
    dataplane.reaches('north-south, DNAT across pods', 'ns-outside',
                      fips['Pod1'].floating_ip_address)


def test_vms_reach_the_outside_host(dataplane, north_south):
    for vm in ('ns-vm1', 'ns-vm2'):
        dataplane.reaches('north-south, SNAT', vm, OUTSIDE)
