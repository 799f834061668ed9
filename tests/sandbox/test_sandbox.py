"""The sandbox started by the real CLI: servers answer, pods are
registered, ``status``/``down`` work, failures leave nothing behind."""

import os
import socket
import sys
import time

from keystoneauth1 import session as ks_session
from oslo_config import cfg
import psutil
import pytest

from tests import conftest
from tricircle.common import client
from tricircle.sandbox import processes


def _conf(state):
    conf = cfg.ConfigOpts()
    client.register_opts(conf)
    conf(['--config-file', state['tricircle_conf']], default_config_files=[])
    return conf


def _gone(pid):
    """Neither the process nor anything of its process group is left."""
    for probe in (lambda: os.kill(pid, 0), lambda: os.killpg(pid, 0)):
        try:
            probe()
            return False
        except ProcessLookupError:
            pass
    return True


def _processes_mentioning(path):
    """Live processes whose command line or environment names ``path``."""
    found = []
    for proc in psutil.process_iter(['pid', 'cmdline', 'status']):
        if proc.info['status'] == psutil.STATUS_ZOMBIE:
            continue
        try:
            text = ' '.join(proc.info['cmdline'] or [])
            text += ' '.join(proc.environ().values())
        except psutil.Error:
            continue
        if path in text:
            found.append(proc.pid)
    return found


def test_every_neutron_answers(sandbox):
    conf = _conf(sandbox)
    sess = ks_session.Session()
    for server in [sandbox['central']] + sandbox['pods']:
        resp = sess.get(server['neutron'] + '/v2.0/networks')
        assert resp.status_code == 200
        conn = client.get_connection(server['region_name'], conf)
        assert isinstance(list(conn.network.networks()), list)


def test_admin_api_lists_pods(sandbox):
    resp = ks_session.Session().get(sandbox['admin_api'] + '/v1.0/pods')
    pods = {p['region_name']: p for p in resp.json()['pods']}
    assert sorted(pods) == ['CentralRegion', 'Pod1', 'Pod2']
    assert not pods['CentralRegion']['az_name']
    assert pods['Pod1']['az_name'] == 'az1'
    assert pods['Pod2']['az_name'] == 'az2'
    assert [p['region_name'] for p in sandbox['pods']] == ['Pod1', 'Pod2']


def test_status_reports_all_up(sandbox, tricircle_cli):
    result = tricircle_cli('sandbox', 'status', '--dir', sandbox['dir'])
    assert result.returncode == 0, result.stdout + result.stderr
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == 5  # central, 2 pods, admin-api, xjob-1
    assert all(row.rstrip().endswith(' up') for row in rows), rows


def test_xjob_runs_jobs_queued_through_the_admin_api(sandbox):
    assert [r['name'] for r in sandbox['processes']
            if r['name'].startswith('xjob-')] == ['xjob-1']
    sess = ks_session.Session()
    resp = sess.post(sandbox['admin_api'] + '/v1.0/jobs', json={
        'job': {'type': 'noop', 'resource_id': 'sandbox-smoke'}})
    assert resp.status_code == 201
    url = sandbox['admin_api'] + '/v1.0/jobs/' + resp.json()['job']['id']
    deadline = time.monotonic() + 30
    while sess.get(url).json()['job']['status'] != 'SUCCESS':
        assert time.monotonic() < deadline, sess.get(url).json()
        time.sleep(0.1)
    assert [l['status'] for l in sess.get(url).json()['job']['logs']] == [
        'SUCCESS']


def test_up_twice_is_refused(sandbox, tricircle_cli):
    result = tricircle_cli('sandbox', 'up', '--dir', sandbox['dir'])
    assert result.returncode != 0
    assert 'already running' in result.stderr


def test_side_by_side_then_down(sandbox, tricircle_cli, tmp_path):
    other = conftest.start_sandbox(tmp_path / 'other', 1)
    urls = lambda s: {s['admin_api'], s['central']['neutron']} | {
        p['neutron'] for p in s['pods']}
    assert not urls(sandbox) & urls(other)
    assert len(urls(other)) == 3

    result = tricircle_cli('sandbox', 'down', '--dir', other['dir'])
    assert result.returncode == 0, result.stderr
    pids = [r['pid'] for r in other['processes']]
    assert len(pids) == 4  # central, 1 pod, admin-api, xjob-1
    assert all(_gone(pid) for pid in pids)
    assert _processes_mentioning(other['dir']) == []
    status = tricircle_cli('sandbox', 'status', '--dir', other['dir'])
    assert status.returncode == 3 and 'down' in status.stdout
    # The session's sandbox is untouched.
    assert tricircle_cli('sandbox', 'status',
                         '--dir', sandbox['dir']).returncode == 0


def test_server_that_cannot_start(tricircle_cli, tmp_path):
    sandbox_dir = str(tmp_path / 'broken')
    result = tricircle_cli('sandbox', 'up', '--pods', '1', '--dir',
                           sandbox_dir, '--neutron-opt',
                           'DEFAULT.core_plugin=no.such.Plugin')
    assert result.returncode != 0
    log = os.path.join(sandbox_dir, 'logs')
    assert 'failed to start' in result.stderr and log in result.stderr
    named = result.stderr.split('log file ')[1].split()[0]
    assert os.path.exists(named)
    assert _processes_mentioning(sandbox_dir) == []
    assert not os.path.exists(os.path.join(sandbox_dir, 'sandbox.json'))


def test_taken_port_is_reported(tmp_path):
    """A server whose port another process holds is not mistaken for
    ready, and the failure says why, so ``up`` can retry elsewhere."""
    from tricircle.sandbox import configs
    with socket.socket() as squatter:
        squatter.bind(('127.0.0.1', 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        conf = configs.write_neutron_conf(str(tmp_path / 'n'))
        record = processes.start(
            'n', [sys.executable, '-m', 'tricircle.sandbox.neutron_server',
                  '--port', str(port)],
            str(tmp_path / 'n.log'),
            extra_env={'OS_NEUTRON_CONFIG_FILES': conf})
        try:
            with pytest.raises(processes.StartError) as err:
                processes.wait_ready(
                    [(record, 'http://127.0.0.1:%d/' % port)], timeout=30)
            assert err.value.reason == processes.PORT_IN_USE
        finally:
            processes.stop([record], grace=1)
    assert _gone(record['pid'])


def test_a_stepped_wall_clock_does_not_orphan_servers(tmp_path):
    """A server is known by its start in clock ticks since boot. psutil's
    create_time moves when the wall clock is stepped (a CI run once saw
    every live server reported down, and kept running after stop); a
    record whose create_time is 100 s off is still ours, one whose ticks
    differ (a reused pid) is not."""
    record = processes.start('sleeper', ['sleep', '60'],
                             str(tmp_path / 'sleeper.log'))
    try:
        record['create_time'] -= 100  # as after a clock step
        assert processes.is_alive(record)
        stranger = dict(record, start_ticks=record['start_ticks'] + 1)
        assert not processes.is_alive(stranger)
        processes.stop([stranger], grace=1)
        assert processes.is_alive(record)
    finally:
        processes.stop([record], grace=1)
    assert _gone(record['pid'])
