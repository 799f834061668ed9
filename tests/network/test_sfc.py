"""Service function chaining across pods (issue #16): a port chain made on
central is copied, pieces and all under central's ids, into every pod
where one of its ports is bound; it follows every change made on central,
converges after its pod was down, is audited piece by piece, and goes
with central's delete. Layouts the pods cannot carry are refused.

One VxLAN network spans both pods: the classified client and the
destination are VMs of Pod1, the service functions VMs of Pod2 (their
ports made on central, bound through the pods as Nova binds them).
"""

import pytest

from tests.conftest import eventually
from tests.network import lifecycle as lc
from tricircle.network import sfc

PROJECT = 'proj-sfc'
BOTH = ('Pod1', 'Pod2')


def _ok(conn, method, path, body=None):
    code, answer = lc.request(conn, method, path, body)
    assert code in (200, 201, 204), (method, path, code, answer)
    return answer


class _Rest:
    """What tricircle.network.sfc reads with, over a test connection."""

    def __init__(self, conn):
        self.conn = conn

    def request(self, method, path, body=None):
        return _ok(self.conn, method, path, body)


def tree(conn, chain_id):
    return sfc.tree(_Rest(conn), chain_id)


def drift(cloud, chain_id, regions):
    top = tree(cloud.central, chain_id)
    wrong = {}
    for region in regions:
        here = tree(cloud.pods[region], chain_id)
        diff = 'absent' if here is None else sfc.differences(top, here)
        if diff:
            wrong[region] = diff
    return wrong


def wait_in_step(cloud, chain_id, regions=BOTH):
    lc.wait_no_drift(lambda: drift(cloud, chain_id, regions),
                     'port chain %s' % chain_id)


def held(cloud, region, kind, ids):
    return sfc.listed(_Rest(cloud.pods[region]), kind, ids)


def _create(conn, kind, **attrs):
    return _ok(conn, 'POST', sfc.path(kind), {kind: attrs})[kind]


def _port(tenant, net_id, name, device):
    return _ok(tenant, 'POST', '/ports', {'port': {
        'network_id': net_id, 'name': name, 'device_id': device}})['port']


def _bind(cloud, region, port, host):
    """As Nova does: the pod's admin binds the central port there."""
    _ok(cloud.pods[region], 'PUT', '/ports/%s' % port['id'], {'port': {
        'binding:host_id': host, 'device_owner': 'compute:nova'}})


def _pair(tenant, name, vm):
    return _create(tenant, 'port_pair', name=name, ingress=vm[0]['id'],
                   egress=vm[1]['id'])


@pytest.fixture(scope='module')
def topo(cloud):
    tenant = cloud.tenant(PROJECT)
    net = _ok(tenant, 'POST', '/networks', {'network': {
        'name': 'sfc-net', 'availability_zone_hints': ['az1', 'az2']}})[
            'network']['id']
    tenant.network.create_subnet(network_id=net, cidr='10.76.0.0/24',
                                 ip_version=4)
    src = _port(tenant, net, 'src', 'vm-src')
    dst = _port(tenant, net, 'dst', 'vm-dst')
    sf1 = [_port(tenant, net, 'sf1-%s' % d, 'vm-sf1') for d in ('in', 'out')]
    sf2 = [_port(tenant, net, 'sf2-%s' % d, 'vm-sf2') for d in ('in', 'out')]
    pp1 = _pair(tenant, 'pp1', sf1)
    ppg1 = _create(tenant, 'port_pair_group', name='ppg1',
                   port_pairs=[pp1['id']])
    fc1 = _create(tenant, 'flow_classifier', name='web', protocol='tcp',
                  ethertype='IPv4', destination_port_range_min=80,
                  destination_port_range_max=80,
                  logical_source_port=src['id'],
                  logical_destination_port=dst['id'])
    chain = _create(tenant, 'port_chain', name='chain1',
                    port_pair_groups=[ppg1['id']],
                    flow_classifiers=[fc1['id']])
    # No port of it bound anywhere: the chain stays on central.
    lc.wait_job(cloud, 'sfc_sync', chain['id'], 'SUCCESS')
    assert not any(tree(cloud.pods[r], chain['id']) for r in BOTH)
    for port, region, host in ((src, 'Pod1', 'sfc-host1'),
                               (dst, 'Pod1', 'sfc-host1'),
                               (sf1[0], 'Pod2', 'sfc-host2'),
                               (sf1[1], 'Pod2', 'sfc-host2'),
                               (sf2[0], 'Pod2', 'sfc-host2'),
                               (sf2[1], 'Pod2', 'sfc-host2')):
        _bind(cloud, region, port, host)
    return {'tenant': tenant, 'net': net, 'chain': chain['id'],
            'pp1': pp1['id'], 'ppg1': ppg1['id'], 'fc1': fc1['id'],
            'sf2': sf2, 'src': src}


