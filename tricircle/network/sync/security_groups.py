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
  other pods, or only on central) also stands for them as a second rule:
  the same match, described ``tricircle:<central rule id>``, whose remote
  is an address group of the pod (named the same, described with the
  group's id) holding those members' addresses (<ip>/32 or /128), since a
  pod matches a remote group only against its own ports. A member coming
  or going changes the address group, not the rules: however busy the
  group, the copy holds at most twice as many rules as central's (the
  second rule and its address group go when the last such member goes);
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


def _ports_using(central, sg_id, fields):
    """Central's ports using group ``sg_id``, as plain dicts of
    ``fields``. Read as JSON, not as openstacksdk resources: building a
    resource costs about a millisecond, and a busy group's job reads
    every member after every port create."""
    resp = central.get('/ports', params={'security_groups': sg_id,
                                         'fields': list(fields)},
                       raise_exc=False)
    if resp.status_code != 200:
        os_exc.raise_from_response(resp)
    return resp.json()['ports']


def members(central, top):
    """``{group id: [(port id, ip)]}``: every central port using a remote
    group of ``top``'s rules, once per fixed IP. Only the two fields are
    asked for: central checks the policy of each field of each port it
    lists."""
    found = {}
    for sg_id in _remote_ids(_central_rules(top)):
        found[sg_id] = [(port['id'], ip['ip_address'])
                        for port in _ports_using(central, sg_id,
                                                 _MEMBER_FIELDS)
                        for ip in port['fixed_ips']]
    return found


def _prefix(ip, ethertype):
    address = ipaddress.ip_address(ip)
    if 'IPv%d' % address.version != ethertype:
        return None
    return '%s/%d' % (address, address.max_prefixlen)


def _expanded(rules, members, pod_id, held):
    """``{central rule id: (rule, {prefix})}``: for each remote-group rule
    with any, the addresses of its remote group's members that pod
    ``pod_id`` does not hold itself (of the rule's IP version); ``held``:
    ``{port id: {pod id}}`` of the members."""
    wanted = {}
    for rule in rules:
        remote = rule.get('remote_group_id')
        if not remote:
            continue
        prefixes = set()
        for port_id, ip in members.get(remote, ()):
            prefix = _prefix(ip, rule['ethertype'])
            if prefix is not None and pod_id not in held.get(port_id, ()):
                prefixes.add(prefix)
        if prefixes:    # else the copied rule is all the pod needs
            wanted[rule['id']] = (rule, prefixes)
    return wanted


def normal(prefix):
    return str(ipaddress.ip_network(prefix, strict=False))


def _central_rules(top):
    return [_rule_dict(r) for r in top['security_group_rules']
            if not r.get('remote_address_group_id')]


def _remote_ids(rules):
    return sorted({r['remote_group_id'] for r in rules
                   if r.get('remote_group_id')})


def holders(members):
    """``{port id: {pod id}}``: the pods holding each of ``members``. A
    pod holds the ports routed to it, which central records before the
    pod stores its copy (a job running in between must not give the pod
    its own port's address)."""
    return db_api.holders(None, {port_id for found in members.values()
                                 for port_id, _ip in found},
                          constants.RT_PORT)


def wanted_addresses(pod, top, members, held):
    """What one pod's copy of ``top`` needs beside central's rules (see
    ``_expanded``), ``members`` and ``held`` being ``members(central,
    top)`` and ``holders(members)``; the audit compares a pod with it."""
    return _expanded(_central_rules(top), members, pod['pod_id'], held)


def stands_for(rule, expanded):
    """The central rule id that a pod's ``rule`` stands for beside it (see
    ``_expanded``): its description names one of ``expanded`` and its match
    is that rule's. None for any other rule."""
    description = rule.get('description') or ''
    rule_id = description[len(EXPANDED_PREFIX):]
    if (description.startswith(EXPANDED_PREFIX) and rule_id in expanded and
            _match(rule, None) == _match(expanded[rule_id][0], None)):
        return rule_id
    return None


def address_groups(conn, sg_id, project_id):
    """``{name: [address group]}`` of the pod's address groups standing for
    remote members in group ``sg_id``'s rules."""
    found = {}
    for group in conn.address_groups(project_id=project_id,
                                     description=sg_id):
        if group.name.startswith(EXPANDED_PREFIX):
            found.setdefault(group.name, []).append(group)
    return found


