"""Compute in a Keystone sandbox (``up --keystone --compute``, issue #14):
a tenant's ``openstack --os-region-name Pod1 server create --network NAME``
with a real token, on a network made on central that the pod never saw;
a volume of the pod's AZ attached and detached (Cinder checks the detach
with Nova as the user, so this needs Keystone); everything gone after."""

import uuid

import pytest

from tests.conftest import eventually

JOB_WAIT = 90


def test_catalog_lists_every_pods_compute(ks_cloud):
    catalog = {entry['Type']: entry for entry in ks_cloud.cli(
        'tenant-a', 'catalog', 'list', '-f', 'json')}
    for kind in ('compute', 'placement', 'volumev3', 'network'):
        regions = {e['region'] for e in catalog[kind]['Endpoints']}
        assert {'Pod1', 'Pod2'} <= regions, (kind, regions)
    # The one Glance: CentralRegion's, and reachable from every pod's.
    images = {e['region'] for e in catalog['image']['Endpoints']}
    assert images == {'CentralRegion', 'Pod1', 'Pod2'}


@pytest.fixture
def names():
    mark = uuid.uuid4().hex[:6]
    return {kind: '%s-%s' % (kind, mark)
            for kind in ('net', 'subnet', 'vm', 'vol')}


def test_server_and_volume_through_pod1(ks_cloud, names):
    """The openstack CLI for the boot by network name (the look-up the pod
    answers by pulling); openstacksdk, as the same tenant with a real
    token, for the rest (each CLI run costs seconds of start-up)."""
    alice = ks_cloud.conn('alice')
    pod1 = ks_cloud.conn('alice', 'Pod1')
    net = alice.network.create_network(name=names['net'],
                                       availability_zone_hints=['az1'])
    subnet = alice.network.create_subnet(network_id=net.id, ip_version=4,
                                         cidr='10.96.0.0/24',
                                         name=names['subnet'])

    # By name, in the pod's region: the pod pulls the network from central.
    server = ks_cloud.cli(
        'tenant-a', '--os-region-name', 'Pod1', 'server', 'create',
        '--flavor', '1', '--image', 'tiny', '--network', names['net'],
        '--availability-zone', 'az1', '--wait', names['vm'], '-f', 'json')
    assert server['status'] == 'ACTIVE', server
    assert server['OS-EXT-AZ:availability_zone'] == 'az1'
    (port,) = ks_cloud.conn().network.ports(device_id=server['id'])
    assert port.binding_host_id == 'pod1-compute'
    assert port.device_owner == 'compute:az1'
    assert port.network_id == net.id

    volume = pod1.block_storage.create_volume(
        size=1, availability_zone='az1', name=names['vol'])

    def status(want):
        shown = pod1.block_storage.get_volume(volume.id)
        return shown if shown.status == want else None
    assert eventually(lambda: status('available'), 'volume available')\
        .availability_zone == 'az1'
    pod1.compute.create_volume_attachment(server['id'], volume_id=volume.id)
    attached = eventually(lambda: status('in-use'), 'volume in use')
    assert [a['server_id'] for a in attached.attachments] == [server['id']]
    pod1.compute.delete_volume_attachment(server['id'], volume.id)
    eventually(lambda: status('available'), 'volume detached')

    booted = pod1.compute.get_server(server['id'])
    pod1.compute.delete_server(booted)
    pod1.compute.wait_for_delete(booted, interval=0.5, wait=120)
    pod1.block_storage.delete_volume(volume)
    pod1.block_storage.wait_for_delete(volume, interval=0.5, wait=120)
    for region in ('CentralRegion', 'Pod1'):
        assert list(ks_cloud.conn('admin', region).network.ports(
            device_id=server['id'])) == []
    alice.network.delete_subnet(subnet)
    alice.network.delete_network(net)


def test_server_on_a_trunk_parent_brings_the_trunk_up(ks_cloud, names):
    """Issue #16: a trunk made on central on ports no pod holds yet; a
    server booted through Pod1 on its parent brings the trunk into Pod1
    (the pod pulls the parent, and the trunk with it), the pod's binding
    driver wires it, and central shows ACTIVE and the subport bound where
    the parent is; DOWN again once the server is gone."""
    alice = ks_cloud.conn('alice')
    pod1 = ks_cloud.conn('alice', 'Pod1')
    admin = ks_cloud.conn()
    net = alice.network.create_network(name=names['net'],
                                       availability_zone_hints=['az1'])
    subnet = alice.network.create_subnet(network_id=net.id, ip_version=4,
                                         cidr='10.97.0.0/24')
    parent = alice.network.create_port(network_id=net.id, name='parent')
    sub = alice.network.create_port(network_id=net.id, name='sub')
    trunk = alice.network.create_trunk(
        port_id=parent.id, name='t', sub_ports=[{
            'port_id': sub.id, 'segmentation_type': 'vlan',
            'segmentation_id': 100}])
    image = pod1.image.find_image('tiny')
    server = pod1.compute.create_server(
        name=names['vm'], flavor_id='1', image_id=image.id,
        networks=[{'port': parent.id}], availability_zone='az1')
    server = pod1.compute.wait_for_server(server, interval=0.5, wait=180)

    def central_trunk(status):
        shown = alice.network.get_trunk(trunk.id)
        return shown if shown.status == status else None
    eventually(lambda: central_trunk('ACTIVE'), 'trunk ACTIVE on central',
               timeout=JOB_WAIT)
    copy = ks_cloud.conn('admin', 'Pod1').network.get_trunk(trunk.id)
    assert copy.status == 'ACTIVE'
    assert [s['port_id'] for s in copy.sub_ports] == [sub.id]
    bound = admin.network.get_port(sub.id)
    assert bound.binding_host_id == 'pod1-compute'
    assert bound.device_owner == 'trunk:subport'

    pod1.compute.delete_server(server)
    pod1.compute.wait_for_delete(server, interval=0.5, wait=120)
    eventually(lambda: central_trunk('DOWN'), 'trunk DOWN on central',
               timeout=JOB_WAIT)
    alice.network.delete_trunk(trunk)
    pod1_admin = ks_cloud.conn('admin', 'Pod1')
    eventually(lambda: not list(pod1_admin.network.trunks(id=trunk.id)),
               'trunk gone from Pod1', timeout=JOB_WAIT)
    for port in (sub, parent):
        alice.network.delete_port(port)
    alice.network.delete_subnet(subnet)
    alice.network.delete_network(net)
