"""The idle gate of a SQLite job table (tricircle.db.job_gate): an idle
claim runs no query until something commits or a job falls due by time,
and never misses a job for it."""

import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from tricircle.db import core
from tricircle.db import job_gate
from tricircle.db import jobs
from tricircle.db import migration


@pytest.fixture
def sqlite_db(tmp_path):
    url = 'sqlite:///%s' % (tmp_path / 'tricircle.sqlite')
    migration.upgrade(url, 'head')
    core.configure(url)
    yield tmp_path / 'tricircle.sqlite'
    core.get_engine().dispose()


class _Statements:
    """Counts the statements the Tricircle engine sends."""

    def __init__(self):
        self.count = 0
        sa.event.listen(core.get_engine(), 'before_cursor_execute',
                        self._one)

    def _one(self, *_args):
        self.count += 1

    def close(self):
        sa.event.remove(core.get_engine(), 'before_cursor_execute',
                        self._one)


def _idle_statements(claims=5):
    counter = _Statements()
    try:
        for _ in range(claims):
            assert jobs.claim_job(None, 'w1', 30) is None
        return counter.count
    finally:
        counter.close()


def test_an_idle_claim_runs_no_query_until_a_commit(sqlite_db):
    assert jobs.claim_job(None, 'w1', 30) is None  # the look that arms
    assert _idle_statements() == 0
    # A commit by another process (its own connection and file handle).
    subprocess.run([sys.executable, '-c', (
        'from tricircle.db import core, jobs\n'
        'core.configure("sqlite:///%s")\n'
        'jobs.register_job(None, "noop", "from-elsewhere")') % sqlite_db],
        check=True, capture_output=True)
    job = jobs.claim_job(None, 'w1', 30)
    assert job['resource_id'] == 'from-elsewhere'


def test_a_retry_falls_due_without_a_commit(sqlite_db):
    job = jobs.register_job(None, 'noop', 'r1')
    jobs.claim_job(None, 'w1', 30)
    jobs.finish_job(None, job['id'], 'w1', False, error='boom',
                    backoff=lambda n: 0.5)
    assert jobs.claim_job(None, 'w1', 30) is None
    assert _idle_statements() == 0
    time.sleep(0.6)
    assert jobs.claim_job(None, 'w1', 30)['id'] == job['id']


def test_a_dead_workers_lease_falls_due_without_a_commit(sqlite_db):
    job = jobs.register_job(None, 'noop', 'r1')
    jobs.claim_job(None, 'w1', 0.5)
    assert jobs.claim_job(None, 'w2', 30) is None
    assert _idle_statements() == 0
    time.sleep(0.6)
    assert jobs.claim_job(None, 'w2', 30)['id'] == job['id']


def test_a_database_made_anew_at_the_same_path(sqlite_db):
    assert jobs.claim_job(None, 'w1', 30) is None
    core.get_engine().dispose()
    sqlite_db.unlink()
    for suffix in ('-wal', '-shm'):
        sqlite_db.with_name(sqlite_db.name + suffix).unlink(missing_ok=True)
    migration.upgrade('sqlite:///%s' % sqlite_db, 'head')
    jobs.register_job(None, 'noop', 'r-new')
    assert jobs.claim_job(None, 'w1', 30)['resource_id'] == 'r-new'


def test_no_gate_off_sqlite_files(tmp_path):
    core.configure('sqlite://')
    try:
        assert job_gate.gate() is None
    finally:
        core.get_engine().dispose()
    gate = job_gate.Gate(str(tmp_path / 'missing.sqlite'))
    with pytest.raises(OSError):
        gate.version()
    sqlite3.connect(str(tmp_path / 'missing.sqlite')).close()
    assert gate.version()[1] >= 0
