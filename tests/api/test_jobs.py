"""``/v1.0/jobs`` over HTTP against a real tricircle-api process.

No XJob runs here: the test process plays the worker through
tricircle.db.jobs on the API's own database (claim = RUNNING, finish =
SUCCESS/FAIL), so every state the API must handle is real.
"""

import uuid

import pytest

from tricircle.db import core
from tricircle.db import jobs as db_jobs

from tests.api.conftest import assert_error


def _all(api):
    resp = api.call('GET', '/jobs')
    assert resp.status_code == 200, resp.text
    return sorted(resp.json()['jobs'], key=lambda j: j['id'])


def _create(api, resource_id=None, job_type='noop', **fields):
    body = dict(type=job_type, resource_id=resource_id or str(uuid.uuid4()),
                **fields)
    resp = api.call('POST', '/jobs', json={'job': body})
    assert resp.status_code == 201, resp.text
    return resp.json()['job']


@pytest.fixture(scope='module')
def db(admin_api):
    """The API's own database, for the test to act as an XJob worker."""
    core.configure(admin_api.db_url)
    return admin_api.db_url


def _run(job, success=True, result=None):
    """Claim the job as a worker would (running whatever due job comes
    first, as a worker would), then finish it as told."""
    while True:
        claimed = db_jobs.claim_job(None, 'test-worker', 300)
        assert claimed is not None, 'job %s is not due' % job['id']
        if claimed['id'] == job['id']:
            break
        db_jobs.finish_job(None, claimed['id'], 'test-worker', True)
    if success is not None:
        db_jobs.finish_job(None, job['id'], 'test-worker', success,
                           error=None if success else 'boom',
                           backoff=lambda n: 3600, result=result)


def test_create_show_list(admin_api, db):
    job = _create(admin_api, 'res-1', project_id='p1', extra={'a': 1})
    assert job['type'] == 'noop' and job['resource_id'] == 'res-1'
    assert job['status'] == 'NEW' and job['project_id'] == 'p1'
    assert job['extra'] == {'a': 1} and job['attempts'] == 0
    assert job['result'] is None
    shown = admin_api.call('GET', '/jobs/%s' % job['id']).json()['job']
    assert shown.pop('logs') == []
    assert shown == job
    assert job['id'] in [j['id'] for j in _all(admin_api)]


def test_post_coalesces_into_the_pending_job(admin_api, db):
    first = _create(admin_api, 'res-burst', extra={'n': 1})
    again = _create(admin_api, 'res-burst', extra={'n': 2})
    assert again['id'] == first['id'] and again['extra'] == {'n': 2}
    listed = admin_api.call('GET', '/jobs?resource_id=res-burst').json()
    assert [j['id'] for j in listed['jobs']] == [first['id']]


def test_show_includes_the_runs(admin_api, db):
    job = _create(admin_api, job_type='sleep', extra={'seconds': 0})
    _run(job, success=False)
    shown = admin_api.call('GET', '/jobs/%s' % job['id']).json()['job']
    assert shown['status'] == 'FAIL' and shown['last_error'] == 'boom'
    assert [(log['status'], log['message']) for log in shown['logs']] == [
        ('FAIL', 'boom')]


def test_show_and_list_include_the_result(admin_api, db):
    job = _create(admin_api, 'res-result')
    found = {'drift': [{'pod': 'RegionOne', 'fix': None}],
             'queued': [['router_setup', 'r1']], 'left_to_operator': 1}
    _run(job, result=found)
    shown = admin_api.call('GET', '/jobs/%s' % job['id']).json()['job']
    assert shown['status'] == 'SUCCESS' and shown['result'] == found
    listed = admin_api.call('GET', '/jobs?resource_id=res-result').json()
    assert [j['result'] for j in listed['jobs']] == [found]
    # A redo keeps it, and so does a failed run, until the next success.
    redone = admin_api.call('PUT', '/jobs/%s' % job['id']).json()['job']
    assert redone['status'] == 'NEW' and redone['result'] == found
    _run(job, success=False, result={'ignored': True})
    shown = admin_api.call('GET', '/jobs/%s' % job['id']).json()['job']
    assert shown['status'] == 'FAIL' and shown['result'] == found


def test_filters_and_pagination(admin_api, db):
    project = 'proj-%s' % uuid.uuid4().hex[:6]
    made = [_create(admin_api, project_id=project)]
    _run(made[0])
    made += [_create(admin_api, project_id=project) for _ in range(4)]
    resp = admin_api.call('GET', '/jobs?project_id=%s&status=SUCCESS'
                          % project)
    assert [j['id'] for j in resp.json()['jobs']] == [made[0]['id']]
    resp = admin_api.call('GET', '/jobs?project_id=%s&type=noop&status=NEW'
                          % project)
    assert len(resp.json()['jobs']) == 4
    seen, url = [], '/jobs?limit=2&project_id=%s' % project
    while url:
        page = admin_api.call('GET', url).json()
        seen += [j['id'] for j in page['jobs']]
        links = page.get('jobs_links', [])
        url = links[0]['href'].split('/v1.0', 1)[1] if links else None
    assert seen == sorted(j['id'] for j in made)


@pytest.mark.parametrize('query', [
    'status=DONE', 'status=new', 'lease_owner=x', 'color=blue',
    'limit=abc', 'limit=0', 'type=bogus', 'type=NOOP'])
def test_bad_list_parameters(admin_api, db, query):
    assert_error(admin_api.call('GET', '/jobs?' + query), 400, 'InvalidInput')


