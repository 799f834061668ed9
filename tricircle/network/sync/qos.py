"""Converge the pods' copies of one central QoS policy (``qos_sync``).

The job reads the policy on central as it is now. Every pod holding a copy
(its routings) then gets central's owned attributes, each central rule
under its own id with central's values, and loses the rules central no
longer has. A rule the pod lacks is copied by a GET of it by id in the pod
(tricircle.network.local.qos): Neutron's API takes no id on create. When
central has the policy no more, each copy goes, after the pod's networks
and ports let go of it (central refused the delete while anything of its
own used the policy, so what still uses it in a pod only waits for its own
sync job). Running it twice, or after a crash half-way, ends the same.
"""

from oslo_log import log as logging

from tricircle.common import constants
from tricircle.network import qos as qos_common
from tricircle.network.sync import resources

LOG = logging.getLogger(__name__)


def sync(policy_id):
    """Make every pod's copy of central policy ``policy_id`` match it;
    return ``{region: what was done}``."""
    top = policy_of(resources.central(), policy_id)
    return resources.each_copy(policy_id, constants.RT_QOS_POLICY, top,
                               converge, _delete)


def policy_of(conn, policy_id):
    """A policy with its rules, None if absent (in a pod, a GET by id
    pulls central's policy if the pod lacks it)."""
    return conn.get('qos/policies', policy_id, 'policy')


def converge(conn, top):
    """Make one pod's copy match central's policy ``top``."""
    here = policy_of(conn, top['id'])
    if here is None:
        LOG.warning('QoS policy %s is routed to pod %s but central has it '
                    'no more for the pod to pull', top['id'], conn.region)
        return 'missing'
    diff = qos_common.differences(top, here)
    if qos_common.in_step(diff):
        return 'in sync'
    policy_id = top['id']
    if diff['policy']:
        conn.request('PUT', '/qos/policies/%s' % policy_id, {'policy': {
            k: top[k] for k in diff['policy']}})
    # Extra ones first: a rule central replaced by another of the same
    # kind and direction would conflict with its successor.
    for rule in diff['extra']:
        conn.request('DELETE', qos_common.rule_path(policy_id, rule),
                     ok=(204, 404))
    for _pods, rule in diff['different']:
        conn.request('PUT', qos_common.rule_path(policy_id, rule), {
            '%s_rule' % rule['type']: qos_common.rule_values(rule)})
    for rule in diff['missing']:
        conn.request('GET', qos_common.rule_path(policy_id, rule))
    done = ', '.join('%s %s' % (what, len(diff[what]) if what != 'policy'
                                else ', '.join(sorted(diff[what])))
                     for what in ('policy', 'missing', 'different', 'extra')
                     if diff[what])
    LOG.info('QoS policy %s in pod %s now matches central (%s)', policy_id,
             conn.region, done)
    return 'updated: %s' % done


def _delete(conn, policy_id):
    if policy_of(conn, policy_id) is None:
        return 'already gone'
    for kind in ('network', 'port'):
        users = conn.request('GET', '/%ss?fields=id&fields=qos_policy_id'
                             % kind)['%ss' % kind]
        for user in users:
            if user.get('qos_policy_id') == policy_id:
                conn.request('PUT', '/%ss/%s' % (kind, user['id']),
                             {kind: {'qos_policy_id': None}})
                LOG.info('%s %s of pod %s let go of QoS policy %s, which '
                         'central deleted', kind, user['id'], conn.region,
                         policy_id)
    conn.request('DELETE', '/qos/policies/%s' % policy_id, ok=(204, 404))
    LOG.info('Deleted QoS policy %s from pod %s: central deleted it',
             policy_id, conn.region)
    return 'deleted'
