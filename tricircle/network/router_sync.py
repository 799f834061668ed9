"""Converge the pods' pieces of one central router (the router_setup job).

The job reads the top router as it is now and makes every pod match it, so
running it twice, or after a crash half-way, ends in the same state:

- a bottom router (same UUID) in each pod holding one of its networks, with
  those subnets' interfaces on the pod's reserved gateway IPs;
- with two or more pods, one port per bottom router on the tenant's bridge
  network, and extra routes ``destination: a subnet living in another pod,
  nexthop: that pod's bridge IP`` next to the tenant's own routes;
- nothing in pods the router no longer reaches, and no bridge left that no
  router uses.
"""

from concurrent import futures

import netaddr
import openstack.exceptions as os_exc
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import client
from tricircle.common import constants
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api
from tricircle.network import bridge
from tricircle.network import placement

LOG = logging.getLogger(__name__)


def _central():
    return client.get_connection(cfg.CONF.client.central_region_name).network


def _pod(pod):
    return client.get_connection(pod['region_name']).network


def _desired(central, router_id, pods):
    """``{pod_id: [top subnet]}`` of the router's interfaces, by pod."""
    wanted = {}
    for port in central.ports(device_id=router_id,
                              device_owner=constants.DEVICE_OWNER_ROUTER_INTF):
        for ip in port.fixed_ips:
            subnet = central.get_subnet(ip['subnet_id'])
            net = central.get_network(subnet.network_id)
            for pod in placement.network_pods(
                    {'id': net.id,
                     'availability_zone_hints': net.availability_zone_hints},
                    pods):
                wanted.setdefault(pod['pod_id'], []).append(subnet)
    return wanted


def _bottom_router(conn, router_id):
    try:
        return conn.get_router(router_id)
    except os_exc.NotFoundException:
        return None


def _interfaces(conn, router_id):
    """``{subnet_id: port}`` of a bottom router's interfaces."""
    found = {}
    for port in conn.ports(device_id=router_id,
                           device_owner=constants.DEVICE_OWNER_ROUTER_INTF):
        for ip in port.fixed_ips:
            found[ip['subnet_id']] = port
    return found


def _ensure_pieces(pod, top, subnets, bridge_subnet, bridge_id):
    """Bottom router, its interfaces and its bridge port in one pod;
    returns the router's bridge IP (None without a bridge).

    ``bridge_id`` is the tenant's bridge subnet, in use or not, so that a
    router that no longer spans pods leaves it.
    """
    conn = _pod(pod)
    router_id = top.id
    if _bottom_router(conn, router_id) is None:
        conn.create_router(name=router_id, project_id=top.project_id,
                           description='Tricircle: piece of router %s'
                           % router_id)
        LOG.info('Made bottom router %s in pod %s', router_id,
                 pod['region_name'])
    _record(router_id, pod, top.project_id)
    have = _interfaces(conn, router_id)
    wanted = {s.id for s in subnets}
    for subnet in subnets:
        if subnet.id not in have:
            conn.get_subnet(subnet.id)  # materialises it in the pod
            conn.add_interface_to_router(router_id, subnet_id=subnet.id)
            LOG.info('Attached subnet %s to router %s in pod %s', subnet.id,
                     router_id, pod['region_name'])
    leaving = {subnet_id: port for subnet_id, port in have.items()
               if subnet_id not in wanted and (subnet_id != bridge_id or
                                               bridge_subnet is None)}
    if leaving:
        staying = [s.cidr for s in subnets]
        if bridge_subnet is not None:
            staying.append(bridge_subnet.cidr)
        _drop_routes_via_leaving(conn, router_id, staying)
    for subnet_id, port in leaving.items():
        conn.remove_interface_from_router(router_id, port_id=port.id)
        LOG.info('Detached subnet %s from router %s in pod %s', subnet_id,
                 router_id, pod['region_name'])
    if bridge_subnet is None:
        return None
    port = have.get(bridge_id)
    if port is None:
        conn.get_network(bridge_subnet.network_id)  # materialise the bridge
        port = conn.create_port(
            network_id=bridge_subnet.network_id, project_id=top.project_id,
            name='bridge-%s' % router_id,
            device_owner=constants.DEVICE_OWNER_BRIDGE,
            fixed_ips=[{'subnet_id': bridge_id}])
        conn.add_interface_to_router(router_id, port_id=port.id)
        LOG.info('Joined router %s in pod %s to bridge %s at %s', router_id,
                 pod['region_name'], bridge_subnet.cidr,
                 port.fixed_ips[0]['ip_address'])
    return next(ip['ip_address'] for ip in port.fixed_ips
                if ip['subnet_id'] == bridge_id)


