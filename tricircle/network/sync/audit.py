"""Drift between what central says and what each pod's Neutron has.

Read-only by default: every router is planned exactly as router_setup
would plan it (``router_sync.Plan``) and every network, subnet, port and
VxLAN shadow port is compared with the routings, attribute by attribute
for what central owns (tricircle.network.attributes); what differs comes
back as ``Drift`` rows, and so does every pod's copy of a QoS policy, rule
by rule, of a trunk, subport by subport, and of a port chain, piece by
piece (audit_services). ``fix`` turns rows into the jobs that converge
them (router_setup, shadow_port_setup, seg_rule_setup, network_sync,
subnet_sync, port_sync, qos_sync, trunk_sync, sfc_sync) and re-pulls
networks, subnets, QoS policies and trunks a pod lost (a GET in the pod
materialises them again). A pod
resource on a central network with no central twin is *adopted* (a
routing is recorded for it) so that its sync job deletes it. A drift no
job can decide, such as a central port whose pod twin is gone, is
reported with no fix: the operator chooses.
"""

import collections

import netaddr
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api
from tricircle.db import jobs
from tricircle.network import attributes
from tricircle.network.sync import audit_services
from tricircle.network.sync import bridge
from tricircle.network.sync import floatingips
from tricircle.network import regions
from tricircle.network.sync import router as router_sync
from tricircle.network import segments
from tricircle.network.sync import security_groups as sg_sync
from tricircle.network.sync import shadow_ports
from tricircle.xjob import rpc

LOG = logging.getLogger(__name__)

MISSING = audit_services.MISSING
EXTRA = audit_services.EXTRA
DIFFERENT = audit_services.DIFFERENT
PULL = audit_services.PULL
ADOPT = 'adopt'
_get, _find, _show = (audit_services.get, audit_services.find,
                      audit_services.show)

# ``fix``: (job type, resource id) to queue, (job type, resource id, ADOPT,
# routing type) to record the pod's copy first, (PULL, kind, id) to re-pull
# in the pod, or None.
Drift = collections.namedtuple('Drift',
                               'pod kind resource problem detail fix')

# Ports a pod makes for itself (their IPs are central's, held by another
# central port) or stands in with: no central twin of their own.
_LOCAL_OWNERS = (constants.DEVICE_OWNER_SHADOW,
                 constants.DEVICE_OWNER_ROUTER_GW,
                 constants.DEVICE_OWNER_FLOATINGIP)


