"""Routings CRUD against a real Admin API process, over HTTP."""

import pytest

from tests.api.conftest import assert_error
from tricircle.common import constants


def _routings(api):
    resp = api.call('GET', '/routings')
    assert resp.status_code == 200
    return resp.json()['routings']


@pytest.fixture(scope='module')
def pod_ids(admin_api):
    ids = []
    for body in ({'region_name': 'Central'},
                 {'region_name': 'Pod1', 'az_name': 'az1'},
                 {'region_name': 'Pod2', 'az_name': 'az2'}):
        resp = admin_api.call('POST', '/pods', json={'pod': body})
        assert resp.status_code == 201, resp.text
        ids.append(resp.json()['pod']['pod_id'])
    return ids[1:]


@pytest.fixture(scope='module')
def routings(admin_api, pod_ids):
    made = []
    for i in range(5):
        for pod_id in pod_ids:
            resp = admin_api.call('POST', '/routings', json={'routing': {
                'top_id': 'top-%d' % i, 'bottom_id': 'bottom-%d' % i,
                'pod_id': pod_id, 'project_id': 'project-a',
                'resource_type': 'network' if i % 2 else 'port'}})
            assert resp.status_code == 201, resp.text
            made.append(resp.json()['routing'])
    return made


def test_create_and_show(admin_api, routings, pod_ids):
    first = routings[0]
    assert first['top_id'] == 'top-0' and first['pod_id'] == pod_ids[0]
    assert first['created_at']
    resp = admin_api.call('GET', '/routings/%d' % first['id'])
    assert resp.status_code == 200
    assert resp.json()['routing'] == first


def test_filters(admin_api, routings, pod_ids):
    resp = admin_api.call('GET', '/routings?pod_id=%s&resource_type=network'
                          % pod_ids[1])
    got = resp.json()['routings']
    assert sorted(r['top_id'] for r in got) == ['top-1', 'top-3']
    assert {r['pod_id'] for r in got} == {pod_ids[1]}
    resp = admin_api.call('GET', '/routings?top_id=top-4')
    assert len(resp.json()['routings']) == 2


def test_pagination_walks_everything_once(admin_api, routings):
    seen, url = [], '/routings?limit=3'
    while url:
        page = admin_api.call('GET', url).json()
        assert len(page['routings']) <= 3
        seen += [r['id'] for r in page['routings']]
        links = page.get('routings_links', [])
        url = links[0]['href'].split('/v1.0', 1)[1] if links else None
    assert seen == sorted(r['id'] for r in _routings(admin_api))
    assert len(seen) == len(set(seen)) >= len(routings)


def test_update_and_delete(admin_api, pod_ids):
    resp = admin_api.call('POST', '/routings', json={'routing': {
        'top_id': 'router-x', 'pod_id': pod_ids[0], 'project_id': 'p',
        'resource_type': 'router'}})
    assert resp.status_code == 201, resp.text
    routing = resp.json()['routing']
    assert routing['bottom_id'] is None

    resp = admin_api.call('PUT', '/routings/%d' % routing['id'], json={
        'routing': {'bottom_id': 'router-y', 'pod_id': pod_ids[1]}})
    assert resp.status_code == 200, resp.text
    updated = resp.json()['routing']
    assert updated['bottom_id'] == 'router-y'
    assert updated['pod_id'] == pod_ids[1]
    assert updated['updated_at']

    assert admin_api.call(
        'DELETE', '/routings/%d' % routing['id']).status_code == 204
    assert_error(admin_api.call('GET', '/routings/%d' % routing['id']), 404,
                 'RoutingNotFound')


def _valid(pod_id, overrides):
    body = {'top_id': 'new-top', 'bottom_id': 'new-bottom', 'pod_id': pod_id,
            'project_id': 'project-a', 'resource_type': 'subnet'}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not Ellipsis}


