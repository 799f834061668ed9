"""Security groups in a pod: copies of central's, same ids, same rule ids.

Central owns security groups and their rules. A pod gets a copy of a
central group when one of its ports first uses it (or a copied rule names
it as remote group): same id, name, description and project, and every
rule under central's own rule id. A rule is thus one object across the
cloud, which XJob (tricircle.network.sync.security_groups) finds again by
id when it converges a pod; nothing has to map ids.

Neutron's API takes no id on create, so XJob asks a pod for a copy of one
central rule by creating a rule whose description is that rule's id; this
plugin then copies the rule from central, id and all, as a network named
with a central UUID is pulled.

A project's default group in a pod *is* central's default group: two
groups named ``default`` in one project would make the name ambiguous (Nova
resolves groups by name), and a pod's own default would hold rules central
never saw.
"""

from neutron.db.models import securitygroup as sg_db
from neutron.extensions import securitygroup as ext_sg
from neutron import policy
from neutron_lib import constants as n_const
from neutron_lib import exceptions as n_exc
from neutron_lib.objects import exceptions as obj_exc
from oslo_concurrency import lockutils
from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import uuidutils

from tricircle.common import constants
from tricircle.common import exceptions as t_common_exc
from tricircle.network import exceptions as t_exc
from tricircle.network.local import pull

LOG = logging.getLogger(__name__)

# What a copied rule takes from central, id included.
_RULE_KEYS = ('id', 'security_group_id', 'project_id', 'direction',
              'ethertype', 'protocol', 'port_range_min', 'port_range_max',
              'remote_ip_prefix', 'remote_group_id', 'description')
_DUPLICATE = (db_exc.DBDuplicateEntry, obj_exc.NeutronDbObjectDuplicateEntry)
_REMOTE_ERRORS = (n_exc.NeutronException, t_common_exc.TricircleError)


def _given(value):
    return value is not n_const.ATTR_NOT_SPECIFIED and value is not None


def _has_remote_group(sg):
    return any(r.get('remote_group_id')
               for r in sg.get('security_group_rules') or ())


