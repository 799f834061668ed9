"""Load: many concurrent port creates over 3 pods, then router interface
churn on central; conflicts, errors and duplicate addresses counted.

Why: the other benchmarks time one operation at a time. Under load the
failure modes that matter are different: two pods asking central for
addresses at once (duplicate IPs or MACs, 409s from retried allocations),
SQLite write contention turning into 500s, router jobs piling up. This
script provokes them on one sandbox and reports what it saw; it asserts
nothing about speed.

One sandbox with ``--pods`` pods (default 3). Port phase: ``--ports``
creates (500) from ``--concurrency`` threads (16), spread round-robin over
the pods' Neutrons, either on one network hinted to every pod (``--layout
stretched``, the default: a cross-pod type is needed, so it is made as
admin with ``provider:network_type vxlan``) or on one network per pod
(``--layout per-pod``). Afterwards central's ports are checked for
duplicate IPs and MACs, and every created port must be on central and in
its pod. Router phase: ``--cycles`` (50) add/remove cycles of a router
interface on central, each call timed; then the time until XJob's jobs for
the router are done. Finally, if ``tricircle audit`` exists, it is run on
the sandbox and whether it found no drift is recorded.

Baseline, in the same run once the Tricircle sandbox is down: the same
port creates at the same concurrency on as many plain-ML2 pods (a network
of each pod's own), so the report gives Tricircle's throughput and latency
as ratios to plain ML2 of the same machine and moment. ``--db``,
``--workers`` apply to both sandboxes, ``--xjobs`` and ``--rabbit`` to
Tricircle's (the production shape, see README).

    python benchmarks/load.py [--quick] [--ports N] [--concurrency N]
        [--cycles N] [--pods N] [--layout stretched|per-pod] [--dir DIR]
        [--db sqlite|mariadb|postgresql] [--workers N] [--xjobs N]
        [--rabbit] [--no-baseline] [--output PATH]

Writes JSON (default benchmarks/results/load.json, git-ignored).
"""

import argparse
import collections
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import threading
import time

from keystoneauth1 import adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session

from tricircle.sandbox import cluster
from tricircle.sandbox import configs
from tricircle.sandbox import identity
import _common  # noqa: I100 - benchmarks/ is the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'load.json')
BIN = os.path.dirname(sys.executable)
GATEWAY_OWNER = 'network:tricircle_gateway'
REQUEST_TIMEOUT = 120.0
JOB_TIMEOUT = 180.0


def api(url):
    sess = ks_session.Session(auth=noauth.NoAuth(), timeout=REQUEST_TIMEOUT)
    return adapter.Adapter(sess, endpoint_override=url, connect_retries=0)


def checked(resp, what):
    if resp.status_code not in (200, 201, 204):
        raise RuntimeError('%s failed: HTTP %d %s' % (
            what, resp.status_code, resp.text[:300]))
    return resp.json() if resp.content else {}


def latency_summary(samples):
    ok = sorted(samples)

    def ms(value):
        return None if value is None else round(value * 1000, 1)
    return {'count': len(ok), 'p50_ms': ms(_common.percentile(ok, 50)),
            'p90_ms': ms(_common.percentile(ok, 90)),
            'p99_ms': ms(_common.percentile(ok, 99)),
            'max_ms': ms(ok[-1] if ok else None)}


def classify(status):
    if status in (200, 201, 204):
        return 'ok'
    if status == 409:
        return 'conflict'
    return 'error'


# -- port phase -------------------------------------------------------------

def lift_port_quota(central, count):
    """Central counts every port of a project in every pod against one
    quota (Neutron's default: 500); make room for the run's ports."""
    checked(central.put('/v2.0/quotas/%s' % identity.ADMIN_PROJECT,
                        json={'quota': {'port': max(1000, 2 * count)}},
                        raise_exc=False), 'port quota update')


