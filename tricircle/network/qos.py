"""What central, the pods, XJob and the audit agree on about QoS.

A QoS policy is central's: its id, its owned attributes and every rule
under central's own rule id. A pod holds a copy of a policy once one of
its networks or ports uses it (tricircle.network.local.qos); the
``qos_sync`` job (tricircle.network.sync.qos) makes each copy match central
again after a change, and the audit compares exactly what is listed here.
"""

from neutron.db.qos import models as qos_models
from neutron.objects.qos import rule as rule_object
from neutron.services.qos.drivers.openvswitch import driver as ovs_driver
from neutron_lib.db import api as db_api

# A policy's attributes central owns ('is_default' stays central's: a
# pod's own networks must not take central's project default).
POLICY = ('name', 'description', 'shared')

RULE_CLASSES = {cls.rule_type: cls for cls in (
    rule_object.QosBandwidthLimitRule,
    rule_object.QosDscpMarkingRule,
    rule_object.QosMinimumBandwidthRule,
    rule_object.QosMinimumPacketRateRule,
    rule_object.QosPacketRateLimitRule)}

# Every rule type and value Neutron's own agents can enforce (the Open
# vSwitch agent's set, the widest of Neutron's drivers): central accepts
# what some pod can carry out, and a pod without an agent of its own keeps
# what central accepted.
SUPPORTED_RULES = ovs_driver.SUPPORTED_RULES

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


class PortCheckMixin:
    """Mixed into the QoS plugins of central and the pods (before
    Neutron's): a new port is checked against its policy's rules only when
    it has one. Neutron loads the whole port object first (8% of a port
    create's CPU on central and in the pod, measured with
    benchmarks/port_profile.py), to learn that most ports have none."""

    def _validate_create_port_callback(self, resource, event, trigger,
                                       payload=None):
        port = payload.latest_state
        try:
            # Absent: the create named no policy for the port itself.
            policy_id, net_id = (port.get('qos_policy_id'),
                                 port.get('network_id'))
        except (AttributeError, NotImplementedError):
            policy_id, net_id = True, None  # not a port we know: check
        if not policy_id and net_id and not _network_bound(payload.context,
                                                           net_id):
            return
        super()._validate_create_port_callback(resource, event, trigger,
                                               payload=payload)


def _network_bound(context, net_id):
    with db_api.CONTEXT_READER.using(context):
        return context.session.query(
            qos_models.QosNetworkPolicyBinding.network_id).filter_by(
                network_id=net_id).first() is not None
