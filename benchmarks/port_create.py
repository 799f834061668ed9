"""Neutron port create latency: Tricircle's local plugin vs. stock ML2.

One run starts two sandboxes on this machine, one after the other:

``baseline``
    ``--plain-ml2`` sandbox with one pod; a network and a /16 subnet made
    directly on Pod1's Neutron, ports created there.
``tricircle``
    default sandbox (central + local plugins) with two pods; a network with
    ``availability_zone_hints ["az1"]`` and a /16 subnet made on central,
    ports created through Pod1's Neutron (each goes to central first).

Each mode: a few warm-up ports, then ``--count`` sequential creates, then
``--count`` creates from a pool of ``--concurrency`` threads. Latency is
measured per request on the client (keystoneauth1 Session + Adapter, no
token: the sandbox has no Keystone); any answer but 201 is an error.

The modes run sequentially (baseline first, then Tricircle) and each
sandbox is stopped before the next starts, so the two never compete for the
CPUs; within a mode the sequential phase runs before the concurrent one, so
both modes see the same number of ports in their databases at each phase.
On a shared machine the speed of the CPUs drifts by half within minutes,
so one pair's ratios can be far off: ``--rounds N`` runs N pairs, the
order swapped every round (Tricircle first in the second), and the ratios
reported are the median of the rounds' (each round's are in ``rounds``;
``modes`` is the first round's). ``--interleave SLICES`` goes further:
both sandboxes are up at once and each phase is cut into SLICES slices
that the two modes run in turn, so both see the same CPUs over the same
minutes (the idle one's own CPU shows as "other").
Each phase also records the CPU time the sandbox, this client and every
other process used: on a shared machine the last ("other CPU") says which
numbers were measured while something else competed for the CPUs.

Usage::

    python benchmarks/port_create.py [--count 200] [--concurrency 8]
        [--rounds 1] [--interleave SLICES] [--dir DIR] [--quick]
        [--output PATH]

Prints a table and writes JSON (default benchmarks/results/port_create.json).
The exit status is 0 whenever the measurements completed, whatever the
numbers or errors; they are reported, never asserted.
"""

import argparse
import collections
import concurrent.futures
import datetime
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session

from tricircle.sandbox import cluster
from tricircle.sandbox import configs
import _common  # noqa: I100 - benchmarks/ is the script's folder

LOG = logging.getLogger('port_create')

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'port_create.json')
CIDR = '10.0.0.0/16'           # 65k addresses: room for any --count
NETWORK_NAME = 'bench-port-create'
REQUEST_TIMEOUT = 120.0
P50_RATIO_TARGET = 1.3
# Share of one CPU that other processes may use during a phase before the
# phase is flagged as measured on a busy machine.
OTHER_CPU_WARN = 0.15
GATEWAY_OWNER = 'network:tricircle_gateway'
MODES = ('baseline', 'tricircle')
PHASES = ('sequential', 'concurrent')


# -- HTTP -------------------------------------------------------------------

_SESSIONS = []
_SESSIONS_LOCK = threading.Lock()


def neutron(url):
    """A keystoneauth Adapter for one Neutron, sending no token."""
    sess = ks_session.Session(auth=noauth.NoAuth(), timeout=REQUEST_TIMEOUT)
    with _SESSIONS_LOCK:
        _SESSIONS.append(sess)
    return adapter.Adapter(sess, endpoint_override=url, connect_retries=0)


def close_sessions():
    """Drop our keep-alive connections, so gunicorn's workers need not wait
    out their graceful timeout for them when the sandbox stops."""
    with _SESSIONS_LOCK:
        sessions, _SESSIONS[:] = list(_SESSIONS), []
    for sess in sessions:
        sess.session.close()


def _checked(resp, what):
    if resp.status_code not in (200, 201):
        raise RuntimeError('%s failed: HTTP %d %s'
                           % (what, resp.status_code, resp.text[:300]))
    return resp.json()


