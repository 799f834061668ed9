"""Security groups across pods (issue #6): made and edited on central,
copied (same group and rule ids) to the pods whose ports use them, and kept
in sync by XJob's ``seg_rule_setup`` jobs; a remote-group rule also stands
for the group's members in the other pod as IP rules.

A tenant works on central and creates its VM ports through each pod's own
Neutron; each pod's Neutron is then read directly.
"""

import openstack.exceptions as os_exc
import pytest

from tests.conftest import run_tricircle
from tests.network.helpers import wait_jobs

TENANT = 'sg-tenant'
EXPANDED = 'tricircle:'


@pytest.fixture(scope='module')
def tenant(cloud):
    return cloud.tenant(TENANT).network


@pytest.fixture(scope='module')
def sg(cloud, tenant):
    """ssh, icmp, and every member of the group itself, inbound."""
    group = tenant.create_security_group(name='web', description='sg test')
    tenant.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ether_type='IPv4',
        protocol='tcp', port_range_min=22, port_range_max=22,
        remote_ip_prefix='0.0.0.0/0')
    tenant.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ether_type='IPv4',
        protocol='icmp')
    tenant.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ether_type='IPv4',
        remote_group_id=group.id)
    return group


def pod_networks(tenant, prefix, octet):
    """``{region: network id}``: a network hinted to each pod, with a
    subnet 10.<octet>.<n>.0/24."""
    nets = {}
    for n, region in enumerate(('Pod1', 'Pod2'), 1):
        net = tenant.create_network(name=prefix + region,
                                    availability_zone_hints=['az%d' % n])
        tenant.create_subnet(network_id=net.id, ip_version=4,
                             cidr='10.%d.%d.0/24' % (octet, n))
        nets[region] = net.id
    return nets


@pytest.fixture(scope='module')
def ports(cloud, tenant, sg):
    """``{region: port}``: a VM port in each pod, using the group."""
    made = {}
    for region, net_id in pod_networks(tenant, 'sg-', 30).items():
        made[region] = cloud.tenant(TENANT, region).network.create_port(
            network_id=net_id, name='vm-' + region,
            security_group_ids=[sg.id])
    wait_jobs(cloud, sg.id)
    return made


def central_rules(cloud, sg_id):
    return {r['id']: r for r in
            cloud.central.network.get_security_group(sg_id)
            .security_group_rules}


def pod_rules(cloud, region, sg_id):
    """(copied rules by id, {(description, address)} of the remote members
    that the pod's rules standing for remote-group rules name through
    their address groups)."""
    pod = cloud.pods[region].network
    group = pod.get_security_group(sg_id)
    copied, expanded = {}, set()
    for rule in group.security_group_rules:
        if (rule['description'] or '').startswith(EXPANDED):
            addresses = pod.get_address_group(
                rule['remote_address_group_id'])
            assert addresses.name == rule['description']
            assert addresses.description == sg_id
            expanded |= {(rule['description'], address)
                         for address in addresses.addresses}
        else:
            copied[rule['id']] = rule
    return copied, expanded


def _audit(cloud):
    return run_tricircle('audit', '--dir', cloud.state['dir'], '--project',
                         TENANT)


def _rows(result, sg_id):
    """(pod, kind, resource, problem) of the audit's rows about group
    ``sg_id`` (its rules' and address groups' rows name it)."""
    return {tuple(line.split()[:4]) for line in result.stdout.splitlines()
            if sg_id in line and line.split()[:1] in (['Pod1'], ['Pod2'])}


def address_groups(cloud, region, sg_id):
    return list(cloud.pods[region].network.address_groups(description=sg_id))


def remote_rule(cloud, sg_id):
    return next(r for r in central_rules(cloud, sg_id).values()
                if r['remote_group_id'] == sg_id)


