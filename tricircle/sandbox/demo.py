"""``python -m tricircle.sandbox.demo``: see Tricircle work, end to end.

The first thing to run on a new machine (``make demo``): a sandbox (central
Neutron, two pod Neutrons, the Admin API, XJob, and in each pod Nova,
Placement and Cinder, and the API gateways), one network per pod made on
central, a VM booted on each through the gateway, which sends it to the
pod of its AZ (``demo_compute``; ``--no-compute``: a
bare port made through the pod's Neutron instead), and proof of what
Tricircle promises: the pod's port has the very id, IP and MAC
central allocated, the pod's subnet gateway is the IP central holds for it,
and the Admin API knows where everything lives. Then a router on central
joins the two networks across pods (cross-pod L3, the steps of
``demo_l3``): XJob gives each pod a bottom router with the router's UUID,
a shared bridge network and extra routes to the other pod's subnet. Last,
north-south (``demo_ns``): an external network in the last pod, the
router's gateway there and a floating IP for each VM.

Every equality printed is also checked, so the demo doubles as a smoke test:
it exits non-zero, naming what differed, when Tricircle misbehaves. Each step
is a function of the ``Demo`` context, run in ``STEPS`` order.
"""

import argparse
import os
import sys
import time

from keystoneauth1 import exceptions as ks_exc
import openstack.exceptions
from oslo_config import cfg

from tricircle.common import client
from tricircle.sandbox import cluster
from tricircle.sandbox import demo_compute
from tricircle.sandbox import demo_l3
from tricircle.sandbox import demo_ns
from tricircle.sandbox import processes

DEFAULT_DIR = './sandbox-demo'
# Marks what the demo creates, so a later run in the same folder finds and
# removes it (the sandbox's databases outlive ``down``).
MARK = 'created by tricircle.sandbox.demo'
# (network, CIDR, VM) per pod, in the sandbox's pod order (Pod1, Pod2).
PLAN = [('net1', '10.0.1.0/24', 'vm1'), ('net2', '10.0.2.0/24', 'vm2')]
# Seconds for every server to answer: Nova, Placement and Cinder set up
# their databases on a folder's first run.
COMPUTE_TIMEOUT = 600.0


def print_table(title, headers, rows):
    print('\n' + title)
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for row in [headers] + list(rows):
        print('  ' + '  '.join(str(x).ljust(w) for x, w in
                               zip(row, widths)).rstrip())


class Demo:
    """What the steps share: the sandbox, clients, results, failures."""

    mark = MARK
    plan = PLAN
    table = staticmethod(print_table)

    def __init__(self, state):
        self.state = state
        self.conf = cfg.ConfigOpts()
        client.register_opts(self.conf)
        self.conf(['--config-file', state['tricircle_conf']],
                  default_config_files=[])
        self.admin = cluster.admin_api(state)
        self.top = self.conn(self.conf.client.central_region_name).network
        self.nets = {}    # name -> (pod, top network, top subnet, VM)
        self.ports = {}   # VM name -> (pod, network name, bottom port)
        self.regions = {}  # pod_id -> region_name, from the Admin API
        self.router = None  # central router1 (demo_l3)
        self.gateway = None  # (gateway pod, ext-net) (demo_ns)
        self.fips = {}  # VM name -> central floating IP (demo_ns)
        self.failures = []

    def conn(self, region_name):
        """openstacksdk Connection to a region's Neutron."""
        return client.get_connection(region_name, self.conf)

    def check(self, what, expected, actual):
        """Record a failure unless equal; return the table's verdict."""
        if expected == actual:
            return 'ok'
        self.failures.append('%s: %r != %r' % (what, expected, actual))
        return 'MISMATCH'


def show_pods(demo):
    pods = demo.admin.get('/v1.0/pods').json()['pods']
    demo.regions = {p['pod_id']: p['region_name'] for p in pods}
    print_table('Pods (GET /v1.0/pods):', ('REGION', 'AZ', 'POD_ID'),
                [(p['region_name'], p['az_name'] or '- (central)',
                  p['pod_id']) for p in pods])


