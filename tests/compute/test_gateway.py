"""The API gateway over real pods (issue #15), without Keystone: servers
and volumes placed by availability zone and tenant-pod binding, reached by
their routings, lists merged and paged across pods, flavors, keypairs and
aggregates kept the same everywhere, and pods that do not answer."""

import time
import uuid

import pytest

from tests import conftest as base
from tests.compute.conftest import eventually
from tests.compute.conftest import wait_active
from tests.compute.conftest import wait_gone

UNREACHABLE = 'X-Tricircle-Unreachable-Pods'


def _project():
    # Hex: Cinder URLs take only hex project ids.
    return uuid.uuid4().hex


def _network(conn, cidr, hints=None):
    net = conn.network.create_network(name='gw-' + cidr,
                                      availability_zone_hints=hints or [])
    conn.network.create_subnet(network_id=net.id, cidr=cidr, ip_version=4)
    return net


def _boot(compute, conn, net, zone=None, name='vm'):
    zone = {'availability_zone': zone} if zone else {}
    server = conn.compute.create_server(
        name=name, flavor_id=compute.flavor_id, image_id=compute.image_id,
        networks=[{'uuid': net.id}], **zone)
    return wait_active(conn, server)


def _bindings(compute, project):
    return compute.admin.get('/v1.0/bindings?project_id=%s'
                             % project).json()['bindings']


def _pod_servers(compute, region, project):
    nova = compute.admin_nova(region)
    return {s.id for s in nova.compute.servers(all_projects=True,
                                               project_id=project)}


def _wait_volume(conn, volume, status='available'):
    return eventually(lambda: (lambda v: v if v.status == status else None)(
        conn.block_storage.get_volume(volume.id)),
        'volume %s %s' % (volume.id, status), timeout=120)


def test_servers_and_volumes_land_where_the_zone_and_binding_say(compute):
    project = _project()
    tenant = compute.gateway(project)
    net = _network(tenant, '10.61.0.0/24')
    vm1 = _boot(compute, tenant, net, 'az1', 'vm1')
    assert vm1.availability_zone == 'az1'
    assert vm1.id in _pod_servers(compute, 'Pod1', project)
    # No zone: the zone the tenant is bound in already.
    vm2 = _boot(compute, tenant, net, None, 'vm2')
    assert vm2.id in _pod_servers(compute, 'Pod1', project)
    (binding,) = _bindings(compute, project)
    assert binding['az_name'] == 'az1'
    assert binding['pod_id'] == compute.regions['Pod1']['pod_id']

    volume = tenant.block_storage.create_volume(
        size=1, availability_zone='az2', name='vol-az2')
    volume = _wait_volume(tenant, volume)
    assert volume.availability_zone == 'az2'
    assert {b['az_name'] for b in _bindings(compute, project)} == {
        'az1', 'az2'}
    routings = compute.admin.get('/v1.0/routings?top_id=%s'
                                 % volume.id).json()['routings']
    assert [(r['resource_type'], r['pod_id']) for r in routings] == [
        ('volume', compute.regions['Pod2']['pod_id'])]

    # Lists merge the pods; shows and actions reach the right one.
    assert {s.id for s in tenant.compute.servers()} == {vm1.id, vm2.id}
    assert [v.id for v in tenant.block_storage.volumes()] == [volume.id]
    tenant.compute.stop_server(vm2)
    eventually(lambda: tenant.compute.get_server(vm2.id).status ==
               'SHUTOFF', 'vm2 stopped')

    # A volume attaches only to a server of its pod: 400, nothing made.
    resp = tenant.compute.post(
        '/servers/%s/os-volume_attachments' % vm1.id,
        json={'volumeAttachment': {'volumeId': volume.id}})
    assert resp.status_code == 400, resp.text
    assert 'Pod2' in resp.json()['badRequest']['message']
    assert tenant.block_storage.get_volume(volume.id).status == 'available'

    # A zone without pods: 400 naming it, and nothing bound there.
    resp = tenant.compute.post('/servers', json={'server': {
        'name': 'nowhere', 'flavorRef': compute.flavor_id,
        'imageRef': compute.image_id, 'networks': [{'uuid': net.id}],
        'availability_zone': 'az-none'}})
    assert resp.status_code == 400
    assert 'az-none' in resp.json()['badRequest']['message']

    for server in (vm1, vm2):
        wait_gone(tenant, server)
    tenant.block_storage.delete_volume(volume)
    tenant.block_storage.wait_for_delete(volume, interval=0.5, wait=120)
    assert list(tenant.compute.servers()) == []
    # The routing of a server found gone goes too.
    assert tenant.compute.get('/servers/%s' % vm1.id).status_code == 404
    assert compute.admin.get('/v1.0/routings?top_id=%s' % vm1.id).json()[
        'routings'] == []