def _converge(pod, top, members, held):
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
    wanted = {r['id']: r for r in _central_rules(top)}
    expanded = wanted_addresses(pod, top, members, held)
    # Address groups first: the rules standing for members name them.
    groups = address_groups(conn, sg_id, top.project_id)
    left = []   # groups of rules central no longer has, and doubles
    group_of = {}
    for rule_id, (_rule, prefixes) in expanded.items():
        found = groups.pop(EXPANDED_PREFIX + rule_id, [])
        left += found[1:]   # a run stopped between two creates
        group_of[rule_id] = _addresses(conn, pod, top, rule_id, prefixes,
                                       found[0] if found else None)
    for same in groups.values():
        left += same
    standing = set()
    for rule in [_rule_dict(r) for r in copy.security_group_rules]:
        if rule['id'] in wanted:
            wanted.pop(rule['id'])
            continue
        rule_id = stands_for(rule, expanded)
        if (rule_id is not None and rule_id not in standing and
                rule.get('remote_address_group_id') == group_of[rule_id].id):
            standing.add(rule_id)
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
    for rule_id, (rule, _prefixes) in sorted(expanded.items()):
        if rule_id not in standing:
            conn.create_security_group_rule(
                security_group_id=sg_id, direction=rule['direction'],
                ether_type=rule['ethertype'], protocol=rule.get('protocol'),
                port_range_min=rule.get('port_range_min'),
                port_range_max=rule.get('port_range_max'),
                remote_address_group_id=group_of[rule_id].id,
                project_id=top.project_id,
                description=EXPANDED_PREFIX + rule_id)
            LOG.info('Security group %s in pod %s: rule %s stands for its '
                     'remote members in address group %s', sg_id,
                     pod['region_name'], rule_id, group_of[rule_id].id)
    for group in left:     # the rules naming them went above
        _delete_address_group(conn, pod, group)
    _record(pod, sg_id, top.project_id)


def _addresses(conn, pod, top, rule_id, prefixes, group):
    """The address group of one remote-group rule, holding ``prefixes``;
    made if missing, changed by the difference otherwise."""
    if group is None:
        group = conn.create_address_group(
            name=EXPANDED_PREFIX + rule_id, description=top.id,
            project_id=top.project_id, addresses=sorted(prefixes))
        LOG.info('Address group %s in pod %s stands for the remote members '
                 'of rule %s: %s', group.id, pod['region_name'], rule_id,
                 ', '.join(sorted(prefixes)) or 'none yet')
        return group
    have = {normal(a) for a in group.addresses or ()}
    gone, new = sorted(have - prefixes), sorted(prefixes - have)
    if gone:
        group = conn.remove_addresses_from_address_group(group, gone)
    if new:
        group = conn.add_addresses_to_address_group(group, new)
    if gone or new:
        LOG.info('Address group %s in pod %s (rule %s): added %s, removed '
                 '%s', group.id, pod['region_name'], rule_id,
                 ', '.join(new) or 'none', ', '.join(gone) or 'none')
    return group


def _delete_address_group(conn, pod, group):
    try:
        conn.delete_address_group(group)
    except os_exc.NotFoundException:
        return
    except os_exc.ConflictException as e:
        # A rule of the pod's own names it; the audit shows that rule.
        LOG.warning('Address group %s (%s) in pod %s is still in use; '
                    'kept: %s', group.id, group.name, pod['region_name'], e)
        return
    LOG.info('Removed address group %s (%s) from pod %s', group.id,
             group.name, pod['region_name'])


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
    # Its rules went with it; nothing names their address groups now.
    for group in conn.address_groups(description=sg_id):
        if group.name.startswith(EXPANDED_PREFIX):
            _delete_address_group(conn, pod, group)
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
        port_ids = {port['id'] for port in _ports_using(central, sg_id,
                                                        ('id',))}
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
    found = members(central, top)
    held = holders(found)
    regions.each_pod(_placed(central, sg_id, pods),
                     lambda pod_id: _converge(pods[pod_id], top, found, held))
