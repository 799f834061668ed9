"""tricircle.db.api on SQLite, MariaDB and PostgreSQL: constraints, errors,
pagination and filters behave the same on every backend."""

from oslo_db import exception as db_exc
import pytest

from tricircle.common import exceptions as exc
from tricircle.db import api
from tricircle.db import core
from tricircle.db import models


def _pod(region, az='az1', **kw):
    return api.create_pod(None, dict(region_name=region, az_name=az, **kw))


def _routing(pod_id, top_id='top-1', resource_type='network', **kw):
    return api.create_routing(None, dict(
        top_id=top_id, pod_id=pod_id, resource_type=resource_type, **kw))


# -- pods ------------------------------------------------------------------

def test_create_and_get_pod(db):
    pod = _pod('RegionOne', dc_name='dc1')
    assert pod == {'pod_id': pod['pod_id'], 'region_name': 'RegionOne',
                   'az_name': 'az1', 'pod_az_name': '', 'dc_name': 'dc1'}
    assert api.get_pod(None, pod['pod_id']) == pod
    assert api.get_pod_by_region(None, 'RegionOne') == pod
    assert api.get_pod_by_region(None, 'nowhere') is None
    with pytest.raises(exc.PodNotFound):
        api.get_pod(None, 'no-such-pod')


def test_duplicate_region_name(db):
    _pod('RegionOne')
    with pytest.raises(exc.DuplicatePod):
        _pod('RegionOne', az='az2')
    assert len(api.list_pods(None)) == 1


def test_region_name_unique_in_the_database(db):
    """The constraint itself, past the API's check: what a concurrent
    writer would hit, translated by oslo.db on each backend."""
    _pod('RegionOne')
    with pytest.raises(db_exc.DBDuplicateEntry):
        with core.writer() as session:
            session.add(models.Pod(pod_id='other', region_name='RegionOne'))
            session.flush()


def test_one_central_pod(db):
    central = _pod('CentralRegion', az=None)
    assert api.get_central_pod(None) == central
    assert central['az_name'] == ''
    with pytest.raises(exc.CentralPodExists):
        _pod('Central2', az='')
    with pytest.raises(exc.CentralPodExists):
        _pod('Central3', az=None)
    _pod('RegionOne', az='az1')
    assert api.get_central_pod(None) == central


def test_delete_pod(db):
    pod = _pod('RegionOne')
    routing = _routing(pod['pod_id'])
    with pytest.raises(exc.PodInUse) as err:
        api.delete_pod(None, pod['pod_id'])
    assert '1 resource routing' in str(err.value)
    assert api.get_pod(None, pod['pod_id']) == pod

    api.delete_routing(None, routing['id'])
    api.delete_pod(None, pod['pod_id'])
    with pytest.raises(exc.PodNotFound):
        api.get_pod(None, pod['pod_id'])
    with pytest.raises(exc.PodNotFound):
        api.delete_pod(None, pod['pod_id'])


def test_list_pods_pagination_and_filters(db):
    pods = [_pod('Region%d' % i, az='az%d' % (i % 2)) for i in range(5)]
    ids = sorted(p['pod_id'] for p in pods)

    assert [p['pod_id'] for p in api.list_pods(None)] == ids
    page1 = api.list_pods(None, limit=2)
    page2 = api.list_pods(None, limit=2, marker=page1[-1]['pod_id'])
    page3 = api.list_pods(None, limit=2, marker=page2[-1]['pod_id'])
    assert [p['pod_id'] for p in page1 + page2 + page3] == ids
    assert len(page3) == 1
    assert api.list_pods(None, limit=2, marker=ids[-1]) == []

    az0 = api.list_pods(None, filters={'az_name': 'az0'})
    assert sorted(p['region_name'] for p in az0) == [
        'Region0', 'Region2', 'Region4']
    assert api.list_pods(None, filters={'region_name': 'Region3'}) == [
        p for p in pods if p['region_name'] == 'Region3']
    assert len(api.list_pods(None, filters={'az_name': 'az0'}, limit=2)) == 2


# -- resource routings -----------------------------------------------------

def test_create_get_update_routing(db):
    pod = _pod('RegionOne')
    routing = _routing(pod['pod_id'], bottom_id='b-1', project_id='p1')
    assert isinstance(routing['id'], int)
    assert routing['created_at'] and routing['updated_at'] is None
    assert api.get_routing(None, routing['id']) == routing
    assert api.get_bottom_id(None, 'top-1', pod['pod_id'], 'network') == 'b-1'
    assert api.get_bottom_id(None, 'top-1', pod['pod_id'], 'port') is None

    updated = api.update_routing(None, routing['id'], {'bottom_id': 'b-2'})
    assert updated['bottom_id'] == 'b-2' and updated['updated_at']
    assert api.get_routing(None, routing['id']) == updated

    with pytest.raises(exc.RoutingNotFound):
        api.get_routing(None, routing['id'] + 1000)
    with pytest.raises(exc.RoutingNotFound):
        api.update_routing(None, routing['id'] + 1000, {'bottom_id': 'x'})
    api.delete_routing(None, routing['id'])
    with pytest.raises(exc.RoutingNotFound):
        api.delete_routing(None, routing['id'])


