"""Converge the pods' pieces of one central router (the router_setup job).

The job reads the top router as it is now and makes every pod match it, so
running it twice, or after a crash half-way, ends in the same state:

- a bottom router (same UUID) in each pod holding one of its networks, with
  those subnets' interfaces on the pod's reserved gateway IPs;
- with two or more pods, one port per bottom router on the tenant's bridge
  network, and extra routes ``destination: a subnet living in another pod,
  nexthop: that pod's bridge IP`` next to the tenant's own routes;
- on a subnet whose gateway IP it holds, routes to what another router on
  that subnet (by a port IP) reaches, via that IP (``_sibling_routes``);
- with an external gateway, the gateway pod's bottom router carries it
  and the other pods reach it over a north-south bridge (``north_south``);
  the router's floating IPs are mapped there (``floatingips``);
- nothing in pods the router no longer reaches, and no bridge left that no
  router uses.
"""

import collections
from concurrent import futures

import netaddr
import openstack.exceptions as os_exc
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api
from tricircle.network.sync import bridge
from tricircle.network.sync import floatingips
from tricircle.network.sync import north_south
from tricircle.network import placement
from tricircle.network import regions

LOG = logging.getLogger(__name__)
_pod = regions.pod
_each_pod = regions.each_pod


class Piece(collections.namedtuple('Piece', 'bridge_ip router made')):
    """One pod's bottom router after ``_ensure_pieces``: its IP on the
    tenant's bridge (None without one), the router as last read or
    written (its routes and gateway are those of the start of the run:
    leaving a subnet may have dropped routes since, which only ever
    makes the routes differ from those wanted), and whether this run
    made it (then it has no routes, floating IPs or gateway yet)."""


def _desired(central, router_id, pods):
    """``{pod_id: [top subnet]}`` of the router's interfaces, by pod, and
    ``{subnet_id: (IP, MAC)}`` of those added by port on another IP than
    the subnet's gateway: every pod's piece takes that port's addresses."""
    ports, subnets = _top_interfaces(central, router_id)
    nets = _by_id(central.networks, {s.network_id for s in subnets.values()})
    wanted, by_port = {}, {}
    for port in ports:
        for ip in port.fixed_ips:
            subnet = subnets.get(ip['subnet_id'])
            if subnet is None or subnet.network_id not in nets:
                continue  # its interface went while this was read
            if ip['ip_address'] != subnet.gateway_ip:
                by_port[subnet.id] = (ip['ip_address'], port.mac_address)
            net = nets[subnet.network_id]
            for pod in placement.network_pods(
                    {'id': net.id,
                     'availability_zone_hints': net.availability_zone_hints},
                    pods):
                wanted.setdefault(pod['pod_id'], []).append(subnet)
    return wanted, by_port


def _top_interfaces(central, router_id):
    """A router's interface ports on central, and ``{id: subnet}`` of
    their subnets (one list request each)."""
    ports = list(central.ports(
        device_id=router_id, device_owner=constants.DEVICE_OWNER_ROUTER_INTF))
    return ports, _by_id(central.subnets, {ip['subnet_id'] for port in ports
                                           for ip in port.fixed_ips})


def _by_id(listing, ids):
    """``{id: resource}`` of those ids, in one list request."""
    return {r.id: r for r in listing(id=sorted(ids))} if ids else {}


def _sibling_routes(central, router_id, desired, by_port):
    """``{pod_id: [route]}`` for a router holding a subnet's gateway IP
    (its VMs' default gateway) while another router is on the same subnet
    by a port IP: the subnets that other router reaches, and this one does
    not hold in that pod, go via that port IP. This is how a local router
    R1 carrying north-south sends east-west traffic to a spanning R3
    (the networking guide's "several north-south gateways with east-west
    enabled")."""
    held = {s.network_id for subnets in desired.values() for s in subnets
            if s.id not in by_port}
    on_net = {}
    if held:
        for port in central.ports(
                network_id=sorted(held),
                device_owner=constants.DEVICE_OWNER_ROUTER_INTF):
            if port.device_id != router_id:
                on_net.setdefault(port.network_id, []).append(port)
    routes, reached = {}, {}
    for pod_id, subnets in desired.items():
        here = {s.id for s in subnets}
        for subnet in subnets:
            if subnet.id in by_port:
                continue  # not the gateway here: VMs do not route via it
            for port in on_net.get(subnet.network_id, ()):
                via = next((ip['ip_address'] for ip in port.fixed_ips
                            if ip['subnet_id'] == subnet.id), None)
                if via is None or via == subnet.gateway_ip:
                    continue
                if port.device_id not in reached:
                    reached[port.device_id] = _reach(central, port.device_id)
                for subnet_id, cidr in reached[port.device_id]:
                    if subnet_id not in here:
                        routes.setdefault(pod_id, {}).setdefault(cidr, via)
    return {pod_id: [{'destination': cidr, 'nexthop': via}
                     for cidr, via in found.items()]
            for pod_id, found in routes.items()}