def make_network(api, az_hints=None):
    """A network and a /16 subnet on ``api``; return the network id."""
    body = {'name': NETWORK_NAME}
    if az_hints:
        body['availability_zone_hints'] = list(az_hints)
    net = _checked(api.post('/v2.0/networks', json={'network': body},
                            raise_exc=False), 'network create')['network']
    _checked(api.post('/v2.0/subnets', json={'subnet': {
        'network_id': net['id'], 'cidr': CIDR, 'ip_version': 4,
        'name': NETWORK_NAME}}, raise_exc=False), 'subnet create')
    return net['id']


class PortCreator:
    """POST /v2.0/ports on one Neutron; one session per thread."""

    def __init__(self, url, network_id):
        self.url = url
        self.body = {'port': {'network_id': network_id}}
        self._local = threading.local()

    def _api(self):
        api = getattr(self._local, 'api', None)
        if api is None:
            api = self._local.api = neutron(self.url)
        return api

    def __call__(self, _index=None):
        """(latency seconds, status code or None, error text or None)."""
        api = self._api()
        started = time.perf_counter()
        try:
            resp = api.post('/v2.0/ports', json=self.body, raise_exc=False)
        except ks_exc.ClientException as e:
            return time.perf_counter() - started, None, '%s: %s' % (
                type(e).__name__, e)
        latency = time.perf_counter() - started
        if resp.status_code == 201:
            return latency, 201, None
        return latency, resp.status_code, _error_text(resp)


def _error_text(resp):
    try:
        body = resp.json()
        err = body.get('NeutronError', body)
        text = '%s: %s' % (err.get('type'), err.get('message'))
    except (ValueError, AttributeError):
        text = re.sub(r'\s+', ' ', resp.text)
    return text[:300]


# -- measuring --------------------------------------------------------------

def summarize(results, wall):
    """Stats of one phase; latencies are of successful creates only (a
    failed request can return much faster or slower than a create)."""
    ok = sorted(lat for lat, status, _ in results if status == 201)
    errors = [(status, text) for _, status, text in results
              if status != 201]
    by_status = collections.Counter(str(status) for status, _ in errors)
    samples = collections.Counter(text for _, text in errors)

    def ms(value):
        return None if value is None else round(value * 1000.0, 2)
    return {
        'requests': len(results),
        'ok': len(ok),
        'errors': len(errors),
        'errors_by_status': dict(by_status),
        'error_messages': [{'count': n, 'message': m}
                           for m, n in samples.most_common(5)],
        'p50_ms': ms(_common.percentile(ok, 50)),
        'p95_ms': ms(_common.percentile(ok, 95)),
        'p99_ms': ms(_common.percentile(ok, 99)),
        'mean_ms': ms(sum(ok) / len(ok)) if ok else None,
        'min_ms': ms(ok[0]) if ok else None,
        'max_ms': ms(ok[-1]) if ok else None,
        'wall_s': round(wall, 3),
        'throughput_ports_per_s': round(len(ok) / wall, 3) if wall else None,
    }


def _plan(count, concurrency, warmup):
    return (('warmup', warmup, 1), ('sequential', count, 1),
            ('concurrent', count, concurrency))


def _creates(create, n, threads):
    """(results, wall seconds) of ``n`` creates from ``threads`` threads."""
    started = time.perf_counter()
    if threads == 1:
        results = [create() for _ in range(n)]
    else:
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=threads,
                thread_name_prefix='port-create') as pool:
            results = list(pool.map(create, range(n)))
    return results, time.perf_counter() - started


def _run_metered(create, n, threads, meter):
    """(results, wall seconds, CPU use) of ``n`` creates."""
    before = meter.snapshot()
    results, wall = _creates(create, n, threads)
    return results, wall, meter.since(before)


