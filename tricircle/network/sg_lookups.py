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

    def _shared_with(self, context, sg_id, project_id):
        """Whether an RBAC entry here shares the group with the project."""
        return sg_obj.SecurityGroup.is_shared_with_project(
            context, sg_id, project_id)