def test_network_hinted_to_another_zone_is_refused_first(compute):
    project = _project()
    tenant = compute.gateway(project)
    net = _network(tenant, '10.62.0.0/24', ['az2'])
    resp = tenant.compute.post('/servers', json={'server': {
        'name': 'wrong-zone', 'flavorRef': compute.flavor_id,
        'imageRef': compute.image_id, 'networks': [{'uuid': net.id}],
        'availability_zone': 'az1'}})
    assert resp.status_code == 400, resp.text
    assert net.id in resp.json()['badRequest']['message']
    assert _bindings(compute, project) == []
    assert _pod_servers(compute, 'Pod1', project) == set()
    # In its own zone the same network boots.
    server = _boot(compute, tenant, net, 'az2')
    assert server.id in _pod_servers(compute, 'Pod2', project)
    wait_gone(tenant, server)


def _page_through(conn, path, collection, limit):
    seen, url = [], '%s?limit=%d' % (path, limit)
    while url:
        body = conn.compute.get(url).json() if collection == 'servers' \
            else conn.block_storage.get(url).json()
        assert len(body[collection]) <= limit
        seen.extend(item['id'] for item in body[collection])
        links = [link['href'] for link in body.get(collection + '_links', [])
                 if link['rel'] == 'next']
        url = links[0] if links else None
    return seen


def test_lists_page_across_pods(compute):
    project = _project()
    tenant = compute.gateway(project)
    net = _network(tenant, '10.63.0.0/24', ['az1', 'az2'])
    made = []
    for i, zone in enumerate(('az1', 'az2', 'az1', 'az2', 'az1')):
        made.append(tenant.compute.create_server(
            name='page-%d' % i, flavor_id=compute.flavor_id,
            image_id=compute.image_id, networks=[{'uuid': net.id}],
            availability_zone=zone))
        time.sleep(1)   # distinct created times: the order is defined
    made = [wait_active(tenant, server).id for server in made]
    newest_first = list(reversed(made))
    assert _page_through(tenant, '/servers', 'servers', 2) == newest_first
    assert _page_through(tenant, '/servers/detail', 'servers', 3) == \
        newest_first
    assert tenant.compute.get('/servers?marker=%s' % uuid.uuid4()
                              ).status_code == 400
    # Filters go to every pod.
    named = tenant.compute.get('/servers?name=page-3').json()['servers']
    assert [s['id'] for s in named] == [made[3]]
    # The pod's microversion and request id come back as they are.
    resp = tenant.compute.get('/servers/%s' % made[0], headers={
        'X-OpenStack-Nova-API-Version': '2.79'})
    assert resp.headers['X-OpenStack-Nova-API-Version'] == '2.79'
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    assert 'pinned_availability_zone' not in resp.json()['server']
    # A page after a marker held by the other pod.
    body = tenant.compute.get('/servers?limit=2&marker=%s'
                              % newest_first[0]).json()
    assert [s['id'] for s in body['servers']] == newest_first[1:3]

    volumes = []
    for zone in ('az2', 'az1', 'az2'):
        volumes.append(tenant.block_storage.create_volume(
            size=1, availability_zone=zone).id)
        time.sleep(1)
    assert _page_through(tenant, '/volumes/detail', 'volumes', 2) == list(
        reversed(volumes))
    for volume_id in volumes:
        _wait_volume(tenant, tenant.block_storage.get_volume(volume_id))
        tenant.block_storage.delete_volume(volume_id)
    for server_id in made:
        wait_gone(tenant, tenant.compute.get_server(server_id))


