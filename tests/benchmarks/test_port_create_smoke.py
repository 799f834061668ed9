"""benchmarks/port_create.py end to end, on a small count: it runs, writes
both modes, and every port it made is correct. Speed is never asserted
here: the numbers depend on the machine and on what else runs on it."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'benchmarks', 'port_create.py')


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('port-create')
    output = tmp / 'port_create.json'
    try:
        result = subprocess.run(
            [sys.executable, SCRIPT, '--quick', '--output', str(output),
             '--dir', str(tmp / 'sandboxes')],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as e:
        pytest.fail('port_create.py --quick did not finish in %ds' % e.timeout)
    assert result.returncode == 0, (
        'port_create.py --quick exited %d:\n%s\n%s' % (
            result.returncode, result.stdout[-3000:], result.stderr[-5000:]))
    with open(output) as f:
        return json.load(f)


def test_both_modes_measured(report):
    assert sorted(report['modes']) == ['baseline', 'tricircle']
    for mode in report['modes'].values():
        for phase in ('sequential', 'concurrent'):
            assert mode['phases'][phase]['requests'] == 30
    assert set(report['ratios']) == {'sequential', 'concurrent'}


@pytest.mark.parametrize('mode', ['baseline', 'tricircle'])
def test_no_errors(report, mode):
    phases = report['modes'][mode]['phases']
    assert report['modes'][mode]['errors'] == 0, {
        name: phase['error_messages'] for name, phase in phases.items()}


@pytest.mark.parametrize('mode', ['baseline', 'tricircle'])
def test_no_duplicate_addresses(report, mode):
    dups = report['modes'][mode]['duplicates']
    assert (dups['ip'], dups['mac']) == (0, 0), dups


def test_every_port_reached_pod1_and_central(report):
    check = report['modes']['tricircle']['verification']
    assert check['duplicates']['source'] == 'central'
    assert check['pod1_ports'] == check['created_ports'], check
    assert check['created_ports'] > 0