def _reach(central, router_id):
    """``[(subnet_id, cidr)]`` of a router's interfaces."""
    _ports, subnets = _top_interfaces(central, router_id)
    return sorted((s.id, s.cidr) for s in subnets.values())


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


def _ip_on(port, subnet_id):
    return next((ip['ip_address'] for ip in port.fixed_ips
                 if ip['subnet_id'] == subnet_id), None)


def _attach(conn, router_id, subnet, by_port):
    """One interface of a bottom router: on the subnet's gateway IP, or on
    the IP and MAC of the central port it was added with (the local
    plugin lets the pod port take them over from central)."""
    conn.get_subnet(subnet.id)  # materialises it in the pod
    if subnet.id not in by_port:
        conn.add_interface_to_router(router_id, subnet_id=subnet.id)
        return
    ip, mac = by_port[subnet.id]
    port = next((p for p in conn.ports(
        network_id=subnet.network_id, fixed_ips='ip_address=%s' % ip)
        if not p.device_id), None)  # left by a run that stopped half-way
    if port is None:
        port = conn.create_port(
            network_id=subnet.network_id, mac_address=mac,
            device_owner=constants.DEVICE_OWNER_ROUTER_INTF,
            name='router-port-%s' % router_id,
            fixed_ips=[{'subnet_id': subnet.id, 'ip_address': ip}])
    conn.add_interface_to_router(router_id, port_id=port.id)


def _ensure_pieces(pod, top, subnets, bridge_subnet, bridge_id, ns_subnet,
                   by_port=None):
    """Bottom router, its interfaces and its bridge port in one pod; a
    :class:`Piece`.

    ``bridge_id`` is the tenant's bridge subnet, in use or not, so that a
    router that no longer spans pods leaves it; the north-south bridge's
    interface is ``north_south``'s to keep or drop.

    A missing bridge port is made while the router and its tenant
    interfaces are: it needs no router, and being made through central
    (with the bridge's pull into the pod) it is the slowest part of a
    pod joining a router.
    """
    conn = _pod(pod)
    router_id = top.id
    piece = _bottom_router(conn, router_id)
    have = _interfaces(conn, router_id) if piece is not None else {}
    joining = None
    with futures.ThreadPoolExecutor(1) as side:
        if bridge_subnet is not None and bridge_id not in have:
            joining = side.submit(_bridge_port, conn, top, bridge_subnet)
        router = _ensure_router(conn, pod, top, piece, subnets, have,
                                by_port or {})
        _leave(conn, pod, router_id, subnets, have, bridge_subnet, bridge_id,
               ns_subnet)
        port = joining.result() if joining else have.get(bridge_id)
    if bridge_subnet is None:
        return Piece(None, router, piece is None)
    if joining is not None:
        conn.add_interface_to_router(router_id, port_id=port.id)
        LOG.info('Joined router %s in pod %s to bridge %s at %s', router_id,
                 pod['region_name'], bridge_subnet.cidr,
                 port.fixed_ips[0]['ip_address'])
    return Piece(next(ip['ip_address'] for ip in port.fixed_ips
                      if ip['subnet_id'] == bridge_id), router, piece is None)


def _bridge_port(conn, top, bridge_subnet):
    """A bottom router's port on the tenant's bridge, made through central
    like any port of a pod (its create pulls the bridge into the pod); one
    a run that stopped half-way made but never attached is taken again."""
    name = 'bridge-%s' % top.id
    left = next((p for p in conn.ports(network_id=bridge_subnet.network_id,
                                       name=name) if not p.device_id), None)
    if left is not None:
        return left
    return conn.create_port(
        network_id=bridge_subnet.network_id, project_id=top.project_id,
        name=name, device_owner=constants.DEVICE_OWNER_BRIDGE,
        fixed_ips=[{'subnet_id': bridge_subnet.id}])


