"""``tricircle sandbox vm``: namespace VMs on a ``--dataplane`` sandbox.

``create`` plugs a VM on a pod's Neutron port (as Nova would) or an
outside host on a physnet; ``exec`` runs a command in it (``ping``);
``list`` and ``delete`` as expected.
"""

import sys


def _state(args):
    from tricircle.sandbox import cluster
    return cluster.load_state_or_fail(args.dir)


def _session(state):
    from tricircle.sandbox import cluster
    return cluster.session(state)


def _create(args):
    from tricircle.sandbox.dataplane import vm
    state = _state(args)
    made = vm.create(state, _session(state), args.name, pod=args.pod,
                     port_id=args.port, physnet=args.physnet,
                     vlan=args.vlan, address=args.ip, gateway=args.gateway)
    print('%s plugged: namespace %s, %s, device %s' % (
        args.name, made['netns'], made['address'], made['device']))
    return 0


def _exec(args):
    from tricircle.sandbox.dataplane import vm
    result = vm.run(_state(args), args.name, args.argv,
                    timeout=args.timeout)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


def _list(args):
    from tricircle.sandbox.dataplane import vm
    for made in vm.list_vms(_state(args)):
        print('%-16s %-20s %-18s %s' % (
            made['name'], made['netns'], made['address'],
            made.get('pod') or 'physnet %s' % made.get('physnet')))
    return 0


def _delete(args):
    from tricircle.sandbox.dataplane import vm
    state = _state(args)
    for name in args.names:
        vm.delete(state, _session(state), name)
        print('%s deleted' % name)
    return 0


def add_vm(cmds, with_dir):
    """``sandbox vm ...`` under the sandbox command group."""
    parser = cmds.add_parser(
        'vm', help='Namespace VMs of a sandbox started with --dataplane.')
    vms = parser.add_subparsers(dest='vm_command', required=True)
    create = with_dir(vms.add_parser(
        'create', help='Plug a VM on a Neutron port of a pod, or an '
                       'outside host on a physnet.'))
    create.add_argument('name')
    create.add_argument('--pod', help='Region of the pod holding the port.')
    create.add_argument('--port', metavar='PORT_ID',
                        help='A port of that pod (made there or pulled from '
                             'central); bound to the pod\'s agent host.')
    create.add_argument('--physnet', help='An outside host on this physnet '
                                          '(bridge, extern) instead.')
    create.add_argument('--vlan', type=int,
                        help='The outside host\'s VLAN id on the physnet.')
    create.add_argument('--ip', metavar='CIDR',
                        help='The outside host\'s address, e.g. '
                             '163.3.124.1/24.')
    create.add_argument('--gateway', help='The outside host\'s default '
                                          'route.')
    create.set_defaults(func=_create)
    run = with_dir(vms.add_parser('exec', help='Run a command in a VM, '
                                               'e.g. -- ping -c3 10.0.2.5'))
    run.add_argument('name')
    run.add_argument('argv', nargs='+', metavar='COMMAND')
    run.add_argument('--timeout', type=float, default=60.0)
    run.set_defaults(func=_exec)
    listing = with_dir(vms.add_parser('list', help='List the VMs.'))
    listing.set_defaults(func=_list)
    delete = with_dir(vms.add_parser('delete', help='Unplug VMs (a port '
                                                    'VM\'s port is unbound).'))
    delete.add_argument('names', nargs='+', metavar='NAME')
    delete.set_defaults(func=_delete)
