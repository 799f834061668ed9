"""Keystone mode end to end: real Keystone, real tokens, real servers.

An admin registers pods; tenant A and tenant B (users alice and bob) each
build the two-pod L3 topology with a floating IP; each sees only its own
resources; every cross-tenant or non-admin call is refused and changes
nothing; a missing or expired token is a 401.
"""

import openstack.exceptions as os_exc
import pytest
from keystoneauth1 import session as ks_session

from tests.keystone.conftest import TENANTS

CIDRS = {'alice': ('10.31.1.0/24', '10.31.2.0/24'),
         'bob': ('10.32.1.0/24', '10.32.2.0/24')}


def test_catalog_and_clouds_yaml(ks_cloud):
    regions = {r['Region'] for r in ks_cloud.cli('admin', 'region', 'list',
                                                  '-f', 'json')}
    assert {'CentralRegion', 'Pod1', 'Pod2'} <= regions
    endpoints = ks_cloud.cli('admin', 'endpoint', 'list', '--service',
                             'network', '--interface', 'public', '-f', 'json')
    by_region = {e['Region']: e['URL'] for e in endpoints}
    state = ks_cloud.state
    assert by_region == {s['region_name']: s['neutron']
                         for s in [state['central']] + state['pods']}
    admin = ks_cloud.cli('admin', 'endpoint', 'list', '--service',
                         'tricircle', '-f', 'json')
    assert {e['URL'] for e in admin} == {state['admin_api']}
    assert ks_cloud.admin_api().get_endpoint() == state['admin_api']


def test_admin_registers_pods(ks_cloud):
    api = ks_cloud.admin_api()
    pods = {p['region_name']: p for p in api.get('/v1.0/pods').json()['pods']}
    assert set(pods) == {'CentralRegion', 'Pod1', 'Pod2'}
    assert pods['Pod1']['az_name'] == 'az1'

    resp = api.post('/v1.0/pods', raise_exc=False,
                    json={'pod': {'region_name': 'Pod9', 'az_name': 'az9'}})
    assert resp.status_code == 400, resp.text
    assert 'Pod9' in resp.json()['NeutronError']['message']
    assert len(api.get('/v1.0/pods').json()['pods']) == 3

    # A region registered in Keystone after the Admin API's service token
    # was issued is found: it reads a fresh catalog on a miss.
    identity = ks_cloud.conn().identity
    identity.create_region(id='Pod3')
    service = identity.find_service('neutron')
    endpoint = identity.create_endpoint(
        service_id=service.id, region_id='Pod3', interface='public',
        url=ks_cloud.state['pods'][0]['neutron'])
    try:
        pod = api.post('/v1.0/pods', json={'pod': {
            'region_name': 'Pod3', 'az_name': 'az3'}}).json()['pod']
        api.delete('/v1.0/pods/%s' % pod['pod_id'])
    finally:
        identity.delete_endpoint(endpoint)
        identity.delete_region('Pod3')


@pytest.mark.parametrize('method,path,body', [
    ('GET', '/v1.0/pods', None),
    ('POST', '/v1.0/pods', {'pod': {'region_name': 'Pod1', 'az_name': 'x'}}),
    ('GET', '/v1.0/routings', None),
    ('POST', '/v1.0/routings', {'routing': {
        'top_id': 't', 'bottom_id': 'b', 'pod_id': 'p',
        'resource_type': 'port'}}),
    ('GET', '/v1.0/jobs', None),
    ('POST', '/v1.0/jobs', {'job': {'type': 'noop', 'resource_id': 'x'}}),
])
def test_admin_api_refuses_tenants(ks_cloud, method, path, body):
    for user in TENANTS:
        resp = ks_cloud.admin_api(user).request(path, method, json=body,
                                                raise_exc=False)
        assert resp.status_code == 403, resp.text
        assert resp.json()['NeutronError']['type'] == 'PolicyNotAuthorized'
    assert len(ks_cloud.admin_api().get('/v1.0/pods').json()['pods']) == 3
    assert not ks_cloud.admin_api().get(
        '/v1.0/jobs?resource_id=x').json()['jobs']


def test_missing_and_expired_token_is_401(ks_cloud):
    state = ks_cloud.state
    urls = [state['central']['neutron'] + '/v2.0/networks',
            state['pods'][0]['neutron'] + '/v2.0/networks',
            state['admin_api'] + '/v1.0/pods']
    expired = ks_cloud.crafted_token('admin', -1)
    valid = ks_cloud.crafted_token('admin', 1)
    sess = ks_session.Session(timeout=30)
    for url in urls:
        for headers in ({}, {'X-Auth-Token': expired},
                        {'X-Auth-Token': 'not-a-token'}):
            resp = sess.get(url, headers=headers, authenticated=False,
                            raise_exc=False)
            assert resp.status_code == 401, (url, headers, resp.text)
        # The same token, made the same way but still valid, is accepted:
        # what the 401 above refused is the expiry.
        resp = sess.get(url, headers={'X-Auth-Token': valid},
                        authenticated=False, raise_exc=False)
        assert resp.status_code == 200, (url, resp.text)
    assert ks_cloud.cli('tenant-a', '--os-password', 'wrong', 'network',
                        'list', check=False).returncode != 0