def _merged(parts, phase):
    """One phase's stats from its slices: latencies pooled, wall and CPU
    times summed."""
    results = [r for part in parts for r in part[0]]
    stats = summarize(results, sum(part[1] for part in parts))
    cpu = collections.Counter()
    servers = collections.Counter()
    for _results, _wall, used in parts:
        for key, value in used.items():
            if key == 'server_cpu_s':
                servers.update(value)
            else:
                cpu[key] += value
    cpu = {key: round(value, 2) for key, value in cpu.items()}
    cpu['server_cpu_s'] = {k: round(v, 2) for k, v in servers.items()}
    ok = stats['ok']
    # what one create costs the servers, whatever else runs
    cpu['sandbox_cpu_ms_per_port'] = (
        round(1000.0 * cpu['sandbox_cpu_s'] / ok, 1) if ok else None)
    if cpu['other_cpu_s'] > OTHER_CPU_WARN * max(cpu['wall_s'], 1.0):
        LOG.warning('  %s: other processes used %.1f CPU-seconds in '
                    '%.1fs; this phase\'s numbers are skewed', phase,
                    cpu['other_cpu_s'], cpu['wall_s'])
    stats['cpu'] = cpu
    return stats


def run_sequential(create, count):
    """Stats of ``count`` creates one after another (no CPU meter)."""
    return summarize(*_creates(create, count, 1))


def measure(create, count, concurrency, warmup, meter):
    phases = {}
    for phase, n, threads in _plan(count, concurrency, warmup):
        LOG.info('  %s: %d ports, %d thread(s)', phase, n, threads)
        phases[phase] = _merged([_run_metered(create, n, threads, meter)],
                                phase)
    return phases


# -- verifying --------------------------------------------------------------

_PORT_FIELDS = ('id', 'mac_address', 'fixed_ips', 'device_owner')


def list_ports(api, network_id):
    query = '/v2.0/ports?network_id=%s&%s' % (
        network_id, '&'.join('fields=%s' % f for f in _PORT_FIELDS))
    return _checked(api.get(query, raise_exc=False), 'port list')['ports']


def _duplicates(values):
    """How many values repeat one seen before (0 when all are unique)."""
    return sum(n - 1 for n in collections.Counter(values).values() if n > 1)


def _ips(port):
    return [ip['ip_address'] for ip in port['fixed_ips']]


def verify(pod_api, network_id, created, central_api=None):
    """Counts of ports and of duplicate IPs/MACs; with ``central_api`` the
    duplicates are counted on central, the owner of every address."""
    pod_ports = list_ports(pod_api, network_id)
    result = {
        'created_ports': created,
        'pod1_ports': len(pod_ports),
        'pod1_matches_created': len(pod_ports) == created,
        'pod1_duplicate_ips': _duplicates(
            ip for p in pod_ports for ip in _ips(p)),
        'pod1_duplicate_macs': _duplicates(p['mac_address']
                                           for p in pod_ports),
    }
    dup_source = 'pod1'
    if central_api is not None:
        top = list_ports(central_api, network_id)
        gateway = [p for p in top if p['device_owner'] == GATEWAY_OWNER]
        top_ports = {p['id']: p for p in top
                     if p['device_owner'] != GATEWAY_OWNER}
        pod_ids = {p['id'] for p in pod_ports}
        result.update({
            'central_ports': len(top),
            'central_gateway_ports': len(gateway),
            'central_duplicate_ips': _duplicates(
                ip for p in top for ip in _ips(p)),
            'central_duplicate_macs': _duplicates(p['mac_address']
                                                  for p in top),
            # central ports no pod port backs (failed creates not undone)
            'central_orphans': len(set(top_ports) - pod_ids),
            # pod ports central does not know
            'pod1_without_central': len(pod_ids - set(top_ports)),
            # same id, different MAC or IPs
            'address_mismatches': sum(
                1 for p in pod_ports if p['id'] in top_ports and (
                    p['mac_address'] != top_ports[p['id']]['mac_address'] or
                    sorted(_ips(p)) != sorted(_ips(top_ports[p['id']])))),
        })
        dup_source = 'central'
    result['duplicates'] = {
        'source': dup_source,
        'ip': result['%s_duplicate_ips' % dup_source],
        'mac': result['%s_duplicate_macs' % dup_source],
    }
    return result


