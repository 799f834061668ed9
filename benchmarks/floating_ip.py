"""North-south: floating IP associate on central -> mapped in the gateway
pod, for a port in the gateway pod and for a port in another pod.

One sandbox of 2 pods; the external network lives in Pod2, a router has a
subnet in each pod and its gateway set. Timed, per run: associate a
floating IP on central, until the gateway pod's bottom floating IP maps it
(direct, or through the bridge-side floating IP and shadow port for the
Pod1 port); then disassociate, until it is gone. The baseline in the same
run: the bare Neutron calls of the same floating IP in Pod2 alone (create
and associate on a pod-local router), nothing of Tricircle's.

    python benchmarks/floating_ip.py [--runs 10] [--rabbit]

Without ``--rabbit`` XJob finds each job by its scan (0.2 s in the
sandbox); with it, XJob is woken over RabbitMQ and scans at the
production 5 s, so the figure says what the wake-ups are worth.

Prints percentiles and ratios and writes JSON (default
benchmarks/results/floating_ip.json).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time


import _common  # noqa: I100 - benchmarks/ is the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'floating_ip.json')
POLL = 0.05


def bottom_fip(pod, top_id):
    for fip in pod.ips(description='tricircle:' + top_id):
        return fip
    return None


def until(check, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(POLL)
    raise RuntimeError('not converged in %ss' % timeout)


def build(central, pods):
    ext = central.create_network(
        name='bench-ext', is_router_external=True,
        provider_network_type='vlan', provider_physical_network='extern',
        availability_zone_hints=['Pod2'])
    central.create_subnet(network_id=ext.id, cidr='198.51.100.0/24',
                          ip_version=4, is_dhcp_enabled=False)
    router = central.create_router(name='bench-ns')
    ports = {}
    for n, region in enumerate(('Pod1', 'Pod2'), 1):
        net = central.create_network(name='bench-' + region,
                                     availability_zone_hints=[region])
        subnet = central.create_subnet(network_id=net.id, ip_version=4,
                                       cidr='10.120.%d.0/24' % n)
        ports[region] = pods[region].create_port(network_id=net.id)
        central.add_interface_to_router(router, subnet_id=subnet.id)
    central.update_router(router, external_gateway_info={
        'network_id': ext.id})
    return ext, router, ports


def run(runs, workdir, rabbit=False):
    with _common.sandbox(os.path.join(workdir, 'fip'), 2, rabbit=rabbit) as (
            _state, central, pods):
        ext, router, ports = build(central, pods)
        samples = {'Pod1': [], 'Pod2': []}
        gone = []
        for _ in range(runs):
            for region in ('Pod2', 'Pod1'):
                fip = central.create_ip(floating_network_id=ext.id)
                start = time.monotonic()
                central.update_ip(fip, port_id=ports[region].id)
                until(lambda: bottom_fip(pods['Pod2'], fip.id) is not None)
                samples[region].append(time.monotonic() - start)
                start = time.monotonic()
                central.update_ip(fip, port_id=None)
                until(lambda: bottom_fip(pods['Pod2'], fip.id) is None)
                gone.append(time.monotonic() - start)
                central.delete_ip(fip)
        return samples, gone, baseline(pods['Pod2'], ext, runs)


def baseline(pod, ext, runs):
    """Create + associate of a floating IP on a pod-local router in the
    gateway pod, straight at its Neutron."""
    net = pod.create_network(name='baseline')
    subnet = pod.create_subnet(network_id=net.id, ip_version=4,
                               cidr='192.168.251.0/24')
    router = pod.create_router(name='baseline', external_gateway_info={
        'network_id': ext.id})
    pod.add_interface_to_router(router, subnet_id=subnet.id)
    port = pod.create_port(network_id=net.id)
    samples = []
    for _ in range(runs):
        start = time.monotonic()
        fip = pod.create_ip(floating_network_id=ext.id, port_id=port.id)
        samples.append(time.monotonic() - start)
        pod.delete_ip(fip)
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--dir', help='Folder for the sandbox.')
    parser.add_argument('--rabbit', action='store_true',
                        help='Wake XJob over RabbitMQ (scan every 5 s).')
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    workdir = args.dir or tempfile.mkdtemp(prefix='fip-bench-')
    samples, gone, base = run(args.runs, workdir, args.rabbit)
    base_p50 = statistics.median(base)
    summary = _common.summary
    result = {'benchmark': 'floating_ip', 'runs': args.runs,
              'xjob': ('woken over RabbitMQ, scan 5 s' if args.rabbit
                       else 'scan every 0.2 s, no wake-ups'),
              'cpus': os.cpu_count(),
              'started_at': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                          time.gmtime()),
              'baseline_pod_local': summary(base),
              'associate_port_in_gateway_pod': summary(samples['Pod2']),
              'associate_port_in_other_pod': summary(samples['Pod1']),
              'disassociate': summary(gone)}
    print('%-32s %8s %8s %8s' % ('case', 'p50_s', 'p90_s', 'x base'))
    for key in ('baseline_pod_local', 'associate_port_in_gateway_pod',
                'associate_port_in_other_pod', 'disassociate'):
        row = result[key]
        row['ratio_to_baseline'] = round(row['p50_s'] / base_p50, 1)
        print('%-32s %8.3f %8.3f %8.1f' % (key, row['p50_s'], row['p90_s'],
                                           row['ratio_to_baseline']))
    _common.write_result(args.output, result)
    return 0


if __name__ == '__main__':
    sys.exit(main())
