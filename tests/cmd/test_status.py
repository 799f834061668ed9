"""``tricircle-status upgrade check`` against real sandboxes and DBs.

The shared session sandbox is only read; the cases that stop a server
start a sandbox of their own (and run after the one that reads it).
"""

import datetime
import json
import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from tests import conftest
from tricircle.db import migration
from tricircle.db import models

BIN = os.path.dirname(sys.executable)
SUCCESS, WARNING, FAILURE = 0, 1, 2


def run_status(*config_files):
    """``tricircle-status upgrade check --json``: (exit code, {check:
    (result, details)}, stderr)."""
    argv = [os.path.join(BIN, 'tricircle-status')]
    for path in config_files:
        argv += ['--config-file', str(path)]
    result = subprocess.run(argv + ['upgrade', 'check', '--json'],
                            capture_output=True, text=True, timeout=120)
    out = json.loads(result.stdout)
    checks = {c['check']: (c['result'], c['details']) for c in out['checks']}
    return result.returncode, checks, result.stderr


def db_override(tmp_path, db_url):
    """A config file that points the sandbox's config at another DB."""
    path = tmp_path / 'override.conf'
    path.write_text('[database]\nconnection = %s\n' % db_url)
    return path


def test_sandbox_passes_every_check(sandbox):
    code, checks, stderr = run_status(sandbox['tricircle_conf'])
    assert code == SUCCESS, checks
    assert set(checks) == {'Database schema', 'Neutron plugins',
                           'Stuck jobs'}
    assert all(result == SUCCESS for result, _ in checks.values()), checks
    plugins = checks['Neutron plugins'][1]
    for region in ['CentralRegion'] + [p['region_name']
                                       for p in sandbox['pods']]:
        assert region in plugins
    assert stderr == ''


def test_table_output_and_exit_code(sandbox):
    result = subprocess.run(
        [os.path.join(BIN, 'tricircle-status'), '--config-file',
         sandbox['tricircle_conf'], 'upgrade', 'check'],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == SUCCESS, result.stdout
    assert 'Check: Database schema' in result.stdout
    assert 'Result: Success' in result.stdout


def test_db_not_at_head(sandbox, tmp_path):
    db_url = 'sqlite:///%s' % (tmp_path / 'old.sqlite')
    heads = migration.heads(db_url)
    migration.upgrade(db_url, '0001')
    assert migration.current(db_url) not in heads
    code, checks, _ = run_status(sandbox['tricircle_conf'],
                                 db_override(tmp_path, db_url))
    assert code == FAILURE
    result, details = checks['Database schema']
    assert result == FAILURE
    assert '0001' in details and heads[0] in details
    assert 'tricircle-db-manage' in details


def test_empty_db(sandbox, tmp_path):
    db_url = 'sqlite:///%s' % (tmp_path / 'empty.sqlite')
    code, checks, _ = run_status(sandbox['tricircle_conf'],
                                 db_override(tmp_path, db_url))
    assert code == FAILURE
    assert checks['Database schema'][0] == FAILURE
    assert 'empty' in checks['Database schema'][1]


def _insert_job(db_url, status, lease_expires_at):
    engine = sa.create_engine(db_url)
    job_id = str(uuid.uuid4())
    now = datetime.datetime.utcnow()
    with engine.begin() as conn:
        conn.execute(models.AsyncJob.__table__.insert().values(
            id=job_id, type='noop', resource_id=str(uuid.uuid4()),
            status=status, attempts=1, lease_owner='xjob-gone',
            lease_expires_at=lease_expires_at, next_attempt_at=now,
            created_at=now))
    engine.dispose()
    return job_id


def test_job_stuck_running(sandbox, tmp_path):
    db_url = 'sqlite:///%s' % (tmp_path / 'jobs.sqlite')
    migration.upgrade(db_url)
    now = datetime.datetime.utcnow()
    stuck = _insert_job(db_url, 'RUNNING', now - datetime.timedelta(hours=1))
    # A lease still running, and one that expired just now (a live worker
    # takes such a job over within its scan interval): neither is stuck.
    fresh = _insert_job(db_url, 'RUNNING', now + datetime.timedelta(
        seconds=30))
    recent = _insert_job(db_url, 'RUNNING', now - datetime.timedelta(
        seconds=1))
    done = _insert_job(db_url, 'SUCCESS', now - datetime.timedelta(hours=1))
    code, checks, _ = run_status(sandbox['tricircle_conf'],
                                 db_override(tmp_path, db_url))
    assert code == FAILURE
    result, details = checks['Stuck jobs']
    assert result == FAILURE
    assert stuck in details and 'xjob-gone' in details
    for job_id in (fresh, recent, done):
        assert job_id not in details
    assert checks['Database schema'][0] == SUCCESS


def test_no_stuck_job_once_lease_is_fresh(sandbox, tmp_path):
    db_url = 'sqlite:///%s' % (tmp_path / 'jobs.sqlite')
    migration.upgrade(db_url)
    _insert_job(db_url, 'RUNNING', datetime.datetime.utcnow() +
                datetime.timedelta(seconds=60))
    _, checks, _ = run_status(sandbox['tricircle_conf'],
                              db_override(tmp_path, db_url))
    assert checks['Stuck jobs'][0] == SUCCESS


@pytest.fixture(scope='module')
def own_sandbox(tmp_path_factory):
    """A sandbox this module may break (stop servers of)."""
    sandbox_dir = tmp_path_factory.mktemp('status-sandbox')
    state = conftest.start_sandbox(sandbox_dir, 1)
    yield state
    conftest.run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))


