"""Seed 004 with real servers (issues #14, #15): two networks in two pods,
a VM booted on each through the API gateway (CentralRegion's Nova, by
availability zone, as the seed boots them), one central router joining
them with a gateway on an external network and a floating IP per VM;
the servers ping each other and an outside host pings their floating
IPs (issue #19: the compute sandbox runs the data plane, and Nova's
servers are namespaces on the pods' integration bridges); then everything
deleted, leaving nothing in the Novas, the pods or central."""

import uuid

from tests.compute.conftest import eventually
from tests.compute.conftest import wait_active
from tests.dataplane.plane import DataPlane
from tests.network.helpers import bottom
from tests.network.helpers import central_bridge
from tests.network.helpers import make_external
from tests.network.helpers import wait_jobs

PLAN = (('Pod1', 'az1', '10.41.1.0/24'), ('Pod2', 'az2', '10.41.2.0/24'))


def test_seed_004_with_real_servers(compute, request):
    project = 'proj-' + uuid.uuid4().hex[:12]
    tenant = compute.tenant_central(project).network
    ext, _ext_subnet = make_external(compute, 'ext-' + project,
                                     '163.3.141.0/24')
    vms = {}
    for region, az, cidr in PLAN:
        net = tenant.create_network(name='net-' + az,
                                    availability_zone_hints=[az])
        subnet = tenant.create_subnet(network_id=net.id, cidr=cidr,
                                      ip_version=4)
        nova = compute.gateway(project)
        server = nova.compute.create_server(
            name='vm-' + az, flavor_id=compute.flavor_id,
            image_id=compute.image_id, networks=[{'uuid': net.id}],
            availability_zone=az)
        vms[region] = (nova, server, net, subnet)
    router = tenant.create_router(name='router-' + project)
    for _nova, _server, _net, subnet in vms.values():
        tenant.add_interface_to_router(router, subnet_id=subnet.id)
    tenant.update_router(router, external_gateway_info={
        'network_id': ext.id})
    fips = {}
    for region, (nova, server, net, _subnet) in vms.items():
        server = wait_active(nova, server)
        # The gateway placed it in the pod of its zone.
        assert compute.admin_nova(region).compute.find_server(
            server.id, ignore_missing=True, all_projects=True) is not None
        (port,) = tenant.ports(device_id=server.id)
        fips[region] = tenant.create_ip(floating_network_id=ext.id,
                                        port_id=port.id)
    wait_jobs(compute, router.id)

    for region, (_nova, server, net, subnet) in vms.items():
        other = vms['Pod2' if region == 'Pod1' else 'Pod1'][3]
        piece, ifaces = bottom(compute, region, router.id)
        assert ifaces[subnet.id] == subnet.gateway_ip
        assert other.cidr in {r['destination'] for r in piece.routes}
    gateway_piece = bottom(compute, 'Pod2', router.id)[0]
    assert gateway_piece.external_gateway_info['network_id'] == ext.id
    mapped = {f.floating_ip_address for f in
              compute.pods['Pod2'].network.ips(floating_network_id=ext.id)}
    assert {f.floating_ip_address for f in fips.values()} <= mapped
    _packets(compute, request.node, tenant, project, vms, fips, ext)

    for fip in fips.values():
        tenant.delete_ip(fip)
    for nova, server, _net, _subnet in vms.values():
        nova.compute.delete_server(server)
    for nova, server, _net, _subnet in vms.values():
        nova.compute.wait_for_delete(server, interval=0.3, wait=120)
    tenant.update_router(router, external_gateway_info={})
    for _nova, _server, _net, subnet in vms.values():
        tenant.remove_interface_from_router(router, subnet_id=subnet.id)
    tenant.delete_router(router)
    wait_jobs(compute, router.id)
    for _nova, _server, net, _subnet in vms.values():
        tenant.delete_network(net)
    compute.central.network.delete_network(ext)

    for region, (_nova, _server, net, _subnet) in vms.items():
        assert list(compute.nova(region, project).compute.servers()) == []
        assert bottom(compute, region, router.id) is None
    assert central_bridge(compute, project) == (None, None)
    assert list(tenant.ports()) == []
    assert [n for n in tenant.networks() if n.project_id == project] == []
    for region in ('Pod1', 'Pod2'):
        # Central's network deletes reach the pods through XJob.
        eventually(lambda: _left_in(compute, region, project) == ([], []),
                   'nothing of %s left in %s (%s)' % (
                        project, region, _left_in(compute, region, project)))


def _packets(compute, node, tenant, project, vms, fips, ext):
    """"The two virtual machines should be able to communicate with each
    other" (seed 004), and the outside reaches them by floating IP once
    the tenant lets ICMP in."""
    plane = DataPlane(compute.state)
    plane.node = node
    default = next(iter(tenant.security_groups(name='default',
                                               project_id=project)))
    tenant.create_security_group_rule(
        security_group_id=default.id, direction='ingress', ethertype='IPv4',
        protocol='icmp', remote_ip_prefix='0.0.0.0/0')
    address = {region: next(iter(tenant.ports(device_id=server.id)))
               .fixed_ips[0]['ip_address']
               for region, (_nova, server, _net, _subnet) in vms.items()}
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        plane.reaches('seed 004, Nova servers', vms[region][1].id,
                      address[other])
    outside = 'outside-' + project[-6:]
    plane.outside(outside, 'extern', ext.provider_segmentation_id,
                  '163.3.141.1/24')
    try:
        for fip in fips.values():
            plane.reaches('seed 004, floating IPs', outside,
                          fip.floating_ip_address)
    finally:
        plane.delete_vm(outside)


def _left_in(compute, region, project):
    pod = compute.pods[region].network
    return ([p.id for p in pod.ports() if p.project_id == project],
            [n.id for n in pod.networks() if n.project_id == project])