def _ensure_router(conn, pod, top, piece, subnets, have, by_port):
    """The bottom router, its admin state and its tenant interfaces; the
    router as last read or written (interfaces do not change it)."""
    router_id = top.id
    if piece is None:
        piece = conn.create_router(
            name=router_id, project_id=top.project_id,
            is_admin_state_up=top.is_admin_state_up,
            description='Tricircle: piece of router %s' % router_id)
        LOG.info('Made bottom router %s in pod %s', router_id,
                 pod['region_name'])
    elif piece.is_admin_state_up != top.is_admin_state_up:
        piece = conn.update_router(router_id,
                                   is_admin_state_up=top.is_admin_state_up)
        LOG.info('Router %s in pod %s: admin_state_up %s', router_id,
                 pod['region_name'], top.is_admin_state_up)
    _record(router_id, pod, top.project_id)
    for subnet in subnets:
        want_ip = by_port.get(subnet.id, (subnet.gateway_ip,))[0]
        port = have.get(subnet.id)
        if port is not None and _ip_on(port, subnet.id) != want_ip:
            # Added again on another IP (by port, or by subnet again).
            conn.remove_interface_from_router(router_id, port_id=port.id)
            del have[subnet.id]
        if subnet.id not in have:
            _attach(conn, router_id, subnet, by_port)
            LOG.info('Attached subnet %s to router %s in pod %s at %s',
                     subnet.id, router_id, pod['region_name'], want_ip)
    return piece


def _leave(conn, pod, router_id, subnets, have, bridge_subnet, bridge_id,
           ns_subnet):
    """Detach the subnets the router no longer has in this pod (the
    bridge too, when the router no longer spans pods)."""
    wanted = {s.id for s in subnets}
    ns_id = ns_subnet.id if ns_subnet is not None else None
    leaving = {subnet_id: port for subnet_id, port in have.items()
               if subnet_id not in wanted and subnet_id != ns_id and
               (subnet_id != bridge_id or bridge_subnet is None)}
    if leaving:
        staying = [s.cidr for s in subnets]
        staying += [b.cidr for b in (bridge_subnet, ns_subnet) if b]
        _drop_routes_via_leaving(conn, router_id, staying)
    for subnet_id, port in leaving.items():
        conn.remove_interface_from_router(router_id, port_id=port.id)
        LOG.info('Detached subnet %s from router %s in pod %s', subnet_id,
                 router_id, pod['region_name'])


def _drop_routes_via_leaving(conn, router_id, staying_cidrs):
    """Neutron refuses to detach a subnet that a route's nexthop is on:
    keep only the routes whose nexthop stays reachable."""
    nets = [netaddr.IPNetwork(c) for c in staying_cidrs]
    routes = conn.get_router(router_id).routes or []
    kept = [r for r in routes
            if any(netaddr.IPAddress(r['nexthop']) in n for n in nets)]
    if len(kept) != len(routes):
        conn.update_router(router_id, routes=kept)


def _routes(top, pod_id, desired, via, local_cidrs):
    """The tenant's routes whose nexthop is reachable here, plus one per
    subnet that lives only in another pod, via ``via[that pod]``."""
    local = [netaddr.IPNetwork(c) for c in local_cidrs]
    routes = [r for r in top.routes or []
              if any(netaddr.IPAddress(r['nexthop']) in n for n in local)]
    here = {s.id for s in desired.get(pod_id, [])}
    for other, subnets in desired.items():
        if other == pod_id or other not in via:
            continue
        for subnet in subnets:
            if subnet.id not in here:
                routes.append({'destination': subnet.cidr,
                               'nexthop': via[other]})
    return sorted(routes, key=lambda r: (r['destination'], r['nexthop']))


def _teardown(pod, router_id, project_id, keep_bridge):
    """Remove a router's piece from a pod that it no longer reaches.
    ``keep_bridge``: the router still spans pods, so central keeps the
    tenant's bridge; so does this pod, as it keeps any network it pulled
    until central deletes it, and a piece coming back need not pull the
    bridge again (``_drop_bridges`` removes the copies with central's)."""
    conn = _pod(pod)
    if _bottom_router(conn, router_id) is not None:
        floatingips.remove_all(conn, router_id)
        conn.update_router(router_id, routes=[], external_gateway_info={})
        for port in {p.id: p for p in
                     _interfaces(conn, router_id).values()}.values():
            conn.remove_interface_from_router(router_id, port_id=port.id)
        conn.delete_router(router_id)
        LOG.info('Removed bottom router %s from pod %s', router_id,
                 pod['region_name'])
    if not keep_bridge:
        bridge.remove_unused(conn, project_id)
    bridge.remove_ns(conn, router_id)
    for routing in db_api.list_routings(None, {
            'top_id': router_id, 'pod_id': pod['pod_id'],
            'resource_type': constants.RT_ROUTER}):
        db_api.delete_routing(None, routing['id'])


