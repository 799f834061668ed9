"""``tricircle``: the operator's command line.

Each command group adds its sub-parser in a ``_add_<group>`` function listed
in ``COMMAND_GROUPS`` and sets ``func(args) -> exit code`` on its parsers, so
new groups (audit, topology...) plug in without touching the rest.
"""

import argparse
import logging
import signal
import sys
import time

from tricircle.cmd import audit as audit_cmd
from tricircle.cmd import topology
from tricircle.cmd import vm as vm_cmd

DEFAULT_SANDBOX_DIR = './sandbox'
DEFAULT_TIMEOUT = 60.0
# Nova, Cinder, Glance and Placement set up their databases on a first up.
COMPUTE_TIMEOUT = 300.0
# Several workers per server, on a database server: twice the processes
# connecting at once (a CI run saw central answer after 63 s).
PRODUCTION_TIMEOUT = 180.0


def _neutron_opt(text):
    """``SECTION.OPTION=VALUE`` -> (section, option, value)."""
    key, sep, value = text.partition('=')
    section, dot, option = key.partition('.')
    if not (sep and dot and section and option):
        raise argparse.ArgumentTypeError(
            'expected SECTION.OPTION=VALUE, got %r' % text)
    return section, option, value


def _neutron_options(opts, plain_ml2=False):
    """The Neutron config of each sandbox server: the Tricircle plugins
    (or stock ML2), with the --neutron-opt overrides on top."""
    from tricircle.sandbox import configs
    base = configs.plain_ml2 if plain_ml2 else configs.tricircle_plugins

    def options(region_name, az_name, layout):
        kwargs = base(region_name, az_name, layout)
        for section, option, value in opts or ():
            kwargs.setdefault('extra', {}).setdefault(
                section, {})[option] = value
        return kwargs
    return options


def cluster_databases():
    from tricircle.sandbox import cluster
    return cluster.DATABASES


def _print_table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for row in [headers] + rows:
        print('  '.join(str(x).ljust(w) for x, w in zip(row, widths))
              .rstrip())


def _sandbox_up(args):
    from tricircle.sandbox import cluster
    started = time.monotonic()
    timeout = args.timeout
    if timeout is None:
        timeout = (COMPUTE_TIMEOUT if args.compute or args.dataplane
                   else PRODUCTION_TIMEOUT if args.db != 'sqlite' or
                   args.workers > 1 else DEFAULT_TIMEOUT)
    state = cluster.up(args.dir, pods=args.pods, timeout=timeout,
                       neutron_options=_neutron_options(args.neutron_opt,
                                                        args.plain_ml2),
                       xjob_count=(args.workers if args.xjobs is None
                                   else args.xjobs),
                       use_keystone=args.keystone,
                       compute=args.compute, with_dataplane=args.dataplane,
                       db=args.db, rabbit=args.rabbit, workers=args.workers)
    rows = [(s['region_name'], s['az_name'] or '-', s['neutron'], s['pid'])
            for s in [state['central']] + state['pods']]
    if state.get('compute'):
        rows += _compute_rows(state)
    rows.append(('admin-api', '-', state['admin_api'],
                 state['admin_api_pid']))
    rows += [(r['name'], '-', '-', r['pid']) for r in state['processes']
             if r['name'].startswith('xjob-')]
    if state.get('keystone'):
        rows.insert(0, ('keystone', '-', state['auth']['auth_url'],
                        state['keystone']['pid']))
    if state.get('database'):
        db = state['database']
        rows.insert(0, (db['backend'], '-', '127.0.0.1:%d' % db['port'],
                        db['pid']))
    if state.get('rabbitmq'):
        rabbit = state['rabbitmq']
        rows.insert(0, ('rabbitmq', '-', '127.0.0.1:%d' % rabbit['port'],
                        rabbit['pid']))
    _print_table(rows, ('REGION', 'AZ', 'URL', 'PID'))
    print('sandbox up in %.1fs; state in %s, config in %s' % (
        time.monotonic() - started, cluster.state_path(args.dir),
        state['tricircle_conf']))
    if state.get('keystone'):
        print('Keystone: clouds admin, tenant-a, tenant-b, service in %s; '
              'e.g. OS_CLIENT_CONFIG_FILE=%s openstack --os-cloud tenant-a '
              'network list' % ((state['auth']['clouds_yaml'],) * 2))
    return 0