def test_flavors_keypairs_zones_and_aggregates_are_cloud_wide(compute):
    admin = compute.gateway('admin', 'admin,member,reader')
    flavor = admin.compute.create_flavor(name='gw-flavor', ram=128, vcpus=1,
                                         disk=1)
    admin.compute.create_flavor_extra_specs(flavor, {'hw:cpu_policy':
                                                     'shared'})
    for region in compute.regions:
        there = compute.admin_nova(region).compute.get_flavor(flavor.id)
        assert (there.name, there.ram) == ('gw-flavor', 128)
        assert there.extra_specs == {'hw:cpu_policy': 'shared'}

    # A pod that lacks the flavor (one registered later) gets it with the
    # first server placed there.
    compute.admin_nova('Pod2').compute.delete_flavor(flavor.id)
    project = _project()
    tenant = compute.gateway(project)
    net = _network(tenant, '10.64.0.0/24')
    server = tenant.compute.create_server(
        name='new-flavor', flavor_id=flavor.id, image_id=compute.image_id,
        networks=[{'uuid': net.id}], availability_zone='az2')
    wait_active(tenant, server)
    assert compute.admin_nova('Pod2').compute.get_flavor(
        flavor.id).extra_specs == {'hw:cpu_policy': 'shared'}
    wait_gone(tenant, server)
    admin.compute.delete_flavor(flavor)
    for region in compute.regions:
        assert compute.admin_nova(region).compute.find_flavor(
            flavor.id) is None

    keypair = tenant.compute.create_keypair(name='gw-key')
    assert keypair.private_key
    for region in compute.regions:
        held = compute.nova(region, project).compute.get_keypair('gw-key')
        assert held.public_key == keypair.public_key
    tenant.compute.delete_keypair('gw-key')
    for region in compute.regions:
        assert compute.nova(region, project).compute.find_keypair(
            'gw-key') is None

    zones = {z.name for z in tenant.compute.availability_zones()}
    assert zones == {'az1', 'az2'}
    aggregates = {a.name: a for a in admin.compute.aggregates()}
    for region, pod in compute.regions.items():
        aggregate = aggregates['ag_' + region]
        assert aggregate.availability_zone == pod['az_name']
        assert aggregate.hosts == [pod['compute_host']]


@pytest.fixture
def extra_pod(compute):
    """A pod registered in az1 whose Nova and Cinder are nowhere: a pod
    that is down, for placement to skip and bindings to be moved off."""
    pod = compute.admin.post('/v1.0/pods', json={'pod': {
        'region_name': 'PodDown-' + uuid.uuid4().hex[:6],
        'az_name': 'az1'}}).json()['pod']
    yield pod
    for binding in compute.admin.get('/v1.0/bindings?pod_id=%s'
                                     % pod['pod_id']).json()['bindings']:
        compute.admin.delete('/v1.0/bindings/%s' % binding['id'])
    compute.admin.delete('/v1.0/pods/%s' % pod['pod_id'])


