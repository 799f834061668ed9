"""The demo's cross-pod L3 (east-west) steps: one router, pieces in pods.

``router1`` is made on central only, with net1's subnet (Pod1) and net2's
(Pod2) as interfaces. That queues ``router_setup`` jobs; XJob then gives
each pod a bottom router with the same UUID, on that pod's subnet gateway,
joins both to the tenant's bridge network (``shared_vlan`` on central: one
VLAN id, one CIDR, in every pod) and sets extra routes to the other pod's
subnet via that pod's bridge IP. Everything shown in the pods is read from
the pods' own Neutrons and checked against central and the other pod.
"""

import time

import netaddr
import openstack.exceptions

from tricircle.common import constants
from tricircle.network.sync import bridge

ROUTER = 'router1'
JOBS_TIMEOUT = 60


def _router_ifaces(net_api, router_id):
    """``{subnet_id: IP}`` of a router's interfaces in one Neutron."""
    return {ip['subnet_id']: ip['ip_address']
            for port in net_api.ports(
                device_id=router_id,
                device_owner=constants.DEVICE_OWNER_ROUTER_INTF)
            for ip in port.fixed_ips}


def wait_jobs(demo, router_id, timeout=JOBS_TIMEOUT):
    """Until the router's newest job succeeded and none is pending; the
    jobs (oldest first), or None after ``timeout`` (a failure recorded).

    A failed job superseded by a newer one of the same router stays FAIL
    with no retry due (``next_attempt_at`` null): the newer one does its
    work.
    """
    deadline = time.monotonic() + timeout
    while True:
        jobs = sorted(demo.admin.get('/v1.0/jobs?resource_id=%s' % router_id)
                      .json()['jobs'], key=lambda j: j['created_at'])
        pending = [j for j in jobs if j['status'] in ('NEW', 'RUNNING') or
                   (j['status'] == 'FAIL' and j['next_attempt_at'])]
        if jobs and not pending and jobs[-1]['status'] == 'SUCCESS':
            return jobs
        if time.monotonic() > deadline:
            demo.failures.append('jobs of router %s not done after %ds: %s'
                                 % (router_id, timeout, ', '.join(
                                     '%s %s %s' % (j['id'], j['status'],
                                                   j['last_error'] or '')
                                     for j in jobs) or 'none'))
            return None
        time.sleep(0.2)


def clean_routers(demo):
    """Remove routers an earlier run left, on central only: XJob then
    removes their bottom routers, bridge ports and bridges from the pods."""
    for router in demo.top.routers():
        if router.description != demo.mark:
            continue
        for port in demo.top.ports(
                device_id=router.id,
                device_owner=constants.DEVICE_OWNER_ROUTER_INTF):
            demo.top.remove_interface_from_router(router, port_id=port.id)
        demo.top.delete_router(router)
        done = wait_jobs(demo, router.id)
        print('\nRemoved router %s (%s) an earlier run left; %s.' % (
            router.name, router.id, 'XJob removed its pieces from the pods'
            if done else 'XJob did not finish removing it from the pods'))


def create_router(demo):
    """On central only: router1 with both subnets as interfaces."""
    router = demo.top.create_router(name=ROUTER, description=demo.mark)
    for _pod, _net, subnet, _vm in demo.nets.values():
        demo.top.add_interface_to_router(router, subnet_id=subnet.id)
    demo.router = router
    ifaces = _router_ifaces(demo.top, router.id)
    print('\nCreated %s %s on central Neutron, interfaces: %s.' % (
        ROUTER, router.id, ', '.join(
            '%s %s' % (subnet.name, ifaces.get(subnet.id))
            for _p, _n, subnet, _vm in demo.nets.values())))


def show_jobs(demo):
    """Wait for XJob to converge the pods; show the router's jobs."""
    started = time.monotonic()
    jobs = wait_jobs(demo, demo.router.id)
    if jobs is None:
        return
    demo.table('XJob done in %.1fs (GET /v1.0/jobs?resource_id=%s):' % (
        time.monotonic() - started, demo.router.id),
        ('JOB_ID', 'TYPE', 'STATUS', 'ATTEMPTS'),
        [(j['id'], j['type'], j['status'], j['attempts']) for j in jobs])


def _central_bridge(demo):
    nets = list(demo.top.networks(name=bridge.name_of(
        demo.router.project_id)))
    subnets = list(demo.top.subnets(network_id=nets[0].id)) if nets else []
    if not subnets:
        demo.failures.append('no bridge network with a subnet on central')
        return None, None
    return nets[0], subnets[0]


