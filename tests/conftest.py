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
# Folders that share one sandbox with a data plane (a host runs one
# userspace Open vSwitch only; plane_sandbox below): one worker takes
# them, one after the other.
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


# The one data plane a host can run (a userspace Open vSwitch) belongs to
# one compute sandbox with it (``up --compute --dataplane``), which
# tests/compute and tests/dataplane share: one worker runs them one after
# the other (SAME_WORKER), and the sandbox goes down as soon as that
# worker leaves them (pytest_runtest_teardown below), so its 3 GB and
# Nova's periodic tasks do not weigh on the later tests.
PLANE_DIRS = ('tests/compute/', 'tests/dataplane/')
PLANE_REUSE_ENVS = ('TRICIRCLE_TEST_COMPUTE_SANDBOX',
                    'TRICIRCLE_TEST_DATAPLANE_SANDBOX')
# A first "up" sets up a dozen databases on 2 cores: minutes, not seconds.
PLANE_UP_TIMEOUT = 600
_plane = {}


@pytest.fixture(scope='session')
def plane_sandbox(tmp_path_factory):
    """sandbox.json of the worker's compute and data-plane sandbox, with
    ``up_seconds``.

    ``$TRICIRCLE_TEST_COMPUTE_SANDBOX`` (or ``..._DATAPLANE_SANDBOX``)
    names a folder whose sandbox (up with --compute --dataplane) the tests
    use as it is, neither started nor stopped: minutes saved when working
    on the tests."""
    existing = next((os.environ[name] for name in PLANE_REUSE_ENVS
                     if os.environ.get(name)), None)
    if existing:
        with open(os.path.join(existing, 'sandbox.json')) as f:
            yield dict(json.load(f), up_seconds=0.0)
        return
    sandbox_dir = str(tmp_path_factory.mktemp('compute-sandbox'))
    started = time.monotonic()
    try:
        result = run_tricircle('sandbox', 'up', '--compute', '--dataplane',
                               '--pods', '2', '--dir', sandbox_dir,
                               timeout=PLANE_UP_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        result = subprocess.CompletedProcess(e.cmd, 'timeout', e.stdout,
                                             e.stderr)
    if result.returncode != 0:
        # What started is in sandbox.json, even when "up" was cut short.
        run_tricircle('sandbox', 'down', '--dir', sandbox_dir, timeout=120)
        pytest.fail('sandbox up --compute --dataplane failed (%s):\n%s\n%s'
                    % (result.returncode, result.stdout, result.stderr))
    with open(os.path.join(sandbox_dir, 'sandbox.json')) as f:
        state = json.load(f)
    state['up_seconds'] = time.monotonic() - started
    print('\ncompute sandbox up in %.1fs (%s)' % (state['up_seconds'],
                                                  sandbox_dir))
    _plane['state'] = state
    yield state
    _stop_plane()


def _stop_plane():
    """``sandbox down`` of the plane sandbox, once; nothing of the data
    plane may outlive it: no device, no namespace."""
    state = _plane.pop('state', None)
    if state is None:
        return
    run_tricircle('sandbox', 'down', '--dir', state['dir'], timeout=120)
    from tricircle.sandbox.dataplane import ovs
    dp = state['dataplane']
    links = subprocess.run(['ip', '-o', 'link', 'show'], capture_output=True,
                           text=True).stdout
    left = [line.split(': ')[1] for line in links.splitlines()
            if ovs.ours(dp, line.split(': ')[1].split('@')[0])]
    namespaces = subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                                text=True).stdout
    left += [ns for ns in namespaces.split()
             if ns.startswith('tc%s-' % dp['token'])]
    assert not left, 'left after sandbox down: %s' % left


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if item.nodeid.startswith(PLANE_DIRS) and not (
            nextitem is not None and nextitem.nodeid.startswith(PLANE_DIRS)):
        _stop_plane()


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
