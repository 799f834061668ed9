"""Central owns the whole life of a resource (issue #12): every attribute
set on central reaches every pod holding a copy, deletes reach them too,
a change asked of a pod goes through central (central wins), and what
Neutron refuses changes nothing anywhere.

One network spans both pods (VxLAN), with a subnet and a port made through
Pod1; each case sets one attribute on central, through Neutron's API as the
tenant where Neutron's policy lets a tenant set it, and waits until both
pods' own Neutrons show central's value.
"""

import configparser
import os

import pytest

from tests.network import lifecycle as lc
from tricircle.common import constants

PROJECT = 'proj-lifecycle'
BOTH = ('Pod1', 'Pod2')


@pytest.fixture(scope='module')
def topo(cloud):
    tenant = cloud.tenant(PROJECT)
    net = lc.request(cloud.central, 'POST', '/networks', {'network': {
        'name': 'life', 'project_id': PROJECT,
        'provider:network_type': 'vxlan',
        'availability_zone_hints': ['az1', 'az2']}})[1]['network']
    subnet = tenant.network.create_subnet(network_id=net['id'],
                                          cidr='10.71.0.0/24', ip_version=4)
    port = cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=net['id'], name='vm1')
    # The network and subnet reach Pod2 too.
    cloud.tenant(PROJECT, 'Pod2').network.get_subnet(subnet.id)
    sg = tenant.network.create_security_group(name='life-sg')
    return {'tenant': tenant, 'net': net['id'], 'subnet': subnet.id,
            'port': port.id, 'sg': sg.id}


def _actor(cloud, topo, who):
    return topo['tenant'] if who == 'tenant' else cloud.central


NETWORK_CASES = [
    ('tenant', {'name': 'life-2'}),
    ('tenant', {'description': 'central wins'}),
    ('tenant', {'admin_state_up': False}),
    ('tenant', {'admin_state_up': True}),
    ('tenant', {'mtu': 1400}),
    ('tenant', {'port_security_enabled': False}),
    ('tenant', {'port_security_enabled': True}),
    ('admin', {'shared': True}),
    ('admin', {'shared': False}),
]

SUBNET_CASES = [
    ('tenant', {'name': 'life-subnet'}),
    ('tenant', {'description': 'd'}),
    ('tenant', {'dns_nameservers': ['192.0.2.53', '192.0.2.54']}),
    ('tenant', {'host_routes': [{'destination': '192.0.2.0/24',
                                 'nexthop': '10.71.0.254'}]}),
    ('tenant', {'allocation_pools': [{'start': '10.71.0.100',
                                      'end': '10.71.0.200'}]}),
    ('tenant', {'gateway_ip': '10.71.0.250'}),
    ('tenant', {'enable_dhcp': False}),
    ('tenant', {'enable_dhcp': True}),
]

PORT_CASES = [
    ('tenant', {'name': 'vm1-renamed'}),
    ('tenant', {'description': 'd'}),
    ('tenant', {'admin_state_up': False}),
    ('tenant', {'allowed_address_pairs': [{'ip_address': '10.71.0.201'}]}),
    ('tenant', {'security_groups': 'SG'}),
    ('tenant', {'extra_dhcp_opts': [{'opt_name': 'tftp-server',
                                     'opt_value': '192.0.2.10'}]}),
    ('tenant', {'device_owner': 'compute:nova',
                'device_id': 'fec25d50-3545-43e1-97f6-5d1a0b3c2e11'}),
    ('tenant', {'port_security_enabled': False, 'security_groups': [],
                'allowed_address_pairs': []}),
    ('tenant', {'port_security_enabled': True}),
]


def _case_id(case):
    return '-'.join('%s=%s' % (k, v) for k, v in case[1].items())[:60]


@pytest.mark.parametrize('who,attrs', NETWORK_CASES, ids=map(
    _case_id, NETWORK_CASES))
def test_network_update_reaches_every_pod(cloud, topo, who, attrs):
    lc.put(_actor(cloud, topo, who), 'network', topo['net'], attrs)
    lc.wait_same(cloud, 'network', topo['net'], BOTH, attrs)


@pytest.mark.parametrize('who,attrs', SUBNET_CASES, ids=map(
    _case_id, SUBNET_CASES))
def test_subnet_update_reaches_every_pod(cloud, topo, who, attrs):
    lc.put(_actor(cloud, topo, who), 'subnet', topo['subnet'], attrs)
    lc.wait_same(cloud, 'subnet', topo['subnet'], BOTH, attrs)