class Auditor(audit_services.ServicesAudit):

    def __init__(self, project_id=None):
        self.project_id = project_id
        self.central = regions.central()
        self.all_pods = {p['pod_id']: p for p in db_api.list_pods(None)}
        self.pods = {pid: p for pid, p in self.all_pods.items()
                     if p['az_name']}
        self.conns = {pid: regions.pod(p) for pid, p in self.pods.items()}
        self.rows = []
        # {group id: (its remote groups' members, their holders)}
        self._members = {}

    def _add(self, pod_id, kind, resource, problem, detail, fix=None):
        region = (self.pods[pod_id]['region_name'] if pod_id in self.pods
                  else 'central')
        self.rows.append(Drift(region, kind, resource, problem, detail, fix))

    def _routings(self, resource_type):
        filters = {'resource_type': resource_type}
        if self.project_id:
            filters['project_id'] = self.project_id
        return [r for r in db_api.list_routings(None, filters)
                if r['pod_id'] in self.pods]

    def run(self):
        self._routers()
        self._networks()
        self._ports()
        self._security_groups()
        self._qos_policies()
        self._trunks()
        self._port_chains()
        return self.rows

    # -- routers ---------------------------------------------------------

    def _routers(self):
        filters = {'project_id': self.project_id} if self.project_id else {}
        router_ids = {r.id for r in self.central.routers(**filters)}
        router_ids |= {r['top_id'] for r in
                       self._routings(constants.RT_ROUTER)}
        for router_id in sorted(router_ids):
            self._router(router_id)

    def _router(self, router_id):
        plan = router_sync.Plan(self.central, router_id, self.all_pods)
        fix = (constants.JOB_ROUTER_SETUP, router_id)
        for pod_id, conn in self.conns.items():
            if pod_id in plan.router_pods:
                continue
            if _get(conn.get_router, router_id) is not None:
                self._add(pod_id, 'router', router_id, EXTRA,
                          'bottom router in a pod the router left', fix)
        if not plan.router_pods:
            return
        top = plan.top
        _net, ew = bridge.find(self.central, top.project_id)
        ns_net, ns = bridge.find_ns(self.central, router_id, top.project_id)
        bridge_ips, ns_ips, bottoms = {}, {}, {}
        for pod_id in sorted(plan.router_pods):
            conn = self.conns[pod_id]
            piece = _get(conn.get_router, router_id)
            if piece is None:
                self._add(pod_id, 'router', router_id, MISSING,
                          'no bottom router', fix)
                continue
            bottoms[pod_id] = piece
            if piece.is_admin_state_up != top.is_admin_state_up:
                self._add(pod_id, 'router', router_id, DIFFERENT,
                          'pod has admin_state_up=%s, central has '
                          'admin_state_up=%s' % (piece.is_admin_state_up,
                                                 top.is_admin_state_up), fix)
            ifaces = router_sync._interfaces(conn, router_id)
            wanted = {s.id: s.cidr for s in plan.desired.get(pod_id, [])}
            for subnet in plan.desired.get(pod_id, []):
                want = plan.by_port.get(subnet.id, (subnet.gateway_ip,))[0]
                have_ip = (_ip_on(ifaces[subnet.id], subnet.id)
                           if subnet.id in ifaces else want)
                if have_ip != want:
                    self._add(pod_id, 'interface', router_id, DIFFERENT,
                              'pod has ip_address=%s on %s, central has '
                              'ip_address=%s' % (have_ip, subnet.id, want),
                              fix)
            if len(plan.desired) > 1 and pod_id in plan.desired:
                if ew is None:
                    self._add(pod_id, 'bridge', top.project_id, MISSING,
                              'no east-west bridge on central', fix)
                else:
                    wanted[ew.id] = ew.cidr
                    if ew.id in ifaces:
                        bridge_ips[pod_id] = _ip_on(ifaces[ew.id], ew.id)
            if plan.ns_needed and pod_id == plan.gw_pod and ns is not None:
                wanted[ns.id] = ns.cidr
            for subnet_id, cidr in sorted(wanted.items()):
                if subnet_id not in ifaces:
                    self._add(pod_id, 'interface', router_id, MISSING,
                              'no interface on %s (%s)' % (subnet_id, cidr),
                              fix)
            for subnet_id in sorted(set(ifaces) - set(wanted)):
                self._add(pod_id, 'interface', router_id, EXTRA,
                          'interface on %s' % subnet_id, fix)
            ip = self._gateway(pod_id, piece, plan, ns_net, ns, fix)
            if ip:
                ns_ips[pod_id] = ip
        for pod_id, piece in sorted(bottoms.items()):
            want = plan.routes(pod_id, bridge_ips, ew.cidr if ew else None,
                               ns_ips, ns.cidr if ns else None)
            have = sorted(piece.routes or [],
                          key=lambda r: (r['destination'], r['nexthop']))
            if have != want:
                self._add(pod_id, 'routes', router_id, DIFFERENT,
                          'has %s, should have %s' % (_fmt(have),
                                                      _fmt(want)), fix)
        if plan.gateway is not None and plan.gw_pod in bottoms:
            self._floating_ips(plan, fix)

    def _gateway(self, pod_id, piece, plan, ns_net, ns, fix):
        have = piece.external_gateway_info or {}
        if pod_id == plan.gw_pod:
            gw = plan.gateway
            want_ips = {ip['ip_address'] for ip in gw.fixed_ips}
            have_ips = {ip['ip_address'] for ip in
                        have.get('external_fixed_ips') or ()}
            if (have.get('network_id') != gw.network.id or
                    have_ips != want_ips or
                    have.get('enable_snat') != gw.enable_snat):
                self._add(pod_id, 'gateway', piece.id, DIFFERENT,
                          'gateway %s %s, should be %s %s' % (
                              have.get('network_id'), sorted(have_ips),
                              gw.network.id, sorted(want_ips)), fix)
            return None
        if plan.ns_needed:
            if ns_net is None or have.get('network_id') != ns_net.id:
                self._add(pod_id, 'gateway', piece.id, DIFFERENT,
                          'gateway should be the north-south bridge', fix)
                return None
            return next((ip['ip_address'] for ip in
                         have.get('external_fixed_ips') or ()
                         if ip['subnet_id'] == ns.id), None)
        if have:
            self._add(pod_id, 'gateway', piece.id, EXTRA,
                      'gateway set, the top router has none here', fix)
        return None

    def _floating_ips(self, plan, fix):
        fips = floatingips.Plan(self.central, plan.top, plan.gateway,
                                plan.router_pods)
        conn = self.conns[plan.gw_pod]
        made = floatingips.tagged(conn, plan.router_id)
        for key in sorted(fips.pod_of):
            top = fips.fips[key]
            bottom = made.get(key)
            if bottom is None or bottom.router_id != plan.router_id:
                self._add(plan.gw_pod, 'floatingip', key, MISSING,
                          '%s not mapped in the gateway pod'
                          % top.floating_ip_address, fix)
            elif bottom.floating_ip_address != top.floating_ip_address:
                self._add(plan.gw_pod, 'floatingip', key, DIFFERENT,
                          'bottom address %s, top %s' % (
                              bottom.floating_ip_address,
                              top.floating_ip_address), fix)
        for key, bottom in sorted(made.items()):
            if key not in fips.pod_of and bottom.router_id == plan.router_id:
                self._add(plan.gw_pod, 'floatingip', key, EXTRA,
                          'bottom %s for a floating IP not associated here'
                          % bottom.floating_ip_address, fix)

    # -- networks, subnets, shadow ports ---------------------------------

    def _networks(self):
        for routing in self._routings(constants.RT_NETWORK):
            pod_id, net_id = routing['pod_id'], routing['top_id']
            conn = self.conns[pod_id]
            top = _get(self.central.get_network, net_id)
            here = _find(conn.networks, net_id)
            if top is None:
                if here is not None:
                    self._add(pod_id, 'network', net_id, EXTRA,
                              'central has no such network any more',
                              (constants.JOB_NETWORK_SYNC, net_id))
                continue
            if here is None:
                self._add(pod_id, 'network', net_id, MISSING,
                          'routed here but not in the pod',
                          (PULL, 'network', net_id))
                continue
            want = segments.bottom_provider_attrs(top.to_dict(
                original_names=True))
            have = {k: here.to_dict(original_names=True).get(k)
                    for k in want}
            if have != want:
                self._add(pod_id, 'network', net_id, DIFFERENT,
                          'segment %s, central says %s' % (have, want))
            self._attributes(pod_id, 'network', top, here)
            self._subnets(pod_id, conn, net_id)
            if segments.network_type(top.to_dict(original_names=True)) \
                    == shadow_ports.VXLAN:
                self._shadows(pod_id, conn, net_id)

    def _subnets(self, pod_id, conn, net_id):
        have = {s.id: s for s in conn.subnets(network_id=net_id)}
        tops = {s.id: s for s in self.central.subnets(network_id=net_id)}
        for subnet in tops.values():
            if subnet.id not in have:
                self._add(pod_id, 'subnet', subnet.id, MISSING,
                          '%s not in the pod' % subnet.cidr,
                          (PULL, 'subnet', subnet.id))
            elif have[subnet.id].cidr != subnet.cidr:
                self._add(pod_id, 'subnet', subnet.id, DIFFERENT,
                          'cidr %s, central %s' % (have[subnet.id].cidr,
                                                   subnet.cidr))
            else:
                self._attributes(pod_id, 'subnet', subnet, have[subnet.id])
        for subnet_id in sorted(set(have) - set(tops)):
            self._add(pod_id, 'subnet', subnet_id, EXTRA,
                      '%s: central has no such subnet any more'
                      % have[subnet_id].cidr, (constants.JOB_SUBNET_SYNC,
                                               subnet_id, ADOPT,
                                               constants.RT_SUBNET))

    def _attributes(self, pod_id, kind, top, here):
        """One row per attribute central owns that the pod has otherwise."""
        top = top.to_dict(original_names=True)
        here = here.to_dict(original_names=True)
        for key, (have, want) in sorted(attributes.differences(
                kind, top, here).items()):
            self._add(pod_id, kind, top['id'], DIFFERENT,
                      'pod has %s=%s, central has %s=%s' % (
                          key, _show(have), key, _show(want)),
                      (attributes.SYNC_JOBS[kind], top['id']))

    def _shadows(self, pod_id, conn, net_id):
        fix = (constants.JOB_SHADOW_PORT_SETUP, net_id)
        wanted = {}
        for other, other_conn in self.conns.items():
            if other == pod_id:
                continue
            for port in shadow_ports._bound_ports(other_conn, net_id):
                wanted[port.id] = port
        have = {p.id: p for p in conn.ports(
            network_id=net_id, device_owner=constants.DEVICE_OWNER_SHADOW)}
        for port_id in sorted(set(wanted) - set(have)):
            self._add(pod_id, 'shadow_port', port_id, MISSING,
                      'no shadow of the port on host %s'
                      % wanted[port_id].binding_host_id, fix)
        for port_id in sorted(set(have) - set(wanted)):
            self._add(pod_id, 'shadow_port', port_id, EXTRA,
                      'shadow of a port that is gone or unbound', fix)
        for port_id in sorted(set(have) & set(wanted)):
            if have[port_id].binding_host_id != \
                    wanted[port_id].binding_host_id:
                self._add(pod_id, 'shadow_port', port_id, DIFFERENT,
                          'host %s, the port is on %s' % (
                              have[port_id].binding_host_id,
                              wanted[port_id].binding_host_id), fix)

    # -- ports -----------------------------------------------------------

    def _ports(self):
        by_pod = collections.defaultdict(set)
        for routing in self._routings(constants.RT_PORT):
            by_pod[routing['pod_id']].add(routing['top_id'])
        nets = collections.defaultdict(set)
        for routing in self._routings(constants.RT_NETWORK):
            nets[routing['pod_id']].add(routing['top_id'])
        # Central's ports of every routed network, listed once: one GET per
        # port would make the audit a request per port of the cloud.
        central = {p.id: p for net_id in set().union(*nets.values())
                   for p in self.central.ports(network_id=net_id)}
        for pod_id, conn in sorted(self.conns.items()):
            here = {}
            for net_id in nets[pod_id]:
                for port in conn.ports(network_id=net_id):
                    here[port.id] = port
            for port_id in sorted(by_pod[pod_id]):
                top = central.get(port_id) or _get(self.central.get_port,
                                                   port_id)
                bottom = here.get(port_id)
                if bottom is None:
                    self._add(pod_id, 'port', port_id, MISSING,
                              'central twin %s has no port in the pod' % (
                                  'exists' if top else 'is gone too'))
                elif top is None:
                    self._add(pod_id, 'port', port_id, EXTRA,
                              'no central twin any more',
                              (constants.JOB_PORT_SYNC, port_id))
                elif (_ips(top) != _ips(bottom) or
                      top.mac_address != bottom.mac_address):
                    self._add(pod_id, 'port', port_id, DIFFERENT,
                              'pod %s %s, central %s %s' % (
                                  bottom.mac_address, _ips(bottom),
                                  top.mac_address, _ips(top)))
                else:
                    self._attributes(pod_id, 'port', top, bottom)
            for port_id, port in sorted(here.items()):
                if port_id in by_pod[pod_id] or self._local(conn, port):
                    continue
                if port_id not in central and \
                        _get(self.central.get_port, port_id) is None:
                    self._add(pod_id, 'port', port_id, EXTRA,
                              'pod port without a central twin (%s)'
                              % (port.device_owner or 'no owner'),
                              (constants.JOB_PORT_SYNC, port_id, ADOPT,
                               constants.RT_PORT))

    def _security_groups(self):
        for routing in self._routings(constants.RT_SG):
            self._security_group(routing['pod_id'], routing['top_id'])

    def _security_group(self, pod_id, sg_id):
        """A pod's copy of a central group holds central's rules under their
        ids, and beside them only, per remote-group rule, the rule whose
        address group holds the remote members the pod does not hold."""
        fix = (constants.JOB_SEG_RULE_SETUP, sg_id)
        pair = self._both(pod_id, 'security_group', 'group', sg_id,
                          _get(self.central.get_security_group, sg_id),
                          _get(self.conns[pod_id].get_security_group, sg_id),
                          fix, fix)
        if pair is None:
            return
        top, copy = pair
        want = {r['id'] for r in top['security_group_rules']
                if not r.get('remote_address_group_id')}
        have = {r['id']: r for r in copy['security_group_rules']}
        for rule_id in sorted(want - set(have)):
            self._add(pod_id, 'sg_rule', rule_id, MISSING,
                      'rule of group %s not in the pod' % sg_id, fix)
        if sg_id not in self._members:     # each pod's copy reads them
            members = sg_sync.members(self.central, top)
            self._members[sg_id] = (members, sg_sync.holders(members))
        expanded = sg_sync.wanted_addresses(self.pods[pod_id], top,
                                            *self._members[sg_id])
        standing = {}
        for rule_id, rule in sorted(have.items()):
            if rule_id in want:
                continue
            stands_for = sg_sync.stands_for(rule, expanded)
            if stands_for is not None:
                standing[stands_for] = rule
                continue
            self._add(pod_id, 'sg_rule', rule_id, EXTRA,
                      'rule of group %s that central lacks' % sg_id, fix)
        self._remote_members(pod_id, sg_id, top, expanded, standing, fix)

    def _remote_members(self, pod_id, sg_id, top, expanded, standing, fix):
        groups = sg_sync.address_groups(self.conns[pod_id], sg_id,
                                        top['project_id'])
        for rule_id, (_rule, prefixes) in sorted(expanded.items()):
            found = groups.get(sg_sync.EXPANDED_PREFIX + rule_id, [])
            rule = standing.get(rule_id)
            if not found or rule is None or \
                    rule.get('remote_address_group_id') != found[0].id:
                self._add(pod_id, 'sg_rule', rule_id, MISSING,
                          'no rule of group %s for the remote members of '
                          'rule %s' % (sg_id, rule_id), fix)
                continue
            have = {sg_sync.normal(a) for a in found[0].addresses or ()}
            if have != prefixes:
                self._add(pod_id, 'address_group', found[0].id, DIFFERENT,
                          'remote members of rule %s: %s, central has %s' % (
                              rule_id, ', '.join(sorted(have)) or 'none',
                              ', '.join(sorted(prefixes)) or 'none'), fix)

    def _local(self, conn, port):
        """A port the pod makes without a central twin of its own: a
        bottom router's interface holds the subnet's gateway IP, or the
        IP of the central interface port it stands for."""
        if port.device_owner in _LOCAL_OWNERS:
            return True
        if port.device_owner != constants.DEVICE_OWNER_ROUTER_INTF:
            return False
        for ip in port.fixed_ips:
            subnet = _find(conn.subnets, ip['subnet_id'])
            if subnet is None:
                return False
            if subnet.gateway_ip != ip['ip_address'] and not list(
                    self.central.ports(
                        network_id=port.network_id,
                        device_owner=constants.DEVICE_OWNER_ROUTER_INTF,
                        fixed_ips='ip_address=%s' % ip['ip_address'])):
                return False
        return True