def test_neutrons_without_the_plugins_fail(own_sandbox, sandbox, tmp_path):
    """Each region's endpoint answers, but not with the plugin it needs:
    central's endpoint leads to a pod's Neutron (the local plugin, whose
    zones are not the pods'), Pod1's to another cloud's pod (whose default
    group is not this central's). Real Neutrons, two sandboxes already
    running: as stock ML2 would fail, without starting a third."""
    other_pod1 = next(p['neutron'] for p in sandbox['pods']
                      if p['region_name'] == 'Pod1')
    own_pod1 = next(p['neutron'] for p in own_sandbox['pods']
                    if p['region_name'] == 'Pod1')
    override = tmp_path / 'endpoints.conf'
    override.write_text('[client]\npod_endpoints = CentralRegion:%s,'
                        'Pod1:%s\n' % (own_pod1, other_pod1))
    code, checks, _ = run_status(own_sandbox['tricircle_conf'], override)
    assert code == FAILURE
    result, details = checks['Neutron plugins']
    assert result == FAILURE
    assert 'CentralRegion does not run the Tricircle central plugin' in (
        details)
    assert 'Pod1 does not run the Tricircle local plugin' in details


def test_stopped_pod_fails(own_sandbox):
    code, checks, _ = run_status(own_sandbox['tricircle_conf'])
    assert code == SUCCESS, checks
    result = conftest.run_tricircle('sandbox', 'stop-server', 'Pod1',
                                    '--dir', own_sandbox['dir'])
    assert result.returncode == 0, result.stderr
    code, checks, _ = run_status(own_sandbox['tricircle_conf'])
    assert code == FAILURE
    result, details = checks['Neutron plugins']
    assert result == FAILURE
    assert 'Pod1' in details and 'does not answer' in details
    # The others are still checked, and pass.
    assert 'OK: CentralRegion.' in details


def test_stopped_central_fails(own_sandbox):
    result = conftest.run_tricircle('sandbox', 'stop-server',
                                    'CentralRegion', '--dir',
                                    own_sandbox['dir'])
    assert result.returncode == 0, result.stderr
    code, checks, _ = run_status(own_sandbox['tricircle_conf'])
    assert code == FAILURE
    details = checks['Neutron plugins'][1]
    assert 'CentralRegion' in details and 'does not answer' in details
