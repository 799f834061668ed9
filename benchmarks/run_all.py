"""Every benchmark in one go, merged into benchmarks/results.json, with
plots of L3 convergence against the number of pods and of port-create
throughput and latency against the API workers.

Why a driver: each benchmark starts and stops its own sandboxes, so they
must run one after another (two at once would share the 2 CPUs and skew
both); each runs as its own subprocess, so a crash or a leaked thread in
one cannot spoil the next, and writes its own JSON under ``--results-dir``
which this script then merges. The parts (each with its baseline from the
same run):

``port_create``     Tricircle vs. direct ML2 port create latency
``l3_convergence``  router interface add -> routes in every pod, 2-8 pods,
                    XJob woken over RabbitMQ
``load``            concurrent port creates and router churn, 3 pods, SQLite
``load_1_worker``, ``load_2_workers``
                    the same on MariaDB with RabbitMQ, 1 and 2 API workers
                    per server and as many XJob processes
``floating_ip``     floating IP associate -> mapped in the gateway pod, XJob
                    finding jobs by its scan; ``floating_ip_wakeups``: woken
                    over RabbitMQ
``update_propagation``  update on central -> in every pod, 2 and 3 pods
``job_engine``      XJob jobs/s, in-process and with 1, 2 and 4 processes

    python benchmarks/run_all.py [--quick] [--only NAME ...]
        [--results-dir DIR] [--output benchmarks/results.json]
        [--plot benchmarks/l3_convergence.png]
        [--load-plot benchmarks/load_workers.png]

``--quick`` makes every part small (a smoke run of the whole chain). The
exit status is 1 if any part failed; the others are still merged. The
plots need matplotlib (``pip install -e '.[bench]'``, which
tools/install-deps.sh does); without it the JSON is still written.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results.json')
DEFAULT_PLOT = os.path.join(HERE, 'l3_convergence.png')
DEFAULT_LOAD_PLOT = os.path.join(HERE, 'load_workers.png')
DEFAULT_RESULTS = os.path.join(HERE, 'results')

# The production shape the scale parts run in (issue #17): MariaDB, XJob
# woken over RabbitMQ.
_PROD = ['--db', 'mariadb', '--rabbit']

# name -> (script, full arguments, --quick arguments)
PARTS = {
    # Both sandboxes measured on the same minutes: this machine kind's
    # CPUs drift by half between one run and the next.
    'port_create': ('port_create', ['--interleave', '4'],
                    ['--quick', '--interleave', '2']),
    'l3_convergence': ('l3_convergence',
                       ['--pods', '2', '3', '4', '5', '6', '7', '8',
                        '--rabbit'],
                       ['--pods', '2', '3', '4', '--runs', '1', '--rabbit']),
    'load': ('load', [], ['--quick']),
    'load_1_worker': ('load', _PROD + ['--workers', '1', '--xjobs', '1'],
                      ['--quick'] + _PROD + ['--workers', '1',
                                             '--xjobs', '1']),
    'load_2_workers': ('load', _PROD + ['--workers', '2', '--xjobs', '2'],
                       ['--quick'] + _PROD + ['--workers', '2',
                                              '--xjobs', '2']),
    'floating_ip': ('floating_ip', [], ['--runs', '2']),
    'floating_ip_wakeups': ('floating_ip', ['--rabbit'],
                            ['--runs', '2', '--rabbit']),
    'update_propagation': ('update_propagation', [],
                           ['--runs', '2', '--pods', '2']),
    'job_engine': ('job_engine', [], ['--jobs', '100']),
}
# load parts plotted against their API workers: name -> workers
LOAD_BY_WORKERS = {'load_1_worker': 1, 'load_2_workers': 2}
PART_TIMEOUT = 3600


def run_part(name, quick, results_dir):
    """Run one benchmark script; return its merged entry."""
    output = os.path.join(results_dir, '%s.json' % name)
    script, full, small = PARTS[name]
    argv = [sys.executable, os.path.join(HERE, '%s.py' % script),
            '--output', output] + (small if quick else full)
    log_path = os.path.join(results_dir, '%s.log' % name)
    print('== %s: %s' % (name, ' '.join(argv[1:])), flush=True)
    start = time.monotonic()
    with open(log_path, 'w') as log:
        try:
            proc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=PART_TIMEOUT, cwd=os.path.dirname(
                                      HERE))
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = 'timeout'
    took = round(time.monotonic() - start, 1)
    entry = {'exit_code': code, 'seconds': took, 'log': log_path,
             'args': argv[3:]}
    if code == 0 and os.path.exists(output):
        with open(output) as f:
            entry['result'] = json.load(f)
    print('   %s in %.0fs (log %s)' % ('ok' if code == 0 else
                                       'FAILED (%s)' % code, took, log_path),
          flush=True)
    return entry


def l3_points(merged):
    """[(pods, median seconds, baseline seconds)] from l3_convergence:
    the baseline of a whole router piece, or of a one-pod router in the
    results of before it was measured."""
    result = merged['parts'].get('l3_convergence', {}).get('result') or {}
    return sorted((int(n), r['median_s'], r.get(
        'baseline_piece_s', r.get('baseline_one_router_s')))
        for n, r in (result.get('pods') or {}).items())


def load_points(merged):
    """[(workers, Tricircle ports/s, plain ML2 ports/s, p50 ratio)] from
    the load parts run at several API workers."""
    points = []
    for name, workers in sorted(LOAD_BY_WORKERS.items(),
                                key=lambda kv: kv[1]):
        result = merged['parts'].get(name, {}).get('result') or {}
        base = result.get('baseline_ports') or {}
        if result.get('ports') and base:
            points.append((workers, result['ports']['ports_per_s'],
                           base['ports_per_s'],
                           (result.get('ratios') or {}).get('latency_p50')))
    return points


def _pyplot():
    try:
        import matplotlib
        matplotlib.use('Agg')
        from matplotlib import pyplot
    except ImportError:
        print('matplotlib not installed: no plot (pip install -e '
              '".[bench]")')
        return None
    return pyplot


def plot_load(points, path):
    """Throughput of Tricircle and plain ML2, and the p50 ratio, against
    the API workers; False when matplotlib is missing."""
    pyplot = _pyplot()
    if pyplot is None:
        return False
    fig, (left, right) = pyplot.subplots(1, 2, figsize=(9, 4))
    xs = [p[0] for p in points]
    left.plot(xs, [p[1] for p in points], 'o-', label='through Tricircle')
    left.plot(xs, [p[2] for p in points], 's--', label='plain ML2 pods')
    left.set_xlabel('API workers per server')
    left.set_ylabel('ports/s')
    left.set_xticks(xs)
    left.legend()
    right.plot(xs, [p[3] for p in points], 'o-')
    right.axhline(1.3, color='red', linestyle=':', label='goal 1.3')
    right.set_xlabel('API workers per server')
    right.set_ylabel('p50 latency, Tricircle / plain ML2')
    right.set_xticks(xs)
    right.legend()
    fig.suptitle('Concurrent port creates, MariaDB + RabbitMQ')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return True


def plot_l3(points, path):
    """L3 convergence time vs. number of pods, with the linear-growth line
    from the smallest count; False when matplotlib is missing."""
    pyplot = _pyplot()
    if pyplot is None:
        return False
    fig, ax = pyplot.subplots(figsize=(6, 4))
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    ax.plot(xs, ys, 'o-', label='median convergence')
    if points:
        first_n, first_s = points[0][:2]
        ax.plot(xs, [first_s * n / first_n for n in xs], '--',
                color='grey', label='linear growth')
    if all(p[2] for p in points):
        ax.plot(xs, [2 * p[2] for p in points], ':', color='orange',
                label='2x its baseline (goal)')
    ax.axhline(2.0, color='red', linestyle=':', label='target (3 pods)')
    ax.set_xlabel('pods')
    ax.set_ylabel('seconds, add_router_interface -> routes everywhere')
    ax.set_xticks(xs)
    ax.set_title('Tricircle cross-pod L3 convergence')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='Make every part small (smoke run).')
    parser.add_argument('--only', nargs='+', choices=sorted(PARTS),
                        help='Run only these parts.')
    parser.add_argument('--results-dir', default=DEFAULT_RESULTS,
                        help='Each part\'s JSON and log go here.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    parser.add_argument('--plot', default=DEFAULT_PLOT)
    parser.add_argument('--load-plot', default=DEFAULT_LOAD_PLOT)
    args = parser.parse_args(argv)
    os.makedirs(args.results_dir, exist_ok=True)
    merged = {'started_at': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                          time.gmtime()),
              'quick': args.quick, 'cpus': os.cpu_count(), 'parts': {}}
    for name in args.only or list(PARTS):
        merged['parts'][name] = run_part(name, args.quick, args.results_dir)
    points = l3_points(merged)
    merged['l3_convergence_vs_pods'] = [
        {'pods': n, 'median_s': s, 'baseline_s': b} for n, s, b in points]
    if points and plot_l3(points, args.plot):
        merged['plot'] = args.plot
        print('plot:', args.plot)
    loads = load_points(merged)
    merged['load_vs_workers'] = [
        {'workers': w, 'tricircle_ports_per_s': t, 'plain_ml2_ports_per_s': b,
         'p50_ratio': r} for w, t, b, r in loads]
    if loads and plot_load(loads, args.load_plot):
        merged['load_plot'] = args.load_plot
        print('plot:', args.load_plot)
    with open(args.output, 'w') as f:
        json.dump(merged, f, indent=2)
    print('wrote', args.output)
    failed = [n for n, e in merged['parts'].items() if e['exit_code'] != 0]
    if failed:
        print('FAILED parts:', ', '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
