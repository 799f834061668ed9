"""QoS policies across pods (issue #16): made on central, copied with the
same policy and rule ids into each pod where a network or port uses them,
kept in step through rule changes, rebinding and deletes, converged after
a pod was down, and audited rule by rule.

One VxLAN network spans both pods with policy ``gold`` (bandwidth limit,
DSCP marking, minimum bandwidth); a port made through Pod2 carries its own
policy ``silver``. Policies and rules are an admin's to make (Neutron's
default policy); binding them is the tenant's.
"""

import time

import pytest

from tests.conftest import eventually
from tests.network import lifecycle as lc
from tricircle.network import qos as qos_common

PROJECT = 'proj-qos'
BOTH = ('Pod1', 'Pod2')
GOLD_RULES = [
    ('bandwidth_limit', {'max_kbps': 10000, 'max_burst_kbps': 1000,
                         'direction': 'egress'}),
    ('dscp_marking', {'dscp_mark': 26}),
    ('minimum_bandwidth', {'min_kbps': 1000, 'direction': 'egress'}),
]


def _ok(conn, method, path, body=None, status=(200, 201, 204)):
    code, answer = lc.request(conn, method, path, body)
    assert code in status, (method, path, code, answer)
    return answer


def _policy(cloud, name, rules):
    policy = _ok(cloud.central, 'POST', '/qos/policies', {'policy': {
        'name': name, 'project_id': PROJECT}})['policy']
    for kind, values in rules:
        _ok(cloud.central, 'POST', '/qos/policies/%s/%s_rules' % (
            policy['id'], kind), {'%s_rule' % kind: values})
    return _ok(cloud.central, 'GET', '/qos/policies/%s'
               % policy['id'])['policy']


def held(cloud, region, policy_id):
    """A pod's copy, by listing (a GET by id would pull it)."""
    found = _ok(cloud.pods[region], 'GET', '/qos/policies?id=%s'
                % policy_id)['policies']
    return found[0] if found else None


def drift(cloud, policy_id, regions):
    top = _ok(cloud.central, 'GET', '/qos/policies/%s' % policy_id)['policy']
    wrong = {}
    for region in regions:
        here = held(cloud, region, policy_id)
        diff = qos_common.differences(top, here) if here else 'absent'
        if here is None or not qos_common.in_step(diff):
            wrong[region] = diff
    return wrong


def wait_in_step(cloud, policy_id, regions=BOTH):
    lc.wait_no_drift(lambda: drift(cloud, policy_id, regions),
                     'QoS policy %s' % policy_id)


def wait_not_held(cloud, policy_id, regions=BOTH, timeout=lc.TIMEOUT):
    deadline = time.time() + timeout
    while [r for r in regions if held(cloud, r, policy_id)]:
        if time.time() > deadline:
            pytest.fail('QoS policy %s still in a pod' % policy_id)
        time.sleep(0.2)


@pytest.fixture(scope='module')
def topo(cloud):
    gold = _policy(cloud, 'gold', GOLD_RULES)
    silver = _policy(cloud, 'silver', [
        ('bandwidth_limit', {'max_kbps': 2000, 'direction': 'ingress'})])
    tenant = cloud.tenant(PROJECT)
    net = _ok(tenant, 'POST', '/networks', {'network': {
        'name': 'qos-net', 'qos_policy_id': gold['id'],
        'availability_zone_hints': ['az1', 'az2']}})['network']
    subnet = tenant.network.create_subnet(network_id=net['id'],
                                          cidr='10.73.0.0/24', ip_version=4)
    port1 = _ok(cloud.tenant(PROJECT, 'Pod1'), 'POST', '/ports', {'port': {
        'network_id': net['id'], 'name': 'vm1'}})['port']
    port2 = _ok(cloud.tenant(PROJECT, 'Pod2'), 'POST', '/ports', {'port': {
        'network_id': net['id'], 'name': 'vm2',
        'qos_policy_id': silver['id']}})['port']
    return {'gold': gold, 'silver': silver, 'net': net['id'],
            'subnet': subnet.id, 'port1': port1['id'],
            'port2': port2['id'], 'tenant': tenant}