class SecurityGroupMixin:
    """Mixed into the local plugin (before ML2): pulls central's groups.

    Expects the plugin's ``central``, ``admin`` and ``region_name``.
    """

    # -- what Neutron calls ------------------------------------------------

    def _ensure_default_security_group(self, context, project_id):
        """ML2 makes a project's default group on its first port or list;
        here it is central's default group, pulled (same id)."""
        if not policy.check(context, 'create_default_security_group',
                            {'project_id': project_id}):
            return None
        existing = self._get_default_sg_id(context, project_id)
        if existing:
            return existing
        try:
            top = self.central.default_security_group(project_id)
        except _REMOTE_ERRORS as e:
            # E.g. while the sandbox warms up, before pods are registered.
            LOG.warning('Central default security group of project %s not '
                        'reachable from pod %s (%s); using a local one',
                        project_id, self.region_name, e)
            return super()._ensure_default_security_group(context,
                                                          project_id)
        new = {}
        sg = self._ensure_security_group(context, top['id'], top, new)
        self._queue_sg_jobs(self._sg_jobs_of_new(new), project_id)
        return sg['id']

    def _shared_with(self, context, sg_id, project_id):
        """A pod's copy of a group carries no RBAC entries: central's
        say whether another project's group is shared with this one."""
        if super()._shared_with(context, sg_id, project_id):
            return True
        try:
            return self.central.security_group_shared_with(sg_id,
                                                           project_id)
        except _REMOTE_ERRORS as e:
            LOG.warning('Central not reachable from pod %s to tell whether '
                        'security group %s is shared with project %s (%s); '
                        'taken as not shared', self.region_name, sg_id,
                        project_id, e)
            return False

    def create_security_group_rule(self, context, security_group_rule):
        """A rule described by a central rule's UUID is a copy request."""
        rule = security_group_rule['security_group_rule']
        top_id = rule.get('description')
        if not _given(rule.get('id')) and uuidutils.is_uuid_like(top_id):
            try:
                top = self.central.get_security_group_rule(top_id)
            except t_exc.CentralNotFound:
                top = None
            if top is not None:
                if top['security_group_id'] != rule['security_group_id']:
                    raise n_exc.InvalidInput(error_message=(
                        'central security group rule %s belongs to group '
                        '%s, not %s' % (top_id, top['security_group_id'],
                                        rule['security_group_id'])))
                return self._copy_central_rule(context, top)
        return super().create_security_group_rule(context,
                                                  security_group_rule)

    # -- used by the local plugin's port paths -----------------------------

    def _adopt_top_security_groups(self, context, attrs, top, old=(),
                                   members_queued=False):
        """Give the local port central's groups, copied here first; return
        the groups whose XJob job must run once the port is stored here.
        ``members_queued``: central already queued the jobs of the groups
        referring to the port's groups."""
        sg_ids = list(top.get('security_groups') or [])
        new = {}
        for sg_id in sg_ids:
            if not pull.held_row(context, sg_db.SecurityGroup, sg_id):
                self._ensure_security_group(context, sg_id, new=new)
        attrs['security_groups'] = sg_ids
        jobs = self._sg_jobs_of_new(new)
        changed = set(sg_ids) ^ set(old) if old else set(sg_ids)
        if changed and not members_queued:
            # This pod now resolves (or no longer resolves) the port as a
            # member of these groups itself: their dependants' IP lists
            # change here.
            try:
                jobs |= set(self.central.security_groups_referring(changed))
            except _REMOTE_ERRORS as e:
                LOG.warning('Groups referring to %s not found on central '
                            '(%s); their jobs wait for the next change',
                            sorted(changed), e)
        return jobs

    def _port_security_groups(self, context, port_id):
        try:
            return self.get_port(context.elevated(), port_id,
                                 fields=['security_groups'])[
                'security_groups'] or []
        except n_exc.PortNotFound:
            return []

    def _queue_sg_jobs(self, sg_ids, project_id=None):
        """Queue a seg_rule_setup job per group; a failure only delays
        convergence (the next change or an admin redo catches up)."""
        for sg_id in sorted(sg_ids or ()):
            try:
                job = self.admin.add_job(constants.JOB_SEG_RULE_SETUP,
                                         sg_id, project_id)
                LOG.debug('Queued job %s for security group %s', job['id'],
                          sg_id)
            except _REMOTE_ERRORS as e:
                LOG.warning('No %s job for security group %s from pod %s: '
                            '%s', constants.JOB_SEG_RULE_SETUP, sg_id,
                            self.region_name, e)

    # -- pulling -----------------------------------------------------------

    def _ensure_security_group(self, context, sg_id, top=None, new=None):
        """The local copy of central group ``sg_id``, pulled if absent.

        ``new`` collects ``{id: group}`` of the groups pulled now, remote
        groups of its rules included. Locks are per group and never held
        while another group is pulled, so groups naming each other as
        remote groups cannot deadlock.
        """
        admin = context.elevated()
        new = {} if new is None else new
        with lockutils.lock('tricircle-sg-%s' % sg_id):
            try:
                return self.get_security_group(admin, sg_id)
            except ext_sg.SecurityGroupNotFound:
                pass
            if top is None:
                top = self._central_sg(sg_id)
            self._create_sg_shell(admin, top)
            new[sg_id] = top
            self._record_sg(sg_id, top['project_id'])
        # Read again now that the routing is stored: a rule changed on
        # central from here on queues a job that sees this pod.
        top = self._central_sg(sg_id)
        new[sg_id] = top
        for rule in top['security_group_rules']:
            remote = rule.get('remote_group_id')
            if remote and remote not in new:
                self._ensure_security_group(context, remote, new=new)
        have = {r['id'] for r in self.get_security_group(
            admin, sg_id)['security_group_rules']}
        for rule in top['security_group_rules']:
            if rule['id'] not in have:
                self._create_rule_copy(admin, rule, strict=False)
        LOG.info('Materialised central security group %s (%s, %d rules) in '
                 'pod %s', sg_id, top['name'],
                 len(top['security_group_rules']), self.region_name)
        return self.get_security_group(admin, sg_id)

    def _central_sg(self, sg_id):
        try:
            return self.central.get_security_group(sg_id)
        except t_exc.CentralNotFound:
            raise ext_sg.SecurityGroupNotFound(id=sg_id)

    def _create_sg_shell(self, admin, top):
        """The group with central's id and no rule: ML2 adds template
        rules (random ids), which central's rules replace."""
        body = {'id': top['id'], 'name': top['name'],
                'description': top.get('description') or '',
                'project_id': top['project_id'],
                'stateful': top.get('stateful', True)}
        default = (top['name'] == 'default' and
                   self._get_default_sg_id(admin, top['project_id']) is None)
        try:
            sg = super().create_security_group(
                admin, {'security_group': body}, default_sg=default)
        except _DUPLICATE:
            sg = None
        if sg is None or sg['id'] != top['id']:
            # Another worker pulled it (or made the pod's default first).
            try:
                sg = self.get_security_group(admin, top['id'])
            except ext_sg.SecurityGroupNotFound:
                sg = super().create_security_group(
                    admin, {'security_group': body})
        central_ids = {r['id'] for r in top['security_group_rules']}
        for rule in sg['security_group_rules']:
            if rule['id'] not in central_ids:
                try:
                    super().delete_security_group_rule(admin, rule['id'])
                except ext_sg.SecurityGroupRuleNotFound:
                    # seg_rule_setup, queued once the routing was stored,
                    # removed it first: gone either way.
                    pass
        return sg

    def _copy_central_rule(self, context, top):
        admin = context.elevated()
        new = {}
        self._ensure_security_group(context, top['security_group_id'],
                                    new=new)
        remote = top.get('remote_group_id')
        if remote:
            self._ensure_security_group(context, remote, new=new)
        try:
            rule = self.get_security_group_rule(admin, top['id'])
        except ext_sg.SecurityGroupRuleNotFound:
            rule = self._create_rule_copy(admin, top, strict=True)
        self._queue_sg_jobs(self._sg_jobs_of_new(new) -
                            {top['security_group_id']}, top['project_id'])
        return rule

    def _create_rule_copy(self, admin, top, strict):
        """Central's rule under central's id. ``strict``: a local rule with
        the same match is an error (XJob removes extra rules first);
        otherwise it is logged and the copy skipped."""
        if top.get('remote_address_group_id'):
            # Address groups are not copied to pods (yet).
            msg = ('rule %s matches address group %s, which pods do not '
                   'have' % (top['id'], top['remote_address_group_id']))
            if strict:
                raise n_exc.InvalidInput(error_message=msg)
            LOG.warning('Not copied to pod %s: %s', self.region_name, msg)
            return None
        body = {k: top.get(k) for k in _RULE_KEYS}
        body['remote_address_group_id'] = None
        try:
            return super().create_security_group_rule(
                admin, {'security_group_rule': body})
        except _DUPLICATE:
            return self.get_security_group_rule(admin, top['id'])
        except ext_sg.SecurityGroupRuleExists:
            if strict:
                raise
            LOG.warning('Central rule %s not copied to pod %s: a local rule '
                        'matches the same traffic', top['id'],
                        self.region_name)
            return None

    def _record_sg(self, sg_id, project_id):
        try:
            self._record(sg_id, project_id, constants.RT_SG)
        except _REMOTE_ERRORS as e:
            # XJob also finds the group through the ports using it.
            LOG.warning('Routing of security group %s in pod %s not '
                        'recorded: %s', sg_id, self.region_name, e)

    @staticmethod
    def _sg_jobs_of_new(new):
        """Newly copied groups with remote-group rules: their members in
        other pods become an address group here, which only XJob knows."""
        return {sg_id for sg_id, top in new.items() if _has_remote_group(top)}
