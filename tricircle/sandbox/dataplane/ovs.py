"""The data plane's own Open vSwitch: one ``ovsdb-server`` and one
``ovs-vswitchd`` per sandbox, every file under ``<sandbox>/ovs/``.

A private switch, not the host's: ``down`` then removes every bridge,
port and tap device the sandbox made by stopping it, and two sandboxes
never see each other's bridges. The userspace datapath (``netdev``) is the
one this machine kind has (no kernel OVS module); its internal ports are
tap devices, so their names are kernel interface names: at most 15
characters and unique on the host. Each name therefore carries the
sandbox's token (four hex digits of its folder's hash).

Per pod the agents get their own integration bridge and one physical
bridge per physnet (``bridge``: cross-pod L3 and shared VLAN networks,
``extern``: external networks). A hub bridge per physnet stands for the
physical switch: each pod's physical bridge is patched into it, so the
shared VLAN of a bridge network really spans the pods. Tunnel endpoints
(VxLAN) are addresses on the sandbox's underlay bridge.
"""

import hashlib
import os
import re
import shutil
import subprocess
import time

from oslo_log import log as logging

from tricircle.sandbox import processes

LOG = logging.getLogger(__name__)

PACKAGES = ('openvswitch-switch', 'iputils-ping', 'iputils-arping', 'iptables',
            'conntrack')
SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema'
PHYSNETS = {'bridge': 'b', 'extern': 'e'}
# VxLAN endpoints: one /32 per pod on the underlay bridge, in a range kept
# for documentation-free private use by this sandbox kind.
VTEP_NET = '172.31.%d.%d'
START_TIMEOUT = 30.0
# The tap device of the userspace datapath, one per host.
DATAPATH_DEVICE = 'ovs-netdev'


class OvsError(Exception):
    """Open vSwitch cannot run here, or refused a change; says which."""


def token(sandbox_dir):
    return hashlib.sha1(os.path.abspath(sandbox_dir).encode()).hexdigest()[:4]


def binaries():
    return {name: shutil.which(name) for name in (
        'ovsdb-server', 'ovs-vswitchd', 'ovsdb-tool', 'ovs-vsctl',
        'ovs-ofctl', 'ping', 'arping', 'ip', 'unshare', 'iptables-save',
        'conntrack')}


def ensure_installed():
    """Install Debian's packages when a binary is missing and we may."""
    missing = [n for n, path in binaries().items() if path is None]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        raise OvsError('missing %s: install Debian\'s %s (tools/install-'
                       'deps.sh does, as root)' % (', '.join(missing),
                                                   ' '.join(PACKAGES)))
    LOG.info('Installing %s for the data plane', ' '.join(PACKAGES))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    result = subprocess.run(['apt-get', 'install', '-y', '-q'] +
                            list(PACKAGES), env=env, capture_output=True,
                            text=True)
    if result.returncode:
        raise OvsError('apt-get install %s failed: %s' % (
            ' '.join(PACKAGES), result.stderr.strip()[-500:]))


def plan(layout):
    """Names of every bridge and port of this sandbox's data plane."""
    tok = token(layout['dir'])
    run_dir = os.path.join(layout['dir'], 'ovs')
    octet = int(tok[:2], 16)
    pods = {}
    for n, pod in enumerate(layout['pods'], 1):
        pods[pod['region_name']] = {
            'index': n,
            'integration_bridge': 'bi-%s-%d' % (tok, n),
            'tunnel_bridge': 'bt-%s-%d' % (tok, n),
            # The agent's patch ports between br-int and br-tun: interface
            # names are unique on one switch, the defaults are not.
            'int_peer_patch_port': 'pt-%s-%d' % (tok, n),
            'tun_peer_patch_port': 'pi-%s-%d' % (tok, n),
            'bridges': {net: 'b%s-%s-%d' % (c, tok, n)
                        for net, c in PHYSNETS.items()},
            'vtep_ip': VTEP_NET % (octet, n),
            'of_listen_port': processes.free_port(),
        }
    layout['dataplane'] = {
        'token': tok, 'run_dir': run_dir,
        'db': 'unix:%s' % os.path.join(run_dir, 'db.sock'),
        'hubs': {net: 'h%s-%s' % (c, tok) for net, c in PHYSNETS.items()},
        'underlay': 'ul-%s' % tok,
        'pods': pods,
    }
    return layout['dataplane']


def env(dataplane):
    """What the OVS command-line tools need to find this switch."""
    return {'OVS_RUNDIR': dataplane['run_dir'],
            'OVS_DBDIR': dataplane['run_dir'],
            'OVS_LOGDIR': dataplane['run_dir']}


def vsctl(dataplane, *args, check=True):
    """``ovs-vsctl`` against this sandbox's switch; its output."""
    argv = ['ovs-vsctl', '--timeout=10', '--db=%s' % dataplane['db']]
    result = subprocess.run(argv + list(args), capture_output=True,
                            text=True, env=dict(os.environ, **env(dataplane)))
    if check and result.returncode:
        raise OvsError('ovs-vsctl %s: %s' % (
            ' '.join(args), result.stderr.strip()))
    return result.stdout.strip()


def running_switches():
    """(pid, command line) of every ovs-vswitchd on this host."""
    import psutil
    found = []
    for proc in psutil.process_iter(['pid', 'name', 'cmdline']):
        if proc.info['name'] == 'ovs-vswitchd':
            found.append((proc.info['pid'],
                          ' '.join(proc.info['cmdline'] or [])))
    return found