@pytest.fixture(scope='module')
def ext_net(ks_cloud):
    net = ks_cloud.conn().network.create_network(
        name='ext-ks', is_router_external=True,
        provider_network_type='vlan', provider_physical_network='extern',
        availability_zone_hints=['Pod2'])
    ks_cloud.conn().network.create_subnet(
        network_id=net.id, cidr='163.3.130.0/24', ip_version=4,
        is_dhcp_enabled=False)
    return net


def _build(ks_cloud, user, ext_net):
    """The two-pod L3 topology of one tenant, as that tenant: a network
    per pod made on central, a VM port made through each pod's Neutron, a
    router on central (with the openstack CLI) joining both subnets, a
    gateway and a floating IP for the Pod1 VM."""
    cloud = TENANTS[user]
    central = ks_cloud.conn(user).network
    made = {'nets': [], 'subnets': [], 'ports': []}
    for i, region in enumerate(('Pod1', 'Pod2')):
        net = central.create_network(name='net%d-%s' % (i + 1, user),
                                     availability_zone_hints=['az%d' % (i + 1)])
        subnet = central.create_subnet(network_id=net.id, ip_version=4,
                                       cidr=CIDRS[user][i])
        port = ks_cloud.conn(user, region).network.create_port(
            network_id=net.id, name='vm%d-%s' % (i + 1, user))
        made['nets'].append(net.id)
        made['subnets'].append(subnet.id)
        made['ports'].append(port.id)
    router = ks_cloud.cli(cloud, 'router', 'create', 'router-' + user,
                          '-f', 'json')
    made['router'] = router['id']
    for subnet_id in made['subnets']:
        ks_cloud.cli(cloud, 'router', 'add', 'subnet', router['id'],
                     subnet_id)
    central.update_router(router['id'], external_gateway_info={
        'network_id': ext_net.id})
    fip = central.create_ip(floating_network_id=ext_net.id,
                            port_id=made['ports'][0])
    made['fip'] = fip.id
    return made


@pytest.fixture(scope='module')
def topology(ks_cloud, ext_net):
    made = {user: _build(ks_cloud, user, ext_net) for user in TENANTS}
    for user in TENANTS:
        ks_cloud.wait_jobs(made[user]['router'])
    return made


def test_each_tenant_has_its_router_in_both_pods(ks_cloud, topology):
    for user, made in topology.items():
        for region, subnet_id in zip(('Pod1', 'Pod2'), made['subnets']):
            pod = ks_cloud.conn('admin', region).network
            router = pod.get_router(made['router'])
            assert router.project_id == ks_cloud.project_id(user)
            ports = list(pod.ports(device_id=made['router'],
                                   device_owner='network:router_interface'))
            assert subnet_id in {ip['subnet_id'] for p in ports
                                 for ip in p.fixed_ips}
            assert router.routes, (user, region)
        fip = ks_cloud.conn(user).network.get_ip(made['fip'])
        assert fip.port_id == made['ports'][0]
        # XJob copied the status of the gateway pod's bottom floating IP.
        bottom = [f for f in ks_cloud.conn('admin', 'Pod2').network.ips()
                  if f.description == 'tricircle:' + made['fip']]
        assert len(bottom) == 1
        assert fip.status == bottom[0].status != 'ERROR'


def _ids(items):
    return {item.id for item in items}


