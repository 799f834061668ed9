"""Trunks in a pod: copies of central's, same trunk id, same subports.

The pod holding a trunk's parent port holds the trunk: it copies it when
XJob's ``trunk_sync`` GETs it by id, or when the pod pulls the parent
port itself (Nova booting on a port made on central). Copying pulls the
parent and every subport's port, and so the subports' networks, which must
be able to reach this pod (central refuses the others up front). The
copy's status is the pod's own: the agent binding the parent sets it, and
XJob takes it back to central.

A copy belongs to central: a tenant changing it here, or making a trunk
here on a central port, is told to do so on central (400); an admin's
change is XJob converging the copy, or drift the audit reports.
"""

import threading

from neutron.objects import trunk as trunk_objects
from neutron.services.trunk.drivers import base as trunk_base
from neutron.services.trunk import exceptions as trunk_exc
from neutron.services.trunk import plugin as trunk_plugin
from neutron.services.trunk import rules
from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from neutron_lib.db import api as db_api
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from neutron_lib.services.trunk import constants as trunk_consts
from oslo_concurrency import lockutils
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.network import exceptions as t_exc
from tricircle.network import trunks

LOG = logging.getLogger(__name__)


class UnboundParentTrunkDriver(trunk_base.DriverBase):
    """Lets a pod without a trunk-capable agent hold central's trunks.

    Neutron's trunk plugin starts only with a driver loaded, and trunks a
    bound parent only through the driver of its binding's VIF type; an
    unbound parent can always be trunked. This driver claims no VIF type:
    a bound parent stays the business of its agent's driver.
    """

    def __init__(self):
        super().__init__('tricircle_unbound', (),
                         (trunk_consts.SEGMENTATION_TYPE_VLAN,),
                         agent_type=None, can_trunk_bound_port=False)

    @property
    def is_loaded(self):
        return True


class TricircleLocalTrunkPlugin(trunk_plugin.TrunkPlugin):
    """Neutron's trunk plugin, copying central's trunks on first use."""

    def __init__(self):
        self._driver = UnboundParentTrunkDriver()
        super().__init__()
        self._deleting = set()
        self._copying = threading.local()

    @property
    def _core(self):
        return directory.get_plugin()

    # -- copying -------------------------------------------------------

    def ensure_trunk(self, context, trunk_id):
        """The local copy of central trunk ``trunk_id``, made if absent;
        TrunkNotFound if central has none the requester may see."""
        admin = context.elevated()
        copying = self._copying.__dict__.setdefault('ids', set())
        if trunk_id in copying or trunk_objects.Trunk.get_object(
                admin, id=trunk_id):
            return  # made, or being made by this thread (its parent's pull)
        with lockutils.lock('tricircle-trunk-%s' % trunk_id, external=True):
            if trunk_objects.Trunk.get_object(admin, id=trunk_id):
                return
            try:
                top = self._core.central.get_trunk(trunk_id)
            except t_exc.CentralNotFound:
                raise trunk_exc.TrunkNotFound(trunk_id=trunk_id)
            if not (context.is_admin or
                    top.get('project_id') == context.project_id):
                raise trunk_exc.TrunkNotFound(trunk_id=trunk_id)
            copying.add(trunk_id)
            try:
                self._copy(admin, top)
            finally:
                copying.discard(trunk_id)

    def _copy(self, admin, top):
        core = self._core
        # Pulled here first (the subports' networks with them).
        core.get_port(admin, top['port_id'])
        subports = [trunks.subport(s) for s in top.get('sub_ports') or ()]
        for sub in subports:
            core.get_port(admin, sub['port_id'])
        rules.TrunkPortValidator(top['port_id']).validate(admin)
        subports = rules.SubPortsValidator(
            self._segmentation_types, subports, top['port_id']).validate(
                admin)
        trunk = trunk_objects.Trunk(
            context=admin, id=top['id'], name=top.get('name') or '',
            description=top.get('description') or '',
            admin_state_up=top.get('admin_state_up', True),
            project_id=top['project_id'], port_id=top['port_id'],
            status=trunk_consts.TRUNK_DOWN_STATUS,
            sub_ports=[trunk_objects.SubPort(context=admin, **sub)
                       for sub in subports])
        # As Neutron's create_trunk, with central's id: drivers hear of
        # the copy as of any new trunk.
        with db_api.CONTEXT_WRITER.using(admin):
            trunk.create()
            registry.publish(resources.TRUNK, events.PRECOMMIT_CREATE, self,
                             payload=events.DBEventPayload(
                                 admin, resource_id=trunk.id,
                                 desired_state=trunk))
        registry.publish(resources.TRUNK, events.AFTER_CREATE, self,
                         payload=events.DBEventPayload(
                             admin, resource_id=trunk.id, states=(trunk,)))
        with core._undone_on_error('trunk', top['id'], super().delete_trunk,
                                   admin):
            core._record(top['id'], top['project_id'], constants.RT_TRUNK)
        LOG.info('Copied central trunk %s (parent %s, %d subports) into pod '
                 '%s', top['id'], top['port_id'], len(subports),
                 core.region_name)

    # -- what Neutron's API calls --------------------------------------

    def get_trunk(self, context, trunk_id, fields=None):
        try:
            return super().get_trunk(context, trunk_id, fields)
        except trunk_exc.TrunkNotFound:
            if trunk_id in self._deleting:
                raise
        self.ensure_trunk(context, trunk_id)
        return super().get_trunk(context, trunk_id, fields)

    def create_trunk(self, context, trunk):
        parent = trunk['trunk'].get('port_id')
        if not context.is_admin and self._core.central.has('ports', parent):
            raise t_exc.ManagedByCentral(resource='Port', id=parent)
        return super().create_trunk(context, trunk)

    def update_trunk(self, context, trunk_id, trunk):
        if set(trunk['trunk']) - {'status'}:
            # Neutron itself writes the status (parent unbound: DOWN).
            self._only_on_central(context, trunk_id)
        return super().update_trunk(context, trunk_id, trunk)

    def delete_trunk(self, context, trunk_id):
        self._only_on_central(context, trunk_id)
        self._deleting.add(trunk_id)
        try:
            super().delete_trunk(context, trunk_id)
        finally:
            self._deleting.discard(trunk_id)
        self._core._forget(trunk_id, constants.RT_TRUNK)

    def add_subports(self, context, trunk_id, subports):
        self._only_on_central(context, trunk_id)
        # Neutron checks the subports' ports inside its transaction, where
        # pulling one from central (a port create) cannot happen.
        given = subports.get('sub_ports')
        for sub in given if isinstance(given, list) else ():
            if isinstance(sub, dict) and sub.get('port_id'):
                try:
                    self._core.get_port(context, sub['port_id'])
                except n_exc.PortNotFound:
                    pass  # Neutron's own check answers
        return super().add_subports(context, trunk_id, subports)

    def remove_subports(self, context, trunk_id, subports):
        self._only_on_central(context, trunk_id)
        return super().remove_subports(context, trunk_id, subports)

    def _only_on_central(self, context, trunk_id):
        if not context.is_admin and self._core.central.has('trunks',
                                                           trunk_id):
            raise t_exc.ManagedByCentral(resource='Trunk', id=trunk_id)


def plugin():
    """The pod's trunk plugin, or None when the pod runs none."""
    found = directory.get_plugin('trunk')
    return found if isinstance(found, TricircleLocalTrunkPlugin) else None
