"""The security-group reads of a port create, by column, not by object.

A port create asks twice for its project's default group and once for
the groups it names. Neutron answers with whole objects: the default
group's row joins the group and selects its rules, and each named group
comes with its rules and RBAC entries. The create uses the ids, the
project and the stateful flag, nothing else. On central and in a pod
those loads were a fifth of a port create's CPU
(``benchmarks/port_profile.py``), and central and the pod each make the
port. Mixed into both plugins ahead of ML2; the answers, and the errors,
are Neutron's.

The same goes for a new rule's duplicate check: Neutron builds the whole
group, every rule an object, to compare the new rule with each. A pod's
copy holds an IP rule for every member of the group in other pods, so
adding the members one by one cost a pod the square of their number: at
200 ports over 3 pods, most of a pod's CPU (``benchmarks/load.py``).
"""

import collections

from neutron.db.models import securitygroup as sg_models
from neutron.extensions import securitygroup as ext_sg
from neutron.objects import securitygroup as sg_obj
from neutron_lib.api.definitions import port as port_def
from neutron_lib.api import validators
from neutron_lib.db import api as db_api
from neutron_lib.utils import net

# What _process_port_create_security_group reads of a group.
Group = collections.namedtuple('Group', 'id project_id stateful')
# What _rule_to_key compares of two rules.
_RULE_KEYS = ('id', 'direction', 'ethertype', 'port_range_max',
              'port_range_min', 'protocol', 'remote_group_id',
              'remote_address_group_id', 'remote_ip_prefix',
              'security_group_id')


class SecurityGroupLookups:
    """Ahead of ML2 in a plugin's bases."""

    def _get_default_sg_id(self, context, project_id):
        admin = context.elevated()
        with db_api.CONTEXT_READER.using(admin):
            row = admin.session.query(
                sg_models.DefaultSecurityGroup.security_group_id).filter_by(
                    project_id=project_id).first()
        return row[0] if row else None

    def _get_security_groups_on_port(self, context, port):
        attrs = port[port_def.RESOURCE_NAME]
        wanted = attrs.get(ext_sg.SECURITYGROUPS)
        project_id = attrs.get('project_id')
        if (not validators.is_attr_set(wanted) or not project_id or
                (attrs.get('device_owner') and net.is_port_trusted(attrs))):
            # Nothing to read, or a case Neutron decides by visibility.
            return super()._get_security_groups_on_port(context, port)
        with db_api.CONTEXT_READER.using(context):
            rows = context.session.query(
                sg_models.SecurityGroup.id,
                sg_models.SecurityGroup.project_id,
                sg_models.SecurityGroup.stateful).filter(
                    sg_models.SecurityGroup.id.in_(set(wanted))).all()
        groups = [Group(*row) for row in rows
                  if (context.is_admin or row.project_id == project_id or
                      self._shared_with(context, row.id, project_id))]
        missing = set(wanted) - {g.id for g in groups}
        if missing:
            raise ext_sg.SecurityGroupNotFound(id=', '.join(missing))
        return groups

    def _check_for_duplicate_rules(self, context, security_group_id,
                                   new_security_group_rules):
        new = set()
        for rule in new_security_group_rules:
            key = self._rule_to_key(rule['security_group_rule'])
            if key in new:
                raise ext_sg.DuplicateSecurityGroupRuleInPost(rule=rule)
            new.add(key)
        # The group itself was found (and may be seen) by the validation
        # before this, as Neutron's callers do.
        model = sg_models.SecurityGroupRule
        with db_api.CONTEXT_READER.using(context):
            rows = context.session.query(
                *(getattr(model, k) for k in _RULE_KEYS)).filter(
                    model.security_group_id == security_group_id).all()
        for row in rows:
            if self._rule_to_key(row._asdict()) in new:
                raise ext_sg.SecurityGroupRuleExists(rule_id=row.id)

    def _shared_with(self, context, sg_id, project_id):
        """Whether an RBAC entry here shares the group with the project."""
        return sg_obj.SecurityGroup.is_shared_with_project(
            context, sg_id, project_id)