def test_each_tenant_sees_only_its_own(ks_cloud, topology, ext_net):
    for user, other in (('alice', 'bob'), ('bob', 'alice')):
        mine, theirs = topology[user], topology[other]
        central = ks_cloud.conn(user).network
        nets = list(central.networks())
        project, stranger = (ks_cloud.project_id(user),
                             ks_cloud.project_id(other))
        # Tricircle's own ports on a tenant's network (made by the service
        # user) are listed to the network's owner, as Neutron does with
        # its DHCP ports; nothing of the other tenant ever is.
        assert stranger not in {n.project_id for n in nets}
        assert set(mine['nets']) <= _ids(nets)
        assert not set(theirs['nets']) & _ids(nets)
        ports = list(central.ports())
        assert stranger not in {p.project_id for p in ports}
        assert project in {p.project_id for p in ports}
        assert set(mine['ports']) <= _ids(ports)
        assert _ids(central.routers()) == {mine['router']}
        assert _ids(central.ips()) == {mine['fip']}
        for getter, key in ((central.get_network, 'nets'),
                            (central.get_port, 'ports'),
                            (central.get_subnet, 'subnets')):
            for item_id in theirs[key]:
                with pytest.raises(os_exc.NotFoundException):
                    getter(item_id)
        with pytest.raises(os_exc.NotFoundException):
            central.get_router(theirs['router'])
        with pytest.raises(os_exc.NotFoundException):
            central.get_ip(theirs['fip'])
        for region in ('Pod1', 'Pod2'):
            pod = ks_cloud.conn(user, region).network
            assert not (_ids(pod.networks()) | _ids(pod.ports())
                        | _ids(pod.routers())) & (
                set(theirs['nets']) | set(theirs['ports'])
                | {theirs['router']})
        listed = ks_cloud.cli(TENANTS[user], 'network', 'list', '-f',
                              'json')
        assert not {n['ID'] for n in listed} & set(theirs['nets'])
        listed = ks_cloud.cli(TENANTS[user], 'floating', 'ip', 'list', '-f',
                              'json')
        assert {f['ID'] for f in listed} == {mine['fip']}
    # The admin sees both tenants' routings; the tenants see none (403).
    routings = ks_cloud.admin_api().get('/v1.0/routings').json()['routings']
    assert {ks_cloud.project_id(u) for u in TENANTS} <= {
        r['project_id'] for r in routings}


def _snapshot(ks_cloud, made):
    admin = ks_cloud.conn().network
    router = admin.get_router(made['router'])
    return {'ports': sorted(p.id for p in admin.ports(
                device_id=made['router'])),
            'router': (router.name, router.routes),
            'fip': admin.get_ip(made['fip']).port_id,
            'nets': sorted(n.name for n in admin.networks(
                project_id=router.project_id))}


def test_cross_tenant_calls_are_refused_and_change_nothing(ks_cloud,
                                                           topology):
    alice, bob = topology['alice'], topology['bob']
    before = {u: _snapshot(ks_cloud, topology[u]) for u in TENANTS}
    central = ks_cloud.conn('bob').network
    refused = (os_exc.NotFoundException, os_exc.ForbiddenException)
    with pytest.raises(refused):
        central.add_interface_to_router(bob['router'],
                                        subnet_id=alice['subnets'][0])
    with pytest.raises(refused):
        central.update_ip(bob['fip'], port_id=alice['ports'][1])
    with pytest.raises(refused):
        central.update_router(alice['router'], name='stolen')
    with pytest.raises(refused):
        central.delete_network(alice['nets'][1], ignore_missing=False)
    with pytest.raises(refused):
        central.delete_port(alice['ports'][0], ignore_missing=False)
    with pytest.raises(refused):
        central.create_port(network_id=alice['nets'][0])
    with pytest.raises(refused):
        ks_cloud.conn('bob', 'Pod1').network.create_port(
            network_id=alice['nets'][0])
    result = ks_cloud.cli('tenant-b', 'router', 'add', 'subnet',
                          bob['router'], alice['subnets'][1], check=False)
    assert result.returncode != 0
    assert {u: _snapshot(ks_cloud, topology[u]) for u in TENANTS} == before


def test_only_admin_writes_floating_ip_status(ks_cloud, topology):
    fip_id = topology['bob']['fip']
    status = ks_cloud.conn().network.get_ip(fip_id).status
    with pytest.raises(os_exc.ForbiddenException):
        ks_cloud.conn('bob').network.update_ip(fip_id, status='ACTIVE')
    with pytest.raises(os_exc.BadRequestException):
        ks_cloud.conn().network.update_ip(fip_id, status='BOGUS')
    assert ks_cloud.conn('bob').network.get_ip(fip_id).status == status


def test_identity_reachable_from_every_region(ks_cloud):
    """``openstack --os-region-name Pod1 ...`` needs Keystone in Pod1's
    catalog too: one Keystone serves every region."""
    endpoints = ks_cloud.cli('admin', 'endpoint', 'list', '--service',
                             'identity', '--interface', 'public', '-f',
                             'json')
    assert {e['Region'] for e in endpoints} >= {'CentralRegion', 'Pod1',
                                                'Pod2'}
    ks_cloud.cli('admin', '--os-region-name', 'Pod1', 'network', 'list',
                 '-f', 'json')


def test_cli_port_in_a_pod_the_network_is_not_bound_to(ks_cloud):
    """The CLI shows the pod's reason (NetworkNotInPod), not "No Network
    found": a pod shows central's network, then refuses the port."""
    net = ks_cloud.cli('tenant-a', 'network', 'create', '--availability-'
                       'zone-hint', 'az1', 'cli-az1-only', '-f', 'json')
    refused = ks_cloud.cli('tenant-a', '--os-region-name', 'Pod2', 'port',
                           'create', '--network', net['id'], 'p',
                           check=False)
    assert refused.returncode != 0
    assert 'is not one of them' in refused.stderr, refused.stderr
    assert 'No Network found' not in refused.stderr
