"""``openstack multiregion networking binding ...`` against the sandbox.

The binding's pods are made here, in an AZ of their own, so that the
sandbox's Pod1 (az1) and Pod2 (az2) keep one pod per AZ for the other
tests."""

import json
import uuid

from tests.osc.conftest import failed
from tests.osc.conftest import ok


def test_binding_life(osc):
    tag = uuid.uuid4().hex[:8]
    az, project = 'az-bind-' + tag, 'osc-project-' + tag
    regions = ['PodBind%s-%d' % (tag, i) for i in (1, 2)]
    pod_ids = [json.loads(ok(r).stdout)['pod_id'] for r in osc.parallel(*[
        ('pod', 'create', region, '--az-name', az, '-f', 'json')
        for region in regions])]
    bid = None
    try:
        binding = osc.json('binding', 'create', '--project-id', project,
                           '--pod', regions[0])
        bid = binding['id']
        assert (binding['project_id'], binding['az_name'],
                binding['pod_id']) == (project, az, pod_ids[0])

        dup, show, listed, other_az, in_use = osc.parallel(
            ('binding', 'create', '--project-id', project, '--pod',
             pod_ids[1]),
            ('binding', 'show', bid, '-f', 'value', '-c', 'az_name',
             '-c', 'pod_id'),
            ('binding', 'list', '--project-id', project, '--pod', regions[0],
             '--long', '-f', 'json'),
            ('binding', 'set', bid, '--pod', 'Pod2'),
            ('pod', 'delete', regions[0]))
        assert bid in failed(dup, 409, 'BindingExists')
        assert ok(show).stdout.split() == [az, pod_ids[0]]
        listed = json.loads(ok(listed).stdout)
        assert [(r['ID'], r['AZ Name']) for r in listed] == [(bid, az)]
        assert listed[0]['Created At']
        assert 'availability zone az2' in failed(other_az, 400,
                                                 'InvalidInput')
        assert '1 pod binding(s)' in failed(in_use, 409, 'PodInUse')

        moved = osc.json('binding', 'set', bid, '--pod', regions[1])
        assert moved['pod_id'] == pod_ids[1] and moved['updated_at']
        assert osc.value('binding', 'list', '--az-name', az, '-c',
                         'Pod ID') == [pod_ids[1]]
        osc('binding', 'delete', bid)
        show, delete = osc.parallel(('binding', 'show', bid),
                                    ('binding', 'delete', bid))
        failed(show, 404, 'BindingNotFound')
        assert '1 of 1 bindings failed to delete' in failed(
            delete, 404, 'BindingNotFound')
        bid = None
    finally:
        if bid:
            osc('binding', 'delete', bid, check=False)
        osc('pod', 'delete', *regions)
