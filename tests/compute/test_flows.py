"""Servers of the seeds' walkthroughs through the pods' own Novas (issue
#14): many at once over two pods, several NICs, VxLAN shadows that follow
the binding nova-compute made, and boots that meet a fault (central down,
the pod's nova-compute restarted)."""

import collections
import concurrent.futures
import uuid


from tests import conftest as base
from tests.compute.conftest import BOOT_TIMEOUT
from tests.compute.conftest import eventually
from tests.compute.conftest import wait_active
from tests.compute.conftest import wait_gone

SHADOW = 'network:tricircle_shadow'


def _project():
    return 'proj-' + uuid.uuid4().hex[:12]


def _network(compute, project, cidr, hints):
    tenant = compute.tenant_central(project)
    net = tenant.network.create_network(name='net-' + cidr,
                                        availability_zone_hints=hints)
    subnet = tenant.network.create_subnet(network_id=net.id, cidr=cidr,
                                          ip_version=4)
    return net, subnet


def _boot(compute, region, project, name, nics):
    nova = compute.nova(region, project)
    server = nova.compute.create_server(
        name=name, flavor_id=compute.flavor_id, image_id=compute.image_id,
        networks=nics, availability_zone=compute.regions[region]['az_name'])
    return nova, server


def _vm_ports(conn, **filters):
    return [p for p in conn.network.ports(**filters)
            if p.device_owner.startswith('compute:')]


def _shadows(compute, region, net_id):
    return {p.id: p for p in compute.pods[region].network.ports(
        network_id=net_id, device_owner=SHADOW)}


def _sandbox(compute, verb, server):
    done = base.run_tricircle('sandbox', verb, '--dir',
                              compute.state['dir'], server)
    assert done.returncode == 0, done.stderr


def test_ten_servers_at_once_over_two_pods(compute):
    """Ten boots in parallel through both pods' Novas on one VxLAN network:
    every one ACTIVE, no IP or MAC twice, each port bound by its pod's
    compute host, and the other pod holding its shadow bound there too."""
    project = _project()
    net, subnet = _network(compute, project, '10.35.0.0/24', ['az1', 'az2'])

    def boot(i):
        region = ('Pod1', 'Pod2')[i % 2]
        return (region,) + _boot(compute, region, project, 'vm-%d' % i,
                                 [{'uuid': net.id}])
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        made = list(pool.map(boot, range(10)))
    servers = [(region, nova, wait_active(nova, server))
               for region, nova, server in made]

    top = {p.id: p for p in _vm_ports(compute.central, network_id=net.id)}
    assert len(top) == 10
    ips = collections.Counter(ip['ip_address'] for p in top.values()
                              for ip in p.fixed_ips)
    assert max(ips.values()) == 1 and subnet.gateway_ip not in ips
    assert len({p.mac_address for p in top.values()}) == 10
    for region, _nova, server in servers:
        (port,) = _vm_ports(compute.pods[region], device_id=server.id)
        host = compute.regions[region]['compute_host']
        assert top[port.id].binding_host_id == host == port.binding_host_id
        assert (top[port.id].mac_address, top[port.id].fixed_ips) == (
            port.mac_address, port.fixed_ips)
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        theirs = {port.id: compute.regions[region]['compute_host']
                  for r, _n, s in servers if r == region
                  for port in _vm_ports(compute.pods[r], device_id=s.id)}
        # Bound as an agent's driver binds them (L2 population reads the
        # binding), and trusted: no security group in this pod. A shadow
        # is listed before its binding is done: wait for both.
        eventually(lambda: {i: (p.binding_host_id, p.binding_vif_type,
                                p.security_group_ids)
                            for i, p in _shadows(
                                compute, other, net.id).items()} ==
                   {i: (host, 'ovs', []) for i, host in theirs.items()},
                   'shadows in %s of the ports bound in %s' % (other, region))

    for _region, nova, server in servers:
        nova.compute.delete_server(server)
    for _region, nova, server in servers:
        nova.compute.wait_for_delete(server, interval=0.3,
                                     wait=BOOT_TIMEOUT)
    assert _vm_ports(compute.central, network_id=net.id) == []
    for region in ('Pod1', 'Pod2'):
        assert _vm_ports(compute.pods[region], network_id=net.id) == []
        eventually(lambda: not _shadows(compute, region, net.id),
                   'shadows gone from %s' % region)


