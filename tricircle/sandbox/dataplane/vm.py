"""Network namespaces as the data plane's VMs (``tricircle sandbox vm``).

A VM on a Neutron port is plugged the way Nova's Open vSwitch VIF driver
plugs a server: the port is bound to the pod's agent host, and an internal
port ``tap<port id>`` on the pod's integration bridge carries
``iface-id``, ``attached-mac`` and ``iface-status=active``, so the pod's
OVS agent wires it (local VLAN, security group flows) and reports it up.
The namespace then gets the port's MAC, IP and default route, as DHCP
would have given.

An outside host (``--physnet``) stands on the physical network itself,
on the physnet's hub bridge, e.g. the router of an external network.

VMs are listed in ``<sandbox>/vms.json`` so ``down`` removes them.
"""

import ipaddress
import json
import os
import re
import subprocess

from keystoneauth1 import adapter

from tricircle.sandbox.dataplane import agents
from tricircle.sandbox.dataplane import ovs

STATE_FILE = 'vms.json'
NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$')


class VmError(Exception):
    """A VM cannot be made, used or removed; the message says why."""


def _load(state):
    try:
        with open(os.path.join(state['dir'], STATE_FILE)) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def _save(state, vms):
    path = os.path.join(state['dir'], STATE_FILE)
    with open(path + '.tmp', 'w') as f:
        json.dump(vms, f, indent=2)
    os.replace(path + '.tmp', path)


def _ip(*args, netns=None, check=True):
    argv = (['ip', 'netns', 'exec', netns] if netns else []) + ['ip'] + \
        list(args)
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode:
        raise VmError('%s: %s' % (' '.join(argv), result.stderr.strip()))
    return result


def _dataplane(state):
    dp = state.get('dataplane')
    if not dp:
        raise VmError('this sandbox has no data plane; start it with '
                      '"tricircle sandbox up --dataplane"')
    return dp


def namespace(dp, name):
    """The namespace of VM (or Nova server) ``name``."""
    return 'tc%s-%s' % (dp['token'], name)


def device(port_id):
    """The tap device of a port, named as Nova's OVS VIF names it."""
    return ('tap' + port_id)[:14]


def vif_ids(port_id, mac, vm_id):
    """The OVS external ids by which the pod's agent finds its port."""
    return {'iface-id': port_id, 'attached-mac': mac,
            'iface-status': 'active', 'vm-uuid': vm_id}