def make_networks(central, regions, azs, layout):
    """{region: network id}; every network gets a /16 subnet."""
    if layout == 'stretched':
        net = checked(central.post('/v2.0/networks', json={'network': {
            'name': 'load-stretched', 'provider:network_type': 'vxlan',
            'availability_zone_hints': azs}}, raise_exc=False),
            'stretched network create')['network']
        nets = {region: net['id'] for region in regions}
        ids = [net['id']]
    else:
        nets = {}
        for region, az in zip(regions, azs):
            nets[region] = checked(central.post(
                '/v2.0/networks', json={'network': {
                    'name': 'load-%s' % region,
                    'availability_zone_hints': [az]}}, raise_exc=False),
                'network create')['network']['id']
        ids = list(nets.values())
    for i, net_id in enumerate(ids):
        checked(central.post('/v2.0/subnets', json={'subnet': {
            'network_id': net_id, 'ip_version': 4,
            'cidr': '10.%d.0.0/16' % (120 + i)}}, raise_exc=False),
            'subnet create')
    return nets


def port_phase(state, count, concurrency, layout):
    central = api(state['central']['neutron'])
    pods = state['pods']
    regions = [p['region_name'] for p in pods]
    lift_port_quota(central, count)
    nets = make_networks(central, regions, [p['az_name'] for p in pods],
                         layout)
    result, created = create_ports(state, nets, count, concurrency)
    result['layout'] = layout
    result.update(verify_ports(central, state, nets, created))
    return result


def baseline_port_phase(state, count, concurrency):
    """The same creates on plain ML2 pods: a network of each pod's own,
    made in the pod (nothing spans pods without Tricircle)."""
    nets = {}
    for i, pod in enumerate(state['pods']):
        neutron = api(pod['neutron'])
        lift_port_quota(neutron, count)
        net = checked(neutron.post('/v2.0/networks', json={'network': {
            'name': 'load-baseline'}}, raise_exc=False),
            'network create')['network']
        checked(neutron.post('/v2.0/subnets', json={'subnet': {
            'network_id': net['id'], 'ip_version': 4,
            'cidr': '10.%d.0.0/16' % (120 + i)}}, raise_exc=False),
            'subnet create')
        nets[pod['region_name']] = net['id']
    result, _created = create_ports(state, nets, count, concurrency)
    return result


def create_ports(state, nets, count, concurrency):
    """``count`` port creates round-robin over the pods' Neutrons; the
    summary, with each server's CPU per port, and {region: created port
    ids}."""
    pods = state['pods']
    meter = _common.CpuMeter({r['pid']: r['name']
                              for r in state['processes']})
    local = threading.local()
    lock = threading.Lock()
    created = collections.defaultdict(list)     # region -> port ids
    outcome = collections.Counter()
    messages = collections.Counter()
    latencies = []

    def create(i):
        pod = pods[i % len(pods)]
        region = pod['region_name']
        apis = getattr(local, 'apis', None)
        if apis is None:
            apis = local.apis = {p['region_name']: api(p['neutron'])
                                 for p in pods}
        start = time.monotonic()
        try:
            resp = apis[region].post('/v2.0/ports', json={'port': {
                'network_id': nets[region], 'name': 'load-%d' % i}},
                raise_exc=False)
            status, text = resp.status_code, resp.text
        except Exception as e:      # timeouts, resets: errors too
            status, text = 0, repr(e)
        took = time.monotonic() - start
        kind = classify(status)
        with lock:
            outcome[kind] += 1
            if kind == 'ok':
                latencies.append(took)
                created[region].append(resp.json()['port']['id'])
            else:
                messages['%d %s' % (status, text[:160])] += 1

    before = meter.snapshot()
    wall = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(create, range(count)))
    wall = time.monotonic() - wall
    cpu = meter.since(before)
    result = {'requests': count, 'concurrency': concurrency,
              'pods': len(pods),
              'ok': outcome['ok'], 'conflicts': outcome['conflict'],
              'errors': outcome['error'],
              'error_messages': dict(messages.most_common(10)),
              'wall_s': round(wall, 2),
              'ports_per_s': round(outcome['ok'] / wall, 1) if wall else None,
              'latency': latency_summary(latencies),
              'cpu': cpu_per_port(cpu, outcome['ok'],
                                  {p['region_name'] for p in pods})}
    return result, created