@pytest.mark.parametrize('who,attrs', PORT_CASES, ids=map(
    _case_id, PORT_CASES))
def test_port_update_reaches_its_pod(cloud, topo, who, attrs):
    attrs = {k: [topo['sg']] if v == 'SG' else v for k, v in attrs.items()}
    lc.put(_actor(cloud, topo, who), 'port', topo['port'], attrs)
    lc.wait_same(cloud, 'port', topo['port'], ['Pod1'], attrs)


@pytest.mark.parametrize('kind', ['network', 'subnet', 'port'])
def test_tags_reach_every_pod(cloud, topo, kind):
    resource_id = topo['net' if kind == 'network' else kind]
    regions = ['Pod1'] if kind == 'port' else BOTH
    lc.set_tags(topo['tenant'], kind, resource_id, ['blue', 'red'])
    lc.wait_same(cloud, kind, resource_id, regions, ['tags'])
    lc.set_tags(topo['tenant'], kind, resource_id, ['green'])
    lc.wait_same(cloud, kind, resource_id, regions, ['tags'])


def test_pod_update_goes_through_central(cloud, topo):
    """Central wins: a change asked of a pod is made on central first and
    the pod takes central's answer, so the other pod follows and nothing
    central holds is reverted by a pod."""
    pod1 = cloud.tenant(PROJECT, 'Pod1')
    lc.put(topo['tenant'], 'port', topo['port'], {
        'allowed_address_pairs': [{'ip_address': '10.71.0.202'}]})
    lc.put(pod1, 'port', topo['port'], {'name': 'named-in-pod1'})
    top = lc.get(cloud.central, 'port', topo['port'])
    assert top['name'] == 'named-in-pod1'
    assert [p['ip_address'] for p in top['allowed_address_pairs']] == \
        ['10.71.0.202']
    lc.wait_same(cloud, 'port', topo['port'], ['Pod1'],
                 ['name', 'allowed_address_pairs'])

    lc.put(pod1, 'network', topo['net'], {'description': 'from pod1'})
    assert lc.get(cloud.central, 'network', topo['net'])['description'] \
        == 'from pod1'
    lc.wait_same(cloud, 'network', topo['net'], BOTH, ['description'])

    lc.put(cloud.tenant(PROJECT, 'Pod2'), 'subnet', topo['subnet'],
           {'dns_nameservers': ['192.0.2.99']})
    lc.wait_same(cloud, 'subnet', topo['subnet'], BOTH, ['dns_nameservers'])


def test_pod_update_central_refuses_changes_nothing(cloud, topo):
    pod1 = cloud.tenant(PROJECT, 'Pod1')
    before = lc.find(cloud.pods['Pod1'], 'subnet', topo['subnet'])
    status, body = lc.request(pod1, 'PUT', '/subnets/%s' % topo['subnet'],
                              {'subnet': {'allocation_pools': [
                                  {'start': '10.99.0.2',
                                   'end': '10.99.0.9'}]}})
    assert status == 400, body
    assert 'Central Neutron' in body['NeutronError']['message']
    after = lc.find(cloud.pods['Pod1'], 'subnet', topo['subnet'])
    assert after['allocation_pools'] == before['allocation_pools']
    assert lc.get(cloud.central, 'subnet', topo['subnet'])[
        'allocation_pools'] == before['allocation_pools']


BAD_UPDATES = [
    ('network', {'mtu': 10}, 409),
    ('network', {'name': 'x' * 300}, 400),
    ('network', {'admin_state_up': 'maybe'}, 400),
    ('subnet', {'gateway_ip': '10.71.0.150'}, 409),  # in the pool
    ('subnet', {'allocation_pools': [{'start': '10.99.0.2',
                                      'end': '10.99.0.9'}]}, 400),
    ('subnet', {'dns_nameservers': ['not-an-ip']}, 400),
    ('subnet', {'host_routes': [{'destination': 'x', 'nexthop': 'y'}]},
     400),
    ('port', {'allowed_address_pairs': [{'ip_address': 'bad'}]}, 400),
    ('port', {'security_groups': ['0421ea55-2e60-4ed9-8a1f-3b7c9d2e4f60']},
     404),
    ('port', {'extra_dhcp_opts': [{'opt_name': 'x'}]}, 400),
]


@pytest.mark.parametrize('kind,attrs,code', BAD_UPDATES,
                         ids=lambda v: str(v)[:40])
