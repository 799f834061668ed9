"""Converge the pods' copies of one central security group
(the ``seg_rule_setup`` job).

The job reads the group as central has it now and makes every pod holding
a copy match it, so a rerun, or a run after a crash half-way, ends in the
same state:

- the copy's rules are central's rules, under central's rule ids; a rule a
  pod lacks is copied by the pod itself (a rule created with the central
  rule's id as description: Neutron's API takes no id, the local plugin
  copies it from central, id included; tricircle.network.local.sg);
- a rule whose remote group has members the pod cannot resolve (ports in
  other pods, or only on central) also stands for each of them as an IP
  rule (``remote_ip_prefix`` <ip>/32 or /128, described
  ``tricircle:<central rule id>``), since a pod matches a remote group only
  against its own ports;
- any other rule of the copy goes (a copy is never edited in a pod);
- a group deleted on central is deleted from the pods.

Pods holding a copy: those with a routing of the group, and those holding a
port that uses it.
"""

import ipaddress

import openstack.exceptions as os_exc
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api
from tricircle.network import regions

LOG = logging.getLogger(__name__)

EXPANDED_PREFIX = 'tricircle:'
_MEMBER_FIELDS = ('id', 'fixed_ips')


def _rule_dict(rule):
    return rule if isinstance(rule, dict) else rule.to_dict()


def _match(rule, prefix):
    """What Neutron compares to call two rules duplicates."""
    return (rule['direction'], rule['ethertype'], rule.get('protocol'),
            rule.get('port_range_min'), rule.get('port_range_max'), prefix)


def _members(central, remote_ids):
    """``{group id: [(port id, ip)]}``: every central port using a group,
    once per fixed IP. Only the two fields are asked for: a busy group's
    job runs after every port create, and central checks the policy of
    each field of each port it lists."""
    members = {}
    for sg_id in remote_ids:
        members[sg_id] = [(port.id, ip['ip_address'])
                          for port in central.ports(
                              security_groups=sg_id, fields=_MEMBER_FIELDS)
                          for ip in port.fixed_ips]
    return members


def _prefix(ip, ethertype):
    address = ipaddress.ip_address(ip)
    if 'IPv%d' % address.version != ethertype:
        return None
    return '%s/%d' % (address, address.max_prefixlen)


def _expanded(rules, members, local_members):
    """``{match: rule}`` of the IP rules one pod needs: a remote group's
    members that this pod does not hold as members itself."""
    wanted = {}
    for rule in sorted(rules, key=lambda r: r['id']):
        remote = rule.get('remote_group_id')
        if not remote:
            continue
        for port_id, ip in members.get(remote, ()):
            prefix = _prefix(ip, rule['ethertype'])
            if prefix is None or port_id in local_members.get(remote, ()):
                continue
            # Two remote-group rules may expand to the same match; Neutron
            # keeps one rule per match, so does this.
            wanted.setdefault(_match(rule, prefix), rule)
    return wanted


def _local_members(conn, pod, remote_ids):
    """The groups' members this pod resolves itself: its ports using them,
    and the ports routed to it, which central records before the pod
    stores its copy (a job running in between must not give the pod an
    IP rule for its own port)."""
    routed = {r['top_id'] for r in db_api.list_routings(None, {
        'pod_id': pod['pod_id'], 'resource_type': constants.RT_PORT})}
    return {sg_id: routed | {p.id for p in conn.ports(
        security_groups=sg_id, fields=('id',))} for sg_id in remote_ids}


def _converge(pod, top, members):
    """Make one pod's copy of ``top`` match it."""
    conn = regions.pod(pod)
    sg_id = top.id
    try:
        copy = conn.get_security_group(sg_id)
    except os_exc.NotFoundException:
        # No copy, so no port of this pod uses it; the next port pulls it.
        _forget(pod, sg_id)
        return
    wanted_names = (top.name, top.description or '')
    if (copy.name, copy.description or '') != wanted_names:
        conn.update_security_group(sg_id, name=top.name,
                                   description=top.description or '')
    rules = [_rule_dict(r) for r in top.security_group_rules
             if not r.get('remote_address_group_id')]
    wanted = {r['id']: r for r in rules}
    expanded = _expanded(rules, members, _local_members(conn, pod, members))
    for rule in [_rule_dict(r) for r in copy.security_group_rules]:
        if rule['id'] in wanted:
            wanted.pop(rule['id'])
            continue
        match = _match(rule, rule.get('remote_ip_prefix'))
        if (not rule.get('remote_group_id') and match in expanded and
                (rule.get('description') or '').startswith(EXPANDED_PREFIX)):
            expanded.pop(match)
            continue
        try:
            conn.delete_security_group_rule(rule['id'])
        except os_exc.NotFoundException:
            pass
        LOG.info('Removed rule %s (%s) from security group %s in pod %s: '
                 'central\'s group has no such rule', rule['id'],
                 rule.get('description') or 'no description', sg_id,
                 pod['region_name'])
    for rule in wanted.values():
        # The pod copies the rule from central, central's id included. The
        # project is the rule's, so the pod's quota check charges the
        # project owning the copy, not XJob's own.
        conn.create_security_group_rule(
            security_group_id=sg_id, direction=rule['direction'],
            ether_type=rule['ethertype'], description=rule['id'],
            project_id=rule.get('project_id') or top.project_id)
        LOG.info('Copied rule %s of security group %s to pod %s',
                 rule['id'], sg_id, pod['region_name'])
    # A central rule of the group may match a member's traffic already.
    present = {_match(r, r.get('remote_ip_prefix')) for r in rules
               if not r.get('remote_group_id')}
    _add_ip_rules(conn, pod, top, [(match, rule) for match, rule in
                                   expanded.items() if match not in present])
    _record(pod, sg_id, top.project_id)


