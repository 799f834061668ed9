"""The seed 002 walkthrough through the API gateway, in a Keystone
sandbox (issue #15): the ``openstack`` CLI against CentralRegion, whose
catalog's compute and volumev3 are the gateways; a real token for every
call, so each pod's Nova and Cinder check who asks, and another tenant
gets 404 for what is not its own."""

import uuid

from tests.conftest import eventually


def test_seed_002_walkthrough_against_central_region(ks_cloud):
    mark = uuid.uuid4().hex[:6]
    catalog = {entry['Type']: entry for entry in ks_cloud.cli(
        'tenant-a', 'catalog', 'list', '-f', 'json')}
    for kind in ('compute', 'volumev3'):
        assert 'CentralRegion' in {
            e['region'] for e in catalog[kind]['Endpoints']}

    # "nova aggregate-list": an aggregate per pod, in the pod's AZ.
    aggregates = {a['Name']: a for a in ks_cloud.cli(
        'admin', 'aggregate', 'list', '--long', '-f', 'json')}
    assert aggregates['ag_Pod1']['Availability Zone'] == 'az1'
    assert aggregates['ag_Pod2']['Availability Zone'] == 'az2'

    # "nova flavor-create test 1 1024 10 1" (the sandbox's flavor 1, made
    # with it since #14, holds id 1: this one takes another).
    flavor = ks_cloud.cli('admin', 'flavor', 'create', 'test-' + mark,
                          '--ram', '1024', '--disk', '10', '--vcpus', '1',
                          '-f', 'json')
    alice = ks_cloud.conn('alice')
    net = alice.network.create_network(name='net-' + mark)
    alice.network.create_subnet(network_id=net.id, ip_version=4,
                                cidr='10.97.0.0/24')
    images = ks_cloud.cli('tenant-a', 'image', 'list', '-f', 'json')
    assert 'tiny' in {i['Name'] for i in images}

    # "nova boot --flavor 1 --image $image_id --nic net-id=$net_id
    #  --availability-zone az1 vm1"
    server = ks_cloud.cli(
        'tenant-a', 'server', 'create', '--flavor', flavor['id'], '--image',
        'tiny', '--nic', 'net-id=' + net.id, '--availability-zone', 'az1',
        '--wait', 'vm1-' + mark, '-f', 'json')
    assert server['status'] == 'ACTIVE', server
    assert server['OS-EXT-AZ:availability_zone'] == 'az1'
    pod1_servers = ks_cloud.conn('admin', 'Pod1').compute.servers(
        all_projects=True)
    assert server['id'] in {s.id for s in pod1_servers}

    # "cinder create --availability-zone=az1 1", list, show.
    volume = ks_cloud.cli('tenant-a', 'volume', 'create', '--size', '1',
                          '--availability-zone', 'az1', 'vol-' + mark,
                          '-f', 'json')

    # Polled with openstacksdk: each CLI run costs seconds of CPU.
    def status(want):
        shown = alice.block_storage.get_volume(volume['id'])
        return shown if shown.status == want else None
    eventually(lambda: status('available'), 'volume available',
               timeout=120)
    shown = ks_cloud.cli('tenant-a', 'volume', 'show', volume['id'],
                         '-f', 'json')
    assert shown['availability_zone'] == 'az1'
    # (Other tests of this sandbox use tenant-a too.)
    listed = ks_cloud.cli('tenant-a', 'volume', 'list', '-f', 'json')
    assert volume['id'] in [v['ID'] for v in listed]
    listed = ks_cloud.cli('tenant-a', 'server', 'list', '-f', 'json')
    assert server['id'] in [s['ID'] for s in listed]

    # Another tenant sees none of it.
    bob = ks_cloud.conn('bob')
    for path in ('/servers/%s' % server['id'],):
        assert bob.compute.get(path).status_code == 404
    assert bob.compute.delete('/servers/%s' % server['id']).status_code \
        == 404
    assert bob.block_storage.get('/volumes/%s' % volume['id']
                                 ).status_code == 404
    assert list(bob.compute.servers()) == []

    # Attach and detach through the gateway (Cinder checks the detach
    # with Nova as the user).
    alice.compute.create_volume_attachment(server['id'],
                                           volume_id=volume['id'])
    eventually(lambda: status('in-use'), 'volume in use', timeout=120)
    alice.compute.delete_volume_attachment(server['id'], volume['id'])
    eventually(lambda: status('available'), 'volume detached', timeout=120)

    # "cinder delete", "cinder list".
    ks_cloud.cli('tenant-a', 'volume', 'delete', volume['id'])
    eventually(lambda: volume['id'] not in {
        v.id for v in alice.block_storage.volumes()}, 'volume gone',
        timeout=120)
    assert volume['id'] not in [v['ID'] for v in ks_cloud.cli(
        'tenant-a', 'volume', 'list', '-f', 'json')]
    ks_cloud.cli('tenant-a', 'server', 'delete', '--wait', server['id'])
    ks_cloud.cli('admin', 'flavor', 'delete', flavor['id'])
    for region in ('Pod1', 'Pod2'):
        assert ks_cloud.conn('admin', region).compute.find_flavor(
            flavor['id']) is None
