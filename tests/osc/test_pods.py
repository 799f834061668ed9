"""``openstack multiregion networking pod ...`` against the sandbox, whose
``up`` registered CentralRegion, Pod1 (az1) and Pod2 (az2)."""

import json

from tests.osc.conftest import clean_env
from tests.osc.conftest import failed
from tests.osc.conftest import ok

HEADINGS = ['Pod ID', 'Region Name', 'AZ Name', 'Pod AZ Name', 'DC Name']
UNKNOWN = '00000000-0000-4000-8000-000000000000'


def test_list_and_show(osc):
    table, by_az, page, pod2 = [ok(r).stdout for r in osc.parallel(
        ('pod', 'list'),
        ('pod', 'list', '--az-name', 'az1', '-f', 'json'),
        ('pod', 'list', '--limit', '2', '-f', 'value', '-c', 'Pod ID'),
        ('pod', 'show', 'Pod2', '-f', 'json'))]
    header = table.splitlines()[1]
    assert [h.strip() for h in header.strip('|').split('|')] == HEADINGS
    for region in ('CentralRegion', 'Pod1', 'Pod2'):
        assert '| %s ' % region in table
    assert [(p['Region Name'], p['AZ Name']) for p in json.loads(by_az)] == [
        ('Pod1', 'az1')]
    pod2 = json.loads(pod2)
    assert (pod2['region_name'], pod2['az_name']) == ('Pod2', 'az2')

    first = page.split()
    assert len(first) == 2
    rest, values = [ok(r).stdout.split() for r in osc.parallel(
        ('pod', 'list', '--marker', first[-1], '-f', 'value', '-c',
         'Pod ID'),
        ('pod', 'show', pod2['pod_id'], '-f', 'value', '-c', 'region_name',
         '-c', 'az_name'))]
    assert len(first + rest) >= 3
    assert sorted(set(first + rest)) == first + rest   # ordered by id
    assert values == ['Pod2', 'az2']


def test_errors(osc):
    """404, 400, an unknown region name, an unreachable Admin API: one
    clear line on stderr and exit 1, never a traceback."""
    unknown, no_name, bad, unreachable = osc.parallel(
        ('pod', 'show', UNKNOWN),
        ('pod', 'show', 'Nowhere'),
        ('pod', 'create', ' ', '--az-name', 'az-bad'),
        osc.call('pod', 'list', global_args=(
            '--os-auth-type', 'none', '--os-endpoint', 'http://127.0.0.1:9')))
    assert 'Pod %s could not be found' % UNKNOWN in failed(
        unknown, 404, 'PodNotFound')
    assert 'No pod with id or region name Nowhere' in failed(no_name)
    assert 'region_name must not be empty' in failed(bad, 400,
                                                     'InvalidInput')
    assert 'Cannot reach the Tricircle Admin API at http://127.0.0.1:9' in (
        failed(unreachable))


def test_create_delete(osc):
    pod = osc.json('pod', 'create', 'PodOsc', '--az-name', 'az-osc',
                   '--dc-name', 'dc-osc')
    assert (pod['region_name'], pod['az_name'], pod['dc_name']) == (
        'PodOsc', 'az-osc', 'dc-osc')
    try:
        osc.fails('pod', 'create', 'PodOsc', '--az-name', 'az-osc',
                  status=409, err_type='DuplicatePod')
    finally:
        osc('pod', 'delete', 'PodOsc')
    err = osc.fails('pod', 'delete', pod['pod_id'], status=404,
                    err_type='PodNotFound')
    assert '1 of 1 pods failed to delete' in err


def test_endpoint_from_environment(osc):
    """The override may also come from OS_TRICIRCLE_ENDPOINT_OVERRIDE
    (``tricircle_endpoint_override`` in clouds.yaml)."""
    result = osc('pod', 'list', '-f', 'value', '-c', 'Region Name',
                 global_args=('--os-auth-type', 'none'),
                 env=clean_env(OS_TRICIRCLE_ENDPOINT_OVERRIDE=osc.endpoint))
    assert 'Pod1' in result.stdout.split()
