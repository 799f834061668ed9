"""Shared fixtures: a real sandbox (central + 2 pods + Admin API) started
through the ``tricircle`` CLI, once per test session."""

import json
import os
import subprocess
import sys
import time

import pytest

BIN = os.path.dirname(sys.executable)
# Folders whose modules share one costly session or package fixture (a
# Keystone sandbox, a compute sandbox): pytest-xdist runs each on one
# worker, so it starts once.
SHARED_FIXTURE_DIRS = ('tests/keystone/', 'tests/compute/',
                       'tests/dataplane/')
# Folders that must never run at the same time: both start a data plane,
# and a host runs one userspace Open vSwitch only. One worker takes them
# one after the other (each package's sandbox is down before the next).
SAME_WORKER = {'tests/dataplane/': 'tests/compute/'}


# Modules that take minutes (their own sandboxes, benchmarks): handed out
# first, so the short ones fill the end instead of two workers ending on
# one long module each.
LONG_FIRST = SHARED_FIXTURE_DIRS + (
    'tests/benchmarks/', 'tests/sandbox/test_production_shape.py',
    'tests/network/test_l3_faults.py',
    'tests/network/test_north_south.py', 'tests/cmd/test_status.py',
    'tests/network/test_l3.py', 'tests/network/test_global_ipam.py')


def pytest_collection_modifyitems(config, items):
    # Stable: each module keeps its own order.
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``make test`` runs two workers (``-n 2``), a module per worker at a
    time: a module's sandbox is made once, and the servers of one worker
    wait on I/O while the other's tests run. The folders above go whole."""
    from xdist.scheduler import LoadScopeScheduling
    # In collection order (LONG_FIRST), not by their number of tests.
    config.option.loadscopereorder = False

    class _Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            path = nodeid.split('::', 1)[0]
            scope = next((d for d in SHARED_FIXTURE_DIRS
                          if path.startswith(d)), path)
            return SAME_WORKER.get(scope, scope)
    return _Scheduling(config, log)


def pytest_terminal_summary(terminalreporter):
    """The data-plane tests' pings (tests/dataplane), one line each, after
    the run; here, not in their folder, because under xdist only this
    conftest is loaded where the summary is written."""
    lines = [value for reports in terminalreporter.stats.values()
             for report in reports
             for name, value in getattr(report, 'user_properties', ())
             if name == 'ping' and getattr(report, 'when', '') == 'call']
    if not lines:
        return
    terminalreporter.section('data plane: ping loss and RTT')
    for topology, what, loss, rtt in lines:
        terminalreporter.write_line('%-28s %-40s loss %3.0f%%  rtt %s' % (
            topology, what, loss * 100,
            '%.2f ms' % rtt if rtt is not None else '-'))


def run_tricircle(*args, timeout=180):
    """Run the ``tricircle`` CLI; return the CompletedProcess (text)."""
    cli = os.path.join(BIN, 'tricircle')
    argv = ([cli] if os.path.exists(cli) else
            [sys.executable, '-m', 'tricircle.cmd.cli'])
    proc = subprocess.Popen(argv + list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGTERM first: the CLI then stops what it started (a sandbox up
        # killed outright leaves its servers running, found by nothing).
        proc.terminate()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def start_sandbox(sandbox_dir, pods=2, *extra, timeout=420):
    """``tricircle sandbox up``; return the parsed sandbox.json."""
    # Generous: a loaded 2-core machine can take minutes to start a
    # Keystone sandbox; the servers' own --timeout bounds each wait.
    result = run_tricircle('sandbox', 'up', '--pods', str(pods),
                           '--dir', str(sandbox_dir), *extra,
                           timeout=timeout)
    if result.returncode != 0:
        run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))
        pytest.fail('sandbox up failed (%d):\n%s\n%s' % (
            result.returncode, result.stdout, result.stderr))
    with open(os.path.join(sandbox_dir, 'sandbox.json')) as f:
        return json.load(f)


def eventually(check, what, timeout=60):
    """``check()``'s first true value; fails naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail('not after %ds: %s' % (timeout, what))
        time.sleep(0.3)


@pytest.fixture(scope='session')
def tricircle_cli():
    """``tricircle_cli(*args)`` runs the real CLI in a subprocess."""
    return run_tricircle


@pytest.fixture(scope='session')
def sandbox(tmp_path_factory):
    """A running sandbox: the dict of its sandbox.json (``admin_api``,
    ``central``, ``pods``, ``tricircle_conf``, ``processes``, ``dir``)."""
    sandbox_dir = tmp_path_factory.mktemp('sandbox')
    state = start_sandbox(sandbox_dir, 2)
    yield state
    run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))
