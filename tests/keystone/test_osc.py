"""The ``openstack multiregion networking`` plugin in Keystone mode: the
admin's clouds.yaml entry, a real token, the Admin API found in the
catalog as service type ``tricircle`` (tests/osc covers every command in
noauth mode)."""

import uuid


def test_osc_plugin_through_catalog(ks_cloud):
    pods = ks_cloud.cli('admin', 'multiregion', 'networking', 'pod', 'list',
                        '-f', 'json')
    by_region = {p['Region Name']: p for p in pods}
    assert set(by_region) == {'CentralRegion', 'Pod1', 'Pod2'}
    assert by_region['Pod1']['AZ Name'] == 'az1'

    top = 'osc-ks-' + uuid.uuid4().hex[:8]
    # The Admin API's endpoint is in CentralRegion only: a region chosen
    # for Neutron still finds it.
    routing = ks_cloud.cli(
        'admin', '--os-region-name', 'Pod1', 'multiregion', 'networking',
        'routing', 'create', '--top-id', top, '--pod', 'Pod2',
        '--project-id', ks_cloud.project_id('alice'), '--resource-type',
        'network', '-f', 'json')
    assert (routing['top_id'], routing['pod_id']) == (
        top, by_region['Pod2']['Pod ID'])
    ks_cloud.cli('admin', 'multiregion', 'networking', 'routing', 'delete',
                 str(routing['id']))
    assert not ks_cloud.admin_api().get(
        '/v1.0/routings?top_id=%s' % top).json()['routings']

    refused = ks_cloud.cli('tenant-a', 'multiregion', 'networking', 'pod',
                           'list', check=False)
    assert refused.returncode == 1
    assert 'tricircle:pods:list' in refused.stderr
    assert '(HTTP 403, PolicyNotAuthorized)' in refused.stderr
