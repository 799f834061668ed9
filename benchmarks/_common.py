"""What every benchmark script shares: a token-less client of a sandbox
Neutron, one definition of a percentile, and writing the JSON result."""

import collections
import contextlib
import json
import os
import re
import statistics
import time

from keystoneauth1 import adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import openstack.connection
import psutil


def connect(url):
    """openstacksdk network proxy of a sandbox Neutron (noauth: admin)."""
    return openstack.connection.Connection(
        session=ks_session.Session(auth=noauth.NoAuth()),
        network_endpoint_override=url, network_api_version='2').network


@contextlib.contextmanager
def sandbox(sandbox_dir, pods, **shape):
    """A sandbox of ``pods`` pods for the block: ``(state, central network
    proxy, {region: pod network proxy})``; always taken down after.
    ``shape``: more keyword arguments of cluster.up (db, rabbit, ...)."""
    from tricircle.sandbox import cluster
    state = cluster.up(sandbox_dir, pods=pods, **shape)
    try:
        yield (state, connect(state['central']['neutron']),
               {p['region_name']: connect(p['neutron'])
                for p in state['pods']})
    finally:
        cluster.down(sandbox_dir)


def admin(state):
    """A token-less adapter of the sandbox's Admin API."""
    return adapter.Adapter(ks_session.Session(auth=noauth.NoAuth()),
                           endpoint_override=state['admin_api'])


def wait_jobs(admin, resource_id, timeout):
    """Seconds until the resource's newest job succeeded and none is
    pending (``admin``: an adapter of the Admin API); None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        jobs = admin.get('/v1.0/jobs?resource_id=%s' % resource_id,
                         raise_exc=False).json().get('jobs', [])
        jobs.sort(key=lambda j: j['created_at'])
        pending = [j for j in jobs if j['status'] in ('NEW', 'RUNNING') or
                   (j['status'] == 'FAIL' and j['next_attempt_at'])]
        if jobs and not pending and jobs[-1]['status'] == 'SUCCESS':
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def write_result(path, result):
    """Write ``result`` as JSON at ``path`` (making its folder)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print('wrote', path)


