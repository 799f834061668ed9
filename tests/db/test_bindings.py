"""tricircle.db.bindings on SQLite, MariaDB and PostgreSQL: the unique
(project, AZ) key decides every race, and pods stay while bound."""

import pytest

from tricircle.common import exceptions as exc
from tricircle.db import api
from tricircle.db import bindings


@pytest.fixture
def pods(db):
    made = {}
    for region, az in (('Central', None), ('Pod1', 'az1'), ('Pod2', 'az1'),
                       ('Pod3', 'az2')):
        made[region] = api.create_pod(None, {'region_name': region,
                                             'az_name': az})['pod_id']
    return made


def _pick(region):
    def choose(candidates):
        return next(p['pod_id'] for p in candidates
                    if p['region_name'] == region)
    return choose


def test_bind_chooses_once_then_remembers(pods):
    offered = []

    def choose(candidates):
        offered.append([p['region_name'] for p in candidates])
        return _pick('Pod2')(candidates)

    first = bindings.bind(None, 'p1', 'az1', choose)
    assert (first['project_id'], first['az_name'], first['pod_id']) == (
        'p1', 'az1', pods['Pod2'])
    assert offered == [['Pod1', 'Pod2']]
    assert bindings.bind(None, 'p1', 'az1', _pick('Pod1')) == first
    assert offered == [['Pod1', 'Pod2']]   # not asked again
    other = bindings.bind(None, 'p2', 'az1', _pick('Pod1'))
    assert other['pod_id'] == pods['Pod1'] and other['id'] != first['id']


def test_concurrent_first_binds_agree(pods):
    """The second caller looked before the first inserted, so it chooses
    too (another pod); its insert loses and it gets the first's pod."""
    winner = {}

    def slow_choose(candidates):
        winner.update(bindings.bind(None, 'p1', 'az1', _pick('Pod1')))
        return _pick('Pod2')(candidates)

    got = bindings.bind(None, 'p1', 'az1', slow_choose)
    assert got == winner and got['pod_id'] == pods['Pod1']
    assert bindings.list_bindings(None, {'project_id': 'p1'}) == [winner]


def test_bind_refuses_an_empty_or_missing_zone(pods):
    def never(candidates):
        pytest.fail('choose called with %s' % candidates)

    with pytest.raises(exc.InvalidInput,
                       match='availability zone az9 has no pods'):
        bindings.bind(None, 'p1', 'az9', never)
    with pytest.raises(exc.InvalidInput, match='availability zone is '
                                               'required'):
        bindings.bind(None, 'p1', '', never)
    with pytest.raises(ValueError, match='not a pod of availability zone'):
        bindings.bind(None, 'p1', 'az1', lambda candidates: pods['Pod3'])
    assert bindings.list_bindings(None) == []


def test_create_duplicate_names_the_binding_in_the_way(pods):
    first = bindings.create_binding(None, 'p1', pods['Pod1'])
    with pytest.raises(exc.BindingExists) as err:
        bindings.create_binding(None, 'p1', pods['Pod2'])
    assert err.value.code == 409
    for word in ('p1', 'az1', first['id']):
        assert word in str(err.value)
    # Another AZ is another binding.
    bindings.create_binding(None, 'p1', pods['Pod3'])
    for pod_id, what in ((pods['Central'], 'has no az_name'),
                         ('no-such-pod', 'does not exist')):
        with pytest.raises(exc.InvalidInput, match=what):
            bindings.create_binding(None, 'p2', pod_id)
    assert len(bindings.list_bindings(None)) == 2


def test_move_within_the_zone_only(pods):
    binding = bindings.create_binding(None, 'p1', pods['Pod1'])
    moved = bindings.move_binding(None, binding['id'], pods['Pod2'])
    assert moved['pod_id'] == pods['Pod2'] and moved['updated_at']
    assert bindings.get_binding(None, binding['id']) == moved
    for pod_id, what in ((pods['Pod3'], 'availability zone az2'),
                         (pods['Central'], 'central'),
                         ('no-such-pod', 'does not exist')):
        with pytest.raises(exc.InvalidInput, match=what):
            bindings.move_binding(None, binding['id'], pod_id)
    assert bindings.get_binding(None, binding['id']) == moved
    with pytest.raises(exc.BindingNotFound):
        bindings.move_binding(None, 'no-such-binding', pods['Pod1'])


def test_pod_in_use_until_its_bindings_go(pods):
    binding = bindings.create_binding(None, 'p1', pods['Pod1'])
    with pytest.raises(exc.PodInUse, match='1 pod binding'):
        api.delete_pod(None, pods['Pod1'])
    api.create_routing(None, {'top_id': 't', 'pod_id': pods['Pod1'],
                              'resource_type': 'network'})
    with pytest.raises(exc.PodInUse, match='1 resource routing.* and 1 '
                                           'pod binding'):
        api.delete_pod(None, pods['Pod1'])
    bindings.delete_binding(None, binding['id'])
    with pytest.raises(exc.BindingNotFound):
        bindings.delete_binding(None, binding['id'])
    with pytest.raises(exc.BindingNotFound):
        bindings.get_binding(None, binding['id'])
    api.delete_pod(None, pods['Pod2'])


def test_list_filters_and_pagination(pods):
    made = [bindings.create_binding(None, 'p%d' % i,
                                    pods['Pod1' if i % 2 else 'Pod3'])
            for i in range(5)]
    ids = sorted(b['id'] for b in made)
    assert [b['id'] for b in bindings.list_bindings(None)] == ids
    seen, marker = [], None
    while True:
        page = bindings.list_bindings(None, limit=2, marker=marker)
        seen += [b['id'] for b in page]
        if len(page) < 2:
            break
        marker = page[-1]['id']
    assert seen == ids
    assert {b['project_id'] for b in bindings.list_bindings(
        None, {'az_name': 'az1'})} == {'p1', 'p3'}
    assert [b['project_id'] for b in bindings.list_bindings(
        None, {'pod_id': pods['Pod3'], 'project_id': 'p2'})] == ['p2']
