"""Trunk ports across pods (issue #16): a trunk made on central is copied,
same trunk id and subports, into the pod holding its parent port, follows
every change made on central, converges after its pod was down, is audited
subport by subport, and goes with central's delete. Booting on a trunk's
parent (its status coming back to central) is tests/keystone/test_compute.

The parent port is made through Pod1 on a VxLAN network spanning both
pods; subports are central ports, one on a second spanning network (so it
reaches Pod1) and one on a network hinted to Pod2 only (refused).
"""

import time

import pytest

from tests.network import lifecycle as lc
from tricircle.network import trunks

PROJECT = 'proj-trunk'


def _ok(conn, method, path, body=None):
    code, answer = lc.request(conn, method, path, body)
    assert code in (200, 201, 204), (method, path, code, answer)
    return answer


def _net(tenant, name, cidr, hints):
    net = _ok(tenant, 'POST', '/networks', {'network': {
        'name': name, 'availability_zone_hints': hints}})['network']
    tenant.network.create_subnet(network_id=net['id'], cidr=cidr,
                                 ip_version=4)
    return net['id']


def _port(conn, net_id, name):
    return _ok(conn, 'POST', '/ports', {'port': {
        'network_id': net_id, 'name': name}})['port']['id']


def _sub(port_id, vlan):
    return {'port_id': port_id, 'segmentation_type': 'vlan',
            'segmentation_id': vlan}


def copy_in(cloud, region, trunk_id):
    """A pod's copy, by listing (a GET by id would copy it)."""
    found = _ok(cloud.pods[region], 'GET', '/trunks?id=%s'
                % trunk_id)['trunks']
    return found[0] if found else None


def drift(cloud, trunk_id, region='Pod1'):
    top = _ok(cloud.central, 'GET', '/trunks/%s' % trunk_id)['trunk']
    here = copy_in(cloud, region, trunk_id)
    if here is None:
        return 'absent'
    diff = trunks.differences(top, here)
    if here['status'] != top['status']:
        diff['status'] = (here['status'], top['status'])
    return None if trunks.in_step(diff) else diff


def wait_in_step(cloud, trunk_id, timeout=lc.TIMEOUT):
    deadline = time.time() + timeout
    while True:
        wrong = drift(cloud, trunk_id)
        if wrong is None:
            return
        if time.time() > deadline:
            pytest.fail('trunk %s differs from central: %s'
                        % (trunk_id, wrong))
        time.sleep(0.2)


@pytest.fixture(scope='module')
def topo(cloud):
    tenant = cloud.tenant(PROJECT)
    pod1 = cloud.tenant(PROJECT, 'Pod1')
    span1 = _net(tenant, 'trunk-span1', '10.74.0.0/24', ['az1', 'az2'])
    span2 = _net(tenant, 'trunk-span2', '10.74.1.0/24', ['az1', 'az2'])
    pod2_only = _net(tenant, 'trunk-pod2', '10.74.2.0/24', ['az2'])
    parent = _port(pod1, span1, 'parent')
    subs = {name: _port(tenant, net, name) for name, net in (
        ('sub1', span2), ('sub2', span2), ('sub3', span1),
        ('far', pod2_only))}
    trunk = _ok(tenant, 'POST', '/trunks', {'trunk': {
        'name': 'trunk1', 'port_id': parent,
        'sub_ports': [_sub(subs['sub1'], 101)]}})['trunk']
    return {'tenant': tenant, 'trunk': trunk['id'], 'parent': parent,
            'subs': subs}


def test_trunk_is_copied_into_the_parents_pod(cloud, topo):
    wait_in_step(cloud, topo['trunk'])
    here = copy_in(cloud, 'Pod1', topo['trunk'])
    assert here['port_id'] == topo['parent']
    assert here['sub_ports'] == [_sub(topo['subs']['sub1'], 101)]
    assert copy_in(cloud, 'Pod2', topo['trunk']) is None
    # The subport's port and network came with it.
    assert lc.find(cloud.pods['Pod1'], 'port', topo['subs']['sub1'])
    routed = cloud.routings(top_id=topo['trunk'], resource_type='trunk')
    assert [r['pod_id'] for r in routed] == [cloud.pod_ids['Pod1']]


def test_changes_on_central_follow(cloud, topo):
    tenant, trunk_id, subs = topo['tenant'], topo['trunk'], topo['subs']
    path = '/trunks/%s' % trunk_id
    _ok(tenant, 'PUT', path + '/add_subports', {'sub_ports': [
        _sub(subs['sub2'], 102), _sub(subs['sub3'], 103)]})
    _ok(tenant, 'PUT', path + '/remove_subports', {'sub_ports': [
        {'port_id': subs['sub1']}]})
    _ok(tenant, 'PUT', path, {'trunk': {'name': 'trunk1-renamed',
                                        'description': 'central wins'}})
    wait_in_step(cloud, trunk_id)
    # Disabled on central: the copy too (and no subport changes there).
    _ok(tenant, 'PUT', path, {'trunk': {'admin_state_up': False}})
    wait_in_step(cloud, trunk_id)
    _ok(tenant, 'PUT', path, {'trunk': {'admin_state_up': True}})
    wait_in_step(cloud, trunk_id)
    assert sorted(s['segmentation_id'] for s in copy_in(
        cloud, 'Pod1', trunk_id)['sub_ports']) == [102, 103]


