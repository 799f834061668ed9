"""Central's QoS service: Neutron's own, whose changes reach the pods.

Policies and rules are made, validated and refused on central by Neutron's
QoS plugin unchanged (a policy still bound cannot go: 409, two rules of a
kind and direction: 409, a bad value: 400). What central adds is a QoS
driver: Neutron calls each loaded driver after every committed change to a
policy or its rules, and this one queues the ``qos_sync`` job of a policy
some pod holds a copy of. Binding a policy to a network or port is the
network's or port's own change (``qos_policy_id`` is an attribute central
owns, tricircle.network.attributes), followed by its sync job.
"""

from neutron.services.qos import qos_plugin
from neutron_lib.api.definitions import portbindings
from neutron_lib.services.qos import base
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.network.central import follow
from tricircle.network import qos_checks

LOG = logging.getLogger(__name__)


class CentralQosDriver(base.DriverBase):
    """Accepts what the pods' agents can enforce, and tells the pods.

    Central binds a port only to record that a pod bound it (VIF type
    ``other``, tricircle.network.drivers.mech_central); an unbound port is
    checked by its VNIC type, as Neutron does.
    """

    def __init__(self):
        super().__init__(
            name='tricircle_central',
            vif_types=[portbindings.VIF_TYPE_OTHER],
            vnic_types=list(portbindings.VNIC_TYPES),
            supported_rules=qos_checks.SUPPORTED_RULES)

    def update_policy(self, context, policy):
        _changed(policy.id, 'changed')

    def delete_policy(self, context, policy):
        _changed(policy.id, 'deleted')


def _changed(policy_id, why):
    """Queue the policy's job if a pod holds it; one no pod holds is
    pulled whole by the first pod that needs it."""
    copies = follow.routed(policy_id, constants.RT_QOS_POLICY)
    if copies:
        follow.queue(constants.JOB_QOS_SYNC, policy_id,
                     copies[0]['project_id'], 'QoS policy %s' % why)


class TricircleCentralQosPlugin(qos_checks.PortCheckMixin,
                                qos_plugin.QoSPlugin):
    """Neutron's QoS plugin with the central driver loaded."""

    def __init__(self):
        # The driver manager made by QoSPlugin.__init__ collects every
        # driver alive at that moment.
        self._driver = CentralQosDriver()
        super().__init__()
        LOG.info('Tricircle central QoS plugin started (rule types: %s)',
                 ', '.join(sorted(qos_checks.SUPPORTED_RULES)))
