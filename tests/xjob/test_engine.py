"""The engine in this process on a real SQLite DB: retries, backoff, job
types, and wake-ups through oslo.messaging's in-process ``fake:`` driver."""

import threading
import time

from oslo_config import cfg
import pytest

from tricircle.common import exceptions as exc
from tricircle.db import jobs
from tricircle.xjob import engine as xjob_engine
from tricircle.xjob import handlers
from tricircle.xjob import rpc


class Flaky:
    """A handler failing its first ``failures`` runs."""

    def __init__(self, failures):
        self.failures, self.runs = failures, []

    def __call__(self, ctx, job):
        self.runs.append(job['extra'])
        if len(self.runs) <= self.failures:
            raise RuntimeError('pod unreachable (run %d)' % len(self.runs))


def test_failures_are_retried_with_backoff(sqlite_db):
    flaky = Flaky(2)
    engine = xjob_engine.Engine('w1', {'flaky': flaky}, retry_base=0.3,
                                max_backoff=10)
    job = jobs.register_job(None, 'flaky', 'r1', extra={'v': 1})
    assert engine.run_once() is True
    assert engine.run_once() is False  # not due before its backoff
    time.sleep(0.35)
    assert engine.run_once() is True
    assert jobs.get_job(None, job['id'])['status'] == 'FAIL'
    assert engine.run_once() is False
    time.sleep(0.65)
    assert engine.run_once() is True
    done = jobs.get_job(None, job['id'])
    assert done['status'] == 'SUCCESS' and done['attempts'] == 3
    assert [l['status'] for l in jobs.list_job_logs(None, job['id'])] == [
        'FAIL', 'FAIL', 'SUCCESS']
    assert 'pod unreachable (run 2)' in jobs.list_job_logs(
        None, job['id'])[1]['message']
    assert flaky.runs == [{'v': 1}] * 3


def test_max_attempts_stops_retrying(sqlite_db):
    engine = xjob_engine.Engine('w1', {'flaky': Flaky(5)}, retry_base=0,
                                max_attempts=2)
    job = jobs.register_job(None, 'flaky', 'r1')
    assert engine.run_once() and engine.run_once()
    assert engine.run_once() is False
    failed = jobs.get_job(None, job['id'])
    assert failed['status'] == 'FAIL' and failed['next_attempt_at'] is None


def test_what_a_handler_returns_is_the_job_result(sqlite_db):
    found = {'checked': 3, 'fixed': [('router_setup', 'r1')]}
    answers = [found, RuntimeError('pod unreachable'), None]

    def handler(ctx, job):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    engine = xjob_engine.Engine('w1', {'report': handler}, retry_base=0)
    job = jobs.register_job(None, 'report', 'r1')
    assert engine.run_once() is True
    done = jobs.get_job(None, job['id'])
    assert done['status'] == 'SUCCESS'
    assert done['result'] == {'checked': 3, 'fixed': [['router_setup', 'r1']]}
    # A failed run keeps what the last successful one found...
    jobs.redo_job(None, job['id'])
    assert engine.run_once() is True
    failed = jobs.get_job(None, job['id'])
    assert failed['status'] == 'FAIL' and failed['result'] == done['result']
    # ... until the next success, here one that found nothing.
    assert engine.run_once() is True
    again = jobs.get_job(None, job['id'])
    assert again['status'] == 'SUCCESS' and again['result'] is None


def test_an_unserialisable_result_does_not_fail_the_run(sqlite_db):
    engine = xjob_engine.Engine('w1', {'odd': lambda c, j: {'x': object()}})
    job = jobs.register_job(None, 'odd', 'r1')
    assert engine.run_once() is True
    done = jobs.get_job(None, job['id'])
    assert done['status'] == 'SUCCESS'
    assert list(done['result']) == ['unserialisable']