def test_chain_reaches_every_pod_holding_its_ports(cloud, topo):
    wait_in_step(cloud, topo['chain'])
    top = tree(cloud.central, topo['chain'])
    for region in BOTH:
        here = tree(cloud.pods[region], topo['chain'])
        assert {k: set(v) for k, v in here.items()} == {
            k: set(v) for k, v in top.items()}
        chain = here[sfc.CHAIN][topo['chain']]
        assert chain['chain_id'] == top[sfc.CHAIN][topo['chain']][
            'chain_id']
        assert chain['project_id'] == PROJECT
    routed = cloud.routings(top_id=topo['chain'], resource_type='port_chain')
    assert sorted(r['pod_id'] for r in routed) == sorted(
        cloud.pod_ids[r] for r in BOTH)


def test_changes_on_central_follow(cloud, topo):
    tenant, chain_id = topo['tenant'], topo['chain']
    pp2 = _pair(tenant, 'pp2', topo['sf2'])
    ppg2 = _create(tenant, 'port_pair_group', name='ppg2',
                   port_pairs=[pp2['id']])
    _ok(tenant, 'PUT', sfc.path(sfc.CHAIN, chain_id), {sfc.CHAIN: {
        'name': 'chain1-renamed',
        'port_pair_groups': [topo['ppg1'], ppg2['id']]}})
    _ok(tenant, 'PUT', sfc.path('port_pair', topo['pp1']),
        {'port_pair': {'name': 'pp1-renamed'}})
    _ok(tenant, 'PUT', sfc.path('flow_classifier', topo['fc1']),
        {'flow_classifier': {'description': 'port 80 only'}})
    wait_in_step(cloud, chain_id)
    assert all(held(cloud, r, 'port_pair', [pp2['id']]) for r in BOTH)
    # A group leaving the chain leaves the pods, with its pair.
    _ok(tenant, 'PUT', sfc.path(sfc.CHAIN, chain_id), {sfc.CHAIN: {
        'port_pair_groups': [topo['ppg1']]}})
    wait_in_step(cloud, chain_id)
    # The chain matches once its groups do; the sync deletes the pairs
    # the dropped groups held after that, so they may take a moment more.
    eventually(lambda: not any(
        held(cloud, region, kind, [rid]) for region in BOTH
        for kind, rid in (('port_pair_group', ppg2['id']),
                          ('port_pair', pp2['id']))),
        'group %s and pair %s gone from the pods' % (ppg2['id'], pp2['id']))


def test_bad_input_is_refused(cloud, topo):
    tenant = topo['tenant']
    other = _ok(tenant, 'POST', '/networks', {'network': {
        'name': 'sfc-other'}})['network']['id']
    tenant.network.create_subnet(network_id=other, cidr='10.76.1.0/24',
                                 ip_version=4)
    elsewhere = _port(tenant, other, 'elsewhere', 'vm-elsewhere')
    fc2 = _create(tenant, 'flow_classifier', name='other-net',
                  protocol='udp', logical_source_port=elsewhere['id'])
    sf3 = [_port(tenant, topo['net'], 'sf3-%s' % d, 'vm-sf3')
           for d in ('in', 'out')]
    ppg3 = _create(tenant, 'port_pair_group', name='ppg3', port_pairs=[
        _pair(tenant, 'pp3', sf3)['id']])
    before = _ok(tenant, 'GET', '/sfc/port_chains')['port_chains']
    # Ports on two networks: no pod could carry the chain.
    code, answer = lc.request(tenant, 'POST', '/sfc/port_chains', {
        'port_chain': {'port_pair_groups': [ppg3['id']],
                       'flow_classifiers': [fc2['id']]}})
    assert code == 400, answer
    assert 'networks' in answer['NeutronError']['message']
    assert _ok(tenant, 'GET', '/sfc/port_chains')['port_chains'] == before
    code, answer = lc.request(tenant, 'PUT', sfc.path(
        sfc.CHAIN, topo['chain']), {sfc.CHAIN: {
            'flow_classifiers': [topo['fc1'], fc2['id']]}})
    assert code == 400, answer
    # networking-sfc's own answers stand: a pair across two VMs, a
    # classifier with a port range and no protocol.
    code, answer = lc.request(tenant, 'POST', '/sfc/port_pairs', {
        'port_pair': {'ingress': topo['sf2'][0]['id'],
                      'egress': topo['src']['id']}})
    assert code == 400, answer
    code, answer = lc.request(tenant, 'POST', '/sfc/flow_classifiers', {
        'flow_classifier': {'source_port_range_min': 10,
                            'source_port_range_max': 20}})
    assert code == 400, answer
    # A tenant changes central's chain on central, not in a pod.
    pod_tenant = cloud.tenant(PROJECT, 'Pod1')
    for kind, rid in ((sfc.CHAIN, topo['chain']),
                      ('port_pair', topo['pp1'])):
        code, answer = lc.request(pod_tenant, 'PUT', sfc.path(kind, rid),
                                  {kind: {'name': 'mine'}})
        assert code == 400, answer
        assert 'central' in answer['NeutronError']['message']
    code, _answer = lc.request(pod_tenant, 'DELETE',
                               sfc.path(sfc.CHAIN, topo['chain']))
    assert code == 400
    # A port of a pair or classifier cannot go, on central or in the pod
    # holding it (networking-sfc's foreign key would make it a 500); the
    # port is bound to a VM, which only an admin may take it from.
    for conn in (cloud.central, cloud.pods['Pod1']):
        code, answer = lc.request(conn, 'DELETE',
                                  '/ports/%s' % topo['src']['id'])
        assert code == 409, answer
        assert topo['fc1'] in answer['NeutronError']['message']
    wait_in_step(cloud, topo['chain'])


