"""benchmarks/update_propagation.py end to end on tiny counts (2 pods, 2
runs): it runs and reports every update kind beside its baseline. Speed
is never asserted."""

from tests.benchmarks.runner import run_benchmark


def test_every_update_reported_with_its_baseline(tmp_path):
    report = run_benchmark('update_propagation.py', tmp_path / 'u.json',
                           '--pods', '2', '--runs', '2', '--dir',
                           str(tmp_path / 'sandbox'))
    rows = report['pods']['2']
    assert sorted(rows) == ['network', 'port', 'subnet']
    for row in rows.values():
        assert len(row['samples_s']) == 2
        assert len(row['baseline']['samples_s']) == 2
        assert row['ratio_p50_to_baseline'] > 0
