"""benchmarks/load.py end to end on tiny counts (2 pods, 6 ports, one
router interface cycle): it runs, and what it counts is clean. Speed is
never asserted."""

import pytest

from tests.benchmarks.runner import run_benchmark


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('load')
    return run_benchmark('load.py', tmp / 'load.json', '--pods', '2',
                         '--ports', '6', '--concurrency', '3', '--cycles',
                         '1', '--dir', str(tmp / 'sandboxes'))


def test_ports_created_once_each_without_duplicates(report):
    ports = report['ports']
    assert (ports['requests'], ports['ok'], ports['errors']) == (6, 6, 0), \
        ports['error_messages']
    assert ports['duplicates'] == {'ip': 0, 'mac': 0, 'port_id': 0}
    assert (ports['missing_on_central'], ports['missing_in_pods']) == (0, 0)
    assert ports['latency']['count'] == 6


def test_router_cycles_converge(report):
    router = report['router']
    assert (router['calls'], router['ok']) == (2, 2), router['error_messages']
    assert router['jobs_converged_s'] is not None
    assert router['jobs'] == {'SUCCESS': router['jobs']['SUCCESS']}


def test_audit_recorded(report):
    audit = report['audit']
    assert audit['available'] is True
    assert audit['clean'] is True, audit['output_tail']


def test_baseline_made_the_same_ports(report):
    base = report['baseline_ports']
    assert (base['requests'], base['ok'], base['errors']) == (6, 6, 0), \
        base['error_messages']
    assert set(report['ratios']) == {'throughput', 'latency_p50',
                                     'latency_p90', 'latency_p99'}
    assert all(value > 0 for value in report['ratios'].values())