def test_pods_down_bindings_moved(compute, extra_pod):
    project = _project()
    tenant = compute.gateway(project)
    net = _network(tenant, '10.65.0.0/24')
    # The first boot binds the tenant to the az1 pod that answers.
    server = _boot(compute, tenant, net, 'az1', 'bound')
    (binding,) = _bindings(compute, project)
    assert binding['pod_id'] == compute.regions['Pod1']['pod_id']

    # Moved to the pod that is down: a boot says so, and makes nothing.
    moved = compute.admin.put('/v1.0/bindings/%s' % binding['id'], json={
        'binding': {'pod_id': extra_pod['pod_id']}}).json()['binding']
    assert moved['pod_id'] == extra_pod['pod_id']
    resp = tenant.compute.post('/servers', json={'server': {
        'name': 'to-down', 'flavorRef': compute.flavor_id,
        'imageRef': compute.image_id, 'networks': [{'uuid': net.id}],
        'availability_zone': 'az1'}})
    assert resp.status_code == 503, resp.text
    assert extra_pod['region_name'] in resp.json()[
        'serviceUnavailable']['message']
    assert _pod_servers(compute, 'Pod1', project) == {server.id}
    # Existing servers are still reached through their routing.
    assert tenant.compute.get_server(server.id).status == 'ACTIVE'
    compute.admin.put('/v1.0/bindings/%s' % binding['id'], json={
        'binding': {'pod_id': compute.regions['Pod1']['pod_id']}})

    # A pod's Nova down during a list: the rest answer, the gap is named.
    other = _boot(compute, tenant, net, 'az2', 'in-pod2')
    _sandbox(compute, 'stop-server', 'Pod2-nova-api')
    try:
        resp = tenant.compute.get('/servers')
        assert resp.status_code == 200
        assert resp.headers[UNREACHABLE] == 'Pod2'
        assert [s['id'] for s in resp.json()['servers']] == [server.id]
        # A boot there fails cleanly: 503 naming the pod, nothing made.
        resp = tenant.compute.post('/servers', json={'server': {
            'name': 'pod2-down', 'flavorRef': compute.flavor_id,
            'imageRef': compute.image_id, 'networks': [{'uuid': net.id}],
            'availability_zone': 'az2'}})
        assert resp.status_code == 503
        assert 'Pod2' in resp.json()['serviceUnavailable']['message']
    finally:
        _sandbox(compute, 'start-server', 'Pod2-nova-api')
    assert {s.id for s in tenant.compute.servers()} == {server.id, other.id}
    for each in (server, other):
        wait_gone(tenant, each)


def _sandbox(compute, verb, name):
    done = base.run_tricircle('sandbox', verb, '--dir',
                              compute.state['dir'], name)
    assert done.returncode == 0, done.stderr


def test_volume_types_by_name_in_every_pod(compute):
    from tricircle.sandbox.compute import clients
    pods = {p['region_name']: clients.cinder_admin(compute.state, p)
            for p in compute.state['pods']}

    def pod_types(region):
        return {t['name']: t for t in pods[region].get(
            '/types?is_public=None').json()['volume_types']}
    admin = compute.gateway('admin', 'admin,member,reader')
    name = 'gw-type-' + uuid.uuid4().hex[:6]
    made = admin.block_storage.create_type(name=name)
    # Scoped: Cinder's CapabilitiesFilter matches unscoped keys with the
    # backend's capabilities, and the fake backend has none of them.
    admin.block_storage.update_type_extra_specs(made, **{'gw:tier': 'gold'})
    for region in pods:
        assert pod_types(region)[name]['extra_specs'] == {
            'gw:tier': 'gold'}
    assert pod_types('Pod1')[name]['id'] != pod_types('Pod2')[name]['id']

    # A volume in Pod2 with the id the gateway showed (Pod1's).
    project = _project()
    tenant = compute.gateway(project)
    volume = tenant.block_storage.create_volume(
        size=1, availability_zone='az2', volume_type=made.id)
    volume = _wait_volume(tenant, volume)
    assert volume.volume_type == name
    tenant.block_storage.delete_volume(volume)
    tenant.block_storage.wait_for_delete(volume, interval=0.5, wait=120)

    admin.block_storage.delete_type(made)
    for region in pods:
        assert name not in pod_types(region)