def percentile(sorted_values, pct):
    """Linear interpolation between closest ranks (numpy's default); None
    when empty. Every benchmark reports percentiles this one way."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * pct / 100.0
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] -
                                 sorted_values[low]) * (pos - low)


def summary(samples):
    """p50, p90, min, max and the samples, in seconds (3 decimals)."""
    return {'p50_s': round(statistics.median(samples), 3),
            'p90_s': round(percentile(sorted(samples), 90), 3),
            'min_s': round(min(samples), 3), 'max_s': round(max(samples), 3),
            'samples_s': [round(s, 3) for s in samples]}


class LogWindow:
    """What a sandbox's servers and XJob did between two moments, read
    from the lines their logs gained: the requests Tricircle's own clients
    (user agent ``tricircle...``) made to each server, with the seconds
    the server spent on them (gunicorn's request time), and the jobs XJob
    finished, with their run time. Where a convergence time goes, without
    a profiler: waiting (no job running), job work, or server work."""

    _ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" '
                         r'(?P<status>\d{3}) \S+ "[^"]*" "(?P<agent>[^"]*)"'
                         r'(?: (?P<secs>[\d.]+))?$')
    _JOB = re.compile(r'(?P<type>\w+) job \S+ for \S+ succeeded in '
                      r'(?P<secs>[\d.]+)s')

    def __init__(self, state):
        logs = os.path.join(state['dir'], 'logs')
        self._servers = {name: os.path.join(logs, name + '.log') for name in
                         [state['central']['region_name']] +
                         [p['region_name'] for p in state['pods']]}
        self._xjobs = sorted(
            os.path.join(logs, f) for f in os.listdir(logs)
            if f.startswith('xjob') and f.endswith('.log'))
        self._marks = {}

    def start(self):
        self._marks = {path: os.path.getsize(path) for path in
                       list(self._servers.values()) + self._xjobs
                       if os.path.exists(path)}

    def _new_lines(self, path):
        with open(path, errors='replace') as f:
            f.seek(self._marks.get(path, 0))
            return f.read().splitlines()

    def read(self):
        """``{'jobs': {type: [seconds...]}, 'servers': {name: {'requests':
        n, 'server_s': s, 'by_call': {'GET /v2.0/ports': n}}}}``."""
        jobs = {}
        for path in self._xjobs:
            for line in self._new_lines(path):
                match = self._JOB.search(line)
                if match:
                    jobs.setdefault(match['type'], []).append(
                        float(match['secs']))
        servers = {}
        for name, path in self._servers.items():
            calls, seconds = {}, 0.0
            for line in self._new_lines(path):
                match = self._ACCESS.search(line)
                if not match or not match['agent'].startswith('tricircle'):
                    continue
                # The resource and action, not the id: GET
                # /v2.0/routers/<id> counts as "GET /v2.0/routers", PUT
                # /v2.0/routers/<id>/add_router_interface as "PUT
                # /v2.0/routers/*/add_router_interface".
                parts = match['path'].split('?')[0].split('/')
                key = '%s %s' % (match['method'], '/'.join(
                    parts[:3] + ['*', parts[4]] if len(parts) > 4
                    else parts[:3]))
                calls[key] = calls.get(key, 0) + 1
                seconds += float(match['secs'] or 0)
            servers[name] = {'requests': sum(calls.values()),
                             'server_s': round(seconds, 3),
                             'by_call': dict(sorted(calls.items()))}
        return {'jobs': {t: [round(s, 3) for s in v]
                         for t, v in sorted(jobs.items())},
                'servers': servers}


class CpuMeter:
    """Who used the CPUs during a phase: the sandbox's servers, this
    process (the client), other processes, and the kernel. CPU used by
    other processes is what makes numbers from a shared machine doubtful;
    kernel time (loopback networking, SQLite's disk writes) is mostly done
    for the sandbox itself."""

    def __init__(self, servers):
        """``servers``: {process group id: server name} of the sandbox."""
        self.servers = dict(servers)
        self.me = os.getpid()

    @staticmethod
    def _busy():
        t = psutil.cpu_times()
        idle = t.idle + getattr(t, 'iowait', 0.0) + getattr(t, 'steal', 0.0)
        return sum(t) - idle - getattr(t, 'guest', 0.0) - getattr(
            t, 'guest_nice', 0.0)

    def _processes(self):
        """{(pid, create_time): (kind, CPU seconds)}; for other processes
        the CPU of the children they reaped counts too, so short-lived
        subprocesses (a test run's) are not missed."""
        found = {}
        for proc in psutil.process_iter(['ppid', 'create_time']):
            try:
                c = proc.cpu_times()
                if proc.pid == self.me:
                    kind, cpu = 'client', c.user + c.system
                elif proc.pid == 2 or proc.info['ppid'] == 2:
                    kind, cpu = 'kernel', c.user + c.system
                elif os.getpgid(proc.pid) in self.servers:
                    kind = 'server:' + self.servers[os.getpgid(proc.pid)]
                    cpu = c.user + c.system
                else:
                    kind, cpu = 'other', (c.user + c.system +
                                          c.children_user + c.children_system)
            except (psutil.Error, ProcessLookupError):
                continue
            found[(proc.pid, proc.info['create_time'])] = (kind, cpu)
        return found

    def snapshot(self):
        return time.monotonic(), self._busy(), self._processes()

    def since(self, before):
        wall0, busy0, procs0 = before
        wall1, busy1, procs1 = self.snapshot()
        used = collections.Counter()
        for key, (kind, cpu) in procs1.items():
            used[kind] += cpu - procs0.get(key, (kind, 0.0))[1]
        busy = busy1 - busy0
        servers = {kind.split(':', 1)[1]: round(cpu, 2)
                   for kind, cpu in sorted(used.items())
                   if kind.startswith('server:')}
        used['sandbox'] = sum(servers.values())
        rest = max(busy - used['sandbox'] - used['client'], 0.0)
        # A reaped child's whole life lands in its parent's children time
        # at once; no more than the machine's unexplained CPU is "other".
        other = min(max(used['other'], 0.0), rest)
        return {'wall_s': round(wall1 - wall0, 2),
                'machine_busy_cpu_s': round(busy, 2),
                'sandbox_cpu_s': round(used['sandbox'], 2),
                'server_cpu_s': servers,
                'client_cpu_s': round(used['client'], 2),
                'other_cpu_s': round(other, 2),
                # kernel threads, interrupts, processes gone unreaped
                'kernel_cpu_s': round(rest - other, 2)}
