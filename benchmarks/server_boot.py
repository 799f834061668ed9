"""Seconds from a server's POST to ACTIVE through a pod's own Nova.

Two compute sandboxes (``sandbox up --compute``), one after the other:

- baseline: stock ML2 everywhere, one pod; the network is made straight
  in Pod1's Neutron, as a single-region cloud has it;
- tricircle: central and local plugins, two pods; the network is made on
  central, hinted to az1. "first" boots each on a network new to Pod1
  (Nova's look-up pulls it from central, then the port goes through
  central); "later" boots on one Pod1 already holds.

Each boot is polled every 0.1 s until ACTIVE and deleted before the next
one (sequential: this measures the path, not the host's capacity).

    python benchmarks/server_boot.py [--runs 10] [--dir DIR]

Prints p50/p90 per case and its p50 ratio to the baseline's; writes JSON
(default benchmarks/results/server_boot.json).
"""

import argparse
import os
import sys
import tempfile
import time
import uuid

from keystoneauth1 import adapter

import _common  # noqa: I100 - benchmarks/ is the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'server_boot.json')
POLL = 0.1
BOOT_TIMEOUT = 180
PROJECT = 'bench-boot'


def _clients(state, region='Pod1'):
    """(Nova of ``region``, its Neutron, central Neutron) as the tenant."""
    from tricircle.sandbox.compute import clients
    headers = {'X-Auth-Token': 'bench', 'X-User-Id': 'bench-user',
               'X-Project-Id': PROJECT, 'X-Roles': 'member,reader'}
    pod = next(p for p in state['pods'] if p['region_name'] == region)

    def api(url):
        return adapter.Adapter(clients.session(headers),
                               endpoint_override=url)
    return (api(pod['compute']), api(pod['neutron'] + '/v2.0'),
            api(state['central']['neutron'] + '/v2.0'))


def _network(neutron, cidr, hints=None):
    body = {'name': 'boot-' + uuid.uuid4().hex[:8]}
    if hints:
        body['availability_zone_hints'] = hints
    net = neutron.post('/networks', json={'network': body}).json()['network']
    neutron.post('/subnets', json={'subnet': {
        'network_id': net['id'], 'cidr': cidr, 'ip_version': 4}})
    return net['id']


def _boot(nova, state, net_id):
    """Seconds from the POST to ACTIVE; the server is deleted after."""
    started = time.monotonic()
    server = nova.post('/servers', json={'server': {
        'name': 'bench', 'flavorRef': state['compute']['flavor_id'],
        'imageRef': state['compute']['image_id'],
        'networks': [{'uuid': net_id}], 'availability_zone': 'az1'}}
    ).json()['server']
    while True:
        body = nova.get('/servers/%s' % server['id']).json()['server']
        if body['status'] == 'ACTIVE':
            took = time.monotonic() - started
            break
        if body['status'] == 'ERROR' or \
                time.monotonic() - started > BOOT_TIMEOUT:
            raise RuntimeError('server %s: %s %s' % (
                server['id'], body['status'], body.get('fault')))
        time.sleep(POLL)
    nova.delete('/servers/%s' % server['id'])
    while nova.get('/servers/%s' % server['id'],
                   raise_exc=False).status_code != 404:
        time.sleep(POLL)
    return took


def _sandbox(folder, pods, plain):
    from tricircle.sandbox import cluster
    from tricircle.sandbox import configs
    options = configs.plain_ml2 if plain else configs.tricircle_plugins
    started = time.monotonic()
    state = cluster.up(folder, pods=pods, neutron_options=options,
                       compute=True, timeout=600)
    print('%s sandbox up in %.0f s' % ('baseline' if plain else 'tricircle',
                                       time.monotonic() - started))
    return state


def run_baseline(workdir, runs):
    from tricircle.sandbox import cluster
    folder = os.path.join(workdir, 'baseline')
    state = _sandbox(folder, 1, plain=True)
    try:
        nova, pod1, _central = _clients(state)
        net_id = _network(pod1, '10.140.0.0/24')
        _boot(nova, state, net_id)  # warm-up: caches, first image copy
        return [_boot(nova, state, net_id) for _ in range(runs)]
    finally:
        cluster.down(folder)


def run_tricircle(workdir, runs):
    from tricircle.sandbox import cluster
    folder = os.path.join(workdir, 'tricircle')
    state = _sandbox(folder, 2, plain=False)
    try:
        nova, _pod1, central = _clients(state)
        _boot(nova, state, _network(central, '10.141.0.0/24', ['az1']))
        first = [_boot(nova, state, _network(
            central, '10.142.%d.0/24' % run, ['az1'])) for run in range(runs)]
        held = _network(central, '10.143.0.0/24', ['az1'])
        _boot(nova, state, held)  # Pod1 pulls it here
        later = [_boot(nova, state, held) for _ in range(runs)]
        return first, later
    finally:
        cluster.down(folder)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--dir', help='Folder for the two sandboxes.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error('--runs must be 1 or more')
    workdir = args.dir or tempfile.mkdtemp(prefix='boot-bench-')
    baseline = _common.summary(run_baseline(workdir, args.runs))
    first, later = run_tricircle(workdir, args.runs)
    cases = {'baseline': baseline, 'first_use': _common.summary(first),
             'later': _common.summary(later)}
    print('%-10s %8s %8s %8s' % ('case', 'p50_s', 'p90_s', 'x base'))
    for name, row in cases.items():
        row['ratio_p50_to_baseline'] = round(
            row['p50_s'] / baseline['p50_s'], 2)
        print('%-10s %8.2f %8.2f %8.2f' % (name, row['p50_s'], row['p90_s'],
                                           row['ratio_p50_to_baseline']))
    _common.write_result(args.output, {
        'benchmark': 'server_boot', 'runs': args.runs,
        'cpus': os.cpu_count(),
        'started_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'cases': cases})
    return 0


if __name__ == '__main__':
    sys.exit(main())