def _compute_rows(state):
    """Rows of the compute endpoints (``up --compute``)."""
    pids = {r['name']: r['pid'] for r in state['processes']}
    rows = [('image', '-', state['central']['image'], pids['glance-api'])]
    for pod in state['pods']:
        region = pod['region_name']
        rows += [(region + ' compute', pod['az_name'], pod['compute'],
                  pids[region + '-nova-api']),
                 (region + ' volume', pod['az_name'], pod['volume'],
                  pids[region + '-cinder-api']),
                 (region + ' placement', '-', pod['placement'],
                  pids[region + '-placement'])]
    return rows


def _sandbox_down(args):
    from tricircle.sandbox import cluster
    records = cluster.down(args.dir, grace=args.grace)
    print('stopped %s' % (', '.join('%s (pid %d)' % (r['name'], r['pid'])
                                    for r in records) or 'nothing'))
    return 0


def _sandbox_status(args):
    from tricircle.sandbox import cluster
    rows = cluster.status(args.dir)
    _print_table([(r['name'], r['pid'], r['url'],
                   'up' if r['answering'] else
                   'not answering' if r['alive'] else 'down')
                  for r in rows], ('NAME', 'PID', 'URL', 'STATE'))
    return 0 if rows and all(r['answering'] for r in rows) else 3


def _sandbox_stop_server(args):
    from tricircle.sandbox import cluster
    cluster.stop_server(args.dir, args.name, grace=args.grace)
    print('%s stopped' % args.name)
    return 0


def _sandbox_start_server(args):
    from tricircle.sandbox import cluster
    record = cluster.start_server(args.dir, args.name, timeout=args.timeout)
    print('%s started again (pid %d)' % (args.name, record['pid']))
    return 0