def _namespaces():
    out = _ip('netns', 'list', check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def namespace_exists(netns):
    return netns in _namespaces()


def _pod(state, region_name):
    for pod in state['pods']:
        if pod['region_name'] == region_name:
            return pod
    raise VmError('no pod %s; pods: %s' % (region_name, ', '.join(
        p['region_name'] for p in state['pods'])))


def _neutron(pod, sess):
    return adapter.Adapter(sess, endpoint_override=pod['neutron'],
                           raise_exc=False)


def _bind(api, port_id, host, az_name, vm_id):
    """Bind the port to the pod's agent host, as Nova does for a server;
    return the port once the binding has a VIF."""
    resp = api.get('/v2.0/ports/%s' % port_id)
    if resp.status_code == 404:
        raise VmError('port %s is not known in this pod' % port_id)
    port = resp.json()['port']
    if port.get('device_id') and port['device_id'] != vm_id:
        raise VmError('port %s is in use by device %s' % (
            port_id, port['device_id']))
    resp = api.put('/v2.0/ports/%s' % port_id, json={'port': {
        'binding:host_id': host, 'device_id': vm_id,
        'device_owner': 'compute:%s' % (az_name or 'nova')}})
    if resp.status_code != 200:
        raise VmError('binding port %s to %s failed (%d): %s' % (
            port_id, host, resp.status_code, resp.text[:300]))
    port = resp.json()['port']
    if port.get('binding:vif_type') in ('binding_failed', 'unbound'):
        raise VmError('port %s could not be bound to %s (vif_type %s); is '
                      'the pod\'s OVS agent up?' % (
                          port_id, host, port['binding:vif_type']))
    return port


def _subnet(api, port):
    fixed = port['fixed_ips'][0]
    subnet = api.get('/v2.0/subnets/%s' % fixed['subnet_id']).json()
    subnet = subnet['subnet']
    prefix = ipaddress.ip_network(subnet['cidr']).prefixlen
    return '%s/%d' % (fixed['ip_address'], prefix), subnet.get('gateway_ip')


def plug(dp, netns, device, bridge, mac, address, gateway, mtu=None,
         external_ids=None, tag=None, new_namespace=True):
    """An internal port of ``bridge`` moved into a new namespace (or an
    existing one: a server's second VIF)."""
    if new_namespace and namespace_exists(netns):
        raise VmError('namespace %s exists already' % netns)
    args = ['--may-exist', 'add-port', bridge, device, '--', 'set',
            'Interface', device, 'type=internal']
    args += ['external_ids:%s=%s' % kv for kv in
             sorted((external_ids or {}).items())]
    if tag:
        args += ['--', 'set', 'Port', device, 'tag=%d' % tag]
    ovs.vsctl(dp, *args)
    ovs.wait_device(device)
    if new_namespace:
        _ip('netns', 'add', netns)
        _ip('link', 'set', 'lo', 'up', netns=netns)
    _ip('link', 'set', device, 'netns', netns)
    if mac:
        _ip('link', 'set', device, 'address', mac, netns=netns)
    if mtu:
        _ip('link', 'set', device, 'mtu', str(mtu), netns=netns)
    _ip('addr', 'add', address, 'dev', device, netns=netns)
    _ip('link', 'set', device, 'up', netns=netns)
    if gateway:
        _ip('route', 'add', 'default', 'via', gateway, netns=netns)


def create(state, sess, name, pod=None, port_id=None, physnet=None,
           vlan=None, address=None, gateway=None):
    """Plug VM ``name``: on Neutron port ``port_id`` of ``pod``, or as an
    outside host with ``address`` (CIDR) on ``physnet`` (``vlan`` tag)."""
    dp = _dataplane(state)
    if not NAME.match(name or ''):
        raise VmError('a VM name is 1-32 letters, digits, "_", "." or "-"')
    vms = _load(state)
    if name in vms:
        raise VmError('a VM named %s exists already' % name)
    netns = namespace(dp, name)
    if port_id:
        if physnet or address:
            raise VmError('give either --port or --physnet/--ip, not both')
        vm = _create_on_port(state, dp, sess, name, netns, pod, port_id)
    elif physnet:
        vm = _create_outside(state, dp, name, netns, physnet, vlan,
                             address, gateway)
    else:
        raise VmError('give --pod and --port, or --physnet and --ip')
    vms[name] = vm
    _save(state, vms)
    return vm


def _create_on_port(state, dp, sess, name, netns, region_name, port_id):
    if not region_name:
        raise VmError('--port needs --pod')
    pod = _pod(state, region_name)
    api = _neutron(pod, sess)
    vm_id = port_id  # one VM per port: the port's id names the device
    port = _bind(api, port_id, agents.host(region_name), pod['az_name'],
                 vm_id)
    address, gateway = _subnet(api, port)
    network = api.get('/v2.0/networks/%s' % port['network_id']).json()
    tap = device(port_id)
    bridge = dp['pods'][region_name]['integration_bridge']
    plug(dp, netns, tap, bridge, port['mac_address'], address, gateway,
         mtu=network['network'].get('mtu'),
         external_ids=vif_ids(port_id, port['mac_address'], vm_id))
    return {'name': name, 'netns': netns, 'device': tap,
            'pod': region_name, 'port_id': port_id, 'address': address,
            'gateway': gateway, 'mac': port['mac_address']}


def _create_outside(state, dp, name, netns, physnet, vlan, address,
                    gateway):
    if physnet not in dp['hubs']:
        raise VmError('no physnet %s; physnets: %s' % (
            physnet, ', '.join(sorted(dp['hubs']))))
    try:
        if '/' not in (address or ''):
            raise ValueError(address)
        ipaddress.ip_interface(address)
    except ValueError:
        raise VmError('--ip must be an address with its prefix length, '
                      'e.g. 203.0.113.1/24, not %r' % address) from None
    if vlan is not None and not 1 <= vlan <= 4094:
        raise VmError('--vlan must be 1-4094, not %d' % vlan)
    used = {vm['device'] for vm in _load(state).values()}
    outside = next('o%s%d' % (dp['token'], n) for n in range(1, 1000)
                   if 'o%s%d' % (dp['token'], n) not in used)
    plug(dp, netns, outside, dp['hubs'][physnet], None, address, gateway,
         tag=vlan)
    return {'name': name, 'netns': netns, 'device': outside,
            'physnet': physnet, 'vlan': vlan, 'address': address,
            'gateway': gateway}


def run(state, name, argv, timeout=60):
    """Run ``argv`` inside VM ``name``; the CompletedProcess (text)."""
    vm = _get(state, name)
    return subprocess.run(['ip', 'netns', 'exec', vm['netns']] + list(argv),
                          capture_output=True, text=True, timeout=timeout)


def ping(state, name, address, count=5, interval=0.2, wait=1):
    """Ping ``address`` from VM ``name``: {'sent', 'received', 'loss',
    'rtt_avg_ms', 'output'} (rtt None when nothing came back)."""
    result = run(state, name, ['ping', '-n', '-c', str(count), '-i',
                               str(interval), '-W', str(wait), address])
    return dict(parse_ping(result.stdout, count),
                output=result.stdout + result.stderr)


def parse_ping(out, count):
    """Sent, received, loss (0..1) and average RTT of ping's summary; a
    ping that printed no summary sent ``count`` and got nothing."""
    counts = re.search(r'(\d+) packets transmitted, (\d+) received', out)
    rtt = re.search(r'= [\d.]+/([\d.]+)/', out)
    sent, received = (int(counts.group(1)), int(counts.group(2))) \
        if counts else (count, 0)
    return {'sent': sent, 'received': received,
            'loss': 1.0 - received / sent if sent else 1.0,
            'rtt_avg_ms': float(rtt.group(1)) if rtt else None}


def _get(state, name):
    """A VM of ``vms.json``, else a Nova server's namespace (its id)."""
    vm = _load(state).get(name)
    if vm is None:
        netns = namespace(_dataplane(state), name)
        if not namespace_exists(netns):
            raise VmError('no VM named %s' % name)
        vm = {'name': name, 'netns': netns}
    return vm


def list_vms(state):
    return sorted(_load(state).values(), key=lambda vm: vm['name'])


def delete(state, sess, name):
    """Unplug VM ``name``; a port VM's port is unbound, as Nova leaves a
    port it did not create. A Nova server goes with ``server delete``."""
    vm = _load(state).get(name)
    if vm is None:
        raise VmError('no VM named %s' % name)
    _unplug(state, vm)
    if vm.get('port_id'):
        api = _neutron(_pod(state, vm['pod']), sess)
        api.put('/v2.0/ports/%s' % vm['port_id'], json={'port': {
            'binding:host_id': '', 'device_id': '', 'device_owner': ''}})
    vms = _load(state)
    vms.pop(name, None)
    _save(state, vms)


def unplug(dp, netns, devices):
    """Remove ``devices`` from the switch and the namespace (if any)."""
    for tap in devices:
        ovs.vsctl(dp, '--if-exists', 'del-port', tap, check=False)
    if netns:
        _ip('netns', 'delete', netns, check=False)


def _unplug(state, vm):
    unplug(state['dataplane'], vm['netns'], [vm['device']])


def remove_all(state):
    """Every VM's and server's namespace and port (``sandbox down``); the
    switch itself stops with the sandbox."""
    dp = state['dataplane']
    for vm in _load(state).values():
        _unplug(state, vm)
    for netns in _namespaces():
        if netns.startswith(namespace(dp, '')):
            _ip('netns', 'delete', netns, check=False)
    _save(state, {})