def test_routed_pods_are_the_pods_holding_a_copy(db):
    one, two, _idle = _pod('R1'), _pod('R2', 'az2'), _pod('R3', 'az3')
    _routing(one['pod_id'])
    _routing(two['pod_id'])
    _routing(two['pod_id'], resource_type='subnet')
    _routing(one['pod_id'], top_id='top-2')
    assert sorted(p['region_name'] for p in api.routed_pods(
        None, 'top-1', 'network')) == ['R1', 'R2']
    assert [p['az_name'] for p in api.routed_pods(
        None, 'top-1', 'subnet')] == ['az2']
    assert api.routed_pods(None, 'top-3', 'network') == []


def test_pods_holding_any_of_many(db):
    one, two, three = _pod('R1'), _pod('R2', 'az2'), _pod('R3', 'az3')
    _routing(one['pod_id'], top_id='p-1', resource_type='port')
    _routing(two['pod_id'], top_id='p-2', resource_type='port')
    _routing(two['pod_id'], top_id='p-3', resource_type='port')
    _routing(three['pod_id'], top_id='p-1', resource_type='network')
    assert api.pods_holding(None, ['p-1', 'p-2', 'p-3', 'p-9'], 'port') == {
        one['pod_id'], two['pod_id']}
    assert api.pods_holding(None, {'p-1'}, 'network') == {three['pod_id']}
    assert api.pods_holding(None, [], 'port') == set()
    _routing(three['pod_id'], top_id='p-2', resource_type='port')
    assert api.holders(None, ['p-1', 'p-2', 'p-9'], 'port') == {
        'p-1': {one['pod_id']}, 'p-2': {two['pod_id'], three['pod_id']}}
    assert api.holders(None, [], 'port') == {}


def test_delete_routings_of_one_copy(db):
    one, two = _pod('R1'), _pod('R2', 'az2')
    _routing(one['pod_id'])
    _routing(two['pod_id'])
    _routing(one['pod_id'], resource_type='subnet')
    assert api.delete_routings(None, 'top-1', one['pod_id'], 'network') == 1
    assert api.delete_routings(None, 'top-1', one['pod_id'], 'network') == 0
    assert sorted((r['pod_id'], r['resource_type'])
                  for r in api.list_routings(None)) == sorted(
        [(two['pod_id'], 'network'), (one['pod_id'], 'subnet')])


def test_duplicate_routing(db):
    pod = _pod('RegionOne')
    pod2 = _pod('RegionTwo', az='az2')
    _routing(pod['pod_id'])
    with pytest.raises(exc.DuplicateRouting):
        _routing(pod['pod_id'], bottom_id='another')
    # Any of the three differing is a distinct routing.
    _routing(pod2['pod_id'])
    _routing(pod['pod_id'], top_id='top-2')
    other = _routing(pod['pod_id'], resource_type='subnet')
    assert len(api.list_routings(None)) == 4

    with pytest.raises(exc.DuplicateRouting):
        api.update_routing(None, other['id'], {'resource_type': 'network'})
    assert api.get_routing(None, other['id']) == other


def test_routing_needs_existing_pod(db):
    pod = _pod('RegionOne')
    with pytest.raises(exc.InvalidInput):
        _routing('no-such-pod')
    routing = _routing(pod['pod_id'])
    with pytest.raises(exc.InvalidInput):
        api.update_routing(None, routing['id'], {'pod_id': 'no-such-pod'})
    assert api.list_routings(None) == [routing]


def test_routing_foreign_key_in_the_database(db):
    with pytest.raises(db_exc.DBReferenceError):
        with core.writer() as session:
            session.add(models.ResourceRouting(
                top_id='t', pod_id='no-such-pod', resource_type='network'))
            session.flush()


def test_list_routings_pagination_and_filters(db):
    pod1 = _pod('RegionOne')
    pod2 = _pod('RegionTwo', az='az2')
    made = []
    for i in range(7):
        made.append(_routing(
            (pod1, pod2)[i % 2]['pod_id'], top_id='top-%d' % i,
            resource_type=('network', 'port')[i % 3 == 0],
            project_id='p%d' % (i % 2)))
    ids = [r['id'] for r in made]
    assert ids == sorted(ids)

    assert api.list_routings(None) == made
    pages, marker = [], None
    while True:
        page = api.list_routings(None, limit=3, marker=marker)
        if not page:
            break
        pages.append([r['id'] for r in page])
        marker = page[-1]['id']
    assert pages == [ids[0:3], ids[3:6], ids[6:]]

    in_pod1 = api.list_routings(None, filters={'pod_id': pod1['pod_id']})
    assert in_pod1 == made[0::2]
    ports = api.list_routings(None, filters={'resource_type': 'port'})
    assert [r['top_id'] for r in ports] == ['top-0', 'top-3', 'top-6']
    both = api.list_routings(None, filters={'pod_id': pod2['pod_id'],
                                            'resource_type': 'port'})
    assert [r['top_id'] for r in both] == ['top-3']
    assert api.list_routings(None, filters={'project_id': 'p1'},
                             limit=2) == made[1:4:2]