def test_update_neutron_refuses_reaches_no_pod(cloud, topo, kind, attrs,
                                               code):
    resource_id = topo['net' if kind == 'network' else kind]
    jobs_before = lc.jobs_of(cloud, resource_id)
    pod_before = lc.find(cloud.pods['Pod1'], kind, resource_id)
    status, body = lc.request(topo['tenant'], 'PUT', '/%s/%s' % (
        lc.PLURAL[kind], resource_id), {kind: attrs})
    assert status == code, body
    assert body['NeutronError']['type']
    assert lc.jobs_of(cloud, resource_id) == jobs_before
    assert lc.find(cloud.pods['Pod1'], kind, resource_id) == pod_before


def test_update_while_pod_down_arrives_when_it_returns(cloud, topo):
    with lc.pod_stopped(cloud, 'Pod2'):
        lc.put(topo['tenant'], 'network', topo['net'],
               {'name': 'renamed-while-pod2-down'})
        failed = lc.wait_job(cloud, 'network_sync', topo['net'], 'FAIL')
        assert 'Pod2' in failed['last_error']
        # Pod1 got it all the same.
        assert lc.find(cloud.pods['Pod1'], 'network', topo['net'])[
            'name'] == 'renamed-while-pod2-down'
    # Retried with backoff; a redo only saves the wait.
    lc.redo(cloud, failed['id'])
    lc.wait_same(cloud, 'network', topo['net'], BOTH, ['name'])


def _restart_pod_with(cloud, region, options):
    """Restart a pod's Neutron with ``options`` set in [DEFAULT] (None
    removes one), as an operator would reconfigure one region."""
    path = os.path.join(cloud.state['dir'], region, 'neutron.conf')
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(path)
    for key, value in options.items():
        if value is None:
            conf.remove_option('DEFAULT', key)
        else:
            conf.set('DEFAULT', key, value)
    with open(path, 'w') as f:
        conf.write(f)
    for verb in ('stop-server', 'start-server'):
        lc.sandbox_cli(cloud, verb, region)


def test_update_a_pod_refuses_fails_the_job_with_its_reason(cloud, topo):
    """Pod1 configured to allow one DNS server: central's two stand on
    central and in Pod2; the job stays FAIL naming Pod1 and Neutron's
    message until Pod1 accepts them."""
    _restart_pod_with(cloud, 'Pod1',
                      {'max_dns_nameservers': '1'})
    try:
        lc.put(topo['tenant'], 'subnet', topo['subnet'],
               {'dns_nameservers': ['192.0.2.71', '192.0.2.72']})
        failed = lc.wait_job(cloud, 'subnet_sync', topo['subnet'], 'FAIL')
        assert 'pod Pod1 refused PUT /subnets/%s (HTTP 400)' % \
            topo['subnet'] in failed['last_error']
        assert 'DNSNameServersExhausted' in failed['last_error']
        lc.wait_same(cloud, 'subnet', topo['subnet'], ['Pod2'],
                     ['dns_nameservers'])
    finally:
        _restart_pod_with(cloud, 'Pod1',
                          {'max_dns_nameservers': None})
    lc.redo(cloud, failed['id'])
    lc.wait_same(cloud, 'subnet', topo['subnet'], BOTH, ['dns_nameservers'])


@pytest.mark.parametrize('kind', ['port', 'network'])
def test_xjob_push_is_not_passed_back_to_central(cloud, topo, kind):
    """XJob's sync sends a pod central's values, marked: the pod applies
    them without passing them back to central, where a newer change may
    have landed since the job read them (seen as a tenant's second group
    change reverted on central). A tenant's mark counts for nothing."""
    resource_id = topo['port' if kind == 'port' else 'net']
    path = '/%ss/%s' % (kind, resource_id)
    mark = {constants.SYNC_HEADER: constants.SYNC_FROM_CENTRAL}
    before = lc.get(cloud.central, kind, resource_id)['description']

    resp = cloud.pods['Pod1'].network.request(
        path, 'PUT', json={kind: {'description': 'as xjob read it'}},
        headers=mark, raise_exc=False)
    assert resp.status_code == 200, resp.text
    assert lc.find(cloud.pods['Pod1'], kind, resource_id)[
        'description'] == 'as xjob read it'
    assert lc.get(cloud.central, kind, resource_id)[
        'description'] == before

    resp = cloud.tenant(PROJECT, 'Pod1').network.request(
        path, 'PUT', json={kind: {'description': 'from the tenant'}},
        headers=mark, raise_exc=False)
    assert resp.status_code == 200, resp.text
    assert lc.get(cloud.central, kind, resource_id)[
        'description'] == 'from the tenant'
    lc.wait_same(cloud, kind, resource_id,
                 BOTH if kind == 'network' else ['Pod1'], ['description'])