def assert_in_sync(cloud, sg_id, ports):
    """Each pod: central's rules, same ids and match; and the other pod's
    member as an IP rule of the remote-group rule."""
    top = central_rules(cloud, sg_id)
    remote = remote_rule(cloud, sg_id)
    keys = ('direction', 'ethertype', 'protocol', 'port_range_min',
            'port_range_max', 'remote_ip_prefix', 'remote_group_id',
            'description')
    for region, other in (('Pod1', 'Pod2'), ('Pod2', 'Pod1')):
        copied, expanded = pod_rules(cloud, region, sg_id)
        assert sorted(copied) == sorted(top), region
        for rule_id, rule in top.items():
            assert {k: copied[rule_id][k] for k in keys} == \
                {k: rule[k] for k in keys}, (region, rule_id)
        other_ip = ports[other].fixed_ips[0]['ip_address']
        assert expanded == {(EXPANDED + remote['id'], other_ip + '/32')}, \
            region


def test_group_and_rules_follow_the_ports(cloud, sg, ports):
    for region, port in ports.items():
        local = cloud.pods[region].network.get_port(port.id)
        assert local.security_group_ids == [sg.id]
        copy = cloud.pods[region].network.get_security_group(sg.id)
        assert (copy.name, copy.description, copy.project_id) == (
            'web', 'sg test', TENANT)
    assert_in_sync(cloud, sg.id, ports)
    assert sorted(r['pod_id'] for r in cloud.routings(
        top_id=sg.id, resource_type='security_group')) == sorted(
        cloud.pod_ids.values())
    # A port without groups has the project's default group, central's.
    default = next(cloud.central.network.security_groups(
        project_id=TENANT, name='default'))
    top = cloud.central.network.get_port(ports['Pod1'].id)
    assert top.security_group_ids == [sg.id]
    plain = cloud.tenant(TENANT, 'Pod1').network.create_port(
        network_id=ports['Pod1'].network_id, name='plain')
    try:
        assert plain.security_group_ids == [default.id]
        assert cloud.central.network.get_port(
            plain.id).security_group_ids == [default.id]
        assert [g.id for g in cloud.pods['Pod1'].network.security_groups(
            project_id=TENANT, name='default')] == [default.id]
    finally:
        cloud.pods['Pod1'].network.delete_port(plain.id)


def test_rule_added_and_removed_everywhere(cloud, tenant, sg, ports):
    rule = tenant.create_security_group_rule(
        security_group_id=sg.id, direction='ingress', ether_type='IPv4',
        protocol='tcp', port_range_min=80, port_range_max=81)
    wait_jobs(cloud, sg.id)
    for region in ports:
        assert rule.id in pod_rules(cloud, region, sg.id)[0], region
    assert_in_sync(cloud, sg.id, ports)

    tenant.delete_security_group_rule(rule.id)
    wait_jobs(cloud, sg.id)
    assert rule.id not in central_rules(cloud, sg.id)
    for region in ports:
        assert rule.id not in pod_rules(cloud, region, sg.id)[0], region
    assert_in_sync(cloud, sg.id, ports)


@pytest.mark.parametrize('bad', [
    {'protocol': 'bogus'},
    {'protocol': 'tcp', 'port_range_min': 90, 'port_range_max': 80},
    {'protocol': 'udp', 'port_range_min': 70000, 'port_range_max': 70000},
])
def test_bad_rule_refused_on_central(cloud, tenant, sg, ports, bad):
    before = {region: pod_rules(cloud, region, sg.id) for region in ports}
    with pytest.raises(os_exc.BadRequestException):
        tenant.create_security_group_rule(
            security_group_id=sg.id, direction='ingress', ether_type='IPv4',
            **bad)
    assert {region: pod_rules(cloud, region, sg.id)
            for region in ports} == before
    assert_in_sync(cloud, sg.id, ports)


