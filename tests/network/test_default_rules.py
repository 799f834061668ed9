"""Security groups get Neutron's default rules, as in a migrated Neutron:
a new group its two egress rules, a project's ``default`` group also its
two ingress-from-the-group rules; a pod's copy holds central's rules under
central's ids, not rules of its own templates."""

import time

import openstack.exceptions as os_exc
import pytest

from tests.network.helpers import wait_jobs

TENANT = 'default-rules-tenant'
TIMEOUT = 60
KEYS = ('direction', 'ethertype', 'protocol', 'port_range_min',
        'port_range_max', 'remote_ip_prefix', 'remote_group_id')


def _rules(conn, sg_id):
    return {r['id']: {k: r[k] for k in KEYS}
            for r in conn.network.get_security_group(sg_id)
            .security_group_rules}


def _shape(rules):
    return sorted((r['direction'], r['ethertype'], r['remote_group_id'],
                   r['remote_ip_prefix'], r['protocol']) for r in rules)


def _pod_copy(cloud, region, sg_id, want):
    """The pod's rules of ``sg_id`` once they are ``want``; else fail."""
    deadline = time.time() + TIMEOUT
    rules = None
    while time.time() < deadline:
        try:
            rules = _rules(cloud.pods[region], sg_id)
        except os_exc.NotFoundException:
            rules = None
        if rules == want:
            return rules
        time.sleep(0.5)
    pytest.fail('%s: group %s has %s, central %s' % (region, sg_id, rules,
                                                     want))


def test_new_group_has_egress_rules_everywhere(cloud):
    tenant = cloud.tenant(TENANT)
    group = tenant.network.create_security_group(name='dr-web')
    top = _rules(cloud.central, group.id)
    assert _shape(top.values()) == [
        ('egress', 'IPv4', None, None, None),
        ('egress', 'IPv6', None, None, None)]

    net = tenant.network.create_network(name='dr-net',
                                        availability_zone_hints=['az1'])
    tenant.network.create_subnet(network_id=net.id, ip_version=4,
                                 cidr='10.41.1.0/24')
    port = cloud.tenant(TENANT, 'Pod1').network.create_port(
        network_id=net.id, name='dr-vm', security_group_ids=[group.id])
    try:
        assert _pod_copy(cloud, 'Pod1', group.id, top) == top
        assert cloud.pods['Pod1'].network.get_port(
            port.id).security_group_ids == [group.id]
    finally:
        cloud.pods['Pod1'].network.delete_port(port.id)
        tenant.network.delete_security_group(group.id)
        wait_jobs(cloud, group.id)
    with pytest.raises(os_exc.NotFoundException):
        cloud.pods['Pod1'].network.get_security_group(group.id)


def test_default_group_has_its_four_rules_everywhere(cloud):
    [default] = list(cloud.tenant(TENANT).network.security_groups(
        name='default'))
    top = _rules(cloud.central, default.id)
    assert _shape(top.values()) == [
        ('egress', 'IPv4', None, None, None),
        ('egress', 'IPv6', None, None, None),
        ('ingress', 'IPv4', default.id, None, None),
        ('ingress', 'IPv6', default.id, None, None)]
    # The pod's default group of the project is central's, pulled with
    # central's rules (the pod's own templates' rules replaced).
    assert [g.id for g in cloud.tenant(TENANT, 'Pod1').network
            .security_groups(name='default')] == [default.id]
    assert _pod_copy(cloud, 'Pod1', default.id, top) == top
