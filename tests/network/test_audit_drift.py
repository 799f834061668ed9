"""The audit sees every drift of an attribute central owns (issue #12).

Each case changes one attribute in Pod1's own database, behind Neutron's
and Tricircle's back (a pod's API would pass the change through central):
``tricircle audit`` must exit 1 naming the resource and the attribute,
``--fix`` must queue the job that repairs it, and the next audit must be
clean. Pod resources that central no longer has are deleted by the fix.
"""

import os
import sqlite3
import time

import pytest

from tests.network import lifecycle as lc
from tests.network.helpers import wait_jobs

PROJECT = 'proj-audit-drift'


@pytest.fixture(scope='module')
def topo(cloud):
    tenant = cloud.tenant(PROJECT)
    net = tenant.network.create_network(name='drift',
                                        availability_zone_hints=['az1'])
    subnet = tenant.network.create_subnet(
        network_id=net.id, cidr='10.81.0.0/24', ip_version=4,
        dns_nameservers=['192.0.2.1'],
        host_routes=[{'destination': '192.0.2.0/24',
                      'nexthop': '10.81.0.254'}])
    sg = tenant.network.create_security_group(name='drift-sg')
    port = cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=net.id, name='drift-port', security_group_ids=[sg.id],
        allowed_address_pairs=[{'ip_address': '10.81.0.200'}],
        extra_dhcp_opts=[{'opt_name': 'tftp-server',
                          'opt_value': '192.0.2.10'}])
    for kind, resource_id in (('network', net.id), ('subnet', subnet.id),
                              ('port', port.id)):
        lc.set_tags(tenant, kind, resource_id, ['drift'])
        lc.wait_same(cloud, kind, resource_id, ['Pod1'], ['tags'])
    router = tenant.network.create_router(name='drift-router')
    tenant.network.add_interface_to_router(router, subnet_id=subnet.id)
    wait_jobs(cloud, router.id)
    _assert_clean(cloud)
    return {'network': net.id, 'subnet': subnet.id, 'port': port.id,
            'router': router.id, 'sg': sg.id}


def _audit(cloud, tricircle_cli, *extra):
    return tricircle_cli('audit', '--dir', cloud.state['dir'], '--project',
                         PROJECT, *extra)


def _assert_clean(cloud, timeout=60):
    from tests.conftest import run_tricircle
    deadline = time.time() + timeout
    while True:
        result = run_tricircle('audit', '--dir', cloud.state['dir'],
                               '--project', PROJECT)
        if result.returncode == 0:
            return
        if time.time() > deadline:
            pytest.fail('audit not clean:\n%s' % result.stdout)
        time.sleep(0.5)


def _pod1_sql(cloud, statement, *params):
    path = os.path.join(cloud.state['dir'], 'Pod1', 'neutron.sqlite')
    db = sqlite3.connect(path, timeout=30)
    try:
        with db:
            changed = db.execute(statement, params).rowcount
        assert changed >= 1, statement
    finally:
        db.close()


STD = 'UPDATE standardattributes SET %s WHERE id = (SELECT standard_attr_id ' \
      'FROM %s WHERE id = ?)'

# kind, attribute named in the audit, SQL changing it in Pod1.
TAMPER = [
    ('network', 'name', "UPDATE networks SET name = 'tampered' WHERE id = ?"),
    ('network', 'description',
     STD % ("description = 'tampered'", 'networks')),
    ('network', 'admin_state_up',
     'UPDATE networks SET admin_state_up = 0 WHERE id = ?'),
    ('network', 'mtu', 'UPDATE networks SET mtu = 1300 WHERE id = ?'),
    ('network', 'port_security_enabled', 'UPDATE networksecuritybindings '
     'SET port_security_enabled = 0 WHERE network_id = ?'),
    ('network', 'tags', "UPDATE tags SET tag = 'tampered' WHERE "
     'standard_attr_id = (SELECT standard_attr_id FROM networks WHERE '
     'id = ?)'),
    ('subnet', 'name', "UPDATE subnets SET name = 'tampered' WHERE id = ?"),
    ('subnet', 'description',
     STD % ("description = 'tampered'", 'subnets')),
    ('subnet', 'dns_nameservers', "UPDATE dnsnameservers SET address = "
     "'192.0.2.66' WHERE subnet_id = ?"),
    ('subnet', 'host_routes', "UPDATE subnetroutes SET nexthop = "
     "'10.81.0.253' WHERE subnet_id = ?"),
    ('subnet', 'allocation_pools', "UPDATE ipallocationpools SET last_ip = "
     "'10.81.0.100' WHERE subnet_id = ?"),
    ('subnet', 'enable_dhcp', 'UPDATE subnets SET enable_dhcp = 0 WHERE '
     'id = ?'),
    ('subnet', 'tags', "UPDATE tags SET tag = 'tampered' WHERE "
     'standard_attr_id = (SELECT standard_attr_id FROM subnets WHERE '
     'id = ?)'),
    ('port', 'name', "UPDATE ports SET name = 'tampered' WHERE id = ?"),
    ('port', 'description', STD % ("description = 'tampered'", 'ports')),
    ('port', 'admin_state_up', 'UPDATE ports SET admin_state_up = 0 '
     'WHERE id = ?'),
    ('port', 'device_owner', "UPDATE ports SET device_owner = "
     "'compute:tampered' WHERE id = ?"),
    ('port', 'allowed_address_pairs', "UPDATE allowedaddresspairs SET "
     "ip_address = '10.81.0.199' WHERE port_id = ?"),
    ('port', 'security_groups', 'DELETE FROM securitygroupportbindings '
     'WHERE port_id = ?'),
    ('port', 'extra_dhcp_opts', "UPDATE extradhcpopts SET opt_value = "
     "'192.0.2.11' WHERE port_id = ?"),
    ('port', 'port_security_enabled', 'UPDATE portsecuritybindings SET '
     'port_security_enabled = 0 WHERE port_id = ?'),
    ('port', 'tags', "UPDATE tags SET tag = 'tampered' WHERE "
     'standard_attr_id = (SELECT standard_attr_id FROM ports WHERE id = ?)'),
]