def test_server_with_nics_on_two_networks(compute):
    """``--nic net-id=A --nic net-id=B``: A is Pod1's alone, B spans both
    pods; the server gets one port on each, in Pod1 and on central."""
    project = _project()
    only, only_subnet = _network(compute, project, '10.36.0.0/24', ['az1'])
    both, both_subnet = _network(compute, project, '10.37.0.0/24',
                                 ['az1', 'az2'])
    nova, server = _boot(compute, 'Pod1', project, 'two-nics',
                         [{'uuid': only.id}, {'uuid': both.id}])
    server = wait_active(nova, server)
    ports = _vm_ports(compute.pods['Pod1'], device_id=server.id)
    assert sorted(p.fixed_ips[0]['subnet_id'] for p in ports) == sorted(
        [only_subnet.id, both_subnet.id])
    for port in ports:
        top = compute.central.network.get_port(port.id)
        assert (top.device_id, top.binding_host_id) == (
            server.id, compute.regions['Pod1']['compute_host'])
    addresses = sorted(a['addr'] for nets in server.addresses.values()
                       for a in nets)
    assert addresses == sorted(p.fixed_ips[0]['ip_address'] for p in ports)
    wait_gone(nova, server)
    assert _vm_ports(compute.central, device_id=server.id) == []


def test_boot_while_central_is_down_fails_cleanly(compute):
    """Pod1 holds the network, central does not answer: the server goes
    ERROR with a fault naming central, and no port of it stays in Pod1
    or, once back, on central."""
    project = _project()
    net, _subnet = _network(compute, project, '10.38.0.0/24', ['az1'])
    assert [n.id for n in compute.pods['Pod1'].network.networks(
        id=net.id)] == [net.id]  # pulled now, as Nova's look-up would
    _sandbox(compute, 'stop-server', 'CentralRegion')
    try:
        nova, server = _boot(compute, 'Pod1', project, 'no-central',
                             [{'uuid': net.id}])
        server = eventually(lambda: (lambda s: s if s.status in (
            'ERROR', 'ACTIVE') else None)(nova.compute.get_server(server)),
            'server %s out of BUILD' % server.id, BOOT_TIMEOUT)
        assert server.status == 'ERROR', server
        # One host per pod, no reschedule: the fault keeps the reason.
        assert 'Central Neutron' in server.fault['message'], server.fault
        assert _vm_ports(compute.pods['Pod1'], device_id=server.id) == []
    finally:
        _sandbox(compute, 'start-server', 'CentralRegion')
    assert _vm_ports(compute.central, device_id=server.id) == []
    wait_gone(nova, server)


def _compute_up(compute, region):
    services = compute.admin_nova(region).compute.services(
        binary='nova-compute')
    return any(s.state == 'up' and s.status == 'enabled' for s in services)


def test_nova_compute_restarted_mid_boot(compute):
    """nova-compute stops while a server builds and starts again: the
    server ends ACTIVE or ERROR, never stuck, and deleting it leaves no
    port in the pod or on central."""
    project = _project()
    net, _subnet = _network(compute, project, '10.39.0.0/24', ['az1'])
    nova, server = _boot(compute, 'Pod1', project, 'restarted',
                         [{'uuid': net.id}])
    _sandbox(compute, 'stop-server', 'Pod1-nova-compute')
    _sandbox(compute, 'start-server', 'Pod1-nova-compute')
    server = eventually(lambda: (lambda s: s if s.status in (
        'ERROR', 'ACTIVE') else None)(nova.compute.get_server(server)),
        'server %s out of BUILD' % server.id, BOOT_TIMEOUT)
    wait_gone(nova, server)
    assert _vm_ports(compute.pods['Pod1'], device_id=server.id) == []
    assert _vm_ports(compute.central, device_id=server.id) == []
    # The host serves new boots again, once Nova counts it up: under load
    # its restart can outlast service_down_time, and until its next
    # heartbeat the scheduler finds "no valid host".
    eventually(lambda: _compute_up(compute, 'Pod1'),
               'Pod1-nova-compute up again', BOOT_TIMEOUT)
    nova, again = _boot(compute, 'Pod1', project, 'after-restart',
                        [{'uuid': net.id}])
    wait_gone(nova, wait_active(nova, again))