def test_policies_reach_the_pods_using_them(cloud, topo):
    gold, silver = topo['gold'], topo['silver']
    # Same policy, same rule ids and values, wherever the network lives;
    # silver only where its port lives.
    assert not drift(cloud, gold['id'], BOTH)
    assert not drift(cloud, silver['id'], ['Pod2'])
    assert held(cloud, 'Pod1', silver['id']) is None
    assert sorted(r['type'] for r in held(cloud, 'Pod1', gold['id'])[
        'rules']) == sorted(kind for kind, _v in GOLD_RULES)
    for region in BOTH:
        net = lc.find(cloud.pods[region], 'network', topo['net'])
        assert net['qos_policy_id'] == gold['id']
    port2 = lc.find(cloud.pods['Pod2'], 'port', topo['port2'])
    assert port2['qos_policy_id'] == silver['id']
    assert port2['qos_network_policy_id'] == gold['id']
    routed = sorted(r['pod_id'] for r in cloud.routings(
        top_id=gold['id'], resource_type='qos_policy'))
    assert routed == sorted(cloud.pod_ids[r] for r in BOTH)


def test_rule_and_policy_changes_follow(cloud, topo):
    gold = topo['gold']
    rules = {r['type']: r for r in gold['rules']}
    base = '/qos/policies/%s' % gold['id']
    _ok(cloud.central, 'PUT', '%s/bandwidth_limit_rules/%s' % (
        base, rules['bandwidth_limit']['id']),
        {'bandwidth_limit_rule': {'max_kbps': 20000}})
    _ok(cloud.central, 'DELETE', '%s/dscp_marking_rules/%s' % (
        base, rules['dscp_marking']['id']))
    _ok(cloud.central, 'POST', '%s/bandwidth_limit_rules' % base, {
        'bandwidth_limit_rule': {'max_kbps': 5000,
                                 'direction': 'ingress'}})
    _ok(cloud.central, 'PUT', base, {'policy': {
        'name': 'gold-2', 'description': 'central wins', 'shared': True}})
    wait_in_step(cloud, gold['id'])
    copy = held(cloud, 'Pod2', gold['id'])
    assert copy['name'] == 'gold-2' and copy['shared'] is True
    assert 'dscp_marking' not in {r['type'] for r in copy['rules']}


def test_binding_changes_follow(cloud, topo):
    gold, silver = topo['gold'], topo['silver']
    tenant = topo['tenant']
    # Rebinding the network brings silver to Pod1 as well.
    lc.put(tenant, 'network', topo['net'], {'qos_policy_id': silver['id']})
    lc.wait_same(cloud, 'network', topo['net'], BOTH, ['qos_policy_id'])
    wait_in_step(cloud, silver['id'])
    lc.put(tenant, 'port', topo['port1'], {'qos_policy_id': gold['id']})
    lc.wait_same(cloud, 'port', topo['port1'], ['Pod1'], ['qos_policy_id'])
    # A change asked of a pod goes through central.
    lc.put(cloud.tenant(PROJECT, 'Pod1'), 'port', topo['port1'],
           {'qos_policy_id': None})
    assert lc.get(cloud.central, 'port', topo['port1'])[
        'qos_policy_id'] is None
    lc.put(tenant, 'network', topo['net'], {'qos_policy_id': gold['id']})
    lc.wait_same(cloud, 'network', topo['net'], BOTH, ['qos_policy_id'])