def test_the_audit_job_records_its_drift_and_fixes(sqlite_db, monkeypatch):
    from tricircle.network.sync import audit
    from tricircle.xjob.handlers import audit as audit_job
    rows = [
        audit.Drift('RegionOne', 'router', 'r1', audit.MISSING,
                    'no bottom router', ('router_setup', 'r1')),
        audit.Drift('RegionTwo', 'port', 'p1', audit.DIFFERENT,
                    'ip 10.0.0.5 != 10.0.0.6', (audit.PULL, 'port', 'p1')),
        audit.Drift('RegionTwo', 'network', 'n1', audit.EXTRA,
                    'not in central', None),
    ]
    asked = []
    monkeypatch.setattr(audit, 'audit',
                        lambda project: asked.append(project) or rows)
    monkeypatch.setattr(audit, 'fix', lambda given: sorted(
        {r.fix for r in given if r.fix and r.fix[0] != audit.PULL}))
    engine = xjob_engine.Engine('w1', {'audit': audit_job.run})
    job = jobs.register_job(None, 'audit', 'all')
    assert engine.run_once() is True
    done = jobs.get_job(None, job['id'])
    assert asked == [None] and done['status'] == 'SUCCESS'
    assert done['result'] == {
        'drift': [
            {'pod': 'RegionOne', 'kind': 'router', 'resource': 'r1',
             'problem': 'missing', 'detail': 'no bottom router',
             'fix': ['router_setup', 'r1']},
            {'pod': 'RegionTwo', 'kind': 'port', 'resource': 'p1',
             'problem': 'different', 'detail': 'ip 10.0.0.5 != 10.0.0.6',
             'fix': ['pull', 'port', 'p1']},
            {'pod': 'RegionTwo', 'kind': 'network', 'resource': 'n1',
             'problem': 'extra', 'detail': 'not in central', 'fix': None}],
        'queued': [['router_setup', 'r1']],
        'left_to_operator': 1}
    # One project's audit; nothing found is an empty report, not None.
    rows = []
    project_job = jobs.register_job(None, 'audit', 'proj-1')
    assert engine.run_once() is True
    assert asked == [None, 'proj-1']
    assert jobs.get_job(None, project_job['id'])['result'] == {
        'drift': [], 'queued': [], 'left_to_operator': 0}


def test_engine_claims_only_types_it_has_handlers_for(sqlite_db):
    job = jobs.register_job(None, 'router_setup', 'r1')
    assert xjob_engine.Engine('w1', {'noop': lambda c, j: None}).run_once() \
        is False
    assert jobs.get_job(None, job['id'])['status'] == 'NEW'


def _conf(tmp_path, text):
    path = tmp_path / 'xjob.conf'
    path.write_text(text)
    conf = cfg.ConfigOpts()
    conf(['--config-file', str(path)], default_config_files=[])
    return conf


@pytest.fixture
def fake_transport():
    """cfg.CONF with transport_url = fake:/ (oslo.messaging registers
    some of its options on the global CONF only)."""
    conf = cfg.CONF
    rpc.transport_url(conf)  # registers transport_url
    conf.set_override('transport_url', 'fake:/')
    yield conf
    conf.clear_override('transport_url')


def test_wake_starts_a_job_before_the_next_scan(sqlite_db, fake_transport):
    conf = fake_transport
    ran = threading.Event()
    engine = xjob_engine.Engine('w1', {'noop': lambda c, j: ran.set()},
                                scan_interval=600, workers=2)
    server = rpc.start_server(engine, engine.worker_id, conf)
    runner = threading.Thread(target=engine.run)
    runner.start()
    try:
        time.sleep(0.5)  # the first scan found nothing; next one in 600 s
        jobs.register_job(None, 'noop', 'r1')
        assert rpc.wake('noop', 'r1', conf=conf) is True
        assert ran.wait(20), 'the wake-up did not reach the engine'
    finally:
        engine.stop()
        runner.join(30)
        server.stop()
        server.wait()
    assert not runner.is_alive()


def test_a_retry_runs_when_due_not_at_the_next_scan(sqlite_db):
    """No wake-up is cast for a retry: the engine that failed the job
    scans again when the retry falls due."""
    runs = []
    second = threading.Event()

    def flaky(ctx, job):
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise RuntimeError('pod not answering yet')
        second.set()

    engine = xjob_engine.Engine('w1', {'noop': flaky}, scan_interval=600,
                                workers=1, retry_base=0.5)
    jobs.register_job(None, 'noop', 'r1')
    runner = threading.Thread(target=engine.run)
    runner.start()
    try:
        assert second.wait(30), 'the retry waited for the 600 s scan'
    finally:
        engine.stop()
        runner.join(30)
    assert runs[1] - runs[0] >= 0.5  # not before its backoff


