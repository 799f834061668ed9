"""Servers booted through a pod's own Nova on networks made on central
(issue #14), as the seeds' ``nova boot --nic net-id=... --availability-zone
az1`` does: Nova asks the pod's Neutron for the network and a port, binds
the port to its compute host, and deletes it with the server; central must
see every step.
"""

import time
import uuid

import openstack.exceptions as os_exc
import pytest

from tests.compute.conftest import eventually
from tests.compute.conftest import wait_active
from tests.compute.conftest import wait_gone

REGION = 'Pod1'
AZ = 'az1'


def _project():
    return 'proj-' + uuid.uuid4().hex[:12]


def _central_net(compute, project, cidr):
    """A tenant's network and subnet made on central, hinted to az1."""
    tenant = compute.tenant_central(project)
    net = tenant.network.create_network(name='vm-net-' + project,
                                        availability_zone_hints=[AZ])
    subnet = tenant.network.create_subnet(network_id=net.id, cidr=cidr,
                                          ip_version=4)
    return tenant, net, subnet


def _boot(compute, project, **nic):
    nova = compute.nova(REGION, project)
    started = time.monotonic()
    server = nova.compute.create_server(
        name='vm-' + project, flavor_id=compute.flavor_id,
        image_id=compute.image_id, networks=[nic], availability_zone=AZ)
    server = wait_active(nova, server)
    print('\nserver %s ACTIVE %.1fs after the POST'
          % (server.id, time.monotonic() - started))
    return nova, server


def _assert_twins(compute, server, host):
    """The server's one port: in Pod1 and on central with one id, MAC and
    IPs; central has Nova's device_id, device_owner and host binding."""
    bottom = list(compute.pods[REGION].network.ports(device_id=server.id))
    assert len(bottom) == 1, bottom
    bottom = bottom[0]
    top = compute.central.network.get_port(bottom.id)
    assert (top.mac_address, top.fixed_ips) == (bottom.mac_address,
                                                bottom.fixed_ips)
    assert top.device_id == server.id
    assert top.device_owner.startswith('compute:'), top.device_owner
    assert top.binding_host_id == host == bottom.binding_host_id
    assert bottom.binding_vif_type not in ('unbound', 'binding_failed')
    addresses = [a['addr'] for nets in server.addresses.values()
                 for a in nets]
    assert addresses == [ip['ip_address'] for ip in top.fixed_ips]
    return top


def _assert_host(compute, server):
    admin = compute.admin_nova(REGION).compute.get_server(server.id)
    host = compute.regions[REGION]['compute_host']
    assert admin.compute_host == host
    assert admin.availability_zone == AZ
    return host


def test_pods_run_nova_in_their_az(compute):
    """Each pod's Nova has its one compute host in the pod's AZ, the
    shared image and flavor 1."""
    for region, pod in compute.regions.items():
        nova = compute.admin_nova(region)
        zones = {z.name: z for z in nova.compute.availability_zones(
            details=True)}
        assert pod['az_name'] in zones, zones
        assert pod['compute_host'] in zones[pod['az_name']].hosts
        assert nova.compute.get_flavor(compute.flavor_id).ram == 64
        assert nova.compute.get_image(compute.image_id).status == 'ACTIVE'


def test_boot_on_network_the_pod_holds(compute):
    """The sandbox's compute path: a network Pod1 materialised already
    (a port made through Pod1 first)."""
    project = _project()
    _tenant, net, _subnet = _central_net(compute, project, '10.31.0.0/24')
    seed = compute.pods[REGION].network.create_port(network_id=net.id,
                                                    project_id=project)
    compute.pods[REGION].network.delete_port(seed)
    nova, server = _boot(compute, project, uuid=net.id)
    host = _assert_host(compute, server)
    top = _assert_twins(compute, server, host)
    wait_gone(nova, server)
    assert list(compute.pods[REGION].network.ports(device_id=server.id)) \
        == []
    with pytest.raises(os_exc.NotFoundException):
        compute.central.network.get_port(top.id)


def test_boot_with_port_made_through_the_pod(compute):
    """``--nic port-id=PORT`` with PORT made through Pod1's Neutron (so on
    central too): Nova binds it and, as it did not make it, only unbinds
    it when the server goes."""
    project = _project()
    _tenant, net, _subnet = _central_net(compute, project, '10.34.0.0/24')
    port = compute.pods[REGION].network.create_port(network_id=net.id,
                                                    project_id=project)
    nova, server = _boot(compute, project, port=port.id)
    host = _assert_host(compute, server)
    top = _assert_twins(compute, server, host)
    assert (top.id, top.mac_address) == (port.id, port.mac_address)
    wait_gone(nova, server)
    eventually(lambda: compute.central.network.get_port(
        port.id).binding_host_id == '', 'central port %s unbound' % port.id)
    compute.pods[REGION].network.delete_port(port)
    with pytest.raises(os_exc.NotFoundException):
        compute.central.network.get_port(port.id)


def test_boot_on_central_network_new_to_the_pod(compute):
    """``--nic net-id=NET`` where NET was made on central and Pod1 has
    never seen it: Pod1 pulls it when Nova asks."""
    project = _project()
    _tenant, net, subnet = _central_net(compute, project, '10.32.0.0/24')
    # (An unfiltered list: one naming the id would pull it, as Nova's does.)
    assert net.id not in [n.id for n in
                          compute.pods[REGION].network.networks()]
    nova, server = _boot(compute, project, uuid=net.id)
    host = _assert_host(compute, server)
    top = _assert_twins(compute, server, host)
    assert top.fixed_ips[0]['subnet_id'] == subnet.id
    assert compute.pods[REGION].network.get_network(net.id).id == net.id

    wait_gone(nova, server)
    assert list(compute.pods[REGION].network.ports(device_id=server.id)) \
        == []
    with pytest.raises(os_exc.NotFoundException):
        compute.central.network.get_port(top.id)


def test_boot_with_port_made_on_central(compute):
    """``--nic port-id=PORT`` with PORT made on central: Pod1 takes it
    with its id, IP and MAC; deleting the server unbinds it (Nova keeps
    ports it did not make) and central sees that too."""
    project = _project()
    tenant, net, _subnet = _central_net(compute, project, '10.33.0.0/24')
    port = tenant.network.create_port(network_id=net.id, name='vm-port')
    nova, server = _boot(compute, project, port=port.id)
    host = _assert_host(compute, server)
    top = _assert_twins(compute, server, host)
    assert (top.id, top.mac_address, top.fixed_ips) == (
        port.id, port.mac_address, port.fixed_ips)

    wait_gone(nova, server)
    eventually(lambda: (compute.central.network.get_port(port.id).device_id,
                        compute.central.network.get_port(
                             port.id).binding_host_id) == ('', ''),
               'central port %s unbound' % port.id)
    # Central's delete reaches the pod (through XJob).
    tenant.network.delete_port(port)
    eventually(lambda: port.id not in [
        p.id for p in compute.pods[REGION].network.ports(
            network_id=net.id)], 'port %s gone from %s' % (port.id, REGION))