def test_a_pod_that_was_down_converges(cloud, topo):
    chain_id = topo['chain']
    with lc.pod_stopped(cloud, 'Pod2'):
        _ok(topo['tenant'], 'PUT', sfc.path('port_pair', topo['pp1']),
            {'port_pair': {'description': 'changed while Pod2 was down'}})
        failed = lc.wait_job(cloud, 'sfc_sync', chain_id, 'FAIL')
        assert 'Pod2' in failed['last_error']
        wait_in_step(cloud, chain_id, ['Pod1'])
    lc.redo(cloud, failed['id'])
    wait_in_step(cloud, chain_id)


def test_audit_finds_and_fixes_piece_drift(cloud, topo, tricircle_cli):
    chain_id, pp1, fc1 = topo['chain'], topo['pp1'], topo['fc1']
    # Behind central's back: admins in the pods change the copies.
    _ok(cloud.pods['Pod2'], 'PUT', sfc.path('port_pair_group', topo['ppg1']),
        {'port_pair_group': {'port_pairs': []}})
    _ok(cloud.pods['Pod2'], 'DELETE', sfc.path('port_pair', pp1))
    _ok(cloud.pods['Pod1'], 'PUT', sfc.path('flow_classifier', fc1),
        {'flow_classifier': {'name': 'drifted'}})
    found = lc.audit(cloud, tricircle_cli, PROJECT)
    assert found.returncode == 1, found.stdout
    lines = found.stdout.splitlines()
    assert any(pp1 in line and 'not in the pod' in line and 'Pod2' in line
               for line in lines), found.stdout
    assert any(topo['ppg1'] in line and 'port_pairs' in line and
               'Pod2' in line for line in lines), found.stdout
    assert any(fc1 in line and 'name=drifted' in line and 'Pod1' in line
               for line in lines), found.stdout
    fixed = lc.audit(cloud, tricircle_cli, PROJECT, '--fix')
    assert fixed.returncode == 0, fixed.stdout
    wait_in_step(cloud, chain_id)
    lc.wait_audit_clean(cloud, tricircle_cli, PROJECT)


def test_deletes_reach_the_pods(cloud, topo):
    tenant, chain_id = topo['tenant'], topo['chain']
    pieces = {k: set(v) for k, v in tree(cloud.central, chain_id).items()}
    _ok(tenant, 'DELETE', sfc.path(sfc.CHAIN, chain_id))
    eventually(lambda: not any(tree(cloud.pods[r], chain_id) for r in BOTH),
               'port chain %s gone from the pods' % chain_id)
    # The chain goes first, then the pieces it held.
    eventually(lambda: not any(held(cloud, region, kind, pieces[kind])
                               for region in BOTH for kind in sfc.PIECES),
               'pieces of port chain %s gone from the pods' % chain_id)
    eventually(lambda: not cloud.routings(top_id=chain_id),
               'routings of port chain %s gone' % chain_id)
    # Central's pieces, no chain holding them, go on central alone.
    for kind in reversed(sfc.PIECES):
        for rid in pieces[kind]:
            _ok(tenant, 'DELETE', sfc.path(kind, rid))
    for region in BOTH:
        for kind in sfc.PIECES + (sfc.CHAIN,):
            collection = sfc.KINDS[kind].collection.split('/')[-1]
            left = _ok(cloud.pods[region], 'GET', '%s?project_id=%s' % (
                sfc.path(kind), PROJECT))[collection]
            assert not left, (region, kind, left)
