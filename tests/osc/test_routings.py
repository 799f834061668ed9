"""``openstack multiregion networking routing ...`` against the sandbox."""

import json
import uuid

from tests.osc.conftest import failed
from tests.osc.conftest import ok


def test_routing_life(osc):
    tag = uuid.uuid4().hex[:8]
    project = 'osc-project-' + tag
    pod1 = osc.json('pod', 'show', 'Pod1')['pod_id']
    created = [json.loads(ok(r).stdout) for r in osc.parallel(*[
        ('routing', 'create', '--top-id', 'osc-%s-%d' % (tag, i),
         '--bottom-id', 'osc-bottom', '--pod', pod, '--project-id', project,
         '--resource-type', 'port', '-f', 'json')
        for i, pod in enumerate(('Pod1', pod1))])]
    routing = min(created, key=lambda r: r['id'])
    ids = [str(i) for i in sorted(r['id'] for r in created)]
    rid, top = str(routing['id']), routing['top_id']
    try:
        assert {(r['bottom_id'], r['pod_id'], r['project_id'],
                 r['resource_type']) for r in created} == {
            ('osc-bottom', pod1, project, 'port')}

        dup, show, listed, table, page, nothing, pod_in_use, bad_marker = (
            osc.parallel(
                ('routing', 'create', '--top-id', top, '--pod', pod1,
                 '--project-id', project, '--resource-type', 'port'),
                ('routing', 'show', rid, '-f', 'value', '-c', 'top_id',
                 '-c', 'pod_id'),
                ('routing', 'list', '--top-id', top, '--long', '-f', 'json'),
                ('routing', 'list', '--pod', 'Pod1', '--project-id', project,
                 '--resource-type', 'port'),
                ('routing', 'list', '--project-id', project, '--limit', '1',
                 '-f', 'value', '-c', 'ID'),
                ('routing', 'set', rid),
                ('pod', 'delete', 'Pod1'),
                ('routing', 'list', '--marker', 'x')))
        failed(dup, 409, 'DuplicateRouting')
        assert ok(show).stdout.split() == [top, pod1]
        listed = json.loads(ok(listed).stdout)
        assert [(str(r['ID']), r['Bottom ID'], r['Pod ID']) for r in
                listed] == [(rid, 'osc-bottom', pod1)]
        assert listed[0]['Created At']
        assert ok(table).stdout.count('| osc-%s-' % tag) == 2
        assert 'Resource Type' in table.stdout
        assert ok(page).stdout.split() == ids[:1]
        assert 'Nothing to set' in failed(nothing)
        failed(pod_in_use, 409, 'PodInUse')   # routings point at Pod1
        failed(bad_marker, 400, 'InvalidInput')

        rest = osc.value('routing', 'list', '--project-id', project,
                         '--marker', ids[0], '-c', 'ID')
        assert rest == ids[1:]
        updated = osc.json('routing', 'set', rid, '--bottom-id', 'osc-b2',
                           '--resource-type', 'network')
        assert (updated['bottom_id'], updated['resource_type']) == (
            'osc-b2', 'network') and updated['updated_at']
        cleared = osc.json('routing', 'set', rid, '--no-bottom-id')
        assert cleared['bottom_id'] is None and cleared['top_id'] == top
    finally:
        osc('routing', 'delete', *ids)
    show, delete = osc.parallel(('routing', 'show', rid),
                                ('routing', 'delete', rid, 'abc'))
    failed(show, 404, 'RoutingNotFound')
    assert '2 of 2 routings failed to delete' in failed(
        delete, 404, 'RoutingNotFound')


def test_create_bad_input_is_400(osc):
    err = osc.fails('routing', 'create', '--top-id', 'osc-bad', '--pod',
                    'Pod1', '--project-id', 'p', '--resource-type', 'bogus',
                    status=400, err_type='InvalidInput')
    assert 'resource_type must be one of' in err