def test_duplicate_rules_refused_as_neutron_does(cloud, tenant, sg, ports):
    """Both sides check a new rule against the group's rules by column
    (``sg_lookups``); Neutron's answers stand: the same match again is
    409 with the rule's id, whether written alike or not (``6`` for
    ``tcp``, a bare address for its /32), and nothing of a refused bulk
    is left (twice in one bulk: the plugins create a bulk item by item,
    so the second is refused as the first's duplicate, 409, and the
    first undone)."""
    made = tenant.create_security_group_rule(
        security_group_id=sg.id, direction='ingress', ether_type='IPv4',
        protocol='tcp', port_range_min=8080, port_range_max=8080,
        remote_ip_prefix='192.0.2.7/32')
    for again in ({'protocol': 'tcp', 'remote_ip_prefix': '192.0.2.7/32'},
                  {'protocol': '6', 'remote_ip_prefix': '192.0.2.7'}):
        with pytest.raises(os_exc.ConflictException) as err:
            tenant.create_security_group_rule(
                security_group_id=sg.id, direction='ingress',
                ether_type='IPv4', port_range_min=8080, port_range_max=8080,
                **again)
        assert made.id in str(err.value)
    rule = dict(security_group_id=sg.id, direction='egress',
                ether_type='IPv4', protocol='udp', port_range_min=53,
                port_range_max=53)
    before = set(central_rules(cloud, sg.id))
    with pytest.raises(os_exc.ConflictException):
        list(tenant.create_security_group_rules([rule, dict(rule)]))
    assert set(central_rules(cloud, sg.id)) == before
    # The same check in a pod, on its copy of the group.
    pod = cloud.pods['Pod1'].network
    copied = pod_rules(cloud, 'Pod1', sg.id)[0]
    wait_jobs(cloud, sg.id)
    assert made.id in pod_rules(cloud, 'Pod1', sg.id)[0]
    with pytest.raises(os_exc.ConflictException):
        pod.create_security_group_rule(
            security_group_id=sg.id, direction='ingress', ether_type='IPv4',
            protocol='tcp', port_range_min=8080, port_range_max=8080,
            remote_ip_prefix='192.0.2.7/32', description='local try')
    assert set(pod_rules(cloud, 'Pod1', sg.id)[0]) <= set(copied) | {made.id}
    tenant.delete_security_group_rule(made.id)
    wait_jobs(cloud, sg.id)
    assert_in_sync(cloud, sg.id, ports)


def test_admin_redo_restores_a_pod(cloud, sg, ports):
    """Rules changed behind Tricircle's back in a pod come back as central
    has them when an admin queues the group's job by hand."""
    pod = cloud.pods['Pod1'].network
    ssh = next(r for r in central_rules(cloud, sg.id).values()
               if r['port_range_min'] == 22)
    pod.delete_security_group_rule(ssh['id'])
    copied, expanded = pod_rules(cloud, 'Pod1', sg.id)
    [(_desc, prefix)] = expanded
    [members] = address_groups(cloud, 'Pod1', sg.id)
    pod.remove_addresses_from_address_group(members, [prefix])
    pod.add_addresses_to_address_group(members, ['198.51.100.9/32'])
    # A rule of the tenant's own, made in the pod.
    local = pod.create_security_group_rule(
        security_group_id=sg.id, direction='ingress', ether_type='IPv4',
        protocol='udp', port_range_min=53, port_range_max=53,
        project_id=TENANT)
    assert ssh['id'] not in pod_rules(cloud, 'Pod1', sg.id)[0]
    # The audit sees each change: a rule gone, one added, the members
    # changed.
    found = _audit(cloud)
    assert found.returncode == 1, found.stdout + found.stderr
    assert _rows(found, sg.id) == {
        ('Pod1', 'sg_rule', ssh['id'], 'missing'),
        ('Pod1', 'sg_rule', local.id, 'extra'),
        ('Pod1', 'address_group', members.id, 'different')}, found.stdout
    assert prefix in found.stdout and '198.51.100.9/32' in found.stdout

    resp = cloud.admin.post('/v1.0/jobs', json={'job': {
        'type': 'seg_rule_setup', 'resource_id': sg.id}})
    assert resp.status_code in (200, 201, 202), resp.text
    wait_jobs(cloud, sg.id)
    assert_in_sync(cloud, sg.id, ports)
    assert ssh['id'] in pod_rules(cloud, 'Pod1', sg.id)[0]
    assert _rows(_audit(cloud), sg.id) == set()