def cpu_per_port(cpu, ok, pod_regions):
    """CPU milliseconds per created port: all servers, the pods' Neutrons
    together, each other server (central, Admin API, XJob processes
    together), and how busy the machine was."""
    def ms(seconds):
        return round(1000.0 * seconds / ok, 1) if ok else None
    kinds = collections.Counter()
    for name, seconds in cpu['server_cpu_s'].items():
        kinds['pods' if name in pod_regions else
              name.split('-')[0]] += seconds
    return {'servers_ms_per_port': ms(cpu['sandbox_cpu_s']),
            'by_server_ms_per_port': {k: ms(v)
                                      for k, v in sorted(kinds.items())},
            'machine_busy_fraction': round(
                cpu['machine_busy_cpu_s'] / cpu['wall_s'] /
                os.cpu_count(), 2) if cpu['wall_s'] else None}


def ratios(ports, baseline):
    """Tricircle over plain ML2, from the same run: throughput (higher is
    better) and latency percentiles (lower is better)."""
    out = {}
    if ports['ports_per_s'] and baseline['ports_per_s']:
        out['throughput'] = round(ports['ports_per_s'] /
                                  baseline['ports_per_s'], 2)
    for key in ('p50_ms', 'p90_ms', 'p99_ms'):
        ours, base = ports['latency'][key], baseline['latency'][key]
        if ours and base:
            out['latency_' + key[:3]] = round(ours / base, 2)
    return out


def verify_ports(central, state, nets, created):
    """Duplicates among central's ports; created ports missing anywhere."""
    ips, macs, central_ids = [], [], set()
    for net_id in set(nets.values()):
        ports = checked(central.get('/v2.0/ports?network_id=%s' % net_id,
                                    raise_exc=False), 'list')['ports']
        for port in ports:
            central_ids.add(port['id'])
            macs.append(port['mac_address'])
            ips += [ip['ip_address'] for ip in port['fixed_ips']]
    missing_in_pods = 0
    for pod in state['pods']:
        region = pod['region_name']
        ports = checked(api(pod['neutron']).get(
            '/v2.0/ports?network_id=%s' % nets[region], raise_exc=False),
            'list')['ports']
        there = {p['id'] for p in ports}
        missing_in_pods += len(set(created[region]) - there)
    all_created = [p for ids in created.values() for p in ids]
    return {'duplicates': {
                'ip': len(ips) - len(set(ips)),
                'mac': len(macs) - len(set(macs)),
                'port_id': len(all_created) - len(set(all_created))},
            'missing_on_central': len(set(all_created) - central_ids),
            'missing_in_pods': missing_in_pods}


# -- router phase -----------------------------------------------------------

def router_phase(state, cycles):
    central = api(state['central']['neutron'])
    admin = api(state['admin_api'])
    pod = state['pods'][0]
    net = checked(central.post('/v2.0/networks', json={'network': {
        'name': 'load-router-net', 'availability_zone_hints':
        [pod['az_name']]}}, raise_exc=False), 'network create')['network']
    subnet = checked(central.post('/v2.0/subnets', json={'subnet': {
        'network_id': net['id'], 'ip_version': 4,
        'cidr': '10.119.0.0/24'}}, raise_exc=False),
        'subnet create')['subnet']
    router = checked(central.post('/v2.0/routers', json={'router': {
        'name': 'load-router'}}, raise_exc=False), 'router')['router']
    path = '/v2.0/routers/%s/%%s_router_interface' % router['id']
    body = {'subnet_id': subnet['id']}
    outcome = collections.Counter()
    messages = collections.Counter()
    samples = {'add': [], 'remove': []}
    for _ in range(cycles):
        for verb in ('add', 'remove'):
            start = time.monotonic()
            resp = central.put(path % verb, json=body, raise_exc=False)
            took = time.monotonic() - start
            kind = classify(resp.status_code)
            outcome[kind] += 1
            if kind == 'ok':
                samples[verb].append(took)
            else:
                messages['%s %d %s' % (verb, resp.status_code,
                                       resp.text[:160])] += 1
    converge = _common.wait_jobs(admin, router['id'], JOB_TIMEOUT)
    jobs = admin.get('/v1.0/jobs?resource_id=%s' % router['id'],
                     raise_exc=False).json().get('jobs', [])
    # Recorded, not judged: whether the subnet's gateway IP is held by a
    # reservation port again once the router let go of it.
    gateways = checked(central.get(
        '/v2.0/ports?device_owner=%s&network_id=%s' % (
            GATEWAY_OWNER, net['id']), raise_exc=False), 'list')['ports']
    return {'cycles': cycles, 'calls': 2 * cycles, 'ok': outcome['ok'],
            'conflicts': outcome['conflict'], 'errors': outcome['error'],
            'error_messages': dict(messages.most_common(10)),
            'add_latency': latency_summary(samples['add']),
            'remove_latency': latency_summary(samples['remove']),
            'jobs_converged_s': None if converge is None else
            round(converge, 2),
            'jobs': dict(collections.Counter(j['status'] for j in jobs)),
            'gateway_reservations_after': len(gateways)}


