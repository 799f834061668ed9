"""Helpers of the L3 tests: wait for XJob, read a router's bottom pieces."""

import time

import openstack.exceptions as os_exc
import pytest

TIMEOUT = 180  # a router job under a loaded CI with agents: 75 s seen


def _pending(jobs):
    """Jobs still to run. A job that failed but was superseded by a newer
    one of the same resource (its retry folded into that one) stays FAIL
    with no retry due."""
    return [j for j in jobs if j['status'] in ('NEW', 'RUNNING') or
            (j['status'] == 'FAIL' and j['next_attempt_at'])]


def wait_jobs(cloud, router_id, timeout=TIMEOUT):
    """Until the router's newest job succeeded and none is pending."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        jobs = cloud.admin.get('/v1.0/jobs?resource_id=%s' % router_id).json()
        jobs = sorted(jobs['jobs'], key=lambda j: j['created_at'])
        if jobs and not _pending(jobs) and jobs[-1]['status'] == 'SUCCESS':
            return jobs
        time.sleep(0.2)
    pytest.fail('jobs of router %s not done: %s' % (router_id, jobs))


def wait_idle(cloud, timeout=TIMEOUT):
    """Until no job of any resource is pending: before an audit, a drift
    that a queued job is about to converge looks like any other."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pending = _pending(cloud.admin.get('/v1.0/jobs').json()['jobs'])
        if not pending:
            return
        time.sleep(0.2)
    pytest.fail('jobs still pending: %s' % pending)


def make_net(cloud, az, cidr):
    net = cloud.central.network.create_network(
        name='l3-' + az, availability_zone_hints=[az])
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr=cidr, ip_version=4)
    return net, subnet


def bottom(cloud, region, router_id):
    """(router, {subnet_id: ip}, bridge network) in one pod, or None."""
    conn = cloud.pods[region].network
    try:
        router = conn.get_router(router_id)
    except os_exc.NotFoundException:
        return None
    ips = {}
    for port in conn.ports(device_id=router_id,
                           device_owner='network:router_interface'):
        for ip in port.fixed_ips:
            ips[ip['subnet_id']] = ip['ip_address']
    return router, ips


def bridge_ip(cloud, region, router_id, bridge_subnet_id):
    return bottom(cloud, region, router_id)[1][bridge_subnet_id]


def central_bridge(cloud, project_id):
    nets = list(cloud.central.network.networks(
        name='tricircle-bridge-' + project_id))
    if not nets:
        return None, None
    subnets = list(cloud.central.network.subnets(network_id=nets[0].id))
    return nets[0], subnets[0]


def make_external(cloud, name, cidr, net_type='vlan', pod='Pod2'):
    """An external network on physnet ``extern`` living in ``pod``, and
    its subnet (no DHCP), made by the admin on central."""
    net = cloud.central.network.create_network(
        name=name, is_router_external=True, provider_network_type=net_type,
        provider_physical_network='extern', availability_zone_hints=[pod])
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr=cidr, ip_version=4, is_dhcp_enabled=False,
        name=name + '-subnet')
    return net, subnet
