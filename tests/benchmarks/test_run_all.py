"""run_all's merge: the points it plots come from each part's own JSON,
every part names a script that exists, and the plots are drawn."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'benchmarks'))
import run_all  # noqa: E402,I100 - benchmarks/ is not a package


def _merged():
    def load(tricircle, plain, p50):
        return {'result': {'ports': {'ports_per_s': tricircle},
                           'baseline_ports': {'ports_per_s': plain},
                           'ratios': {'latency_p50': p50}}}
    return {'parts': {
        'l3_convergence': {'result': {'pods': {
            '3': {'median_s': 2.5, 'baseline_one_router_s': 1.0},
            '2': {'median_s': 2.0, 'baseline_one_router_s': 1.1}}}},
        'load_2_workers': load(1.5, 6.0, 4.0),
        'load_1_worker': load(1.0, 5.0, 5.0),
        'load': load(9.0, 9.0, 1.0),  # SQLite: not a point of the plot
    }}


def test_every_part_runs_an_existing_script():
    for name, (script, _full, _quick) in run_all.PARTS.items():
        assert os.path.exists(os.path.join(run_all.HERE, script + '.py')), \
            name
    assert set(run_all.LOAD_BY_WORKERS) <= set(run_all.PARTS)


def test_points_come_from_the_parts():
    merged = _merged()
    assert run_all.l3_points(merged) == [(2, 2.0, 1.1), (3, 2.5, 1.0)]
    assert run_all.load_points(merged) == [(1, 1.0, 5.0, 5.0),
                                           (2, 1.5, 6.0, 4.0)]
    merged['parts']['load_2_workers'] = {'exit_code': 1}
    assert run_all.load_points(merged) == [(1, 1.0, 5.0, 5.0)]


def test_plots_are_drawn(tmp_path):
    # matplotlib comes with '.[bench]', which tools/install-deps.sh installs
    merged = _merged()
    for plot, points in ((run_all.plot_l3, run_all.l3_points(merged)),
                         (run_all.plot_load, run_all.load_points(merged))):
        path = str(tmp_path / (plot.__name__ + '.png'))
        assert plot(points, path)
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
