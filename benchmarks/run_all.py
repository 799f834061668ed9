"""Every benchmark in one go, merged into benchmarks/results.json, with a
plot of L3 convergence time against the number of pods.

Why a driver: each benchmark starts and stops its own sandboxes, so they
must run one after another (two at once would share the 2 CPUs and skew
both); each runs as its own subprocess, so a crash or a leaked thread in
one cannot spoil the next, and writes its own JSON under ``--results-dir``
which this script then merges. The parts:

``port_create``     Tricircle vs. direct ML2 port create latency
``l3_convergence``  router interface add -> routes in every pod, 2-4 pods
``load``            concurrent port creates and router churn, 3 pods
``floating_ip``     floating IP associate -> mapped in the gateway pod
``update_propagation``  update on central -> in every pod, 2 and 3 pods
``job_engine``      XJob jobs/s, in-process and with 1 and 2 processes

    python benchmarks/run_all.py [--quick] [--only NAME ...]
        [--results-dir DIR] [--output benchmarks/results.json]
        [--plot benchmarks/l3_convergence.png]

``--quick`` makes every part small (a smoke run of the whole chain, a few
minutes). The exit status is 1 if any part failed; the others are still
merged. The plot needs matplotlib (``pip install -e '.[bench]'``, which
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
DEFAULT_RESULTS = os.path.join(HERE, 'results')

# name -> (full arguments, --quick arguments)
PARTS = {
    'port_create': ([], ['--quick']),
    'l3_convergence': (['--pods', '2', '3', '4'],
                       ['--pods', '2', '3', '4', '--runs', '1']),
    'load': ([], ['--quick']),
    'floating_ip': ([], ['--runs', '2']),
    'update_propagation': ([], ['--runs', '2', '--pods', '2']),
    'job_engine': ([], ['--jobs', '100']),
}
PART_TIMEOUT = 3600


def run_part(name, quick, results_dir):
    """Run one benchmark script; return its merged entry."""
    output = os.path.join(results_dir, '%s.json' % name)
    full, small = PARTS[name]
    argv = [sys.executable, os.path.join(HERE, '%s.py' % name),
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
    """[(pods, median seconds)] from the l3_convergence part."""
    result = merged['parts'].get('l3_convergence', {}).get('result') or {}
    return sorted((int(n), r['median_s'])
                  for n, r in (result.get('pods') or {}).items())


def plot_l3(points, path):
    """L3 convergence time vs. number of pods, with the linear-growth line
    from the smallest count; False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        from matplotlib import pyplot
    except ImportError:
        print('matplotlib not installed: no plot (pip install -e '
              '".[bench]")')
        return False
    fig, ax = pyplot.subplots(figsize=(6, 4))
    xs = [p for p, _ in points]
    ys = [s for _, s in points]
    ax.plot(xs, ys, 'o-', label='median convergence')
    if points:
        first_n, first_s = points[0]
        ax.plot(xs, [first_s * n / first_n for n in xs], '--',
                color='grey', label='linear growth')
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
    args = parser.parse_args(argv)
    os.makedirs(args.results_dir, exist_ok=True)
    merged = {'started_at': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                          time.gmtime()),
              'quick': args.quick, 'cpus': os.cpu_count(), 'parts': {}}
    for name in args.only or list(PARTS):
        merged['parts'][name] = run_part(name, args.quick, args.results_dir)
    points = l3_points(merged)
    merged['l3_convergence_vs_pods'] = [
        {'pods': n, 'median_s': s} for n, s in points]
    if points and plot_l3(points, args.plot):
        merged['plot'] = args.plot
        print('plot:', args.plot)
    with open(args.output, 'w') as f:
        json.dump(merged, f, indent=2)
    print('wrote', args.output)
    failed = [n for n, e in merged['parts'].items() if e['exit_code'] != 0]
    if failed:
        print('FAILED parts:', ', '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
