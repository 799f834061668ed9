"""Compute in a Keystone sandbox (``up --keystone --compute``, issue #14):
a tenant's ``openstack --os-region-name Pod1 server create --network NAME``
with a real token, on a network made on central that the pod never saw;
a volume of the pod's AZ attached and detached (Cinder checks the detach
with Nova as the user, so this needs Keystone); everything gone after."""

import uuid

import pytest

from tests.conftest import eventually


def _ids(rows):
    return {row['ID'] for row in rows}


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
    cli = ks_cloud.cli
    pod1 = ('--os-region-name', 'Pod1')
    net = cli('tenant-a', 'network', 'create', '--availability-zone-hint',
              'az1', names['net'], '-f', 'json')
    cli('tenant-a', 'subnet', 'create', '--network', names['net'],
        '--subnet-range', '10.96.0.0/24', names['subnet'], '-f', 'json')

    # By name, in the pod's region: the pod pulls the network from central.
    server = cli('tenant-a', *pod1, 'server', 'create', '--flavor', '1',
                 '--image', 'tiny', '--network', names['net'],
                 '--availability-zone', 'az1', '--wait', names['vm'],
                 '-f', 'json')
    assert server['status'] == 'ACTIVE', server
    assert server['OS-EXT-AZ:availability_zone'] == 'az1'
    (port,) = cli('admin', 'port', 'list', '--device-id', server['id'],
                  '--long', '-f', 'json')
    top = cli('admin', 'port', 'show', port['ID'], '-f', 'json')
    assert top['binding_host_id'] == 'pod1-compute'
    assert top['device_owner'] == 'compute:az1'
    assert top['network_id'] == net['id']

    volume = cli('tenant-a', *pod1, 'volume', 'create', '--size', '1',
                 '--availability-zone', 'az1', names['vol'], '-f', 'json')

    def status(want):
        shown = cli('tenant-a', *pod1, 'volume', 'show', volume['id'],
                    '-f', 'json')
        return shown if shown['status'] == want else None
    assert eventually(lambda: status('available'), 'volume available')[
        'availability_zone'] == 'az1'
    cli('tenant-a', *pod1, 'server', 'add', 'volume', names['vm'],
        names['vol'], '-f', 'json')
    attached = eventually(lambda: status('in-use'), 'volume in use')
    assert [a['server_id'] for a in attached['attachments']] == [
        server['id']]
    cli('tenant-a', *pod1, 'server', 'remove', 'volume', names['vm'],
        names['vol'])
    eventually(lambda: status('available'), 'volume detached')

    cli('tenant-a', *pod1, 'server', 'delete', '--wait', names['vm'])
    cli('tenant-a', *pod1, 'volume', 'delete', volume['id'])
    eventually(lambda: volume['id'] not in _ids(cli(
        'tenant-a', *pod1, 'volume', 'list', '-f', 'json')), 'volume gone')
    for region in ('CentralRegion', 'Pod1'):
        assert cli('admin', '--os-region-name', region, 'port', 'list',
                   '--device-id', server['id'], '-f', 'json') == []
    cli('tenant-a', 'subnet', 'delete', names['subnet'])
    cli('tenant-a', 'network', 'delete', names['net'])
