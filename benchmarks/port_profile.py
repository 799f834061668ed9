"""Where a port's server CPU goes: py-spy on every server while ports are
made, through a pod (Tricircle) and on a plain-ML2 pod (the baseline).

``port_create.py`` says how much slower a port through a pod is; this
script says why. Each mode starts its own sandbox (as ``port_create.py``
does, one after the other), makes a network and a /16 subnet, a few
warm-up ports, then records every server process with ``py-spy record
--subprocesses --format raw`` while ``--count`` ports are created one
after another. The CPU each server used is measured as
``port_create.py`` does (psutil); py-spy's samples of the threads handling
requests say where it went.

The report, per server: CPU per port, and the share of its samples spent
under each of a fixed list of landmarks (Neutron's port create, IPAM,
the policy engine, the DB layer, our HTTP calls to central and the
Admin API, ...), inclusive. The raw stacks are kept in ``--dir`` for
flame graphs (``inferno``, speedscope).

Usage::

    python benchmarks/port_profile.py [--count 60] [--dir DIR]
        [--output PATH] [--rate 250]

Needs py-spy (``pip install py-spy``) and root (ptrace). Exit 0 when the
measurements completed, whatever the numbers.
"""

import argparse
import collections
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tricircle.sandbox import cluster
from tricircle.sandbox import configs
import _common  # noqa: I100 - benchmarks/ is the script's folder
import port_create

LOG = logging.getLogger('port_profile')

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'port_profile.json')

# A frame of a thread handling an HTTP request (gunicorn's gthread worker).
REQUEST = re.compile(r'^ThreadWorker\.handle_request ')

# (label, regular expression on one frame "function (file:line)").
# Inclusive: a sample counts once for a landmark if any of its frames
# matches. Chosen to answer "what does a port cost each server".
LANDMARKS = (
    ('ML2 create_port', r'^Ml2Plugin\.create_port \('),
    ('  IPAM (allocate IPs)', r'neutron/ipam/|ipam_pluggable_backend'),
    ('  security groups of the port',
     r'_process_port_create_security_group|_get_security_groups_on_port'
     r'|_ensure_default_security_group'),
    ('  get_network for the mechanism context', r'^Ml2Plugin\.get_network '),
    ('  callbacks (registry.publish)', r'neutron_lib/callbacks/manager'),
    ('  quota', r'neutron/quota/'),
    ('policy enforcement', r'oslo_policy/|neutron/policy\.py'),
    ('SQLAlchemy (all)', r'sqlalchemy/'),
    ('SQLite connect (PRAGMAs)', r'^_on_connect \(tricircle/db/sqlite'),
    ('notifications (oslo.messaging notifier)', r'oslo_messaging/notify/'),
    ('tricircle local: create_port', r'^TricircleLocalPlugin\.create_port'),
    ('  HTTP to central (client side)',
     r'^CentralClient\.create_port_routed'),
    ('  network/subnet/group held here?',
     r'^PullMixin\._ensure_network|^PullMixin\._adopt_top_addresses'
     r'|^SecurityGroupMixin\._adopt_top_security_groups'),
    ('  routing via the Admin API', r'^PullMixin\._record '),
    ('tricircle central: create_port',
     r'^TricircleCentralPlugin\.create_port'),
    ('  routing recorded by central', r'^record_port \(tricircle'),
    ('  membership jobs', r'_queue_member_jobs'),
    ('  availability zones of the network',
     r'get_network_availability_zones'),
)


def py_spy():
    """py-spy of this venv, else the one on PATH (None if neither)."""
    return shutil.which('py-spy', path=os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get('PATH', '')]))