@pytest.mark.parametrize('overrides', [
    {'pod_id': 'no-such-pod'},
    {'resource_type': 'spaceship'},
    {'resource_type': ''},
    {'top_id': Ellipsis},
    {'pod_id': Ellipsis},
    {'project_id': Ellipsis},
    {'resource_type': Ellipsis},
    {'top_id': 17},
    {'top_id': 'x' * 128},
    {'bottom_id': 'x' * 37},
    {'colour': 'red'},
])
def test_bad_create_is_400_and_writes_nothing(admin_api, routings, pod_ids,
                                              overrides):
    before = _routings(admin_api)
    resp = admin_api.call('POST', '/routings',
                          json={'routing': _valid(pod_ids[0], overrides)})
    assert_error(resp, 400, 'InvalidInput')
    assert _routings(admin_api) == before


@pytest.mark.parametrize('kwargs', [
    {'data': b'{{'}, {'json': {'routing': []}}, {'json': {}},
])
def test_malformed_body_is_400(admin_api, routings, kwargs):
    before = _routings(admin_api)
    assert_error(admin_api.call('POST', '/routings', **kwargs), 400)
    assert _routings(admin_api) == before


def test_duplicate_is_409(admin_api, routings):
    first = routings[0]
    body = {k: first[k] for k in ('top_id', 'bottom_id', 'pod_id',
                                  'project_id', 'resource_type')}
    before = _routings(admin_api)
    resp = admin_api.call('POST', '/routings', json={'routing': body})
    assert_error(resp, 409, 'DuplicateRouting')
    # Moving another routing onto the same (top_id, pod, type) is a
    # conflict too, and leaves that routing as it was.
    other = routings[2]
    resp = admin_api.call('PUT', '/routings/%d' % other['id'], json={
        'routing': {'top_id': first['top_id'],
                    'resource_type': first['resource_type']}})
    assert_error(resp, 409, 'DuplicateRouting')
    assert _routings(admin_api) == before


@pytest.mark.parametrize('body', [
    {'routing': {}}, {'routing': {'colour': 'red'}},
    {'routing': {'pod_id': 'no-such-pod'}},
    {'routing': {'resource_type': 'spaceship'}},
    {'routing': {'top_id': None}},
])
def test_bad_update_is_400_and_changes_nothing(admin_api, routings, body):
    before = _routings(admin_api)
    resp = admin_api.call('PUT', '/routings/%d' % routings[0]['id'],
                          json=body)
    assert_error(resp, 400, 'InvalidInput')
    assert _routings(admin_api) == before


@pytest.mark.parametrize('path', ['/routings/999999', '/routings/abc',
                                  '/routings/-1', '/routings/1e3',
                                  '/routings/99999999999999999999999'])
def test_unknown_routing_is_404(admin_api, routings, path):
    for method in ('GET', 'DELETE'):
        assert_error(admin_api.call(method, path), 404, 'RoutingNotFound')
    resp = admin_api.call('PUT', path, json={'routing': {'top_id': 'z'}})
    assert_error(resp, 404, 'RoutingNotFound')


@pytest.mark.parametrize('query', ['marker=abc', 'limit=x', 'size=3'])
def test_bad_list_parameters(admin_api, routings, query):
    resp = admin_api.call('GET', '/routings?' + query)
    assert_error(resp, 400, 'InvalidInput')


@pytest.mark.parametrize('query', ['resource_type=bogus',
                                   'resource_type=NETWORK',
                                   'pod_id=x&resource_type=volume'])
def test_bad_resource_type_filter_is_400(admin_api, query):
    """GET validates resource_type like POST does (the allowed values in
    the message), rather than answering an empty list."""
    body = assert_error(admin_api.call('GET', '/routings?' + query), 400,
                        'InvalidInput')
    assert 'resource_type must be one of' in body['message']
    for rtype in constants.RESOURCE_TYPES:
        assert rtype in body['message']


def test_every_resource_type_filter_is_accepted(admin_api):
    for rtype in constants.RESOURCE_TYPES:
        resp = admin_api.call('GET', '/routings?resource_type=%s' % rtype)
        assert resp.status_code == 200, resp.text
