"""QoS policies in a pod: copies of central's, same ids, same rule ids.

A pod copies a central policy, with every rule under central's rule id,
when one of its networks or ports first uses it (the local plugin asks
:meth:`TricircleLocalQosPlugin.ensure_policy` before it stores a
``qos_policy_id``) or when a client GETs it by id; a GET of a rule by id
copies that one rule. Neutron's API takes no id on create, so this is how
XJob (tricircle.network.sync.qos) puts back a rule a pod lost: nothing has
to map ids.

A copy belongs to central: a tenant changing or deleting it here is told
to do so on central (400, as for a central network's subnets); an admin
change is XJob converging the copy, or an operator's, which the audit
reports and ``--fix`` undoes. A policy made in the pod is the pod's own.
"""

from neutron.objects.qos import policy as policy_object
from neutron.services.qos import qos_plugin
from neutron_lib.api.definitions import portbindings
from neutron_lib.exceptions import qos as qos_exc
from neutron_lib.plugins import directory
from neutron_lib.services.qos import base
from oslo_concurrency import lockutils
from oslo_db import exception as db_exc
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.network import exceptions as t_exc
from tricircle.network import qos as qos_common
from tricircle.network import qos_checks

LOG = logging.getLogger(__name__)


class UnboundPortQosDriver(base.DriverBase):
    """Lets a pod hold central's policy on a port no agent has bound yet.

    Neutron checks a policy against the loaded QoS drivers; an unbound
    port by its VNIC type. Central already accepted the policy, and the
    agent binding the port later enforces it, through its own driver. A
    bound port's VIF type is never this driver's: its agent's driver
    decides.
    """

    def __init__(self):
        super().__init__(name='tricircle_unbound', vif_types=[],
                         vnic_types=list(portbindings.VNIC_TYPES),
                         supported_rules=qos_checks.SUPPORTED_RULES)


class TricircleLocalQosPlugin(qos_checks.PortCheckMixin,
                              qos_plugin.QoSPlugin):
    """Neutron's QoS plugin, pulling central's policies on first use."""

    def __init__(self):
        self._driver = UnboundPortQosDriver()
        super().__init__()
        self._deleting = set()

    @property
    def _core(self):
        return directory.get_plugin()

    # -- pulling -------------------------------------------------------

    def ensure_policy(self, context, policy_id):
        """The local copy of central policy ``policy_id``, pulled whole
        (rules and routing) if absent; QosPolicyNotFound if central has
        none the requester may see."""
        admin = context.elevated()
        if policy_object.QosPolicy.get_object(admin, id=policy_id):
            return
        with lockutils.lock('tricircle-qos-%s' % policy_id, external=True):
            if policy_object.QosPolicy.get_object(admin, id=policy_id):
                return
            top = self._central_policy(context, policy_id)
            body = {k: top[k] for k in qos_common.POLICY if k in top}
            body.update(id=policy_id, project_id=top['project_id'])
            try:
                super().create_policy(admin, {'policy': body})
            except db_exc.DBDuplicateEntry:
                return  # an API worker on another host pulled it first
            with self._core._undone_on_error('QoS policy', policy_id,
                                             super().delete_policy, admin):
                for rule in top.get('rules') or ():
                    self._copy_rule(admin, policy_id, rule)
                self._core._record(policy_id, top['project_id'],
                                   constants.RT_QOS_POLICY)
            LOG.info('Pulled central QoS policy %s (%d rules) into pod %s',
                     policy_id, len(top.get('rules') or ()),
                     self._core.region_name)

    def _central_policy(self, context, policy_id):
        try:
            top = self._core.central.get_qos_policy(policy_id)
        except t_exc.CentralNotFound:
            raise qos_exc.QosPolicyNotFound(policy_id=policy_id)
        if not (context.is_admin or top.get('shared') or
                top.get('project_id') == context.project_id):
            raise qos_exc.QosPolicyNotFound(policy_id=policy_id)
        return top

    def _copy_rule(self, admin, policy_id, rule):
        rule_cls = qos_checks.RULE_CLASSES[rule['type']]
        values = dict(qos_common.rule_values(rule), id=rule['id'])
        super().create_policy_rule(admin, rule_cls, policy_id,
                                   {'%s_rule' % rule['type']: values})
        LOG.info('Copied central %s rule %s of QoS policy %s into pod %s',
                 rule['type'], rule['id'], policy_id, self._core.region_name)

    def _central_rule(self, policy_id, rule_id):
        """Central's rule ``rule_id`` of a policy, or None."""
        try:
            top = self._core.central.get_qos_policy(policy_id)
        except t_exc.CentralNotFound:
            return None
        return next((r for r in top.get('rules') or ()
                     if r['id'] == rule_id), None)

    # -- what Neutron's API calls --------------------------------------

    def get_policy(self, context, policy_id, fields=None):
        try:
            return super().get_policy(context, policy_id, fields)
        except qos_exc.QosPolicyNotFound:
            if policy_id in self._deleting:
                raise
        self.ensure_policy(context, policy_id)
        return super().get_policy(context, policy_id, fields)

    def get_policy_rule(self, context, rule_cls, rule_id, policy_id,
                        fields=None):
        try:
            return super().get_policy_rule(context, rule_cls, rule_id,
                                           policy_id, fields)
        except qos_exc.QosRuleNotFound:
            pass
        except qos_exc.QosPolicyNotFound:
            self.ensure_policy(context, policy_id)
            return super().get_policy_rule(context, rule_cls, rule_id,
                                           policy_id, fields)
        top = self._central_rule(policy_id, rule_id)
        if top is None or top['type'] != rule_cls.rule_type:
            raise qos_exc.QosRuleNotFound(policy_id=policy_id,
                                          rule_id=rule_id)
        with lockutils.lock('tricircle-qos-%s' % policy_id, external=True):
            try:
                self._copy_rule(context.elevated(), policy_id, top)
            except db_exc.DBDuplicateEntry:
                pass
        return super().get_policy_rule(context, rule_cls, rule_id,
                                       policy_id, fields)

    def update_policy(self, context, policy_id, policy):
        self._only_on_central(context, policy_id)
        return super().update_policy(context, policy_id, policy)

    def delete_policy(self, context, policy_id):
        self._only_on_central(context, policy_id)
        self._deleting.add(policy_id)
        try:
            super().delete_policy(context, policy_id)
        finally:
            self._deleting.discard(policy_id)
        self._core._forget(policy_id, constants.RT_QOS_POLICY)

    def create_policy_rule(self, context, rule_cls, policy_id, rule_data):
        self._only_on_central(context, policy_id)
        return super().create_policy_rule(context, rule_cls, policy_id,
                                          rule_data)

    def update_policy_rule(self, context, rule_cls, rule_id, policy_id,
                           rule_data):
        self._only_on_central(context, policy_id)
        return super().update_policy_rule(context, rule_cls, rule_id,
                                          policy_id, rule_data)

    def delete_policy_rule(self, context, rule_cls, rule_id, policy_id):
        self._only_on_central(context, policy_id)
        return super().delete_policy_rule(context, rule_cls, rule_id,
                                          policy_id)

    def _only_on_central(self, context, policy_id):
        """A tenant changes a central policy on central (400 here); an
        admin's change of the copy is XJob's or the operator's."""
        if not context.is_admin and self._core.central.has('qos/policies',
                                                           policy_id):
            raise t_exc.ManagedByCentral(resource='QoS policy', id=policy_id)


def plugin():
    """The pod's QoS plugin, or None when the pod runs none."""
    found = directory.get_plugin('QOS')
    return found if isinstance(found, TricircleLocalQosPlugin) else None