@pytest.mark.parametrize('kwargs', [
    {'json': {'job': {'resource_id': 'r'}}},
    {'json': {'job': {'type': 'no_such_type', 'resource_id': 'r'}}},
    {'json': {'job': {'type': 42, 'resource_id': 'r'}}},
    {'json': {'job': {'type': '', 'resource_id': 'r'}}},
    {'json': {'job': {'type': 'noop'}}},
    {'json': {'job': {'type': 'noop', 'resource_id': ''}}},
    {'json': {'job': {'type': 'noop', 'resource_id': '   '}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 7}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'r' * 128}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'a\nb'}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'r', 'color': 1}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'r', 'status': 'NEW'}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'r',
                      'project_id': 5}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'r', 'extra': [1]}}},
    {'json': {'job': {'type': 'noop', 'resource_id': 'r',
                      'extra': {'x': 'y' * 20000}}}},
    {'json': {'job': {'type': 'sleep', 'resource_id': 'r',
                      'extra': {'seconds': 'ten'}}}},
    {'json': {'job': {'type': 'sleep', 'resource_id': 'r',
                      'extra': {'seconds': 99999}}}},
    {'json': {'jobs': {'type': 'noop', 'resource_id': 'r'}}},
    {'json': {'job': 'noop'}},
    {'json': ['noop']},
    {'data': b'{"job": {"type": "noop"'},
    {'data': b''},
])
def test_bad_input_is_400_and_writes_nothing(admin_api, db, kwargs):
    before = _all(admin_api)
    kwargs.setdefault('headers', {'Content-Type': 'application/json'})
    assert_error(admin_api.call('POST', '/jobs', **kwargs), 400)
    assert _all(admin_api) == before


def test_redo(admin_api, db):
    job = _create(admin_api)
    _run(job)
    resp = admin_api.call('PUT', '/jobs/%s' % job['id'])
    assert resp.status_code == 200, resp.text
    redone = resp.json()['job']
    assert redone['id'] == job['id'] and redone['status'] == 'NEW'
    assert redone['attempts'] == 0
    # A NEW job may be redone too (it becomes due now).
    assert admin_api.call('PUT', '/jobs/%s' % job['id']).status_code == 200


def test_redo_running_is_409(admin_api, db):
    job = _create(admin_api)
    _run(job, success=None)
    before = _all(admin_api)
    resp = admin_api.call('PUT', '/jobs/%s' % job['id'])
    assert_error(resp, 409, 'JobRunning')
    assert _all(admin_api) == before
    db_jobs.finish_job(None, job['id'], 'test-worker', True)


def test_redo_when_another_job_is_pending_is_409(admin_api, db):
    job = _create(admin_api, 'res-pending')
    _run(job)
    newer = _create(admin_api, 'res-pending')
    before = _all(admin_api)
    body = assert_error(admin_api.call('PUT', '/jobs/%s' % job['id']), 409,
                        'JobPending')
    assert newer['id'] in body['message']
    assert _all(admin_api) == before


def test_delete(admin_api, db):
    new = _create(admin_api)
    assert admin_api.call('DELETE', '/jobs/%s' % new['id']).status_code == (
        204)
    resp = admin_api.call('GET', '/jobs/%s' % new['id'])
    assert_error(resp, 404, 'JobNotFound')
    failed = _create(admin_api)
    _run(failed, success=False)
    assert admin_api.call('DELETE', '/jobs/%s' % failed['id']).status_code \
        == 204
    running = _create(admin_api)
    _run(running, success=None)
    before = _all(admin_api)
    assert_error(admin_api.call('DELETE', '/jobs/%s' % running['id']), 409,
                 'JobRunning')
    assert _all(admin_api) == before
    db_jobs.finish_job(None, running['id'], 'test-worker', True)
    before = _all(admin_api)
    assert_error(admin_api.call('DELETE', '/jobs/%s' % running['id']), 409,
                 'JobSucceeded')
    assert _all(admin_api) == before


def test_unknown_job_is_404(admin_api, db):
    for method in ('GET', 'PUT', 'DELETE'):
        assert_error(admin_api.call(method, '/jobs/no-such-job'), 404,
                     'JobNotFound')
    assert_error(admin_api.call('PATCH', '/jobs'), 405)


def test_policy_denies_job_creation(tmp_path):
    from tests.api.conftest import AdminApi
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"tricircle:jobs:create": "!"\n'
                           '"tricircle:jobs:delete": "!"\n')
    api = AdminApi(str(tmp_path), extra_conf=(
        '[oslo_policy]\npolicy_file = %s\n' % policy_file))
    try:
        resp = api.call('POST', '/jobs', json={
            'job': {'type': 'noop', 'resource_id': 'r'}})
        assert_error(resp, 403, 'PolicyNotAuthorized')
        assert api.call('GET', '/jobs').json()['jobs'] == []
        assert_error(api.call('DELETE', '/jobs/x'), 403, 'PolicyNotAuthorized')
    finally:
        api.stop()


def test_bad_type_filter_names_the_types(admin_api, db):
    """Like POST, a list filter on a job type nothing can have is a 400
    listing the known types, not an empty page."""
    body = assert_error(admin_api.call('GET', '/jobs?type=bogus'), 400,
                        'InvalidInput')
    assert 'type must be one of' in body['message']
    assert 'noop' in body['message'] and 'router_setup' in body['message']
    resp = admin_api.call('GET', '/jobs?type=audit')
    assert resp.status_code == 200, resp.text