KINDS = ('network', 'subnet', 'port')


@pytest.mark.parametrize('kind', KINDS)
def test_tampered_attributes_are_found_and_fixed(cloud, topo, tricircle_cli,
                                                 kind):
    """Every owned attribute of one resource changed at once in Pod1: one
    audit row per attribute, each naming the job that repairs it."""
    resource_id = topo[kind]
    cases = [(attribute, sql) for k, attribute, sql in TAMPER if k == kind]
    for _attribute, sql in cases:
        _pod1_sql(cloud, sql, resource_id)
    found = _audit(cloud, tricircle_cli)
    assert found.returncode == 1, found.stdout
    for attribute, _sql in cases:
        line = next((row for row in found.stdout.splitlines()
                     if resource_id in row and
                     'pod has %s=' % attribute in row), None)
        assert line is not None, (attribute, found.stdout)
        assert 'central has %s=' % attribute in line
        assert '%s_sync %s' % (kind, resource_id) in line
    before = {j['id'] for j in lc.jobs_of(cloud, resource_id)}
    fixed = _audit(cloud, tricircle_cli, '--fix')
    assert fixed.returncode == 0, fixed.stdout
    job = lc.wait_job(cloud, '%s_sync' % kind, resource_id, 'SUCCESS')
    assert job['id'] not in before
    _assert_clean(cloud)


def test_tampered_router_is_found_and_fixed(cloud, topo, tricircle_cli):
    cloud.pods['Pod1'].network.update_router(topo['router'],
                                             is_admin_state_up=False)
    found = _audit(cloud, tricircle_cli)
    assert found.returncode == 1
    assert 'pod has admin_state_up=False, central has admin_state_up=True' \
        in found.stdout
    assert _audit(cloud, tricircle_cli, '--fix').returncode == 0
    _assert_clean(cloud)
    assert cloud.pods['Pod1'].network.get_router(
        topo['router']).is_admin_state_up


def test_pod_copies_central_lost_are_deleted(cloud, topo, tricircle_cli):
    """A port and a subnet in Pod1 whose central twins went while nothing
    recorded them there (their routings lost): the fix deletes them."""
    tenant = cloud.tenant(PROJECT)
    port = cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=topo['network'], name='orphan')
    extra = tenant.network.create_subnet(network_id=topo['network'],
                                         cidr='10.82.0.0/24', ip_version=4)
    cloud.tenant(PROJECT, 'Pod1').network.get_subnet(extra.id)
    for routing in cloud.routings(top_id=port.id) + cloud.routings(
            top_id=extra.id):
        cloud.admin.delete('/v1.0/routings/%d' % routing['id'])
    tenant.network.delete_port(port.id)
    tenant.network.delete_subnet(extra.id)
    found = _audit(cloud, tricircle_cli)
    assert found.returncode == 1
    assert 'pod port without a central twin' in found.stdout
    assert 'central has no such subnet any more' in found.stdout
    assert _audit(cloud, tricircle_cli, '--fix').returncode == 0
    lc.wait_gone(cloud, 'port', port.id, ['Pod1'])
    lc.wait_gone(cloud, 'subnet', extra.id, ['Pod1'])
    _assert_clean(cloud)


def test_audit_job_records_what_it_found(cloud, topo):
    _pod1_sql(cloud, "UPDATE ports SET name = 'tampered-again' WHERE id = ?",
              topo['port'])
    job = cloud.admin.post('/v1.0/jobs', json={'job': {
        'type': 'audit', 'resource_id': PROJECT}}).json()['job']
    done = lc.wait_job(cloud, 'audit', PROJECT, 'SUCCESS')
    assert done['id'] == job['id']
    rows = done['result']['drift']
    assert any(r['resource'] == topo['port'] and 'pod has name=' in
               r['detail'] and r['fix'] == ['port_sync', topo['port']]
               for r in rows), rows
    assert ['port_sync', topo['port']] in done['result']['queued']
    _assert_clean(cloud)