def _bottom(demo, region, b_net, b_subnet):
    """What one pod's Neutron holds of router1 and of the bridge."""
    pod_api = demo.conn(region).network
    try:
        router = pod_api.get_router(demo.router.id)
    except openstack.exceptions.NotFoundException:
        router = None
    # Listed, not shown: a GET by id would make the pod pull them.
    return {'router': router,
            'ifaces': _router_ifaces(pod_api, demo.router.id),
            'net': next(iter(pod_api.networks(id=b_net.id)), None),
            'subnet': next(iter(pod_api.subnets(id=b_subnet.id)), None)}


def _fmt_routes(routes):
    return ', '.join('%s via %s' % (r['destination'], r['nexthop'])
                     for r in routes) or '-'


def compare_routers(demo):
    """Each pod's bottom router and bridge, against central and the
    other pod."""
    if demo.router is None:
        return
    b_net, b_subnet = _central_bridge(demo)
    if b_net is None:
        return
    pods = {n[0]['region_name']: n for n in demo.nets.values()}
    bottoms = {r: _bottom(demo, r, b_net, b_subnet) for r in pods}
    bridge_ips = {r: b['ifaces'].get(b_subnet.id)
                  for r, b in bottoms.items()}
    for region, (pod, _net, subnet, _vm) in pods.items():
        b = bottoms[region]
        p_net, p_subnet, router = b['net'], b['subnet'], b['router']
        routes = [{'destination': pods[o][2].cidr,
                   'nexthop': bridge_ips[o]} for o in pods if o != region]
        got = sorted(router.routes or [], key=lambda r: r['destination']) \
            if router else None
        rows = [('router id', demo.router.id, router and router.id,
                 demo.check('%s %s id' % (region, ROUTER), demo.router.id,
                            router and router.id))]
        for sid in [subnet.id, b_subnet.id] + sorted(
                set(b['ifaces']) - {subnet.id, b_subnet.id}):
            ip = b['ifaces'].get(sid)
            if sid == subnet.id:
                rows.append(('%s IP' % subnet.name,
                             '%s (gateway)' % subnet.gateway_ip, ip,
                             demo.check('%s interface on %s' % (
                                 region, subnet.name), subnet.gateway_ip,
                                 ip)))
            elif sid == b_subnet.id:
                inside = ip is not None and netaddr.IPAddress(
                    ip) in netaddr.IPNetwork(b_subnet.cidr)
                rows.append(('bridge IP', 'in %s' % b_subnet.cidr, ip,
                             demo.check('%s bridge IP in %s' % (
                                 region, b_subnet.cidr), True, inside)))
            else:
                rows.append(('interface on %s' % sid, '-', ip,
                             demo.check('%s unexpected interface' % region,
                                        None, sid)))
        for what, top_v, bottom_v, want in [
                ('bridge network id', b_net.id, p_net and p_net.id, None),
                ('bridge type', 'vlan (%s)' % b_net.provider_network_type,
                 p_net and p_net.provider_network_type, 'vlan'),
                ('bridge physnet', b_net.provider_physical_network,
                 p_net and p_net.provider_physical_network, None),
                ('bridge VLAN id', b_net.provider_segmentation_id,
                 p_net and p_net.provider_segmentation_id, None),
                ('bridge CIDR', b_subnet.cidr, p_subnet and p_subnet.cidr,
                 None)]:
            rows.append((what, top_v, bottom_v, demo.check(
                '%s %s' % (region, what),
                top_v if want is None else want, bottom_v)))
        rows.append(('extra routes', _fmt_routes(routes),
                     _fmt_routes(got or []),
                     demo.check('%s %s routes' % (region, ROUTER), routes,
                                got)))
        demo.table('%s in %s (%s), as %s\'s own Neutron has it:' % (
            ROUTER, region, pod['az_name'], region),
            ('', 'EXPECTED (central, other pod)', 'BOTTOM (%s)' % region,
             'CHECK'), rows)
    seen = {(b['net'] and b['net'].provider_segmentation_id,
             b['subnet'] and b['subnet'].cidr) for b in bottoms.values()}
    print('\nBridge %s: VLAN %s, %s in every pod (%s), bridge IPs %s  %s' % (
        b_net.name, b_net.provider_segmentation_id, b_subnet.cidr,
        ', '.join(bottoms), ', '.join('%s %s' % kv for kv in
                                      bridge_ips.items()),
        demo.check('bridge VLAN id and CIDR the same in every pod', 1,
                   len(seen))))
    demo.check('bridge IPs, one per pod', len(bridge_ips),
               len(set(bridge_ips.values()) - {None}))


STEPS = [create_router, show_jobs, compare_routers]