def clean_previous(demo):
    """Remove what an earlier run left: pod twins first (that releases
    their ports and routings), then central networks and gateway ports."""
    removed = 0
    regions = [p['region_name'] for p in demo.state['pods']]
    for net_api in [demo.conn(r).network for r in regions] + [demo.top]:
        for net in net_api.networks():
            if net.description != MARK:
                continue
            for port in net_api.ports(network_id=net.id):
                net_api.delete_port(port)
            if net_api is not demo.top:
                for subnet in net_api.subnets(network_id=net.id):
                    net_api.delete_subnet(subnet)
            net_api.delete_network(net)
            removed += net_api is demo.top
    if removed:
        print('\nRemoved %d network(s) an earlier run left (with their pod '
              'twins and ports).' % removed)


def create_networks(demo):
    """On central only: a network bound to each pod's AZ, and a subnet."""
    for pod, (name, cidr, vm) in zip(demo.state['pods'], PLAN):
        net = demo.top.create_network(
            name=name, description=MARK,
            availability_zone_hints=[pod['az_name']])
        subnet = demo.top.create_subnet(
            network_id=net.id, name=name + '-subnet', cidr=cidr,
            ip_version=4, description=MARK)
        demo.nets[name] = (pod, net, subnet, vm)
    print_table('Created on central Neutron:',
                ('NETWORK', 'AZ HINTS', 'CIDR', 'NETWORK_ID'),
                [(n, ','.join(net.availability_zone_hints), s.cidr, net.id)
                 for n, (_p, net, s, _vm) in demo.nets.items()])


def create_ports(demo):
    """Through the gateway to each pod's Nova (``demo_compute``), or straight
    through its Neutron: either way the local plugin pulls the network and
    subnet from central and gets the port's addresses there."""
    if demo.state.get('compute'):
        return demo_compute.boot_servers(demo)
    print()
    for name, (pod, net, _subnet, vm) in demo.nets.items():
        port = demo.conn(pod['region_name']).network.create_port(
            network_id=net.id, name=vm, description=MARK)
        demo.ports[vm] = (pod, name, port)
        print('Created port %s for %s through %s Neutron on %s.'
              % (port.id, vm, pod['region_name'], name))


def _ip(port, subnet_id):
    return next((ip['ip_address'] for ip in port.fixed_ips
                 if ip['subnet_id'] == subnet_id), None)


def compare_ports(demo):
    """Top (central) vs bottom (pod) for every port, and the gateway."""
    for vm, (pod, name, bottom) in demo.ports.items():
        region, (_p, net, subnet, _vm) = pod['region_name'], demo.nets[name]
        pod_api = demo.conn(region).network
        tops = list(demo.top.ports(network_id=net.id, id=bottom.id))
        demo.check('%s: central twins of its port' % vm, 1, len(tops))
        top = tops[0] if tops else bottom.__class__()
        # Listed, not shown: a GET by id would make the pod pull it.
        b_net = next(iter(pod_api.networks(id=net.id)), None)
        b_subnet = next(iter(pod_api.subnets(id=subnet.id)), None)
        # Central keeps the gateway IP on a port of its own, so no VM port
        # anywhere can be given the IP the pods' routers use.
        holders = [p for p in demo.top.ports(network_id=net.id)
                   if _ip(p, subnet.id) == subnet.gateway_ip]
        demo.check('%s: central ports holding gateway IP %s' % (
            name, subnet.gateway_ip), 1, len(holders))
        rows = [
            ('port id', top.id, bottom.id),
            ('port IP', _ip(top, subnet.id), _ip(bottom, subnet.id)),
            ('port MAC', top.mac_address, bottom.mac_address),
            ('network id', net.id, b_net and b_net.id),
            ('subnet id', subnet.id, b_subnet and b_subnet.id),
            ('gateway IP', holders and _ip(holders[0], subnet.id),
             b_subnet and b_subnet.gateway_ip),
        ]
        print_table(
            '%s on %s, %s (%s):' % (vm, name, region, pod['az_name']),
            ('', 'TOP (central)', 'BOTTOM (%s)' % region, 'CHECK'),
            [(what, t, b, demo.check('%s %s' % (vm, what), t, b))
             for what, t, b in rows])
        if holders:
            print('  (central port %s, %s, holds the gateway IP)' % (
                holders[0].id, holders[0].device_owner))
        azs = demo.top.get_network(net.id).availability_zones
        print('  central %s availability_zones: %s  %s' % (
            name, azs, demo.check('%s availability_zones' % name,
                                  [pod['az_name']], azs)))


def clean_servers(demo):
    if demo.state.get('compute'):
        demo_compute.clean_servers(demo)