def _add_sandbox(subparsers):
    sandbox = subparsers.add_parser(
        'sandbox', help='A multi-region cloud on this machine (loopback).')
    cmds = sandbox.add_subparsers(dest='sandbox_command', required=True)

    def with_dir(parser):
        parser.add_argument('--dir', default=DEFAULT_SANDBOX_DIR,
                            help='Folder of the sandbox '
                                 '(default: %(default)s)')
        return parser

    up = with_dir(cmds.add_parser(
        'up', help='Start central Neutron, N pod Neutrons, the Admin API '
                   'and XJob.'))
    up.add_argument('--pods', type=int, default=2,
                    help='Number of pods (default: %(default)s)')
    up.add_argument('--timeout', type=float, default=None,
                    help='Seconds to wait for every server to answer '
                         '(default: %d, %d with --compute or --dataplane, '
                         '%d with --db or --workers).'
                         % (DEFAULT_TIMEOUT, COMPUTE_TIMEOUT,
                            PRODUCTION_TIMEOUT))
    up.add_argument('--neutron-opt', action='append', type=_neutron_opt,
                    metavar='SECTION.OPTION=VALUE', default=[],
                    help='Extra option for every Neutron server; repeatable.')
    up.add_argument('--xjobs', type=int, default=None, metavar='N',
                    help='Number of tricircle-xjob processes sharing the '
                         'job table (default: as many as --workers).')
    up.add_argument('--db', choices=cluster_databases(), default='sqlite',
                    help='Database of every Neutron and of Tricircle: a '
                         'private MariaDB or PostgreSQL server (Debian\'s) '
                         'on loopback, its schemas made by '
                         '"neutron-db-manage upgrade heads" and by '
                         'tricircle-db-manage (default: %(default)s, one '
                         'file per server).')
    up.add_argument('--rabbit', action='store_true',
                    help='Wake XJob over RabbitMQ (a private broker on '
                         'loopback): central Neutron and the Admin API cast '
                         'on every job they queue; the job table scan falls '
                         'back to its production interval.')
    up.add_argument('--workers', type=int, default=1, metavar='N',
                    help='Worker processes per neutron-api and for the '
                         'Admin API, and XJob processes unless --xjobs is '
                         'given; more than 1 needs --db mariadb|postgresql '
                         '(default: %(default)s).')
    up.add_argument('--keystone', action='store_true',
                    help='Run a real Keystone (from .venv-keystone) with a '
                         'region per pod; every service checks tokens and '
                         'reaches the others through the catalog. Users and '
                         'clouds.yaml are written to the sandbox folder.')
    up.add_argument('--compute', action='store_true',
                    help='Also run, per pod, Nova (one fake compute host in '
                         'the pod\'s AZ), Placement and Cinder (fake '
                         'volumes), plus one Glance with a tiny image and a '
                         'RabbitMQ broker (Debian\'s rabbitmq-server).')
    up.add_argument('--dataplane', action='store_true',
                    help='Also run Neutron\'s agents in every pod (RPC '
                         'server, Open vSwitch and L3 agents) on a private '
                         'Open vSwitch (userspace datapath), with RabbitMQ; '
                         'then "sandbox vm" plugs namespace VMs that carry '
                         'real packets.')
    up.add_argument('--plain-ml2', action='store_true',
                    help='Run stock ML2 everywhere instead of the Tricircle '
                         'central and local plugins (a baseline).')
    up.set_defaults(func=_sandbox_up)

    down = with_dir(cmds.add_parser('down', help='Stop every process.'))
    down.add_argument('--grace', type=float, default=10.0,
                      help='Seconds between SIGTERM and SIGKILL.')
    down.set_defaults(func=_sandbox_down)

    status = with_dir(cmds.add_parser(
        'status', help='Show which servers are up; exit 3 if any is not.'))
    status.set_defaults(func=_sandbox_status)

    stop = with_dir(cmds.add_parser(
        'stop-server', help='Stop one server, e.g. Pod2 (to play a fault).'))
    stop.add_argument('name', help='A NAME that "status" lists.')
    stop.add_argument('--grace', type=float, default=10.0,
                      help='Seconds between SIGTERM and SIGKILL.')
    stop.set_defaults(func=_sandbox_stop_server)

    start = with_dir(cmds.add_parser(
        'start-server', help='Start a stopped server again on its port.'))
    start.add_argument('name', help='A NAME that "status" lists.')
    start.add_argument('--timeout', type=float, default=60.0,
                       help='Seconds to wait for it to answer.')
    start.set_defaults(func=_sandbox_start_server)

    vm_cmd.add_vm(cmds, with_dir)


COMMAND_GROUPS = [_add_sandbox, audit_cmd.add_audit, topology.add_topology]


def build_parser():
    parser = argparse.ArgumentParser(
        prog='tricircle',
        description='Networking automation across the Neutron servers of a '
                    'multi-region OpenStack cloud.')
    parser.add_argument('-v', '--verbose', action='store_true',
                        help='Log debug messages.')
    subparsers = parser.add_subparsers(dest='command', required=True)
    for add in COMMAND_GROUPS:
        add(subparsers)
    return parser


def _vm_errors():
    from tricircle.sandbox import dataplane
    return dataplane.ERRORS


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format='%(asctime)s %(levelname)s %(message)s')
    if not args.verbose:
        logging.getLogger('alembic').setLevel(logging.WARNING)
        # "Loading backend: eventlet" on every command that reaches Neutron.
        logging.getLogger('oslo_service.backend').setLevel(logging.WARNING)
    from tricircle.sandbox import cluster
    # SIGTERM as an exception: a "sandbox up" told to stop half-way (a
    # test's timeout, a service manager) stops the servers it started
    # instead of leaving them running with no sandbox.json to find them.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return args.func(args)
    except (cluster.SandboxError, *_vm_errors()) as e:
        print('error: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