def record_profiles(records, out_dir, rate):
    """Start ``py-spy record`` on every server; return the handles."""
    spies = []
    for record in records:
        path = os.path.join(out_dir, '%s.raw' % record['name'])
        proc = subprocess.Popen(
            [py_spy(), 'record', '--pid', str(record['pid']),
             '--subprocesses', '--format', 'raw', '--rate', str(rate),
             '--output', path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        spies.append((record['name'], path, proc))
    time.sleep(2.0)  # py-spy attaches
    return spies


def stop_profiles(spies):
    for _name, _path, proc in spies:
        proc.send_signal(signal.SIGINT)
    for name, _path, proc in spies:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            LOG.warning('py-spy of %s did not stop', name)


def read_raw(path):
    """[(frames list, count)] from py-spy's raw (collapsed) output."""
    stacks = []
    if not os.path.exists(path):
        return stacks
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            stack, _, count = line.rpartition(' ')
            if stack and count.isdigit():
                stacks.append((stack.split(';'), int(count)))
    return stacks


def breakdown(stacks, ports):
    """Samples per port and each landmark's inclusive share, over the
    samples of threads handling a request (py-spy takes some threads
    waiting in select() or on a queue for running ones)."""
    stacks = [(frames, count) for frames, count in stacks
              if any(REQUEST.search(frame) for frame in frames)]
    total = sum(count for _frames, count in stacks)
    patterns = [(label, re.compile(rx)) for label, rx in LANDMARKS]
    hits = collections.Counter()
    for frames, count in stacks:
        for label, rx in patterns:
            if any(rx.search(frame) for frame in frames):
                hits[label] += count
    return {
        'samples': total,
        'samples_per_port': round(total / ports, 2) if ports else None,
        'landmarks': {label: {
            'share': round(hits[label] / total, 3) if total else 0.0,
            'samples_per_port': round(hits[label] / ports, 2)}
            for label, _rx in LANDMARKS if hits[label]},
    }


def run_mode(mode, sandbox_dir, args):
    if os.path.exists(sandbox_dir):
        shutil.rmtree(sandbox_dir)
    pods, options = ((1, configs.plain_ml2) if mode == 'baseline'
                     else (2, configs.tricircle_plugins))
    LOG.info('%s: starting a sandbox with %d pod(s)', mode, pods)
    state = cluster.up(sandbox_dir, pods=pods, neutron_options=options)
    try:
        pod1 = state['pods'][0]
        if mode == 'baseline':
            network_id = port_create.make_network(
                port_create.neutron(pod1['neutron']))
        else:
            network_id = port_create.make_network(
                port_create.neutron(state['central']['neutron']),
                az_hints=[pod1['az_name']])
        create = port_create.PortCreator(pod1['neutron'], network_id)
        port_create.run_sequential(create, args.warmup)
        servers = [r for r in state['processes'] if r.get('url')]
        meter = _common.CpuMeter({r['pid']: r['name']
                                  for r in state['processes']})
        spies = record_profiles(servers, sandbox_dir, args.rate)
        try:
            before = meter.snapshot()
            result = port_create.run_sequential(create, args.count)
            cpu = meter.since(before)
        finally:
            stop_profiles(spies)
        LOG.info('%s: %d ports, %d errors, p50 %s ms', mode, result['ok'],
                 result['errors'], result['p50_ms'])
        profiles = {name: breakdown(read_raw(path), result['ok'])
                    for name, path, _proc in spies}
        for name, seconds in cpu['server_cpu_s'].items():
            profiles.setdefault(name, breakdown([], 0))[
                'cpu_ms_per_port'] = round(1000 * seconds / result['ok'], 1)
    finally:
        port_create.close_sessions()
        port_create.stop_sandbox(sandbox_dir)
    return {'p50_ms': result['p50_ms'], 'ok': result['ok'],
            'errors': result['errors'], 'servers': profiles,
            'raw_stacks': {name: path for name, path, _proc in spies}}


def print_report(report):
    for mode, res in report['modes'].items():
        print('\n%s: %d ports, p50 %s ms' % (mode, res['ok'], res['p50_ms']))
        for server, prof in sorted(res['servers'].items()):
            if not prof['samples']:
                continue
            print('  %-12s %6s ms CPU/port, %6s request samples/port' % (
                server, prof.get('cpu_ms_per_port'),
                prof['samples_per_port']))
            for label, _rx in LANDMARKS:  # nested labels under theirs
                hit = prof['landmarks'].get(label)
                if hit:
                    print('      %5.1f%%  %6.2f  %s' % (
                        100 * hit['share'], hit['samples_per_port'], label))
    totals = {mode: sum(p.get('cpu_ms_per_port') or 0.0
                        for p in res['servers'].values())
              for mode, res in report['modes'].items()}
    if totals.get('baseline'):
        print('\nserver CPU per port: tricircle %.1f ms, baseline %.1f ms, '
              'ratio %.2f' % (totals['tricircle'], totals['baseline'],
                              totals['tricircle'] / totals['baseline']))
    report['server_cpu_ms_per_port'] = totals


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=60,
                        help='ports created while profiling, per mode')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--rate', type=int, default=100,
                        help="py-spy's samples per second")
    parser.add_argument('--dir', help='sandboxes and raw stacks (kept)')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    return parser.parse_args(argv)


def main(argv=None):
    logging.basicConfig(level=logging.INFO,
                        format='%(asctime)s %(levelname)s %(message)s')
    args = parse_args(argv)
    if not py_spy():
        sys.exit('py-spy is not installed: pip install py-spy')
    base = args.dir or tempfile.mkdtemp(prefix='port-profile-')
    report = {'count': args.count, 'rate': args.rate, 'modes': {}}
    for mode in port_create.MODES:
        report['modes'][mode] = run_mode(mode, os.path.join(base, mode),
                                         args)
    print_report(report)
    _common.write_result(args.output, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