def _add_ip_rules(conn, pod, top, expanded):
    """The IP rules standing for remote members, in one bulk request
    rather than one request each (a busy group gains dozens per job). A
    refused bulk (409: some rule matches one already there, and the pod
    undid the rest) goes again one by one."""
    bodies = [dict(security_group_id=top.id, direction=direction,
                   ether_type=ethertype, protocol=protocol,
                   port_range_min=low, port_range_max=high,
                   remote_ip_prefix=prefix, project_id=top.project_id,
                   description=EXPANDED_PREFIX + rule['id'])
              for (direction, ethertype, protocol, low, high, prefix), rule
              in expanded]
    if len(bodies) > 1:
        try:
            list(conn.create_security_group_rules(bodies))
        except os_exc.ConflictException as e:
            LOG.debug('Bulk of %d IP rules refused in pod %s (%s); adding '
                      'them one by one', len(bodies), pod['region_name'], e)
        else:
            LOG.info('Security group %s in pod %s: %d rules stand for '
                     'remote members %s', top.id, pod['region_name'],
                     len(bodies), ', '.join(b['remote_ip_prefix']
                                            for b in bodies))
            return
    for body in bodies:
        try:
            conn.create_security_group_rule(**body)
        except os_exc.ConflictException as e:
            # A central rule of the group matches the same traffic already.
            LOG.debug('IP rule %s of %s not needed in pod %s: %s',
                      body['remote_ip_prefix'], body['description'],
                      pod['region_name'], e)
            continue
        LOG.info('Security group %s in pod %s: rule %s stands for remote '
                 'member %s', top.id, pod['region_name'],
                 body['description'][len(EXPANDED_PREFIX):],
                 body['remote_ip_prefix'])


def _remove(pod, sg_id):
    """The group is gone from central: its copy goes too, unless ports of
    the pod's own still use it."""
    conn = regions.pod(pod)
    try:
        conn.delete_security_group(sg_id)
        LOG.info('Removed security group %s from pod %s', sg_id,
                 pod['region_name'])
    except os_exc.NotFoundException:
        pass
    except os_exc.ConflictException as e:
        LOG.warning('Security group %s, deleted on central, is still used '
                    'in pod %s; kept there: %s', sg_id, pod['region_name'], e)
        return
    _forget(pod, sg_id)


def _record(pod, sg_id, project_id):
    if db_api.list_routings(None, {
            'top_id': sg_id, 'pod_id': pod['pod_id'],
            'resource_type': constants.RT_SG}):
        return
    try:
        db_api.create_routing(None, {
            'top_id': sg_id, 'bottom_id': sg_id, 'pod_id': pod['pod_id'],
            'project_id': project_id, 'resource_type': constants.RT_SG})
    except t_exc.DuplicateRouting:
        pass  # the pod recorded it meanwhile


def _forget(pod, sg_id):
    db_api.delete_routings(None, sg_id, pod['pod_id'], constants.RT_SG)


def _placed(central, sg_id, pods):
    """Pods with a routing of the group or of a port using it."""
    placed = {r['pod_id'] for r in db_api.list_routings(None, {
        'top_id': sg_id, 'resource_type': constants.RT_SG})}
    if central is not None:
        port_ids = {port.id for port in central.ports(
            security_groups=sg_id, fields=('id',))}
        placed |= db_api.pods_holding(None, port_ids, constants.RT_PORT)
    return [pod_id for pod_id in sorted(placed) if pod_id in pods]


def setup(sg_id, project_id=None):
    """Make every pod's copy of central security group ``sg_id`` match."""
    central = regions.central()
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    try:
        top = central.get_security_group(sg_id)
    except os_exc.NotFoundException:
        top = None
    if top is None:
        regions.each_pod(_placed(None, sg_id, pods),
                         lambda pod_id: _remove(pods[pod_id], sg_id))
        return
    remote_ids = sorted({r['remote_group_id']
                         for r in top.security_group_rules
                         if r.get('remote_group_id')})
    members = _members(central, remote_ids)
    regions.each_pod(_placed(central, sg_id, pods),
                     lambda pod_id: _converge(pods[pod_id], top, members))
