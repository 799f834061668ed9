"""Central owns the lifecycle: an update made on central -> every pod
holding a copy shows it.

Per pod count (default 2 and 3) one sandbox; a VxLAN network spans every
pod, with a subnet and a port made through Pod1. Timed, per run: a PUT on
central of the network's description, the subnet's DNS servers and the
port's name, each until every pod's own Neutron shows central's value
(polled every 20 ms). The baseline, in the same sandbox and run: the same
PUT made straight at Pod1's Neutron on a pod-local network, subnet and
port, whose answer is the change (no propagation at all).

    python benchmarks/update_propagation.py [--runs 20] [--pods 2 3]

Prints p50/p90 and the ratio of p50 to the baseline's, and writes JSON
(default benchmarks/results/update_propagation.json).
"""

import argparse
import os
import sys
import tempfile
import time

import _common  # noqa: I100 - benchmarks/ is the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'update_propagation.json')
POLL = 0.02
KINDS = ('network', 'subnet', 'port')


def _value(kind, run):
    if kind == 'network':
        return 'description', 'run-%d' % run
    if kind == 'subnet':
        return 'dns_nameservers', ['192.0.2.%d' % (run % 250 + 1)]
    return 'name', 'port-run-%d' % run


def _put(conn, kind, resource_id, attrs):
    resp = conn.put('/%ss/%s' % (kind, resource_id), json={kind: attrs})
    resp.raise_for_status()


def _shows(conn, kind, resource_id, key, value):
    found = conn.get('/%ss?id=%s' % (kind, resource_id)).json()[kind + 's']
    return bool(found) and found[0].get(key) == value


def build(central, pods):
    regions = sorted(pods)
    net = central.post('/networks', json={'network': {
        'name': 'bench-update', 'provider:network_type': 'vxlan',
        'availability_zone_hints': ['az%s' % r[3:] for r in regions]}}
    ).json()['network']
    subnet = central.post('/subnets', json={'subnet': {
        'network_id': net['id'], 'cidr': '10.130.0.0/24',
        'ip_version': 4}}).json()['subnet']
    port = pods['Pod1'].post('/ports', json={'port': {
        'network_id': net['id']}}).json()['port']
    for region in regions:
        pods[region].get('/subnets/%s' % subnet['id'])  # materialise
    top = {'network': net['id'], 'subnet': subnet['id'],
           'port': port['id']}
    pod1 = pods['Pod1']
    local = pod1.post('/networks', json={'network': {
        'name': 'bench-local'}}).json()['network']
    local_subnet = pod1.post('/subnets', json={'subnet': {
        'network_id': local['id'], 'cidr': '192.168.130.0/24',
        'ip_version': 4}}).json()['subnet']
    local_port = pod1.post('/ports', json={'port': {
        'network_id': local['id']}}).json()['port']
    base = {'network': local['id'], 'subnet': local_subnet['id'],
            'port': local_port['id']}
    return top, base


def measure(central, pods, top, base, runs):
    holders = {'network': sorted(pods), 'subnet': sorted(pods),
               'port': ['Pod1']}
    samples = {k: [] for k in KINDS}
    baseline = {k: [] for k in KINDS}
    for run in range(runs):
        for kind in KINDS:
            key, value = _value(kind, run)
            start = time.monotonic()
            _put(central, kind, top[kind], {key: value})
            waiting = set(holders[kind])
            deadline = start + 120
            while waiting:
                waiting = {r for r in waiting if not _shows(
                    pods[r], kind, top[kind], key, value)}
                if time.monotonic() > deadline:
                    raise RuntimeError('%s not in %s after 120s' % (
                        kind, sorted(waiting)))
                if waiting:
                    time.sleep(POLL)
            samples[kind].append(time.monotonic() - start)
            start = time.monotonic()
            _put(pods['Pod1'], kind, base[kind], {key: value})
            baseline[kind].append(time.monotonic() - start)
    return samples, baseline


def run_pods(n, runs, workdir):
    with _common.sandbox(os.path.join(workdir, 'pods-%d' % n), n) as (
            _state, central, pods):
        top, base = build(central, pods)
        return measure(central, pods, top, base, runs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--pods', type=int, nargs='+', default=[2, 3])
    parser.add_argument('--dir', help='Folder for the sandboxes.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    workdir = args.dir or tempfile.mkdtemp(prefix='update-bench-')
    result = {'benchmark': 'update_propagation', 'runs': args.runs,
              'cpus': os.cpu_count(),
              'started_at': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                          time.gmtime()),
              'pods': {}}
    print('%-5s %-8s %10s %10s %10s %10s %8s' % (
        'pods', 'update', 'base p50', 'p50_s', 'p90_s', 'max_s', 'x base'))
    for n in args.pods:
        samples, baseline = run_pods(n, args.runs, workdir)
        rows = {}
        for kind in KINDS:
            row = _common.summary(samples[kind])
            row['baseline'] = _common.summary(baseline[kind])
            row['ratio_p50_to_baseline'] = round(
                row['p50_s'] / row['baseline']['p50_s'], 1)
            rows[kind] = row
            print('%-5d %-8s %10.3f %10.3f %10.3f %10.3f %8.1f' % (
                n, kind, row['baseline']['p50_s'], row['p50_s'],
                row['p90_s'], row['max_s'], row['ratio_p50_to_baseline']))
        result['pods'][str(n)] = rows
    _common.write_result(args.output, result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