# -- logs -------------------------------------------------------------------

_HEADLINE = re.compile(r'^\S+ \S+ \d+ (ERROR|WARNING) (\S+) \[[^\]]*\] (.*)$')
_ACCESS = re.compile(r'"(GET|POST|PUT|DELETE|PATCH) (\S+) HTTP/[\d.]+" '
                     r'(\d{3}) ')
_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')
_NUMBERS = re.compile(r'\b\d+\b')


def _normalize(text):
    return _NUMBERS.sub('N', _UUID.sub('<uuid>', text))[:240]


def _resource(path):
    path = path.split('?', 1)[0]
    return _NUMBERS.sub('N', _UUID.sub('<id>', path))


def scan_logs(sandbox_dir):
    """Per server log: ERROR/WARNING records (top messages), 'database is
    locked' errors, tracebacks and non-2xx answers from the access log."""
    logs_dir = os.path.join(sandbox_dir, 'logs')
    summary = {}
    for name in sorted(os.listdir(logs_dir)) if os.path.isdir(
            logs_dir) else []:
        if not name.endswith('.log'):
            continue
        errors, warnings, failed = (collections.Counter(),
                                    collections.Counter(),
                                    collections.Counter())
        tracebacks = locked_lines = 0
        with open(os.path.join(logs_dir, name), errors='replace') as f:
            for line in f:
                if 'Traceback (most recent call last)' in line:
                    tracebacks += 1
                if 'database is locked' in line:
                    locked_lines += 1
                head = _HEADLINE.match(line)
                if head:
                    level, logger, message = head.groups()
                    key = '%s: %s' % (logger, _normalize(message))
                    (errors if level == 'ERROR' else warnings)[key] += 1
                    continue
                access = _ACCESS.search(line)
                if access and not access.group(3).startswith('2'):
                    failed['%s %s -> %s' % (access.group(1),
                                            _resource(access.group(2)),
                                            access.group(3))] += 1
        locked = sum(n for m, n in errors.items()
                     if 'database is locked' in m)
        summary[name] = {
            'path': os.path.join(logs_dir, name),
            'error_records': sum(errors.values()),
            'database_is_locked_errors': locked,
            'database_is_locked_lines': locked_lines,
            'tracebacks': tracebacks,
            'warning_records': sum(warnings.values()),
            'top_errors': [{'count': n, 'message': m}
                           for m, n in errors.most_common(8)],
            'top_warnings': [{'count': n, 'message': m}
                             for m, n in warnings.most_common(4)],
            'non_2xx_responses': dict(failed.most_common(10)),
        }
    return summary


# -- the two modes ----------------------------------------------------------

def _fresh(sandbox_dir):
    if os.path.exists(cluster.state_path(sandbox_dir)) or (
            os.path.isdir(sandbox_dir) and os.listdir(sandbox_dir)):
        raise SystemExit('%s is not empty; a sandbox keeps its databases '
                         'across runs, so point --dir at a new folder'
                         % sandbox_dir)


def stop_sandbox(sandbox_dir):
    """``cluster.down`` with our own children reaped meanwhile.

    The servers were started by this process (``cluster.up`` in-process),
    but the records ``down`` reads from sandbox.json carry no Popen to reap
    them with; unreaped, each exited server stays a zombie that ``down``
    takes for alive until its grace and kill timeouts pass.
    """
    state = cluster.load_state(sandbox_dir) or {}
    pids = {r['pid'] for r in state.get('processes', [])}
    done = threading.Event()

    def reap():
        while pids and not done.is_set():
            for pid in list(pids):
                try:
                    if os.waitpid(pid, os.WNOHANG)[0]:
                        pids.discard(pid)
                except ChildProcessError:  # not (or no longer) our child
                    pids.discard(pid)
            done.wait(0.05)
    reaper = threading.Thread(target=reap, name='reaper', daemon=True)
    reaper.start()
    try:
        cluster.down(sandbox_dir)
    except cluster.SandboxError as e:
        LOG.error('stopping %s: %s', sandbox_dir, e)
    finally:
        done.set()
        reaper.join()


