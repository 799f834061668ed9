"""tricircle.db.jobs on SQLite, MariaDB and PostgreSQL: coalescing, claim
exclusivity (also from concurrent threads, each on its own connection),
lease takeover, backoff, redo and delete rules, results."""

import collections
import threading
import time

from oslo_serialization import jsonutils
from oslo_utils import timeutils
import pytest

from tricircle.common import exceptions as exc
from tricircle.db import job_rows
from tricircle.db import jobs


def _at(iso):
    return timeutils.parse_isotime(iso).replace(tzinfo=None)


def _by_status(**filters):
    counts = collections.Counter(j['status']
                                 for j in jobs.list_jobs(None, filters))
    return dict(counts)


# -- registration ----------------------------------------------------------

def test_burst_coalesces_into_one_job_with_latest_extra(db):
    first = jobs.register_job(None, 'noop', 'r1', 'p1', {'n': 0})
    for n in range(1, 10):
        job = jobs.register_job(None, 'noop', 'r1', 'p1', {'n': n})
        assert job['id'] == first['id']
    assert jobs.list_jobs(None) == [job]
    assert job['extra'] == {'n': 9} and job['status'] == 'NEW'
    assert job['project_id'] == 'p1' and job['attempts'] == 0
    # Another resource or type is another job.
    assert jobs.register_job(None, 'noop', 'r2')['id'] != first['id']
    assert jobs.register_job(None, 'sleep', 'r1')['id'] != first['id']
    claimed = jobs.claim_job(None, 'w1', 30, types=['noop'])
    assert claimed['extra'] in ({'n': 9}, None)


def test_registration_while_running_queues_exactly_one(db):
    running = jobs.register_job(None, 'noop', 'r1', extra={'n': 0})
    assert jobs.claim_job(None, 'w1', 30)['id'] == running['id']
    queued = {jobs.register_job(None, 'noop', 'r1', extra={'n': n})['id']
              for n in range(1, 6)}
    assert len(queued) == 1 and running['id'] not in queued
    assert _by_status() == {'RUNNING': 1, 'NEW': 1}
    # Not claimable while the running one holds its lease.
    assert jobs.claim_job(None, 'w2', 30) is None
    jobs.finish_job(None, running['id'], 'w1', True)
    nxt = jobs.claim_job(None, 'w2', 30)
    assert nxt['id'] in queued and nxt['extra'] == {'n': 5}


def test_registration_revives_a_failed_job(db):
    job = jobs.register_job(None, 'noop', 'r1', extra={'n': 0})
    jobs.claim_job(None, 'w1', 30)
    failed = jobs.finish_job(None, job['id'], 'w1', False, error='boom',
                             backoff=lambda attempts: 3600)
    assert failed['status'] == 'FAIL' and failed['last_error'] == 'boom'
    assert jobs.claim_job(None, 'w1', 30) is None  # not due for an hour
    again = jobs.register_job(None, 'noop', 'r1', extra={'n': 1})
    assert again['id'] == job['id'] and again['status'] == 'NEW'
    assert again['extra'] == {'n': 1}
    assert jobs.claim_job(None, 'w1', 30)['id'] == job['id']


def test_concurrent_registrations_keep_one_pending_per_key(db):
    """Threads on their own connections register the same keys at once,
    including first registrations (no row to lock yet)."""
    errors = []

    def register(worker):
        try:
            for n in range(15):
                jobs.register_job(None, 'noop', 'key-%d' % (n % 5),
                                  extra={'w': worker, 'n': n})
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=register, args=(w,))
               for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    keys = collections.Counter(j['resource_id']
                               for j in jobs.list_jobs(None))
    assert keys == {'key-%d' % i: 1 for i in range(5)}


# -- claims and leases -----------------------------------------------------

def test_concurrent_claims_take_each_job_once(db):
    created = {jobs.register_job(None, 'noop', 'r%d' % i)['id']
               for i in range(40)}
    claimed, errors = [], []

    def worker(name):
        try:
            while True:
                job = jobs.claim_job(None, name, 30)
                if job is None:
                    return
                claimed.append(job['id'])
                jobs.finish_job(None, job['id'], name, True)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=('w%d' % i,))
               for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(claimed) == sorted(created)
    assert _by_status() == {'SUCCESS': 40}
    for job_id in created:
        assert [l['status'] for l in jobs.list_job_logs(None, job_id)] == [
            'SUCCESS']