def _drop_bridges(central, pods, project_id, net, router_pods):
    """The tenant's east-west bridge ``net`` (or None) once this router no
    longer spans pods: the unused copies in the router's pods and in every
    pod that kept one, then central's if no port is on it."""
    if net is None:
        return
    holding = {p['pod_id'] for p in db_api.routed_pods(
        None, net.id, constants.RT_NETWORK)} | set(router_pods)
    for pod_id in sorted(holding):
        if pod_id in pods:
            bridge.remove_unused(_pod(pods[pod_id]), project_id)
    bridge.remove_unused(central, project_id)


def _record(router_id, pod, project_id):
    try:
        db_api.create_routing(None, {
            'top_id': router_id, 'bottom_id': router_id,
            'pod_id': pod['pod_id'], 'project_id': project_id,
            'resource_type': constants.RT_ROUTER})
    except t_exc.DuplicateRouting:
        pass


class Plan:
    """What central says a router must be in the pods (read-only)."""

    def __init__(self, central, router_id, pods):
        self.router_id = router_id
        try:
            self.top = central.get_router(router_id)
        except os_exc.NotFoundException:
            self.top = None
        pod_list = list(pods.values())
        self.desired, self.by_port = (
            _desired(central, router_id, pod_list) if self.top else ({}, {}))
        self.siblings = (_sibling_routes(central, router_id, self.desired,
                                         self.by_port)
                         if self.top else {})
        self.gateway = (north_south.Gateway.of(central, self.top, pod_list)
                        if self.top else None)
        self.router_pods = set(self.desired) | (
            {self.gateway.pod_id} if self.gateway else set())
        self.placed = {r['pod_id'] for r in db_api.list_routings(None, {
            'top_id': router_id, 'resource_type': constants.RT_ROUTER})}

    @property
    def gw_pod(self):
        return self.gateway.pod_id if self.gateway else None

    @property
    def ns_needed(self):
        return bool(self.gateway) and bool(self.router_pods -
                                           {self.gateway.pod_id})

    def routes(self, pod_id, bridge_ips, bridge_cidr, ns_ips, ns_cidr):
        """The routes pod ``pod_id``'s bottom router must carry, given the
        bottom routers' bridge IPs (east-west) and gateway IPs on the
        north-south bridge."""
        local = [s.cidr for s in self.desired.get(pod_id, [])]
        via = {}
        if pod_id in bridge_ips:
            local.append(bridge_cidr)
            via = dict(bridge_ips)
        if self.ns_needed:
            local.append(ns_cidr)
        if pod_id == self.gw_pod:
            local += [s.cidr for s in self.gateway.subnets]
            for other, ip in ns_ips.items():
                via.setdefault(other, ip)
        routes = _routes(self.top, pod_id, self.desired, via, local)
        taken = {r['destination'] for r in routes}
        routes += [r for r in self.siblings.get(pod_id, [])
                   if r['destination'] not in taken]
        return sorted(routes, key=lambda r: (r['destination'], r['nexthop']))


def setup(router_id, project_id=None):
    """Make every pod match central router ``router_id``."""
    central = regions.central()
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    plan = Plan(central, router_id, pods)
    project_id = plan.top.project_id if plan.top else project_id
    spans = len(plan.desired) > 1
    _each_pod([p for p in plan.placed - plan.router_pods if p in pods],
              lambda pod_id: _teardown(pods[pod_id], router_id, project_id,
                                       spans))
    if not plan.router_pods:
        if project_id:
            _drop_bridges(central, pods, project_id,
                          bridge.find(central, project_id)[0], ())
        bridge.remove_ns(central, router_id)
        return
    _converge(central, pods, plan)


