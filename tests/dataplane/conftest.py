"""The data-plane tests see the compute sandbox (tests/conftest.py's
plane_sandbox: two pods with Neutron's agents on a private Open vSwitch,
and Nova) through ``plane.DataPlane``: a host runs one data plane, and
one sandbox serves tests/compute and this folder."""

import json
import os

import pytest

from tests.dataplane.plane import DataPlane


@pytest.fixture(scope='package')
def dataplane(plane_sandbox):
    plane = DataPlane(plane_sandbox)
    yield plane
    with open(os.path.join(plane_sandbox['dir'], 'ping-report.json'),
              'w') as f:
        json.dump(plane.report, f, indent=2)


@pytest.fixture(autouse=True)
def _pings_of(request, dataplane):
    """Pings measured by this test go into its report (under xdist too)."""
    dataplane.node = request.node
    yield
    dataplane.node = None