def test_bad_input_is_refused_on_central(cloud, topo):
    tenant, trunk_id, subs = topo['tenant'], topo['trunk'], topo['subs']
    path = '/trunks/%s/add_subports' % trunk_id
    before = copy_in(cloud, 'Pod1', trunk_id)['sub_ports']
    spare = _port(tenant, lc.get(cloud.central, 'port', subs['sub2'])[
        'network_id'], 'spare')
    cases = [
        # A VLAN id twice on one trunk: Neutron's 409.
        ([_sub(spare, 102)], 409, 'DuplicateSubPort'),
        # An unknown segmentation type: Neutron's 400.
        ([{'port_id': spare, 'segmentation_type': 'gre',
           'segmentation_id': 7}], 400, None),
        # A subport whose network cannot reach the parent's pod.
        ([_sub(subs['far'], 104)], 400, 'NetworkNotInPod'),
    ]
    for body, status, kind in cases:
        code, answer = lc.request(tenant, 'PUT', path, {'sub_ports': body})
        assert code == status, (body, answer)
        if kind:
            assert answer['NeutronError']['type'] == kind
    # A tenant cannot write the status, nor change the copy in the pod.
    code, _answer = lc.request(tenant, 'PUT', '/trunks/%s' % trunk_id,
                               {'trunk': {'status': 'ACTIVE'}})
    assert code == 403
    code, answer = lc.request(cloud.tenant(PROJECT, 'Pod1'), 'PUT',
                              '/trunks/%s' % trunk_id,
                              {'trunk': {'name': 'local'}})
    assert (code, answer['NeutronError']['type']) == (400,
                                                      'ManagedByCentral')
    top = _ok(cloud.central, 'GET', '/trunks/%s' % trunk_id)['trunk']
    assert spare not in {s['port_id'] for s in top['sub_ports']}
    time.sleep(0.5)
    assert copy_in(cloud, 'Pod1', trunk_id)['sub_ports'] == before


def test_a_pod_that_was_down_converges(cloud, topo):
    tenant, trunk_id, subs = topo['tenant'], topo['trunk'], topo['subs']
    with lc.pod_stopped(cloud, 'Pod1'):
        _ok(tenant, 'PUT', '/trunks/%s/add_subports' % trunk_id,
            {'sub_ports': [_sub(subs['sub1'], 111)]})
        failed = lc.wait_job(cloud, 'trunk_sync', trunk_id, 'FAIL')
        assert 'Pod1' in failed['last_error']
    lc.redo(cloud, failed['id'])
    wait_in_step(cloud, trunk_id)


def test_audit_finds_and_fixes_subport_drift(cloud, topo, tricircle_cli):
    trunk_id, subs = topo['trunk'], topo['subs']
    # Behind central's back: an admin in Pod1 removes a subport.
    _ok(cloud.pods['Pod1'], 'PUT', '/trunks/%s/remove_subports' % trunk_id,
        {'sub_ports': [{'port_id': subs['sub2']}]})
    found = tricircle_cli('audit', '--dir', cloud.state['dir'],
                          '--project', PROJECT)
    assert found.returncode == 1, found.stdout
    assert any(subs['sub2'] in line and 'not in the pod' in line
               for line in found.stdout.splitlines()), found.stdout
    fixed = tricircle_cli('audit', '--dir', cloud.state['dir'],
                          '--project', PROJECT, '--fix')
    assert fixed.returncode == 0, fixed.stdout
    wait_in_step(cloud, trunk_id)
    assert tricircle_cli('audit', '--dir', cloud.state['dir'], '--project',
                         PROJECT).returncode == 0


def test_delete_reaches_the_pod(cloud, topo):
    tenant, trunk_id = topo['tenant'], topo['trunk']
    _ok(tenant, 'DELETE', '/trunks/%s' % trunk_id)
    # The job deletes the copy, then drops its routing.
    deadline = time.time() + lc.TIMEOUT
    while copy_in(cloud, 'Pod1', trunk_id) is not None or cloud.routings(
            top_id=trunk_id):
        assert time.time() < deadline, 'trunk or its routing still there'
        time.sleep(0.2)
    # The ports stay: they are ports of their own.
    assert lc.find(cloud.pods['Pod1'], 'port', topo['parent'])