def check_free():
    """One userspace switch per host: every ovs-vswitchd with the netdev
    datapath holds the one tap device ``ovs-netdev``, and a second one
    cannot open its datapath. Another sandbox's data plane (or the
    host's own Open vSwitch) must be stopped first."""
    others = running_switches()
    if others:
        raise OvsError(
            'an ovs-vswitchd runs on this host already (pid %d: %s); the '
            'userspace datapath allows one per host: stop that sandbox '
            '("tricircle sandbox down") or switch first' % others[0])


def start(layout, records):
    """A fresh database (bridges from an earlier ``up`` would name tap
    devices long gone), then ovsdb-server and ovs-vswitchd."""
    ensure_installed()
    check_free()
    dp = layout['dataplane']
    run_dir = dp['run_dir']
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    db_file = os.path.join(run_dir, 'conf.db')
    subprocess.run(['ovsdb-tool', 'create', db_file, SCHEMA], check=True)
    logs = os.path.join(layout['dir'], 'logs')
    ovs_env = env(dp)
    records.append(processes.start('ovsdb-server', [
        'ovsdb-server', db_file, '--remote=punix:%s' % dp['db'][5:],
        '--pidfile=%s' % os.path.join(run_dir, 'ovsdb-server.pid'),
        '--unixctl=%s' % os.path.join(run_dir, 'ovsdb-server.ctl')],
        os.path.join(logs, 'ovsdb-server.log'), extra_env=ovs_env))
    _wait_db(dp, records[-1])
    vsctl(dp, '--no-wait', 'init')
    records.append(processes.start('ovs-vswitchd', [
        'ovs-vswitchd', dp['db'],
        '--pidfile=%s' % os.path.join(run_dir, 'ovs-vswitchd.pid'),
        '--unixctl=%s' % os.path.join(run_dir, 'ovs-vswitchd.ctl')],
        os.path.join(logs, 'ovs-vswitchd.log'), extra_env=ovs_env))
    # The switch goes last: its clients (agents) stop first.
    for record in records[-2:]:
        record['stop_last'] = True
    _wire(dp)


def _wait_db(dp, record):
    deadline = time.monotonic() + START_TIMEOUT
    while not os.path.exists(dp['db'][5:]):
        if not processes.is_alive(record) or time.monotonic() > deadline:
            raise OvsError('ovsdb-server did not start; see %s'
                           % record['log'])
        time.sleep(0.1)


def _bridge(dp, name):
    vsctl(dp, '--may-exist', 'add-br', name, '--', 'set', 'Bridge', name,
          'datapath_type=netdev')


def _patch(dp, bridge, port, peer):
    vsctl(dp, '--may-exist', 'add-port', bridge, port, '--', 'set',
          'Interface', port, 'type=patch', 'options:peer=%s' % peer)


def _wire(dp):
    """Hubs, each pod's physical bridges patched into them, and the
    underlay holding the pods' tunnel endpoints."""
    tok = dp['token']
    for hub in dp['hubs'].values():
        _bridge(dp, hub)
    _bridge(dp, dp['underlay'])
    for pod in dp['pods'].values():
        n = pod['index']
        for net, bridge in pod['bridges'].items():
            c = PHYSNETS[net]
            _bridge(dp, bridge)
            pod_side, hub_side = 'x%s%sp%d' % (c, tok, n), \
                'x%s%sh%d' % (c, tok, n)
            _patch(dp, bridge, pod_side, hub_side)
            _patch(dp, dp['hubs'][net], hub_side, pod_side)
    _link_up(dp['underlay'], [p['vtep_ip'] for p in dp['pods'].values()])


def wait_device(device):
    """Until ovs-vswitchd has made the tap device of an internal port."""
    deadline = time.monotonic() + START_TIMEOUT
    while subprocess.run(['ip', 'link', 'show', device],
                         capture_output=True).returncode:
        if time.monotonic() > deadline:
            raise OvsError('ovs-vswitchd made no device %s' % device)
        time.sleep(0.1)


def _link_up(device, addresses):
    """Bring ``device`` up with ``addresses`` (/32 each)."""
    wait_device(device)
    subprocess.run(['ip', 'link', 'set', device, 'up'], check=True)
    for address in addresses:
        subprocess.run(['ip', 'addr', 'replace', address + '/32', 'dev',
                        device], check=True)


def _devices():
    out = subprocess.run(['ip', '-o', 'link', 'show'], capture_output=True,
                         text=True).stdout
    return [line.split(': ', 2)[1].split('@')[0]
            for line in out.splitlines() if ': ' in line]


def ours(dp, device):
    """Whether ``device`` is one this sandbox's switch made (the names
    :func:`plan` and ``vm`` give, each with the token)."""
    tok = dp['token']
    return bool(re.match(r'^((bi|bt|bb|be|pt|pi)-%s-\d+|(hb|he|ul)-%s|'
                         r'x[be]%s[ph]\d+|o%s\d+)$' % ((tok,) * 4), device))


def remove(state):
    """Every bridge of the sandbox, before its switch stops; then any tap
    device the userspace datapath left behind (they outlive
    ovs-vswitchd when it is killed)."""
    dp = state.get('dataplane')
    if not dp:
        return
    if os.path.exists(dp['db'][5:]):
        for bridge in vsctl(dp, 'list-br', check=False).split():
            vsctl(dp, '--if-exists', 'del-br', bridge, check=False)
    leftovers = [d for d in _devices() if ours(dp, d)]
    if not running_switches() and DATAPATH_DEVICE in _devices():
        # The datapath's own tap device, left by the switch we stopped.
        leftovers.append(DATAPATH_DEVICE)
    for device in leftovers:
        subprocess.run(['ip', 'link', 'delete', device], capture_output=True)
        LOG.info('Removed device %s', device)
