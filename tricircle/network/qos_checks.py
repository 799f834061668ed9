"""The QoS parts the central and local plugins (and the agentless
mechanism driver) share, which need Neutron's own QoS code.

Kept apart from tricircle.network.qos, the comparison XJob and the audit
use: importing Neutron's QoS models and the OVS driver costs a second of
CPU per process, which the CLI and XJob need not pay.
"""

from neutron.db.qos import models as qos_models
from neutron.objects.qos import rule as rule_object
from neutron.services.qos.drivers.openvswitch import driver as ovs_driver
from neutron_lib.db import api as db_api

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
