"""tricircle-xjob processes sharing one DB: every job runs exactly once, a
long job keeps its lease, a SIGKILLed worker's job is taken over once its
lease expires, SIGTERM drains or hands jobs back."""

import collections
import signal
import time

from tricircle.db import jobs


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, 'timed out waiting for ' + what
        time.sleep(0.1)


def _statuses():
    return collections.Counter(j['status'] for j in jobs.list_jobs(None))


def _runs(job_id):
    return [(l['status'], l['message'])
            for l in jobs.list_job_logs(None, job_id)]


def test_two_processes_run_each_of_200_jobs_once(any_db, start_xjob):
    workers = [start_xjob(any_db, 'xjob-%d' % i, workers=4)
               for i in (1, 2)]
    made = [jobs.register_job(None, 'noop', 'res-%d' % i)
            for i in range(200)]
    _wait(lambda: _statuses() == {'SUCCESS': 200}, 120,
          'all jobs to succeed (now %s)' % _statuses())
    for job in made:
        assert _runs(job['id']) == [('SUCCESS', None)], job['id']
    ran = [w.log().count(' succeeded in ') for w in workers]
    assert sum(ran) == 200, ran
    for w in workers:
        assert 'ERROR' not in w.log() and 'Traceback' not in w.log()


def test_burst_on_one_resource_runs_with_the_latest_state(sqlite_db,
                                                          start_xjob):
    start_xjob(sqlite_db, workers=2)
    first = jobs.register_job(None, 'sleep', 'res', extra={'seconds': 1})
    _wait(lambda: jobs.get_job(None, first['id'])['status'] == 'RUNNING',
          30, 'the first run')
    burst = {jobs.register_job(None, 'sleep', 'res',
                               extra={'seconds': 0, 'n': n})['id']
             for n in range(10)}
    assert len(burst) == 1 and first['id'] not in burst
    _wait(lambda: _statuses() == {'SUCCESS': 2}, 30, 'both runs')
    (queued,) = burst
    assert jobs.get_job(None, queued)['extra'] == {'seconds': 0, 'n': 9}
    assert _runs(queued) == [('SUCCESS', None)]


def test_long_job_keeps_its_lease_and_sigkill_hands_it_over(sqlite_db,
                                                            start_xjob):
    # Both run before the job exists, so a slow start of the second
    # cannot eat into the time the first must hold the lease.
    pair = [start_xjob(sqlite_db, name, lease_seconds=3)
            for name in ('xjob-a', 'xjob-b')]
    job = jobs.register_job(None, 'sleep', 'long', extra={'seconds': 10})
    owner = _wait(lambda: next((w for w in pair if w.owns(
        jobs.get_job(None, job['id']))), None), 30, 'one of them to run it')
    other = pair[1 - pair.index(owner)]
    time.sleep(4.5)  # longer than a lease: the heartbeat must renew it
    running = jobs.get_job(None, job['id'])
    assert running['status'] == 'RUNNING' and owner.owns(running)
    assert running['attempts'] == 1

    owner.signal(signal.SIGKILL)
    owner.proc.wait()
    _wait(lambda: other.owns(jobs.get_job(None, job['id'])), 30,
          'the other to take the job over')
    done = _wait(lambda: (lambda j: j if j['status'] == 'SUCCESS' else None)(
        jobs.get_job(None, job['id'])), 30, 'the other to finish it')
    assert done['attempts'] == 2
    (expired, _), succeeded = _runs(job['id'])
    assert expired == 'FAIL' and succeeded == ('SUCCESS', None)
    assert 'taken over by' in _runs(job['id'])[0][1]
    assert ' succeeded in ' in other.log()


def test_sigterm_lets_the_running_job_finish(sqlite_db, start_xjob):
    a = start_xjob(sqlite_db, shutdown_grace=20)
    job = jobs.register_job(None, 'sleep', 'r1', extra={'seconds': 2})
    _wait(lambda: jobs.get_job(None, job['id'])['status'] == 'RUNNING', 30,
          'the job to start')
    a.signal(signal.SIGTERM)
    time.sleep(0.5)
    later = jobs.register_job(None, 'noop', 'r2')
    assert a.proc.wait(20) == 0
    assert jobs.get_job(None, job['id'])['status'] == 'SUCCESS'
    # It stopped claiming at once: the job queued after SIGTERM waits.
    assert jobs.get_job(None, later['id'])['status'] == 'NEW'
    assert 'Traceback' not in a.log()


def test_sigterm_after_the_grace_hands_the_job_back(sqlite_db, start_xjob):
    a = start_xjob(sqlite_db, shutdown_grace=0.5)
    job = jobs.register_job(None, 'sleep', 'r1', extra={'seconds': 60})
    _wait(lambda: jobs.get_job(None, job['id'])['status'] == 'RUNNING', 30,
          'the job to start')
    a.signal(signal.SIGTERM)
    assert a.proc.wait(20) == 0
    handed = jobs.get_job(None, job['id'])
    assert handed['status'] == 'FAIL' and handed['next_attempt_at']
    assert 'shut down' in handed['last_error']
    # Due at once: the next worker does not wait for a lease to expire.
    assert jobs.claim_job(None, 'next-worker', 30)['id'] == job['id']
