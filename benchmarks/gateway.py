"""What the API gateway adds to a call: the same request to a pod's own
Nova or Cinder (baseline) and through the gateway, in one sandbox, one
after the other.

One compute sandbox (``sandbox up --compute``, 2 pods), or the one
``--sandbox DIR`` names. A tenant with ``--servers`` servers in az1
(booted through the gateway, so bound to Pod1), then, alternating pod and
gateway call by call so both see the same machine:

- server show: ``GET /servers/<id>`` (the gateway reads the routing);
- server list: ``GET /servers/detail`` (the gateway lists the pods the
  tenant uses, here Pod1, then sorts and pages itself);
- volume create: ``POST /volumes`` in az1 (the gateway reads the
  binding and writes a routing); each volume is deleted after.

    python benchmarks/gateway.py [--runs 50] [--servers 5] [--sandbox DIR]

Prints p50/p90 per call and mode and the gateway/pod p50 ratio; writes
JSON (default benchmarks/results/gateway.json).
"""

import argparse
import os
import sys
import tempfile
import time
import uuid

from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

import _common  # noqa: I100 - benchmarks/ is the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'gateway.json')
POLL = 0.2
TIMEOUT = 180


def _api(url, project):
    user = 'bench-' + project[:8]
    sess = ks_session.Session(
        auth=token_endpoint.Token(None, '%s:%s' % (user, project)),
        additional_headers={'X-User-Id': user, 'X-Project-Id': project,
                            'X-Roles': 'member,reader'})
    return adapter.Adapter(sess, endpoint_override=url)


def _until(what, check):
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError('not after %ds: %s' % (TIMEOUT, what))
        time.sleep(POLL)


def _timed(call):
    started = time.monotonic()
    resp = call()
    took = time.monotonic() - started
    if resp.status_code >= 400:
        raise RuntimeError('%s %s: %d %s' % (resp.request.method,
                                             resp.url, resp.status_code,
                                             resp.text[:300]))
    return took, resp


def _setup(state, project, servers):
    pod1 = next(p for p in state['pods'] if p['region_name'] == 'Pod1')
    clients = {
        'pod': {'nova': _api(pod1['compute'], project),
                'cinder': _api(pod1['volume'], project)},
        'gateway': {'nova': _api(state['central']['compute'], project),
                    'cinder': _api(state['central']['volume'], project)}}
    neutron = _api(state['central']['neutron'] + '/v2.0', project)
    net = neutron.post('/networks', json={'network': {
        'name': 'bench-gw'}}).json()['network']
    neutron.post('/subnets', json={'subnet': {
        'network_id': net['id'], 'cidr': '10.150.0.0/24', 'ip_version': 4}})
    nova = clients['gateway']['nova']
    ids = [nova.post('/servers', json={'server': {
        'name': 'bench-%d' % i, 'flavorRef': state['compute']['flavor_id'],
        'imageRef': state['compute']['image_id'],
        'networks': [{'uuid': net['id']}], 'availability_zone': 'az1'}}
    ).json()['server']['id'] for i in range(servers)]
    for server_id in ids:
        _until('server %s ACTIVE' % server_id, lambda: nova.get(
            '/servers/%s' % server_id).json()['server']['status'] ==
            'ACTIVE')
    return clients, ids


def _volume(cinder):
    took, resp = _timed(lambda: cinder.post('/volumes', json={'volume': {
        'size': 1, 'availability_zone': 'az1'}}))
    volume_id = resp.json()['volume']['id']
    _until('volume %s available' % volume_id, lambda: cinder.get(
        '/volumes/%s' % volume_id).json()['volume']['status'] ==
        'available')
    cinder.delete('/volumes/%s' % volume_id)
    return took


def measure(state, runs, servers):
    project = uuid.uuid4().hex
    clients, ids = _setup(state, project, servers)
    calls = {
        'server_show': lambda c, i: _timed(lambda: c['nova'].get(
            '/servers/%s' % ids[i % len(ids)]))[0],
        'server_list': lambda c, i: _timed(lambda: c['nova'].get(
            '/servers/detail'))[0],
        'volume_create': lambda c, i: _volume(c['cinder']),
    }
    samples = {(call, mode): [] for call in calls
               for mode in ('pod', 'gateway')}
    for call, func in calls.items():
        count = runs if call != 'volume_create' else max(1, runs // 3)
        for mode in ('pod', 'gateway'):
            func(clients[mode], 0)      # warm-up: connections, caches
        for i in range(count):
            for mode in ('pod', 'gateway'):
                samples[(call, mode)].append(func(clients[mode], i))
    for server_id in ids:
        clients['gateway']['nova'].delete('/servers/%s' % server_id)
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=50,
                        help='Calls per case (volume creates: a third).')
    parser.add_argument('--servers', type=int, default=5)
    parser.add_argument('--sandbox', help='Folder of a running compute '
                                          'sandbox to use as it is.')
    parser.add_argument('--dir', help='Folder for a new sandbox.')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.servers < 1:
        parser.error('--runs and --servers must be 1 or more')
    from tricircle.sandbox import cluster
    folder = args.sandbox or args.dir or tempfile.mkdtemp(
        prefix='gateway-bench-')
    if args.sandbox:
        state = cluster.load_state(folder)
    else:
        started = time.monotonic()
        state = cluster.up(folder, pods=2, compute=True, timeout=600)
        print('sandbox up in %.0f s' % (time.monotonic() - started))
    try:
        samples = measure(state, args.runs, args.servers)
    finally:
        if not args.sandbox:
            cluster.down(folder)
    cases = {}
    print('%-14s %-8s %8s %8s %8s' % ('call', 'mode', 'p50_ms', 'p90_ms',
                                      'x pod'))
    for (call, mode), values in samples.items():
        row = cases.setdefault(call, {})[mode] = _common.summary(values)
        base = cases[call]['pod']['p50_s']
        row['ratio_p50_to_pod'] = round(row['p50_s'] / base, 2) if base \
            else None
        print('%-14s %-8s %8.1f %8.1f %8s' % (
            call, mode, row['p50_s'] * 1000, row['p90_s'] * 1000,
            row['ratio_p50_to_pod']))
    _common.write_result(args.output, {
        'benchmark': 'gateway', 'runs': args.runs, 'servers': args.servers,
        'cpus': os.cpu_count(),
        'started_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'cases': cases})
    return 0


if __name__ == '__main__':
    sys.exit(main())
