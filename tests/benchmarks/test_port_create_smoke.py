"""benchmarks/port_create.py end to end, on a small count: it runs, writes
both modes, and every port it made is correct. Speed is never asserted
here: the numbers depend on the machine and on what else runs on it."""

import pytest

from tests.benchmarks.runner import run_benchmark

COUNT = 12


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('port-create')
    return run_benchmark('port_create.py', tmp / 'port_create.json',
                         '--count', str(COUNT), '--warmup', '1',
                         '--dir', str(tmp / 'sandboxes'))


def test_both_modes_measured(report):
    assert sorted(report['modes']) == ['baseline', 'tricircle']
    for mode in report['modes'].values():
        for phase in ('sequential', 'concurrent'):
            assert mode['phases'][phase]['requests'] == COUNT
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


def test_interleaved_slices_add_up(tmp_path):
    """``--interleave``: both sandboxes up at once, each phase in slices;
    every slice's ports are counted once, in their own mode."""
    report = run_benchmark('port_create.py', tmp_path / 'interleaved.json',
                           '--count', '6', '--warmup', '1',
                           '--interleave', '3', '--dir',
                           str(tmp_path / 'sandboxes'))
    for mode in ('baseline', 'tricircle'):
        phases = report['modes'][mode]['phases']
        assert [(phases[p]['requests'], phases[p]['ok'])
                for p in ('sequential', 'concurrent')] == [(6, 6), (6, 6)]
        assert report['modes'][mode]['verification'][
            'pod1_matches_created'], report['modes'][mode]['verification']
        assert phases['sequential']['cpu']['sandbox_cpu_ms_per_port'] > 0