def show_routings(demo):
    """Resource routings the pods recorded in the Admin API."""
    routings = demo.admin.get('/v1.0/routings').json()['routings']
    rows = [(r['resource_type'], r['top_id'],
             demo.regions.get(r['pod_id'], r['pod_id'])) for r in routings]
    print_table('Resource routings (GET /v1.0/routings):',
                ('RESOURCE_TYPE', 'TOP_ID', 'POD'), rows)
    for vm, (pod, name, port) in demo.ports.items():
        _pod, net, subnet, _vm = demo.nets[name]
        for rtype, top_id in (('network', net.id), ('subnet', subnet.id),
                              ('port', port.id)):
            if (rtype, top_id, pod['region_name']) not in rows:
                demo.failures.append('no routing of %s %s in %s' % (
                    rtype, top_id, pod['region_name']))


STEPS = [show_pods, demo_ns.clean_floating_ips, demo_l3.clean_routers,
         clean_servers, clean_previous, create_networks, create_ports,
         compare_ports, show_routings] + demo_l3.STEPS + demo_ns.STEPS


def start(sandbox_dir, pods, compute=True):
    state = cluster.load_state(sandbox_dir)
    if state and any(map(processes.is_alive, state.get('processes', []))):
        print('A sandbox is already running in %s (an earlier --keep?); '
              'stopping it, then starting afresh.' % sandbox_dir)
        cluster.down(sandbox_dir)
    print('Starting a sandbox with %d pods%s in %s...' % (
        pods, ' and compute (a few minutes the first time)' if compute
        else '', sandbox_dir))
    started = time.monotonic()
    state = cluster.up(sandbox_dir, pods=pods, compute=compute,
                       timeout=COMPUTE_TIMEOUT if compute else 60.0)
    print('Sandbox up in %.1fs: central Neutron %s, Admin API %s.' % (
        time.monotonic() - started, state['central']['neutron'],
        state['admin_api']))
    return state


def verdict(demo):
    """Print the outcome; return the exit status."""
    if not demo.failures:
        print('\nAll checks passed: each pod port has the id, IP and MAC '
              'central allocated, its subnet the gateway central holds, and '
              'each pod a piece of %s routing to the other pod over the '
              'bridge, its gateway in the external network\'s pod and a '
              'floating IP per VM mapped there.' % demo_l3.ROUTER)
        return 0
    sys.stdout.flush()
    print('\nDEMO FAILED: %d check(s) did not hold:\n  %s' % (
        len(demo.failures), '\n  '.join(demo.failures)), file=sys.stderr)
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m tricircle.sandbox.demo',
        description=__doc__.split('\n\n')[1])
    parser.add_argument('--dir', default=DEFAULT_DIR,
                        help='Sandbox folder (default: %(default)s).')
    parser.add_argument('--pods', type=int, default=2,
                        help='Pods to start, 2 or more (default: 2).')
    parser.add_argument('--keep', action='store_true',
                        help='Leave the sandbox running at the end.')
    parser.add_argument('--no-compute', dest='compute',
                        action='store_false',
                        help='No Nova, Placement or Cinder: the VMs are '
                             'bare ports made through the pods\' Neutrons '
                             '(about a minute instead of a few).')
    args = parser.parse_args(argv)
    if args.pods < len(PLAN):
        parser.error('--pods must be %d or more' % len(PLAN))
    sandbox_dir = os.path.abspath(args.dir)
    state = None
    try:
        state = start(sandbox_dir, args.pods, args.compute)
        demo = Demo(state)
        for step in STEPS:
            step(demo)
        return verdict(demo)
    except (cluster.SandboxError, demo_compute.BootFailed,
            ks_exc.ClientException,
            openstack.exceptions.SDKException) as e:
        sys.stdout.flush()
        print('\nDEMO FAILED: %s\n(server logs: %s)' % (
            e, os.path.join(sandbox_dir, 'logs')), file=sys.stderr)
        return 1
    finally:
        if state is not None and args.keep:
            print('\nSandbox left running (--keep); try: .venv/bin/tricircle '
                  'sandbox status --dir %s (then "down")' % sandbox_dir)
        elif state is not None:
            cluster.down(sandbox_dir)
            print('\nSandbox stopped; its databases stay in %s (the next '
                  'run removes what this one made).' % sandbox_dir)


if __name__ == '__main__':
    sys.exit(main())