def _converge(central, pods, plan):
    top, desired, gateway = plan.top, plan.desired, plan.gateway
    router_pods, ns_needed = plan.router_pods, plan.ns_needed
    router_id, project_id = top.id, top.project_id
    if len(desired) > 1:
        tenant_net, bridge_subnet = bridge.ensure(central, project_id)
        tenant_bridge = bridge_subnet
    else:
        bridge_subnet = None
        tenant_net, tenant_bridge = bridge.find(central, project_id)
    bridge_id = tenant_bridge.id if tenant_bridge else None
    ns_net, ns_subnet = north_south.bridge_for(central, top, gateway,
                                               router_pods)
    fips = floatingips.Plan(central, top, gateway, router_pods)

    # Pods are independent of each other here: work on them at once.
    pieces = _each_pod(router_pods, lambda pod_id: _ensure_pieces(
        pods[pod_id], top, desired.get(pod_id, []),
        bridge_subnet if pod_id in desired else None, bridge_id,
        ns_subnet, plan.by_port))
    bridge_ips = {pod_id: p.bridge_ip for pod_id, p in pieces.items()
                  if p.bridge_ip}

    def set_routes(pod_id, ns_ips, router=None):
        conn = _pod(pods[pod_id])
        routes = plan.routes(
            pod_id, bridge_ips, bridge_subnet.cidr if bridge_subnet else None,
            ns_ips, ns_subnet.cidr if ns_subnet else None)
        router = router or conn.get_router(router_id)
        current = sorted(router.routes or [],
                         key=lambda r: (r['destination'], r['nexthop']))
        if current != routes:
            conn.update_router(router_id, routes=routes)
            LOG.info('Router %s in pod %s routes: %s', router_id,
                     pods[pod_id]['region_name'], routes)

    if gateway is None:
        # Nothing north-south to build: each pod clears what a gateway
        # may have left and sets its routes without waiting for the
        # others. A bottom router made by this run has nothing to clear.
        # Without a north-south bridge on central there is none in any
        # pod (pods drop theirs first), so no bridge-side floating IP
        # either, and the router read at the start of the run still
        # holds the routes to compare.
        def finish(pod_id):
            piece = pieces[pod_id]
            router = piece.router
            if not piece.made:
                conn = _pod(pods[pod_id])
                if ns_net is not None:
                    fips.prune_remote(conn, pod_id)
                north_south.converge(conn, pod_id, top, None, ns_net,
                                     ns_subnet, False, router=router)
                if ns_subnet is not None:
                    router = None
            set_routes(pod_id, {}, router)
        _each_pod(router_pods, finish)
    else:
        _north_south(pods, plan, fips, ns_net, ns_subnet, set_routes)
    if bridge_subnet is None and tenant_net is not None:
        _drop_bridges(central, pods, project_id, tenant_net, router_pods)
    if not ns_needed and ns_net is not None:
        north_south.remove_bridge(
            [_pod(pods[p]) for p in router_pods], central, router_id)


def _north_south(pods, plan, fips, ns_net, ns_subnet, set_routes):
    """A router with a gateway: floating IPs no longer wanted go before
    any gateway changes; the pods' gateways on the north-south bridge
    come before the routes that lead to them."""
    top, gateway, gw_pod = plan.top, plan.gateway, plan.gw_pod
    router_pods = plan.router_pods
    remote_kept = _each_pod(router_pods - {gw_pod}, lambda pod_id: (
        fips.prune_remote(_pod(pods[pod_id]), pod_id)))
    remote = {k: v for kept in remote_kept.values() for k, v in kept.items()}
    gw_kept = (fips.prune_gateway(_pod(pods[gw_pod]), ns_net, remote)
               if gw_pod else {})
    ns_ips = _each_pod(router_pods, lambda pod_id: north_south.converge(
        _pod(pods[pod_id]), pod_id, top, gateway, ns_net, ns_subnet,
        plan.ns_needed))
    ns_ips = {pod_id: ip for pod_id, ip in ns_ips.items() if ip}
    _each_pod(router_pods, lambda pod_id: set_routes(pod_id, ns_ips))
    mapped = _each_pod(router_pods - {gw_pod}, lambda pod_id: (
        fips.ensure_remote(_pod(pods[pod_id]), pod_id, ns_net,
                           remote_kept[pod_id])))
    remote = {k: v for m in mapped.values() for k, v in m.items()}
    fips.copy_status(fips.ensure_gateway(_pod(pods[gw_pod]), ns_net,
                                         remote, gw_kept))
