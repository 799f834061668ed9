"""Tenant-pod bindings against a real Admin API process, over HTTP."""

import pytest

from tests.api.conftest import AdminApi
from tests.api.conftest import assert_error

UNKNOWN = '00000000-0000-4000-8000-000000000000'


def _bindings(api, query=''):
    resp = api.call('GET', '/bindings' + query)
    assert resp.status_code == 200, resp.text
    return resp.json()['bindings']


def _bind(api, project_id, pod_id):
    return api.call('POST', '/bindings', json={'binding': {
        'project_id': project_id, 'pod_id': pod_id}})


@pytest.fixture(scope='module')
def pods(admin_api):
    made = {}
    for region, az in (('Central', None), ('Pod1', 'az1'), ('Pod2', 'az1'),
                       ('Pod3', 'az2')):
        body = {'region_name': region}
        if az:
            body['az_name'] = az
        resp = admin_api.call('POST', '/pods', json={'pod': body})
        assert resp.status_code == 201, resp.text
        made[region] = resp.json()['pod']['pod_id']
    return made


@pytest.fixture(scope='module')
def bound(admin_api, pods):
    """p0..p4 bound in az1 (odd on Pod2) and p0 in az2 too."""
    made = []
    for i in range(5):
        resp = _bind(admin_api, 'p%d' % i, pods['Pod2' if i % 2 else 'Pod1'])
        assert resp.status_code == 201, resp.text
        made.append(resp.json()['binding'])
    resp = _bind(admin_api, 'p0', pods['Pod3'])
    assert resp.status_code == 201, resp.text
    return made + [resp.json()['binding']]


def test_create_and_show(admin_api, pods, bound):
    first = bound[0]
    assert {k: first[k] for k in ('project_id', 'az_name', 'pod_id')} == {
        'project_id': 'p0', 'az_name': 'az1', 'pod_id': pods['Pod1']}
    assert first['created_at'] and first['updated_at'] is None
    resp = admin_api.call('GET', '/bindings/%s' % first['id'])
    assert resp.status_code == 200
    assert resp.json() == {'binding': first}


def test_filters(admin_api, pods, bound):
    assert [b['az_name'] for b in _bindings(
        admin_api, '?project_id=p0&az_name=az2')] == ['az2']
    assert sorted(b['project_id'] for b in _bindings(
        admin_api, '?pod_id=%s' % pods['Pod2'])) == ['p1', 'p3']
    assert len(_bindings(admin_api, '?az_name=az1')) == 5
    assert _bindings(admin_api, '?project_id=nobody') == []


def test_pagination_walks_everything_once(admin_api, bound):
    seen, url = [], '/bindings?limit=2'
    while url:
        page = admin_api.call('GET', url).json()
        assert len(page['bindings']) <= 2
        seen += [b['id'] for b in page['bindings']]
        links = page.get('bindings_links', [])
        url = links[0]['href'].split('/v1.0', 1)[1] if links else None
    assert seen == sorted(b['id'] for b in _bindings(admin_api))
    assert len(set(seen)) == len(bound)


def test_second_binding_in_the_zone_is_409(admin_api, pods, bound):
    before = _bindings(admin_api)
    body = assert_error(_bind(admin_api, 'p0', pods['Pod2']), 409,
                        'BindingExists')
    for word in ('p0', 'az1', bound[0]['id']):
        assert word in body['message']
    assert _bindings(admin_api) == before


@pytest.mark.parametrize('binding, reason', [
    ({'project_id': 'p9', 'pod_id': 'central'}, 'has no az_name'),
    ({'project_id': 'p9', 'pod_id': UNKNOWN}, 'does not exist'),
    ({'project_id': 'p9'}, 'pod_id is required'),
    ({'pod_id': 'Pod1'}, 'project_id is required'),
    ({'project_id': '', 'pod_id': 'Pod1'}, 'must not be empty'),
    ({'project_id': 'p' * 256, 'pod_id': 'Pod1'}, 'longer than 255'),
    ({'project_id': 9, 'pod_id': 'Pod1'}, 'must be a string'),
    ({'project_id': 'p9', 'pod_id': 'Pod1', 'az_name': 'az2'},
     'unknown binding attribute(s): az_name'),
])
def test_bad_create_is_400_and_writes_nothing(admin_api, pods, bound,
                                              binding, reason):
    names = {'central': pods['Central'], 'Pod1': pods['Pod1']}
    if binding.get('pod_id') in names:
        binding = dict(binding, pod_id=names[binding['pod_id']])
    before = _bindings(admin_api)
    resp = admin_api.call('POST', '/bindings', json={'binding': binding})
    assert reason in assert_error(resp, 400, 'InvalidInput')['message']
    assert _bindings(admin_api) == before