def test_port_update_changes_groups_through_central(
        cloud, tenant, sg, ports):
    """A pod port given another group: central first, the group copied."""
    other = tenant.create_security_group(name='db')
    tenant.create_security_group_rule(
        security_group_id=other.id, direction='ingress', ether_type='IPv4',
        protocol='tcp', port_range_min=5432, port_range_max=5432)
    pod = cloud.tenant(TENANT, 'Pod1').network
    port_id = ports['Pod1'].id
    pod.update_port(port_id, security_group_ids=[sg.id, other.id])
    assert sorted(cloud.central.network.get_port(
        port_id).security_group_ids) == sorted([sg.id, other.id])
    assert sorted(pod_rules(cloud, 'Pod1', other.id)[0]) == sorted(
        central_rules(cloud, other.id))
    pod.update_port(port_id, security_group_ids=[sg.id])
    assert cloud.central.network.get_port(port_id).security_group_ids == [
        sg.id]
    wait_jobs(cloud, sg.id)
    assert_in_sync(cloud, sg.id, ports)


def test_member_leaving_and_group_deleted(cloud, tenant, sg, ports):
    """Pod2's port goes: Pod1 no longer lists its IP. Then the group,
    deleted on central, leaves both pods."""
    cloud.pods['Pod2'].network.delete_port(ports['Pod2'].id)
    wait_jobs(cloud, sg.id)
    assert pod_rules(cloud, 'Pod1', sg.id)[1] == set()
    assert sorted(pod_rules(cloud, 'Pod1', sg.id)[0]) == sorted(
        central_rules(cloud, sg.id))

    cloud.pods['Pod1'].network.delete_port(ports['Pod1'].id)
    tenant.delete_security_group(sg.id)
    wait_jobs(cloud, sg.id)
    for region in ports:
        with pytest.raises(os_exc.NotFoundException):
            cloud.pods[region].network.get_security_group(sg.id)
    assert cloud.routings(top_id=sg.id, resource_type='security_group') == []
    for region in ports:
        assert address_groups(cloud, region, sg.id) == [], region


def _jobs(cloud, resource_id):
    return cloud.admin.get('/v1.0/jobs?resource_id=%s'
                           % resource_id).json()['jobs']


def _expanded_ips(cloud, region, sg_id):
    return {prefix.split('/')[0]
            for _desc, prefix in pod_rules(cloud, region, sg_id)[1]}