class Mode:
    """One mode's sandbox, up, with its network and port creator."""

    def __init__(self, mode, sandbox_dir):
        self.mode, self.sandbox_dir = mode, sandbox_dir
        self.state = self.pod1 = self.central_api = None

    def start(self):
        _fresh(self.sandbox_dir)
        if self.mode == 'baseline':
            self.pods, options = 1, configs.plain_ml2
        else:
            self.pods, options = 2, configs.tricircle_plugins
        LOG.info('%s: starting a sandbox with %d pod(s) in %s', self.mode,
                 self.pods, self.sandbox_dir)
        started = time.monotonic()
        self.state = cluster.up(self.sandbox_dir, pods=self.pods,
                                neutron_options=options)
        LOG.info('%s: sandbox up in %.1fs', self.mode,
                 time.monotonic() - started)
        self.pod1 = self.state['pods'][0]
        self.pod_api = neutron(self.pod1['neutron'])
        if self.mode == 'baseline':
            self.network_id = make_network(self.pod_api)
        else:
            self.central_api = neutron(self.state['central']['neutron'])
            self.network_id = make_network(
                self.central_api, az_hints=[self.pod1['az_name']])
        LOG.info('%s: network %s (%s); creating ports on %s (%s)',
                 self.mode, self.network_id, CIDR, self.pod1['region_name'],
                 self.pod1['neutron'])
        self.create = PortCreator(self.pod1['neutron'], self.network_id)
        self.meter = _common.CpuMeter({r['pid']: r['name']
                                       for r in self.state['processes']})

    def stop(self):
        if self.state is not None or os.path.exists(
                cluster.state_path(self.sandbox_dir)):
            LOG.info('%s: stopping the sandbox', self.mode)
            close_sessions()
            stop_sandbox(self.sandbox_dir)

    def report(self, phases, load_before, load_after):
        created = sum(p['ok'] for p in phases.values())
        verification = verify(self.pod_api, self.network_id, created,
                              self.central_api)
        return {
            'sandbox_dir': self.sandbox_dir,
            'pods': self.pods,
            'plugins': ('stock ML2 (--plain-ml2)' if self.mode == 'baseline'
                        else 'Tricircle central + local plugins'),
            'create_on': '%s %s' % (self.pod1['region_name'],
                                    self.pod1['neutron']),
            'network_id': self.network_id,
            'phases': phases,
            'errors': sum(p['errors'] for p in phases.values()),
            'verification': verification,
            'duplicates': verification['duplicates'],
            # 1/5/15-minute load averages around the measurement; above ~1
            # on a quiet machine means something else was competing
            'loadavg_before': load_before,
            'loadavg_after': load_after,
        }


def run_mode(mode, sandbox_dir, args):
    """One mode alone on the machine: up, measured, checked, down."""
    run = Mode(mode, sandbox_dir)
    try:
        load_before = _loadavg()
        run.start()
        phases = measure(run.create, args.count, args.concurrency,
                         args.warmup, run.meter)
        result = run.report(phases, load_before, _loadavg())
    finally:
        run.stop()
    result['logs'] = scan_logs(sandbox_dir)
    return result