def test_stop_while_every_slot_is_busy_ends_the_run(sqlite_db):
    """A stop that comes while the only slot runs a job is not lost: the
    run returns once the job ends, not at the next (600 s) scan."""
    started, release = threading.Event(), threading.Event()

    def handler(ctx, job):
        started.set()
        assert release.wait(30)

    engine = xjob_engine.Engine('w1', {'noop': handler}, scan_interval=600,
                                workers=1)
    job = jobs.register_job(None, 'noop', 'r1')
    runner = threading.Thread(target=engine.run, daemon=True)
    runner.start()
    assert started.wait(30)
    engine.stop()
    release.set()
    runner.join(10)
    assert not runner.is_alive(), 'stop() was lost until the next scan'
    assert jobs.get_job(None, job['id'])['status'] == 'SUCCESS'


def test_a_job_queued_behind_a_running_one_runs_when_it_ends(sqlite_db):
    """A newer job of a resource whose job is running cannot be claimed
    yet, so the wake-up cast for it finds nothing to do; the engine scans
    again as soon as the running job ends, not at the next scan."""
    release, second = threading.Event(), threading.Event()
    runs = []

    def handler(ctx, job):
        runs.append(job['id'])
        if len(runs) == 1:
            assert release.wait(30)
        else:
            second.set()

    engine = xjob_engine.Engine('w1', {'noop': handler}, scan_interval=600,
                                workers=2)
    first = jobs.register_job(None, 'noop', 'r1')
    runner = threading.Thread(target=engine.run)
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while not runs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runs == [first['id']]
        newer = jobs.register_job(None, 'noop', 'r1')
        assert newer['id'] != first['id']
        engine.wake()  # the wake-up cast for it, while the first runs
        time.sleep(0.5)
        assert runs == [first['id']]
        release.set()
        assert second.wait(10), 'the newer job waited for the 600 s scan'
    finally:
        release.set()
        engine.stop()
        runner.join(30)
    assert runs == [first['id'], newer['id']]


def test_no_transport_url_means_no_rpc(tmp_path):
    conf = _conf(tmp_path, '[DEFAULT]\n')
    assert rpc.transport_url(conf) is None
    assert rpc.wake('noop', 'r1', conf=conf) is False
    assert rpc.start_server(object(), 'w1', conf) is None


# -- the job type registry -------------------------------------------------

def test_validation_of_types_and_resource_ids():
    handlers.validate('noop', 'anything')
    handlers.validate('sleep', 'r', {'seconds': 2.5})
    with pytest.raises(exc.UnknownJobType) as err:
        handlers.validate('nope', 'r')
    assert err.value.code == 400 and 'noop' in err.value.msg
    for bad in ('', '  ', None, 5, 'x' * 128, 'a\tb'):
        with pytest.raises(exc.InvalidInput):
            handlers.validate('noop', bad)
    with pytest.raises(exc.InvalidInput):
        handlers.uuid_resource_id('not-a-uuid')
    handlers.uuid_resource_id('5b0e3b7e-9a0c-4a55-8f0c-0d1f2a3b4c5d')


def test_adding_a_type(monkeypatch):
    monkeypatch.setattr(handlers, 'JOB_TYPES', dict(handlers.JOB_TYPES))
    handlers.register_handler('my_setup', 'tricircle.xjob.handlers.basic.noop',
                              resource_id=handlers.uuid_resource_id)
    handlers.JOB_TYPES['bare'] = handlers.resolve('noop')  # a plain callable
    handlers.JOB_TYPES['broken'] = handlers.JobType('no.such.module.setup')
    with pytest.raises(exc.InvalidInput):
        handlers.validate('my_setup', 'r1')
    loaded = handlers.load_handlers()
    assert loaded['my_setup'] is loaded['noop'] is loaded['bare']
    assert 'broken' not in loaded and 'sleep' in loaded