def test_members_reach_only_the_other_pods(cloud, tenant):
    """Central records a pod's port's routing itself, so it knows the
    member's pod: a member of a group only its own pod holds queues no
    job (the pod resolves its own members); once another pod holds the
    group, a new member reaches that pod as an IP rule and never becomes
    one in its own pod, and its delete removes it there."""
    group = tenant.create_security_group(name='members')
    tenant.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ether_type='IPv4',
        remote_group_id=group.id)
    nets = pod_networks(tenant, 'members-', 31)

    def member(region):
        port = cloud.tenant(TENANT, region).network.create_port(
            network_id=nets[region], security_group_ids=[group.id])
        # Recorded by central before it answered the pod.
        assert [r['pod_id'] for r in cloud.routings(
            top_id=port.id, resource_type='port')] == [cloud.pod_ids[region]]
        return port

    first = member('Pod1')
    wait_jobs(cloud, group.id)  # the first copy's own job
    before = len(_jobs(cloud, group.id))
    second = member('Pod1')
    assert len(_jobs(cloud, group.id)) == before

    third = member('Pod2')
    wait_jobs(cloud, group.id)
    ip = {p.id: p.fixed_ips[0]['ip_address'] for p in (first, second, third)}
    assert _expanded_ips(cloud, 'Pod2', group.id) == {ip[first.id],
                                                      ip[second.id]}
    assert _expanded_ips(cloud, 'Pod1', group.id) == {ip[third.id]}

    before = len(_jobs(cloud, group.id))
    fourth = member('Pod1')
    assert len(_jobs(cloud, group.id)) > before
    wait_jobs(cloud, group.id)
    assert _expanded_ips(cloud, 'Pod2', group.id) == {
        ip[first.id], ip[second.id], fourth.fixed_ips[0]['ip_address']}
    assert _expanded_ips(cloud, 'Pod1', group.id) == {ip[third.id]}

    cloud.tenant(TENANT, 'Pod1').network.delete_port(fourth.id)
    assert cloud.routings(top_id=fourth.id, resource_type='port') == []
    wait_jobs(cloud, group.id)
    assert _expanded_ips(cloud, 'Pod2', group.id) == {ip[first.id],
                                                      ip[second.id]}
    for region, port in (('Pod1', first), ('Pod1', second),
                         ('Pod2', third)):
        cloud.tenant(TENANT, region).network.delete_port(port.id)


def test_a_tenant_cannot_name_a_pod(cloud, tenant):
    """Only the pods (admin) name themselves to central: a tenant's port
    made on central with the header is routed nowhere."""
    net = tenant.create_network(name='no-origin')
    resp = tenant.post('/ports', json={'port': {'network_id': net.id}},
                       headers={'X-Tricircle-Pod': 'Pod1'})
    assert resp.status_code == 201, resp.text
    port_id = resp.json()['port']['id']
    assert 'X-Tricircle-Routed' not in resp.headers
    assert cloud.routings(top_id=port_id) == []
    tenant.delete_port(port_id)
    tenant.delete_network(net.id)


def test_copies_whose_routing_was_lost_still_follow(cloud, tenant):
    """A pod that copied a group before it was registered holds a copy with
    no routing (the data-plane sandbox's default group, in a CI run): a
    new member still reaches the other pod, and the job records both
    copies again."""
    group = tenant.create_security_group(name='unrouted')
    tenant.create_security_group_rule(
        security_group_id=group.id, direction='ingress', ether_type='IPv4',
        remote_group_id=group.id)
    nets = pod_networks(tenant, 'unrouted-', 32)
    made = {region: cloud.tenant(TENANT, region).network.create_port(
        network_id=nets[region], security_group_ids=[group.id])
        for region in ('Pod1', 'Pod2')}
    wait_jobs(cloud, group.id)
    for routing in cloud.routings(top_id=group.id,
                                  resource_type='security_group'):
        cloud.admin.delete('/v1.0/routings/%d' % routing['id'])

    late = cloud.tenant(TENANT, 'Pod1').network.create_port(
        network_id=nets['Pod1'], security_group_ids=[group.id])
    wait_jobs(cloud, group.id)
    assert _expanded_ips(cloud, 'Pod2', group.id) == {
        p.fixed_ips[0]['ip_address'] for p in (made['Pod1'], late)}
    assert sorted(r['pod_id'] for r in cloud.routings(
        top_id=group.id, resource_type='security_group')) == sorted(
        cloud.pod_ids.values())
    for port in list(made.values()) + [late]:
        region = 'Pod2' if port is made['Pod2'] else 'Pod1'
        cloud.tenant(TENANT, region).network.delete_port(port.id)


