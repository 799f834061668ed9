"""What central, the pods, XJob and the audit agree on about QoS.

A QoS policy is central's: its id, its owned attributes and every rule
under central's own rule id. A pod holds a copy of a policy once one of
its networks or ports uses it (tricircle.network.local.qos); the
``qos_sync`` job (tricircle.network.sync.qos) makes each copy match central
again after a change, and the audit compares exactly what is listed here.
"""

# A policy's attributes central owns ('is_default' stays central's: a
# pod's own networks must not take central's project default).
POLICY = ('name', 'description', 'shared')

# What a rule dict carries besides its own values.
_RULE_IDENTITY = ('id', 'type', 'qos_policy_id', 'tenant_id', 'project_id')


def rule_values(rule):
    """A rule's own values (``max_kbps``, ``direction``...)."""
    return {k: v for k, v in rule.items() if k not in _RULE_IDENTITY}


def rule_path(policy_id, rule):
    """The REST path of one rule of a policy."""
    return '/qos/policies/%s/%s_rules/%s' % (policy_id, rule['type'],
                                             rule['id'])


def differences(top, bottom):
    """What a pod's copy of a policy lacks of central's, as
    ``{'policy': {attr: (pod's, central's)}, 'missing': [rule],
    'different': [(pod's rule, central's rule)], 'extra': [rule]}``; empty
    lists and dicts when they agree."""
    policy = {k: (bottom.get(k), top[k]) for k in POLICY
              if k in top and (bottom.get(k) or None) != (top[k] or None)}
    here = {r['id']: r for r in bottom.get('rules') or ()}
    there = {r['id']: r for r in top.get('rules') or ()}
    return {
        'policy': policy,
        'missing': [r for rid, r in sorted(there.items()) if rid not in here],
        'different': [(here[rid], r) for rid, r in sorted(there.items())
                      if rid in here and rule_values(here[rid]) !=
                      rule_values(r)],
        'extra': [r for rid, r in sorted(here.items()) if rid not in there],
    }


def in_step(diff):
    return not any(diff.values())