# -- audit ------------------------------------------------------------------

def tricircle_cli():
    cli = os.path.join(BIN, 'tricircle')
    return [cli] if os.path.exists(cli) else [sys.executable, '-m',
                                              'tricircle.cmd.cli']


def run_audit(sandbox_dir):
    """``tricircle audit --dir``, when that command exists; exit 0 means
    no drift between central, the pods and the routings."""
    cli = tricircle_cli()
    probe = subprocess.run(cli + ['audit', '--help'], capture_output=True,
                           text=True, timeout=60)
    if probe.returncode != 0:
        return {'available': False}
    result = subprocess.run(cli + ['audit', '--dir', sandbox_dir],
                            capture_output=True, text=True, timeout=300)
    return {'available': True, 'exit_code': result.returncode,
            'clean': result.returncode == 0,
            'output_tail': (result.stdout + result.stderr)[-2000:]}


# -- main -------------------------------------------------------------------

def cpu_line(cpu):
    return 'server CPU ms per port: %s (%s); machine busy %s' % (
        cpu['servers_ms_per_port'], ', '.join(
            '%s %s' % item for item in cpu['by_server_ms_per_port'].items()),
        cpu['machine_busy_fraction'])


def print_report(report):
    p, r = report['ports'], report['router']
    shape = report['shape']
    print('shape: %(db)s, %(workers)d worker(s) per API, %(xjobs)d XJob '
          'process(es), wake-ups %(rabbit)s' % shape)
    print('port creates: %d at concurrency %d over %d pods (%s): ok %d, '
          'conflicts %d, errors %d, %.1f ports/s' % (
              p['requests'], p['concurrency'], p['pods'], p['layout'],
              p['ok'], p['conflicts'], p['errors'], p['ports_per_s'] or 0))
    lat = p['latency']
    print('  latency ms: p50 %s  p90 %s  p99 %s  max %s' % (
        lat['p50_ms'], lat['p90_ms'], lat['p99_ms'], lat['max_ms']))
    print('  duplicates: ip %(ip)d mac %(mac)d port_id %(port_id)d' %
          p['duplicates'] + '; missing on central %d, in pods %d' % (
              p['missing_on_central'], p['missing_in_pods']))
    print('  ' + cpu_line(p['cpu']))
    for msg, n in p['error_messages'].items():
        print('  %dx %s' % (n, msg))
    print('router interface cycles: %d (%d calls): ok %d, conflicts %d, '
          'errors %d; jobs done %ss after the last call' % (
              r['cycles'], r['calls'], r['ok'], r['conflicts'], r['errors'],
              r['jobs_converged_s']))
    for verb in ('add', 'remove'):
        lat = r['%s_latency' % verb]
        print('  %-6s latency ms: p50 %s  p90 %s  p99 %s  max %s' % (
            verb, lat['p50_ms'], lat['p90_ms'], lat['p99_ms'],
            lat['max_ms']))
    for msg, n in r['error_messages'].items():
        print('  %dx %s' % (n, msg))
    audit = report['audit']
    print('audit: %s' % ('not available' if not audit['available'] else
                         'clean' if audit['clean'] else
                         'DRIFT (exit %d)' % audit['exit_code']))
    base = report['baseline_ports']
    if base:
        lat = base['latency']
        print('baseline, plain ML2 pods, same ports: ok %d, errors %d, '
              '%.1f ports/s; latency ms p50 %s p90 %s p99 %s' % (
                  base['ok'], base['errors'], base['ports_per_s'] or 0,
                  lat['p50_ms'], lat['p90_ms'], lat['p99_ms']))
        print('  ' + cpu_line(base['cpu']))
        print('ratios Tricircle / plain ML2: %s' % ', '.join(
            '%s %.2f' % item for item in sorted(report['ratios'].items())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ports', type=int, default=500)
    parser.add_argument('--concurrency', type=int, default=16)
    parser.add_argument('--cycles', type=int, default=50)
    parser.add_argument('--pods', type=int, default=3)
    parser.add_argument('--layout', choices=('stretched', 'per-pod'),
                        default='stretched')
    parser.add_argument('--quick', action='store_true',
                        help='40 ports at concurrency 8, 5 cycles.')
    parser.add_argument('--db', choices=cluster.DATABASES, default='sqlite',
                        help='Database of every Neutron and Tricircle, in '
                             'both sandboxes (see "sandbox up --db").')
    parser.add_argument('--workers', type=int, default=1,
                        help='Workers per neutron-api and Admin API, in '
                             'both sandboxes (more than 1 needs --db).')
    parser.add_argument('--xjobs', type=int, default=1,
                        help='XJob processes of the Tricircle sandbox.')
    parser.add_argument('--rabbit', action='store_true',
                        help='Wake XJob over RabbitMQ.')
    parser.add_argument('--no-baseline', dest='baseline',
                        action='store_false',
                        help='Skip the plain-ML2 run of the same ports.')
    parser.add_argument('--dir', help='Folder of the two sandboxes '
                                      '(sandbox/, baseline/; must be new); '
                                      'default a new one under /var/tmp, '
                                      'kept.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.ports, args.concurrency, args.cycles = 40, 8, 5
    folder = args.dir
    if folder is None:
        folder = tempfile.mkdtemp(prefix='load-bench-', dir='/var/tmp')
        # PostgreSQL runs as its own user, which must enter the folder.
        os.chmod(folder, 0o711)
    sandbox_dir = os.path.join(folder, 'sandbox')
    shape = {'db': args.db, 'workers': args.workers}
    started = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    state = cluster.up(sandbox_dir, pods=args.pods, rabbit=args.rabbit,
                       xjob_count=args.xjobs, **shape)
    try:
        ports = port_phase(state, args.ports, args.concurrency, args.layout)
        router = router_phase(state, args.cycles)
        audit = run_audit(sandbox_dir)
    finally:
        cluster.down(sandbox_dir)
    baseline = None
    if args.baseline:
        # One after the other: the two never share the machine.
        baseline_dir = os.path.join(folder, 'baseline')
        state = cluster.up(baseline_dir, pods=args.pods, xjob_count=0,
                           neutron_options=configs.plain_ml2, **shape)
        try:
            baseline = baseline_port_phase(state, args.ports,
                                           args.concurrency)
        finally:
            cluster.down(baseline_dir)
    report = {'benchmark': 'load', 'started_at': started,
              'cpus': os.cpu_count(), 'quick': args.quick,
              'shape': dict(shape, rabbit=args.rabbit, xjobs=args.xjobs),
              'sandbox': sandbox_dir, 'ports': ports, 'router': router,
              'audit': audit, 'baseline_ports': baseline,
              'ratios': ratios(ports, baseline) if baseline else None}
    print_report(report)
    _common.write_result(args.output, report)
    return 0


if __name__ == '__main__':
    sys.exit(main())