def run_interleaved(dirs, args):
    """Both modes up at once, each phase cut into ``args.interleave``
    slices run in turn (the order swapped every slice): both see the
    same CPUs over the same minutes."""
    runs = {mode: Mode(mode, dirs[mode]) for mode in MODES}
    try:
        load_before = _loadavg()
        for run in runs.values():
            run.start()
        phases = {mode: {} for mode in MODES}
        for phase, n, threads in _plan(args.count, args.concurrency,
                                       args.warmup):
            slices = 1 if phase == 'warmup' else args.interleave
            sizes = [n // slices + (1 if i < n % slices else 0)
                     for i in range(slices)]
            LOG.info('  %s: %d ports per mode in %d slices, %d thread(s)',
                     phase, n, slices, threads)
            parts = {mode: [] for mode in MODES}
            for i, size in enumerate(sizes):
                order = MODES if i % 2 == 0 else tuple(reversed(MODES))
                for mode in order:
                    if size:
                        parts[mode].append(_run_metered(
                            runs[mode].create, size, threads,
                            runs[mode].meter))
            for mode in MODES:
                phases[mode][phase] = _merged(parts[mode], phase)
        load_after = _loadavg()
        results = {mode: runs[mode].report(phases[mode], load_before,
                                           load_after) for mode in MODES}
    finally:
        for run in runs.values():
            run.stop()
    for mode in MODES:
        results[mode]['logs'] = scan_logs(dirs[mode])
    return results


def ratios(modes):
    out = {}
    for phase in PHASES:
        base = modes['baseline']['phases'][phase]
        tri = modes['tricircle']['phases'][phase]
        out[phase] = {}
        for key in ('p50_ms', 'p95_ms', 'p99_ms', 'mean_ms'):
            b, t = base[key], tri[key]
            out[phase][key.replace('_ms', '')] = (
                round(t / b, 3) if b and t is not None else None)
        b = base['cpu']['sandbox_cpu_ms_per_port']
        t = tri['cpu']['sandbox_cpu_ms_per_port']
        out[phase]['srv_cpu'] = (round(t / b, 3) if b and t is not None
                                 else None)
    return out


