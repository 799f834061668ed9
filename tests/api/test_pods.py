"""Pods CRUD against a real Admin API process, over HTTP."""

import pytest

from tests.api.conftest import assert_error


def _pods(api):
    resp = api.call('GET', '/pods')
    assert resp.status_code == 200
    return sorted(resp.json()['pods'], key=lambda p: p['region_name'])


@pytest.fixture(scope='module')
def pods(admin_api):
    central = admin_api.call('POST', '/pods',
                             json={'pod': {'pod_name': 'RegionOne'}})
    assert central.status_code == 201, central.text
    created = [central.json()['pod']]
    for i in (1, 2):
        resp = admin_api.call('POST', '/pods', json={
            'pod': {'region_name': 'Pod%d' % i, 'az_name': 'az%d' % i}})
        assert resp.status_code == 201, resp.text
        created.append(resp.json()['pod'])
    return created


def test_create_list_show(admin_api, pods):
    central, pod1, pod2 = pods
    assert central['region_name'] == 'RegionOne'
    assert central['az_name'] == ''
    assert pod1['az_name'] == 'az1' and pod2['region_name'] == 'Pod2'
    assert [p['region_name'] for p in _pods(admin_api)] == [
        'Pod1', 'Pod2', 'RegionOne']
    shown = admin_api.call('GET', '/pods/%s' % pod1['pod_id'])
    assert shown.status_code == 200
    assert shown.json()['pod'] == pod1


def test_filter_and_paginate(admin_api, pods):
    resp = admin_api.call('GET', '/pods?az_name=az2')
    assert [p['region_name'] for p in resp.json()['pods']] == ['Pod2']

    seen, url = [], '/pods?limit=2'
    while url:
        page = admin_api.call('GET', url).json()
        seen += [p['pod_id'] for p in page['pods']]
        links = page.get('pods_links', [])
        url = links[0]['href'].split('/v1.0', 1)[1] if links else None
    assert sorted(seen) == sorted(p['pod_id'] for p in pods)
    assert len(seen) == 3


@pytest.mark.parametrize('body, err_type', [
    ({'pod': {'region_name': 'Pod1', 'az_name': 'az9'}}, 'DuplicatePod'),
    ({'pod': {'region_name': 'Another'}}, 'CentralPodExists'),
    ({'pod': {'region_name': 'Another', 'az_name': ''}}, 'CentralPodExists'),
])
def test_conflicts_change_nothing(admin_api, pods, body, err_type):
    before = _pods(admin_api)
    assert_error(admin_api.call('POST', '/pods', json=body), 409, err_type)
    assert _pods(admin_api) == before


@pytest.mark.parametrize('kwargs', [
    {'json': {'pod': {'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': '', 'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': '   ', 'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': 42, 'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': ['Pod3'], 'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': 'P' * 256, 'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': 'Pod\n3', 'az_name': 'az3'}}},
    {'json': {'pod': {'region_name': 'Pod3', 'az_name': 3}}},
    {'json': {'pod': {'region_name': 'Pod3', 'color': 'blue'}}},
    {'json': {'pod': {'region_name': 'Pod3', 'pod_name': 'Pod4',
                      'az_name': 'az3'}}},
    {'json': {'pods': {'region_name': 'Pod3'}}},
    {'json': {'pod': 'Pod3'}},
    {'json': ['Pod3']},
    {'data': b'{"pod": {"region_name": "Pod3"'},
    {'data': b'not json at all'},
    {'data': b''},
])
def test_bad_input_is_400_and_writes_nothing(admin_api, pods, kwargs):
    before = _pods(admin_api)
    kwargs.setdefault('headers', {'Content-Type': 'application/json'})
    resp = admin_api.call('POST', '/pods', **kwargs)
    assert_error(resp, 400, 'InvalidInput')
    assert _pods(admin_api) == before


@pytest.mark.parametrize('query', ['limit=abc', 'limit=0', 'limit=-1',
                                   'color=blue'])
def test_bad_list_parameters(admin_api, pods, query):
    assert_error(admin_api.call('GET', '/pods?' + query), 400, 'InvalidInput')


def test_unknown_pod_is_404(admin_api, pods):
    resp = admin_api.call('GET', '/pods/no-such-pod')
    assert_error(resp, 404, 'PodNotFound')
    assert_error(admin_api.call('DELETE', '/pods/no-such-pod'), 404,
                 'PodNotFound')
    assert_error(admin_api.call('GET', '/nothing-here'), 404)
    assert_error(admin_api.call('PATCH', '/pods'), 405)


def test_delete_pod_with_routings_is_409(admin_api, pods):
    pod3 = admin_api.call('POST', '/pods', json={
        'pod': {'region_name': 'Pod3', 'az_name': 'az3'}}).json()['pod']
    routing = admin_api.call('POST', '/routings', json={'routing': {
        'top_id': 'net-1', 'bottom_id': 'net-1', 'pod_id': pod3['pod_id'],
        'project_id': 'p1', 'resource_type': 'network'}})
    assert routing.status_code == 201, routing.text
    before = _pods(admin_api)
    assert_error(admin_api.call('DELETE', '/pods/%s' % pod3['pod_id']), 409,
                 'PodInUse')
    assert _pods(admin_api) == before

    rid = routing.json()['routing']['id']
    assert admin_api.call('DELETE', '/routings/%d' % rid).status_code == 204
    resp = admin_api.call('DELETE', '/pods/%s' % pod3['pod_id'])
    assert resp.status_code == 204
    assert_error(admin_api.call('GET', '/pods/%s' % pod3['pod_id']), 404)
    assert len(_pods(admin_api)) == 3