def test_expired_running_and_pending_of_one_key_never_run_together(db):
    """A dead worker's job and a newer job of the same key are both due;
    concurrent claimers get exactly one of them."""
    dead = jobs.register_job(None, 'noop', 'r1')
    jobs.claim_job(None, 'dead-worker', 0.3)
    newer = jobs.register_job(None, 'noop', 'r1')
    time.sleep(0.4)
    got = []
    threads = [threading.Thread(target=lambda n=n: got.append(
        jobs.claim_job(None, 'w%d' % n, 30))) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [j for j in got if j is not None]
    assert len(won) == 1 and won[0]['id'] in (dead['id'], newer['id'])
    assert _by_status().get('RUNNING') == 1
    if won[0]['id'] == newer['id']:
        # The newer job does the dead one's work: that one is retired.
        retired = jobs.get_job(None, dead['id'])
        assert retired['status'] == 'FAIL'
        assert retired['next_attempt_at'] is None
        assert 'superseded by job %s' % newer['id'] in retired['last_error']
    else:
        assert jobs.get_job(None, newer['id'])['status'] == 'NEW'


def test_lease_takeover_after_expiry(db):
    job = jobs.register_job(None, 'noop', 'r1')
    assert jobs.claim_job(None, 'w1', 0.5)['lease_owner'] == 'w1'
    assert jobs.claim_job(None, 'w2', 30) is None
    time.sleep(0.6)
    taken = jobs.claim_job(None, 'w2', 30)
    assert taken['id'] == job['id'] and taken['lease_owner'] == 'w2'
    assert taken['attempts'] == 2
    logs = jobs.list_job_logs(None, job['id'])
    assert [l['status'] for l in logs] == ['FAIL']
    assert 'w1' in logs[0]['message'] and 'w2' in logs[0]['message']
    # The old owner can neither renew nor finish any more.
    assert jobs.renew_lease(None, job['id'], 'w1', 30) is False
    assert jobs.finish_job(None, job['id'], 'w1', True) is None
    assert jobs.finish_job(None, job['id'], 'w2', True)['status'] == (
        'SUCCESS')


def test_renewed_lease_is_not_taken_over(db):
    job = jobs.register_job(None, 'noop', 'r1')
    claimed = jobs.claim_job(None, 'w1', 0.6)
    for _ in range(3):
        time.sleep(0.3)
        assert jobs.renew_lease(None, job['id'], 'w1', 0.6) is True
        assert jobs.claim_job(None, 'w2', 30) is None
    shown = jobs.get_job(None, job['id'])
    assert _at(shown['lease_expires_at']) > _at(claimed['lease_expires_at'])
    assert jobs.finish_job(None, job['id'], 'w2', True) is None


def test_claim_only_the_given_types(db):
    jobs.register_job(None, 'router_setup', 'r1')
    assert jobs.claim_job(None, 'w1', 30, types=['noop']) is None
    assert jobs.claim_job(None, 'w1', 30, types=['router_setup'])


# -- failures and backoff --------------------------------------------------

def test_backoff_is_exponential_with_a_cap():
    assert [jobs.backoff_seconds(n, 1, 10) for n in range(1, 7)] == [
        1, 2, 4, 8, 10, 10]
    assert jobs.backoff_seconds(10 ** 6, 0.5, 300) == 300


def test_failed_job_is_retried_after_its_backoff(db):
    job = jobs.register_job(None, 'noop', 'r1')
    delays = []
    for attempt in (1, 2):
        jobs.claim_job(None, 'w1', 30)
        before = timeutils.utcnow()
        failed = jobs.finish_job(
            None, job['id'], 'w1', False, error='boom %d' % attempt,
            backoff=lambda n: jobs.backoff_seconds(n, 0.3, 10))
        delays.append((_at(failed['next_attempt_at']) - before)
                      .total_seconds())
        assert failed['attempts'] == attempt
        assert jobs.claim_job(None, 'w1', 30) is None
        time.sleep(0.3 * 2 ** (attempt - 1) + 0.1)
    assert 0.25 < delays[0] < 0.5 and 0.55 < delays[1] < 0.8
    assert jobs.claim_job(None, 'w1', 30)['attempts'] == 3
    assert [l['message'] for l in jobs.list_job_logs(None, job['id'])] == [
        'boom 1', 'boom 2']


def test_max_attempts_leaves_the_job_failed(db):
    job = jobs.register_job(None, 'noop', 'r1')
    jobs.claim_job(None, 'w1', 30)
    failed = jobs.finish_job(None, job['id'], 'w1', False, error='x',
                             backoff=lambda n: 0, max_attempts=1)
    assert failed['status'] == 'FAIL' and failed['next_attempt_at'] is None
    assert jobs.claim_job(None, 'w1', 30) is None
    # Not pending any more: a new registration is a new job.
    assert jobs.register_job(None, 'noop', 'r1')['id'] != job['id']


# -- redo, delete, list ----------------------------------------------------

def test_redo_rules(db):
    job = jobs.register_job(None, 'noop', 'r1')
    assert jobs.redo_job(None, job['id'])['status'] == 'NEW'
    jobs.claim_job(None, 'w1', 30)
    with pytest.raises(exc.JobRunning):
        jobs.redo_job(None, job['id'])
    jobs.finish_job(None, job['id'], 'w1', True)
    redone = jobs.redo_job(None, job['id'])
    assert redone['status'] == 'NEW' and redone['attempts'] == 0
    jobs.claim_job(None, 'w1', 30)
    jobs.finish_job(None, job['id'], 'w1', False, error='x',
                    backoff=lambda n: 3600)
    assert jobs.redo_job(None, job['id'])['status'] == 'NEW'
    assert jobs.claim_job(None, 'w1', 30)['id'] == job['id']
    jobs.finish_job(None, job['id'], 'w1', True)
    other = jobs.register_job(None, 'noop', 'r1')
    with pytest.raises(exc.JobPending):
        jobs.redo_job(None, job['id'])
    assert jobs.get_job(None, job['id'])['status'] == 'SUCCESS'
    assert jobs.get_job(None, other['id'])['status'] == 'NEW'
    with pytest.raises(exc.JobNotFound):
        jobs.redo_job(None, 'no-such-job')


def test_delete_rules(db):
    new = jobs.register_job(None, 'noop', 'new')
    jobs.delete_job(None, new['id'])
    with pytest.raises(exc.JobNotFound):
        jobs.get_job(None, new['id'])
    running = jobs.register_job(None, 'noop', 'running')
    jobs.claim_job(None, 'w1', 30)
    with pytest.raises(exc.JobRunning):
        jobs.delete_job(None, running['id'])
    assert jobs.get_job(None, running['id'])['status'] == 'RUNNING'
    jobs.finish_job(None, running['id'], 'w1', False, error='x')
    jobs.delete_job(None, running['id'])  # FAIL
    done = jobs.register_job(None, 'noop', 'done')
    jobs.claim_job(None, 'w1', 30)
    jobs.finish_job(None, done['id'], 'w1', True)
    with pytest.raises(exc.JobSucceeded):
        jobs.delete_job(None, done['id'])
    assert jobs.get_job(None, done['id'])['status'] == 'SUCCESS'
    assert len(jobs.list_job_logs(None, done['id'])) == 1
    with pytest.raises(exc.JobNotFound):
        jobs.delete_job(None, 'no-such-job')
    assert [j['id'] for j in jobs.list_jobs(None)] == [done['id']]


def test_list_filters_and_pages(db):
    made = [jobs.register_job(None, 'noop', 'r%d' % i, 'p%d' % (i % 2))
            for i in range(7)]
    jobs.register_job(None, 'sleep', 'r0', 'p0')
    assert len(jobs.list_jobs(None, {'type': 'noop'})) == 7
    assert len(jobs.list_jobs(None, {'project_id': 'p1'})) == 3
    assert [j['type'] for j in jobs.list_jobs(
        None, {'resource_id': 'r0', 'type': 'sleep'})] == ['sleep']
    assert jobs.list_jobs(None, {'status': 'SUCCESS'}) == []
    seen, marker = [], None
    while True:
        page = jobs.list_jobs(None, {'type': 'noop'}, limit=3, marker=marker)
        if not page:
            break
        seen += [j['id'] for j in page]
        marker = page[-1]['id']
    assert seen == sorted(j['id'] for j in made)
    with pytest.raises(exc.InvalidInput):
        jobs.list_jobs(None, {'lease_owner': 'x'})


# -- results ---------------------------------------------------------------

def _succeed(job_id, result, worker='w1'):
    assert jobs.claim_job(None, worker, 30)['id'] == job_id
    return jobs.finish_job(None, job_id, worker, True, result=result)


def test_result_is_stored_on_success_and_decoded(db):
    job = jobs.register_job(None, 'noop', 'r1')
    assert job['result'] is None
    found = {'drift': [{'pod': 'RegionOne', 'fix': ['router_setup', 'x'],
                        'detail': 'caf\u00e9'}], 'left_to_operator': 0}
    done = _succeed(job['id'], found)
    assert done['status'] == 'SUCCESS' and done['result'] == found
    assert jobs.get_job(None, job['id'])['result'] == found
    assert [j['result'] for j in jobs.list_jobs(None)] == [found]
    # Tuples come back as lists; a list is a result too.
    jobs.redo_job(None, job['id'])
    assert _succeed(job['id'], [('a', 1)])['result'] == [['a', 1]]
    # A run returning nothing leaves no result.
    jobs.redo_job(None, job['id'])
    assert _succeed(job['id'], None)['result'] is None
    assert jobs.get_job(None, job['id'])['result'] is None


def test_failure_redo_and_coalescing_keep_the_last_result(db):
    job = jobs.register_job(None, 'noop', 'r1')
    _succeed(job['id'], {'n': 1})
    assert jobs.redo_job(None, job['id'])['result'] == {'n': 1}
    jobs.claim_job(None, 'w1', 30)
    assert jobs.get_job(None, job['id'])['result'] == {'n': 1}  # RUNNING
    failed = jobs.finish_job(None, job['id'], 'w1', False, error='boom',
                             backoff=lambda n: 3600, result={'n': 2})
    assert failed['status'] == 'FAIL' and failed['result'] == {'n': 1}
    assert jobs.get_job(None, job['id'])['result'] == {'n': 1}
    # Revived by a registration, then taken over after a lost lease.
    assert jobs.register_job(None, 'noop', 'r1')['result'] == {'n': 1}
    jobs.claim_job(None, 'w1', 0.2)
    time.sleep(0.3)
    taken = jobs.claim_job(None, 'w2', 30)
    assert taken['id'] == job['id'] and taken['result'] == {'n': 1}
    # The lost owner's outcome is not recorded, its result neither.
    assert jobs.finish_job(None, job['id'], 'w1', True,
                           result={'n': 3}) is None
    assert jobs.finish_job(None, job['id'], 'w2', True,
                           result={'n': 4})['result'] == {'n': 4}


def test_a_long_result_is_truncated_to_valid_json(db):
    job = jobs.register_job(None, 'noop', 'r1')
    # Quotes and backslashes double when escaped again: the worst case.
    big = {'rows': ['"quoted\\" %d' % i for i in range(20000)]}
    full = jsonutils.dumps(big)
    assert len(full) > 2 * job_rows.MAX_RESULT_CHARS
    done = _succeed(job['id'], big)
    stored = jobs.get_job(None, job['id'])['result']
    assert stored == done['result']
    assert set(stored) == {'truncated', 'chars', 'text'}
    assert stored['truncated'] is True and stored['chars'] == len(full)
    assert full.startswith(stored['text'])
    assert len(jsonutils.dumps(stored)) <= job_rows.MAX_RESULT_CHARS
    assert len(stored['text']) > job_rows.MAX_RESULT_CHARS // 3


def test_result_encoding_caps_at_the_limit():
    assert job_rows.encode_result(None) is None
    assert job_rows.encode_result({'a': 'é'}) == '{"a": "\\u00e9"}'
    exact = 'x' * 98  # '"xx...x"' is 100 characters
    assert job_rows.encode_result(exact, limit=100) == '"%s"' % exact
    for value in ('x' * 101, '"' * 500, '\\' * 500, ['é'] * 80):
        text = job_rows.encode_result(value, limit=100)
        assert len(text) <= 100, value
        decoded = jsonutils.loads(text)
        assert decoded['truncated'] is True
        assert jsonutils.dumps(value).startswith(decoded['text'])
        assert len(text) >= 95  # cut no more than needed
    with pytest.raises((TypeError, ValueError)):
        job_rows.encode_result({'x': object()})


def test_an_unserialisable_result_is_noted_and_the_run_succeeds(db):
    job = jobs.register_job(None, 'noop', 'r1')
    done = _succeed(job['id'], {'x': object()})
    assert done['status'] == 'SUCCESS'
    assert list(done['result']) == ['unserialisable']
    assert 'object' in done['result']['unserialisable']
    assert jobs.get_job(None, job['id'])['result'] == done['result']
