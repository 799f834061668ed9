"""One ``--dataplane`` sandbox for the whole folder (two pods with
Neutron's agents on a private Open vSwitch); the tests see it through
``plane.DataPlane``."""

import json
import os
import subprocess

import pytest

from tests.conftest import run_tricircle
from tests.conftest import start_sandbox
from tests.dataplane.plane import DataPlane
from tricircle.sandbox import cluster
from tricircle.sandbox.dataplane import ovs

REUSE_ENV = 'TRICIRCLE_TEST_DATAPLANE_SANDBOX'


@pytest.fixture(scope='package')
def dataplane(tmp_path_factory):
    """Package-scoped: it is down before another package's data plane
    (tests/compute) may start on this worker; see tests/conftest.py.

    ``$TRICIRCLE_TEST_DATAPLANE_SANDBOX`` names a folder whose sandbox
    (up with --dataplane) the tests use as it is, neither started nor
    stopped: minutes saved when working on the tests."""
    existing = os.environ.get(REUSE_ENV)
    if existing:
        yield DataPlane(cluster.load_state(existing))
        return
    sandbox_dir = tmp_path_factory.mktemp('dataplane')
    state = start_sandbox(sandbox_dir, 2, '--dataplane')
    plane = DataPlane(state)
    yield plane
    with open(os.path.join(str(sandbox_dir), 'ping-report.json'), 'w') as f:
        json.dump(plane.report, f, indent=2)
    run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))
    # Nothing of the data plane outlives "down": no device, no namespace.
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


@pytest.fixture(autouse=True)
def _pings_of(request, dataplane):
    """Pings measured by this test go into its report (under xdist too)."""
    dataplane.node = request.node
    yield
    dataplane.node = None