def _ip_on(port, subnet_id):
    return next(ip['ip_address'] for ip in port.fixed_ips
                if ip['subnet_id'] == subnet_id)


def _ips(port):
    return sorted(str(netaddr.IPAddress(ip['ip_address']))
                  for ip in port.fixed_ips)


def _fmt(routes):
    return ', '.join('%s via %s' % (r['destination'], r['nexthop'])
                     for r in routes) or 'none'


def _adopt(pod, resource_id, resource_type):
    """Record a pod's copy that central never had (or lost), so that its
    sync job finds it and, central having none, deletes it."""
    try:
        db_api.create_routing(None, {
            'top_id': resource_id, 'bottom_id': resource_id,
            'pod_id': pod['pod_id'], 'resource_type': resource_type})
    except t_exc.DuplicateRouting:
        pass


def audit(project_id=None):
    """Drift rows for every pod (or one project's resources)."""
    return Auditor(project_id).run()


def fix(rows):
    """Queue the jobs (and re-pulls) that converge ``rows``; return the
    ``(job type, resource id)`` pairs queued."""
    queued = set()
    pods = {p['region_name']: p for p in db_api.list_pods(None)}
    for row in rows:
        if row.fix is None:
            continue
        if row.fix[0] == PULL:
            _kind, what, resource_id = row.fix
            conn = regions.pod(pods[row.pod])
            getattr(conn, 'get_' + what)(resource_id)
            LOG.info('Re-pulled %s %s into pod %s', what, resource_id,
                     row.pod)
            continue
        key = tuple(row.fix[:2])
        if len(row.fix) == 4 and row.fix[2] == ADOPT:
            _adopt(pods[row.pod], row.fix[1], row.fix[3])
        if key in queued:
            continue
        jobs.register_job(None, *key)
        rpc.wake(*key)
        queued.add(key)
        LOG.info('Queued %s for %s (%s %s in %s)', row.fix[0], row.fix[1],
                 row.problem, row.kind, row.pod)
    return sorted(queued)