def test_bad_input_is_refused_as_neutron_does(cloud, topo):
    gold = topo['gold']
    base = '/qos/policies/%s' % gold['id']
    before = {r: held(cloud, r, gold['id'])['rules'] for r in BOTH}
    code, body = lc.request(cloud.central, 'POST', base +
                            '/dscp_marking_rules',
                            {'dscp_marking_rule': {'dscp_mark': 7}})
    assert code == 400, body
    code, body = lc.request(cloud.central, 'POST', base +
                            '/bandwidth_limit_rules', {
                                'bandwidth_limit_rule': {
                                    'max_kbps': 1, 'direction': 'ingress'}})
    assert (code, body['NeutronError']['type']) == (409, 'QoSRulesConflict')
    code, body = lc.request(cloud.central, 'DELETE', base)
    assert (code, body['NeutronError']['type']) == (409, 'QosPolicyInUse')
    # Another project's policy cannot be bound, through central or a pod.
    other = _ok(cloud.central, 'POST', '/qos/policies', {'policy': {
        'name': 'other', 'project_id': 'proj-qos-other'}})['policy']
    code, body = lc.request(cloud.tenant(PROJECT, 'Pod1'), 'POST', '/ports',
                            {'port': {'network_id': topo['net'],
                                      'name': 'refused',
                                      'qos_policy_id': other['id']}})
    assert code == 404, body
    for conn in (cloud.central, cloud.pods['Pod1']):
        assert not _ok(conn, 'GET', '/ports?name=refused')['ports']
    # Neutron's policy check may have read (and so copied) the policy into
    # Pod1 as an admin; such a copy follows central like any other.
    _ok(cloud.central, 'DELETE', '/qos/policies/%s' % other['id'])
    wait_not_held(cloud, other['id'])
    assert {r: held(cloud, r, gold['id'])['rules'] for r in BOTH} == before


def test_a_pod_that_was_down_converges(cloud, topo):
    gold = topo['gold']
    bw = next(r for r in held(cloud, 'Pod1', gold['id'])['rules']
              if r['type'] == 'bandwidth_limit' and
              r['direction'] == 'egress')
    with lc.pod_stopped(cloud, 'Pod2'):
        _ok(cloud.central, 'PUT', '/qos/policies/%s/bandwidth_limit_rules/%s'
            % (gold['id'], bw['id']),
            {'bandwidth_limit_rule': {'max_burst_kbps': 4000}})
        failed = lc.wait_job(cloud, 'qos_sync', gold['id'], 'FAIL')
        assert 'Pod2' in failed['last_error']
        wait_in_step(cloud, gold['id'], ['Pod1'])
    lc.redo(cloud, failed['id'])
    wait_in_step(cloud, gold['id'])


def test_audit_finds_and_fixes_rule_drift(cloud, topo, tricircle_cli):
    gold = topo['gold']
    rules = {(r['type'], r.get('direction')): r
             for r in held(cloud, 'Pod1', gold['id'])['rules']}
    gone = rules['minimum_bandwidth', 'egress']
    changed = rules['bandwidth_limit', 'egress']
    # Behind central's back: an admin in a pod changes the copy.
    _ok(cloud.pods['Pod2'], 'DELETE', qos_common.rule_path(gold['id'], gone))
    _ok(cloud.pods['Pod1'], 'PUT', qos_common.rule_path(gold['id'], changed),
        {'bandwidth_limit_rule': {'max_kbps': 30001}})
    found = lc.audit(cloud, tricircle_cli, PROJECT)
    assert found.returncode == 1, found.stdout
    lines = found.stdout.splitlines()
    assert any(gone['id'] in line and 'not in the pod' in line and
               'Pod2' in line for line in lines), found.stdout
    assert any(changed['id'] in line and 'pod has' in line and
               'Pod1' in line for line in lines), found.stdout
    fixed = lc.audit(cloud, tricircle_cli, PROJECT, '--fix')
    assert fixed.returncode == 0, fixed.stdout
    wait_in_step(cloud, gold['id'])
    lc.wait_audit_clean(cloud, tricircle_cli, PROJECT)


def test_deletes_reach_the_pods(cloud, topo):
    gold, silver = topo['gold'], topo['silver']
    tenant = topo['tenant']
    lc.put(tenant, 'network', topo['net'], {'qos_policy_id': None})
    lc.put(tenant, 'port', topo['port2'], {'qos_policy_id': None})
    for policy in (gold, silver):
        _ok(cloud.central, 'DELETE', '/qos/policies/%s' % policy['id'])
    for policy in (gold, silver):
        wait_not_held(cloud, policy['id'])
        # The job deletes the copies, then drops their routings.
        eventually(lambda: not cloud.routings(top_id=policy['id']),
                   'routings of QoS policy %s gone' % policy['id'])
    for region in BOTH:
        net = lc.find(cloud.pods[region], 'network', topo['net'])
        assert net['qos_policy_id'] is None