def median_ratios(rounds):
    """Each ratio's median over the rounds (the lower middle of an even
    count: no value no round measured)."""
    out = {}
    for phase in PHASES:
        out[phase] = {}
        for key in rounds[0]['ratios'][phase]:
            values = sorted(r['ratios'][phase][key] for r in rounds
                            if r['ratios'][phase][key] is not None)
            out[phase][key] = (values[(len(values) - 1) // 2] if values
                               else None)
    return out


# -- output -----------------------------------------------------------------

def _fmt(value, digits=1):
    return '-' if value is None else '%.*f' % (digits, value)


def print_report(report):
    modes, rat = report['modes'], report['ratios']
    headers = ('mode', 'phase', 'ok', 'errors', 'p50 ms', 'p95 ms',
               'p99 ms', 'mean ms', 'ports/s', 'srv CPU ms/port',
               'other CPU')
    rows = []
    for mode in MODES:
        for phase in PHASES:
            s = modes[mode]['phases'][phase]
            cpu = s['cpu']
            rows.append((mode, phase, '%d/%d' % (s['ok'], s['requests']),
                         s['errors'], _fmt(s['p50_ms']), _fmt(s['p95_ms']),
                         _fmt(s['p99_ms']), _fmt(s['mean_ms']),
                         _fmt(s['throughput_ports_per_s'], 2),
                         _fmt(cpu['sandbox_cpu_ms_per_port']),
                         '%.0f%%' % (100.0 * cpu['other_cpu_s'] /
                                     max(cpu['wall_s'], 0.01))))
    many = len(report['rounds']) > 1
    labelled = ([('round %d' % (n + 1), r['ratios'])
                 for n, r in enumerate(report['rounds'])] +
                [('median t/b', rat)]) if many else [('ratio t/b', rat)]
    for label, rnd in labelled:
        for phase in PHASES:
            r = rnd[phase]
            rows.append((label, phase, '', '', _fmt(r['p50'], 2),
                         _fmt(r['p95'], 2), _fmt(r['p99'], 2),
                         _fmt(r['mean'], 2), '', _fmt(r['srv_cpu'], 2), ''))
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    print()
    print('Port create latency, %d creates per phase, concurrency %d '
          '(latencies of successful creates%s)' % (
              report['config']['count'], report['config']['concurrency'],
              '; the modes\' rows are round 1\'s' if many else ''))
    for i, row in enumerate([headers] + rows):
        if i in (1, 1 + 2 * len(PHASES)):
            print('  '.join('-' * w for w in widths))
        print('  '.join(str(x).rjust(w) if j > 1 else str(x).ljust(w)
                        for j, (x, w) in enumerate(zip(row, widths))))
    print('(srv CPU: CPU time the sandbox servers used per port created; '
          'other CPU: CPU time of processes other than the sandbox, this '
          'client and the kernel, in %% of one CPU; above %d%% the machine '
          'was not idle)' % (OTHER_CPU_WARN * 100))
    print()
    for phase in PHASES:
        ratio = rat[phase]['p50']
        print('p50 ratio tricircle/baseline (%s): %s (target <= %.1f: %s)' % (
            phase, _fmt(ratio, 2), P50_RATIO_TARGET,
            'n/a' if ratio is None else
            'met' if ratio <= P50_RATIO_TARGET else 'NOT met'))
    v = modes['tricircle']['verification']
    print()
    print('Tricircle check: created %d ports, Pod1 has %d (%s); central has '
          '%d (%d gateway, %d orphans); duplicates on central: %d IPs, '
          '%d MACs; Pod1/central address mismatches: %d' % (
              v['created_ports'], v['pod1_ports'],
              'equal' if v['pod1_matches_created'] else 'DIFFERENT',
              v['central_ports'], v['central_gateway_ports'],
              v['central_orphans'], v['central_duplicate_ips'],
              v['central_duplicate_macs'], v['address_mismatches']))
    b = modes['baseline']['verification']
    print('Baseline check: created %d ports, Pod1 has %d (%s); duplicates: '
          '%d IPs, %d MACs' % (b['created_ports'], b['pod1_ports'],
                               'equal' if b['pod1_matches_created']
                               else 'DIFFERENT', b['pod1_duplicate_ips'],
                               b['pod1_duplicate_macs']))
    print()
    for mode in MODES:
        for phase in ('warmup',) + PHASES:
            for err in modes[mode]['phases'][phase]['error_messages']:
                print('%s %s error x%d: %s' % (mode, phase, err['count'],
                                               err['message']))
        for name, log in modes[mode]['logs'].items():
            print('%s log %s: %d ERROR records (%d "database is locked"), '
                  '%d tracebacks, non-2xx answers: %s' % (
                      mode, log['path'], log['error_records'],
                      log['database_is_locked_errors'], log['tracebacks'],
                      log['non_2xx_responses'] or 'none'))


def _loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def _code_version():
    """The commit measured, and whether the working tree differed from it
    (the servers run the files on disk)."""
    root = os.path.dirname(HERE)

    def git(*args):
        try:
            return subprocess.run(('git',) + args, cwd=root, text=True,
                                  capture_output=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ''
    changed = [line[3:] for line in git('status', '--porcelain',
                                        '--untracked-files=no').splitlines()]
    return {'commit': git('rev-parse', 'HEAD').strip() or None,
            'modified_files': changed}


def environment():
    try:
        from importlib import metadata
        neutron_version = metadata.version('neutron')
    except Exception:  # noqa - informational only
        neutron_version = None
    return {'code': _code_version(),
            'python': platform.python_version(),
            'platform': platform.platform(),
            'cpus': os.cpu_count(),
            'loadavg_at_start': _loadavg(),
            'neutron': neutron_version,
            'database': 'sqlite (every server)'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Neutron port create latency: Tricircle vs. plain ML2.')
    parser.add_argument('--count', type=int, default=None,
                        help='Creates per phase (default 200, 30 with '
                             '--quick).')
    parser.add_argument('--concurrency', type=int, default=8,
                        help='Threads of the concurrent phase (default 8).')
    parser.add_argument('--warmup', type=int, default=None,
                        help='Warm-up creates per mode (default 5, 2 with '
                             '--quick).')
    parser.add_argument('--dir', default=None,
                        help='Folder for the sandboxes (DIR/baseline, '
                             'DIR/tricircle; must be new or empty); default '
                             'a new temporary folder, kept for its logs.')
    parser.add_argument('--rounds', type=int, default=1,
                        help='Pairs of runs, the order swapped each round; '
                             'the ratios are the rounds\' median (default '
                             '%(default)s).')
    parser.add_argument('--interleave', type=int, default=0,
                        metavar='SLICES',
                        help='Both sandboxes up at once, each phase cut '
                             'into SLICES slices run by the two modes in '
                             'turn (default 0: one sandbox after the '
                             'other).')
    parser.add_argument('--quick', action='store_true',
                        help='Smoke run: 30 creates per phase.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT,
                        help='JSON results file (default %(default)s).')
    args = parser.parse_args(argv)
    if args.count is None:
        args.count = 30 if args.quick else 200
    if args.warmup is None:
        args.warmup = 2 if args.quick else 5
    if (args.count < 1 or args.concurrency < 1 or args.warmup < 0 or
            args.rounds < 1 or args.interleave < 0):
        parser.error('--count, --concurrency and --rounds must be >= 1, '
                     '--warmup >= 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format='%(asctime)s %(levelname)s %(message)s')
    for noisy in ('alembic', 'keystoneauth', 'urllib3'):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    base_dir = os.path.abspath(args.dir) if args.dir else tempfile.mkdtemp(
        prefix='tricircle-port-create-')
    os.makedirs(base_dir, exist_ok=True)
    dirs = [{mode: os.path.join(base_dir, *(
        ([] if n == 0 else ['round-%d' % (n + 1)]) + [mode]))
        for mode in MODES} for n in range(args.rounds)]
    for round_dirs in dirs:  # refuse a used folder before anything starts
        for mode_dir in round_dirs.values():
            _fresh(mode_dir)
    report = {
        'benchmark': 'port_create',
        'started_at': datetime.datetime.now(
            datetime.timezone.utc).isoformat(timespec='seconds'),
        'config': {'count': args.count, 'concurrency': args.concurrency,
                   'warmup': args.warmup, 'quick': args.quick,
                   'rounds': args.rounds, 'interleave': args.interleave,
                   'cidr': CIDR, 'order': list(MODES),
                   'sandbox_dir': base_dir},
        'environment': environment(),
        'modes': {},
    }
    started = time.monotonic()
    report['rounds'] = []
    for n, round_dirs in enumerate(dirs):
        order = MODES if n % 2 == 0 else tuple(reversed(MODES))
        if args.interleave:
            modes = run_interleaved(round_dirs, args)
        else:
            modes = {mode: run_mode(mode, round_dirs[mode], args)
                     for mode in order}
        report['rounds'].append({
            'order': list(order), 'ratios': ratios(modes),
            'srv_cpu_ms_per_port': {
                mode: {phase: modes[mode]['phases'][phase]['cpu'][
                    'sandbox_cpu_ms_per_port'] for phase in PHASES}
                for mode in MODES}})
        if n == 0:
            report['modes'] = modes
    report['ratios'] = median_ratios(report['rounds'])
    report['target'] = {
        'p50_ratio_max': P50_RATIO_TARGET,
        'met': {phase: (None if report['ratios'][phase]['p50'] is None else
                        report['ratios'][phase]['p50'] <= P50_RATIO_TARGET)
                for phase in PHASES}}
    report['duration_s'] = round(time.monotonic() - started, 1)
    output = os.path.abspath(args.output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    print_report(report)
    print()
    print('JSON written to %s; sandboxes (logs, databases) in %s; took '
          '%.0fs' % (output, base_dir, report['duration_s']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