def test_a_ports_groups_are_checked_as_neutron_does(cloud, tenant):
    """Another project's group is not found, unless shared with the
    project; stateful and stateless groups do not mix on a port; a port
    naming none gets the project's default group. On central and through
    a pod alike (the plugins read groups by column, tricircle.network.
    sg_lookups)."""
    owner = cloud.tenant('sg-owner').network
    private = owner.create_security_group(name='private')
    shared = owner.create_security_group(name='shared')
    # Shared with every project: only an admin may (ids here are no UUIDs).
    cloud.central.network.create_rbac_policy(
        object_type='security_group', object_id=shared.id,
        action='access_as_shared', target_project_id='*')
    stateless = tenant.create_security_group(name='stateless',
                                             stateful=False)
    default = next(tenant.security_groups(name='default'))
    nets = pod_networks(tenant, 'checked-', 33)
    made = []
    for region, conn in ((None, tenant),
                         ('Pod1', cloud.tenant(TENANT, 'Pod1').network)):
        net_id = nets[region or 'Pod2']
        with pytest.raises(os_exc.NotFoundException) as refused:
            conn.create_port(network_id=net_id,
                             security_group_ids=[private.id])
        assert private.id in str(refused.value)
        with pytest.raises(os_exc.ConflictException):
            conn.create_port(network_id=net_id,
                             security_group_ids=[default.id, stateless.id])
        port = conn.create_port(network_id=net_id,
                                security_group_ids=[shared.id])
        assert port.security_group_ids == [shared.id]
        bare = conn.create_port(network_id=net_id)
        assert bare.security_group_ids == [default.id]
        made += [(conn, port), (conn, bare)]
    # No half-made port was left on central by the refusals.
    assert sorted(p.id for p in tenant.ports(device_owner='')
                  if p.network_id in nets.values()) == sorted(
                      p.id for _conn, p in made)
    for conn, port in made:
        conn.delete_port(port.id)


def test_an_admin_lists_a_groups_members_by_column(cloud, tenant):
    """XJob's list of a group's members on central (admin, a group filter,
    only columns asked for) is read by column: the answer is Neutron's,
    ports with two addresses or none included."""
    group = tenant.create_security_group(name='listed')
    net = tenant.create_network(name='listed')
    subnets = [tenant.create_subnet(network_id=net.id, ip_version=4,
                                    cidr='10.33.%d.0/24' % n)
               for n in (1, 2)]
    bare = tenant.create_network(name='listed-bare')
    made = [tenant.create_port(network_id=net.id, name='two',
                               security_group_ids=[group.id],
                               fixed_ips=[{'subnet_id': s.id}
                                          for s in subnets]),
            tenant.create_port(network_id=bare.id, name='none',
                               security_group_ids=[group.id]),
            tenant.create_port(network_id=net.id, name='other')]
    central = cloud.central.network
    fields = ['id', 'fixed_ips', 'name', 'network_id']
    resp = central.get('/ports', params={'security_groups': group.id,
                                         'fields': fields})
    assert resp.status_code == 200, resp.text
    listed = {p['id']: p for p in resp.json()['ports']}
    whole = {p.id: p for p in central.ports(security_groups=group.id)}
    assert sorted(listed) == sorted(whole) == sorted(p.id for p in made[:2])
    for port_id, port in listed.items():
        assert set(port) == set(fields)
        assert (port['name'], port['network_id']) == (
            whole[port_id].name, whole[port_id].network_id)
        assert sorted(port['fixed_ips'], key=str) == sorted(
            whole[port_id].fixed_ips, key=str)
    assert len(listed[made[0].id]['fixed_ips']) == 2
    assert listed[made[1].id]['fixed_ips'] == []
    # A trunk's parent is detailed as Neutron does.
    trunk = tenant.create_trunk(port_id=made[0].id)
    resp = central.get('/ports', params={'security_groups': group.id,
                                         'fields': ['id', 'trunk_details']})
    details = {p['id']: p.get('trunk_details') for p in resp.json()['ports']}
    assert details[made[0].id]['trunk_id'] == trunk.id
    tenant.delete_trunk(trunk)
    for port in made:
        tenant.delete_port(port.id)