def _drop_routes_via_leaving(conn, router_id, staying_cidrs):
    """Neutron refuses to detach a subnet that a route's nexthop is on:
    keep only the routes whose nexthop stays reachable."""
    nets = [netaddr.IPNetwork(c) for c in staying_cidrs]
    routes = conn.get_router(router_id).routes or []
    kept = [r for r in routes
            if any(netaddr.IPAddress(r['nexthop']) in n for n in nets)]
    if len(kept) != len(routes):
        conn.update_router(router_id, routes=kept)


def _routes(top, pod_id, desired, bridge_ips, bridge_cidr):
    """The tenant's routes that make sense here, plus one per subnet that
    lives only in another pod, via that pod's bridge IP."""
    local = [netaddr.IPNetwork(s.cidr) for s in desired[pod_id]]
    if bridge_cidr:
        local.append(netaddr.IPNetwork(bridge_cidr))
    routes = [r for r in top.routes or []
              if any(netaddr.IPAddress(r['nexthop']) in n for n in local)]
    here = {s.id for s in desired[pod_id]}
    for other, subnets in desired.items():
        if other == pod_id or other not in bridge_ips:
            continue
        for subnet in subnets:
            if subnet.id not in here:
                routes.append({'destination': subnet.cidr,
                               'nexthop': bridge_ips[other]})
    return sorted(routes, key=lambda r: (r['destination'], r['nexthop']))


def _teardown(pod, router_id, project_id):
    """Remove a router's piece from a pod that it no longer reaches."""
    conn = _pod(pod)
    if _bottom_router(conn, router_id) is not None:
        conn.update_router(router_id, routes=[])
        for port in {p.id: p for p in
                     _interfaces(conn, router_id).values()}.values():
            conn.remove_interface_from_router(router_id, port_id=port.id)
        conn.delete_router(router_id)
        LOG.info('Removed bottom router %s from pod %s', router_id,
                 pod['region_name'])
    bridge.remove_unused(conn, project_id)
    for routing in db_api.list_routings(None, {
            'top_id': router_id, 'pod_id': pod['pod_id'],
            'resource_type': constants.RT_ROUTER}):
        db_api.delete_routing(None, routing['id'])


def _record(router_id, pod, project_id):
    try:
        db_api.create_routing(None, {
            'top_id': router_id, 'bottom_id': router_id,
            'pod_id': pod['pod_id'], 'project_id': project_id,
            'resource_type': constants.RT_ROUTER})
    except t_exc.DuplicateRouting:
        pass


def _each_pod(pod_ids, work):
    """``{pod_id: work(pod_id)}``, the pods handled concurrently; the
    first failure is raised once all have finished."""
    pod_ids = list(pod_ids)
    with futures.ThreadPoolExecutor(max(1, len(pod_ids))) as pool:
        running = {pod_id: pool.submit(work, pod_id) for pod_id in pod_ids}
    return {pod_id: f.result() for pod_id, f in running.items()}


def setup(router_id, project_id=None):
    """Make every pod match central router ``router_id``."""
    central = _central()
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    try:
        top = central.get_router(router_id)
    except os_exc.NotFoundException:
        top = None
    desired = _desired(central, router_id, list(pods.values())) if top else {}
    project_id = top.project_id if top else project_id
    placed = {r['pod_id'] for r in db_api.list_routings(None, {
        'top_id': router_id, 'resource_type': constants.RT_ROUTER})}
    _each_pod([p for p in placed - set(desired) if p in pods],
              lambda pod_id: _teardown(pods[pod_id], router_id, project_id))
    if not desired:
        if project_id:
            bridge.remove_unused(central, project_id)
        return

    if len(desired) > 1:
        _net, bridge_subnet = bridge.ensure(central, project_id)
        tenant_bridge = bridge_subnet
    else:
        bridge_subnet = None
        _net, tenant_bridge = bridge.find(central, project_id)
    bridge_id = tenant_bridge.id if tenant_bridge else None
    # Pods are independent of each other here: work on them at once.
    ips = _each_pod(desired, lambda pod_id: _ensure_pieces(
        pods[pod_id], top, desired[pod_id], bridge_subnet, bridge_id))
    bridge_ips = {pod_id: ip for pod_id, ip in ips.items() if ip}
    bridge_cidr = bridge_subnet.cidr if bridge_subnet else None

    def set_routes(pod_id):
        conn = _pod(pods[pod_id])
        routes = _routes(top, pod_id, desired, bridge_ips, bridge_cidr)
        current = sorted(conn.get_router(router_id).routes or [],
                         key=lambda r: (r['destination'], r['nexthop']))
        if current != routes:
            conn.update_router(router_id, routes=routes)
            LOG.info('Router %s in pod %s routes: %s', router_id,
                     pods[pod_id]['region_name'], routes)
    _each_pod(desired, set_routes)
    if bridge_subnet is None:
        for pod_id in desired:
            bridge.remove_unused(_pod(pods[pod_id]), project_id)
        bridge.remove_unused(central, project_id)