def test_move_within_the_zone(admin_api, pods, bound):
    binding = bound[2]
    resp = admin_api.call('PUT', '/bindings/%s' % binding['id'], json={
        'binding': {'pod_id': pods['Pod2']}})
    assert resp.status_code == 200, resp.text
    moved = resp.json()['binding']
    assert moved['pod_id'] == pods['Pod2'] and moved['updated_at']
    assert {k: moved[k] for k in ('id', 'project_id', 'az_name')} == {
        k: binding[k] for k in ('id', 'project_id', 'az_name')}
    assert admin_api.call(
        'GET', '/bindings/%s' % binding['id']).json()['binding'] == moved


@pytest.mark.parametrize('body, reason', [
    ({'binding': {'pod_id': 'Pod3'}}, 'availability zone az2'),
    ({'binding': {'pod_id': 'central'}}, 'availability zone (none'),
    ({'binding': {'pod_id': UNKNOWN}}, 'does not exist'),
    ({'binding': {'pod_id': 'Pod1', 'project_id': 'p7'}},
     'only pod_id of a binding can change, not: project_id'),
    ({'binding': {'az_name': 'az2'}}, 'not: az_name'),
    ({'binding': {}}, 'pod_id is required'),
    ({'binding': {'pod_id': None}}, 'pod_id is required'),
    ({'bindings': {'pod_id': 'Pod1'}}, '"binding" object'),
])
def test_bad_move_is_400_and_changes_nothing(admin_api, pods, bound, body,
                                             reason):
    names = {'central': pods['Central'], 'Pod1': pods['Pod1'],
             'Pod3': pods['Pod3']}
    for inner in body.values():
        if inner.get('pod_id') in names:
            inner['pod_id'] = names[inner['pod_id']]
    before = _bindings(admin_api)
    resp = admin_api.call('PUT', '/bindings/%s' % bound[0]['id'], json=body)
    assert reason in assert_error(resp, 400, 'InvalidInput')['message']
    assert _bindings(admin_api) == before


@pytest.mark.parametrize('query', ['marker=abc', 'limit=0', 'colour=red',
                                   'region_name=Pod1'])
def test_bad_list_parameters(admin_api, bound, query):
    assert_error(admin_api.call('GET', '/bindings?' + query), 400,
                 'InvalidInput')


def test_unknown_binding_is_404(admin_api, pods, bound):
    for method in ('GET', 'DELETE'):
        assert_error(admin_api.call(method, '/bindings/%s' % UNKNOWN), 404,
                     'BindingNotFound')
    resp = admin_api.call('PUT', '/bindings/nope', json={
        'binding': {'pod_id': pods['Pod1']}})
    assert_error(resp, 404, 'BindingNotFound')
    assert_error(admin_api.call('DELETE', '/bindings'), 405)


def test_pod_in_use_until_unbound(admin_api, bound):
    """A pod still bound is kept (409), then goes once unbound."""
    resp = admin_api.call('POST', '/pods', json={
        'pod': {'region_name': 'Pod4', 'az_name': 'az4'}})
    pod4 = resp.json()['pod']['pod_id']
    binding = _bind(admin_api, 'p0', pod4).json()['binding']
    body = assert_error(admin_api.call('DELETE', '/pods/%s' % pod4), 409,
                        'PodInUse')
    assert '1 pod binding(s)' in body['message']
    assert admin_api.call('GET', '/pods/%s' % pod4).status_code == 200

    assert admin_api.call(
        'DELETE', '/bindings/%s' % binding['id']).status_code == 204
    assert_error(admin_api.call('GET', '/bindings/%s' % binding['id']), 404,
                 'BindingNotFound')
    assert admin_api.call('DELETE', '/pods/%s' % pod4).status_code == 204


def test_non_admin_is_403(tmp_path):
    """Every binding rule defaults to the admin rule: a caller without
    it is refused, and nothing is written."""
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"admin_api": "role:cloud_operator"\n')
    api = AdminApi(str(tmp_path), extra_conf=(
        '[oslo_policy]\npolicy_file = %s\n' % policy_file))
    try:
        for method, path, body in (
                ('POST', '/bindings', {'binding': {
                    'project_id': 'p', 'pod_id': UNKNOWN}}),
                ('GET', '/bindings', None),
                ('GET', '/bindings/%s' % UNKNOWN, None),
                ('PUT', '/bindings/%s' % UNKNOWN, {'binding': {
                    'pod_id': UNKNOWN}}),
                ('DELETE', '/bindings/%s' % UNKNOWN, None)):
            resp = api.call(method, path, json=body)
            assert_error(resp, 403, 'PolicyNotAuthorized')
            assert 'tricircle:bindings:' in resp.json()[
                'NeutronError']['message']
    finally:
        api.stop()
