"""The demo's VMs as real servers, booted through the API gateway.

``nova boot --flavor 1 --image tiny --nic net-id=NET --availability-zone
AZ vmN`` as the seeds' walkthrough has it, against CentralRegion's Nova
(the gateway), which sends it to the pod of that AZ: the pod's Nova asks
its Neutron for the network (the local plugin pulls it from central) and
for a port (made on central first, with central's IP and MAC), and binds
it to the pod's compute host. The demo then compares that port with its
central twin like any other.
"""

import time

from tricircle.sandbox.compute import clients

BOOT_TIMEOUT = 180
POLL = 0.5


class BootFailed(Exception):
    """A demo server did not become ACTIVE; says which and why."""


def clean_servers(demo):
    """Delete the servers an earlier run booted (named after the demo's
    VMs, with its mark), before their networks go."""
    names = {vm for _net, _cidr, vm in demo.plan}
    gone = []
    for pod in demo.state['pods']:
        api = clients.nova_admin(demo.state, pod)
        for server in api.get('/servers/detail?all_tenants=1').json()[
                'servers']:
            if server['name'] in names and server.get(
                    'metadata', {}).get('demo') == demo.mark:
                api.delete('/servers/%s' % server['id'])
                gone.append((api, server['id']))
    for api, server_id in gone:
        _wait(lambda: api.get('/servers/%s' % server_id,
                              raise_exc=False).status_code == 404,
              'server %s deleted' % server_id)
    if gone:
        print('\nDeleted %d server(s) an earlier run booted.' % len(gone))


def boot_servers(demo):
    """One server per network, through the gateway to the network's pod
    (by its AZ)."""
    booted = []
    api = clients.nova_gateway(demo.state)
    for name, (pod, net, _subnet, vm) in demo.nets.items():
        server = api.post('/servers', json={'server': {
            'name': vm, 'flavorRef': demo.state['compute']['flavor_id'],
            'imageRef': demo.state['compute']['image_id'],
            'networks': [{'uuid': net.id}],
            'availability_zone': pod['az_name'],
            'metadata': {'demo': demo.mark}}}).json()['server']
        print('\nnova boot --flavor 1 --image tiny --nic net-id=%s '
              '--availability-zone %s %s  (gateway, to %s): server %s'
              % (net.id, pod['az_name'], vm, pod['region_name'],
                 server['id']))
        booted.append((api, pod, name, vm, server['id']))
    rows = []
    for api, pod, name, vm, server_id in booted:
        server = _wait(lambda: _built(api, server_id),
                       'server %s (%s) ACTIVE' % (vm, server_id))
        ports = list(demo.conn(pod['region_name']).network.ports(
            device_id=server_id))
        demo.check('%s: ports in %s' % (vm, pod['region_name']), 1,
                   len(ports))
        demo.check('%s status' % vm, 'ACTIVE', server['status'])
        if ports:
            demo.ports[vm] = (pod, name, ports[0])
        rows.append((vm, pod['region_name'],
                     server['OS-EXT-AZ:availability_zone'],
                     server['OS-EXT-SRV-ATTR:host'], server['status'],
                     ports[0].id if ports else '-'))
    demo.table('Servers (through the gateway, in their pods):',
               ('VM', 'POD', 'AZ', 'HOST', 'STATUS', 'PORT'), rows)


def _built(api, server_id):
    server = api.get('/servers/%s' % server_id).json()['server']
    if server['status'] == 'ERROR':
        raise BootFailed('server %s is ERROR: %s' % (
            server_id, server.get('fault')))
    return server if server['status'] == 'ACTIVE' else None


def _wait(check, what):
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BootFailed('not after %ds: %s' % (BOOT_TIMEOUT, what))
        time.sleep(POLL)
