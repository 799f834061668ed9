"""``openstack multiregion networking job ...`` against the sandbox's
XJob: a ``noop`` job runs at once, a long ``sleep`` job stays RUNNING
(and holds back a second job of its key) while the test steers it."""

import json
import uuid

from tests.osc.conftest import failed
from tests.osc.conftest import ok


def test_noop_job(osc):
    resource = 'osc-' + uuid.uuid4().hex[:8]
    job = osc.json('job', 'create', '--type', 'noop', '--resource-id',
                   resource, '--project-id', 'osc-project',
                   '--extra', '{"why": "osc"}')
    assert (job['type'], job['resource_id'], job['extra']) == (
        'noop', resource, {'why': 'osc'})
    job = osc.wait_job(job['id'], ('SUCCESS',))
    assert job['attempts'] == 1 and [log['status'] for log in job['logs']] \
        == ['SUCCESS']

    table, listed, rows, delete = osc.parallel(
        ('job', 'show', job['id']),
        ('job', 'list', '--resource-id', resource, '--status', 'SUCCESS',
         '--type', 'noop', '-f', 'json'),
        ('job', 'list', '--resource-id', resource, '--long', '-f', 'value',
         '-c', 'ID', '-c', 'Next Attempt At'),
        ('job', 'delete', job['id']))
    table = ok(table).stdout
    assert '{"why": "osc"}' in table.split('| extra ')[1].splitlines()[0]
    assert ' SUCCESS' in table.split('| logs ')[1]
    assert [(j['ID'], j['Status'], j['Project ID']) for j in
            json.loads(ok(listed).stdout)] == [
        (job['id'], 'SUCCESS', 'osc-project')]
    assert ok(rows).stdout.splitlines() == ['%s None' % job['id']]
    assert 'only a NEW or FAIL job can be deleted' in failed(
        delete, 409, 'JobSucceeded')

    redone = osc.json('job', 'redo', job['id'])
    assert (redone['status'], redone['attempts']) == ('NEW', 0)


def test_running_job_cannot_be_deleted_or_redone(osc):
    resource = 'osc-sleep-' + uuid.uuid4().hex[:8]
    extra = json.dumps({'seconds': 120})
    job = osc.json('job', 'create', '--type', 'sleep', '--resource-id',
                   resource, '--extra', extra)
    osc.wait_job(job['id'], ('RUNNING',))
    delete, redo, queued = osc.parallel(
        ('job', 'delete', job['id']),
        ('job', 'redo', job['id']),
        ('job', 'create', '--type', 'sleep', '--resource-id', resource,
         '--extra', extra, '-f', 'json'))
    failed(delete, 409, 'JobRunning')
    failed(redo, 409, 'JobRunning')
    # Queued behind the running one (never claimed while its key holds a
    # lease): NEW, so not wanted any more, it can be deleted.
    queued = json.loads(ok(queued).stdout)
    assert queued['id'] != job['id'] and queued['status'] == 'NEW'
    osc('job', 'delete', queued['id'])
    osc.fails('job', 'show', queued['id'], status=404,
              err_type='JobNotFound')


def test_create_bad_input(osc):
    bad_type, bad_extra, not_json, bad_status = osc.parallel(
        ('job', 'create', '--type', 'bogus', '--resource-id', 'x'),
        ('job', 'create', '--type', 'sleep', '--resource-id', 'x',
         '--extra', '{"seconds": -1}'),
        ('job', 'create', '--type', 'noop', '--resource-id', 'x',
         '--extra', '{oops'),
        ('job', 'list', '--status', 'DONE'))
    assert 'unknown job type bogus' in failed(bad_type, 400,
                                              'UnknownJobType')
    assert 'extra.seconds' in failed(bad_extra, 400, 'InvalidInput')
    assert '--extra is not valid JSON' in failed(not_json)
    assert 'status must be one of' in failed(bad_status, 400,
                                             'InvalidInput')
