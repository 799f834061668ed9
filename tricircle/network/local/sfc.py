"""Service function chains in a pod: copies of central's, same ids.

A pod copies a central port chain whole (its flow classifiers, its port
pair groups and their port pairs) when a GET of the chain by id finds
none here: XJob's ``sfc_sync`` does so in every pod where a port of the
chain is bound (tricircle.network.sync.sfc), once the pod has every port
of the chain, its own or shadows of the same ids. A GET of one piece by
id copies that piece, which is how the job puts back one a pod lost.

networking-sfc makes a new id in every create; a copy takes central's
instead (:func:`central_id`), so nothing has to map ids. Central already
validated what it copies: a pair whose ports are a remote VM's shadows
(no device here) is taken as it is, and a port is only ever looked up
here, never pulled from central, so a chain cannot drag another pod's
port into this one.

A copy belongs to central: a tenant changing or deleting it here is told
to do so on central (400); an admin's change is XJob converging the copy,
or drift the audit reports. Pieces made in the pod are the pod's own.
"""

import contextlib
import threading

from networking_sfc.db import flowclassifier_db as fc_db
from networking_sfc.db import sfc_db
from networking_sfc.extensions import flowclassifier as fc_ext
from networking_sfc.extensions import sfc as sfc_ext
from networking_sfc.services.flowclassifier import plugin as fc_plugin
from networking_sfc.services.sfc import plugin as sfc_plugin
from neutron_lib.plugins import directory
from oslo_concurrency import lockutils
from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import uuidutils

from tricircle.common import constants
from tricircle.network import exceptions as t_exc
from tricircle.network import sfc

LOG = logging.getLogger(__name__)

_preset = threading.local()


class _Uuids:
    """oslo's uuidutils as networking-sfc's DB code calls it, except that
    the create of a copy takes central's id."""

    def __getattr__(self, name):
        return getattr(uuidutils, name)

    @staticmethod
    def generate_uuid(dashed=True):
        wanted = _preset.__dict__.pop('id', None)
        return wanted or uuidutils.generate_uuid(dashed=dashed)


sfc_db.uuidutils = fc_db.uuidutils = _Uuids()


@contextlib.contextmanager
def central_id(resource_id):
    """The networking-sfc create run inside takes ``resource_id``."""
    _preset.id = resource_id
    _preset.copying = True
    try:
        yield
    finally:
        _preset.__dict__.pop('id', None)
        _preset.copying = False


def copying():
    return getattr(_preset, 'copying', False)


ROUTING_TYPES = {
    'port_chain': constants.RT_PORT_CHAIN,
    'port_pair_group': constants.RT_PORT_PAIR_GROUP,
    'port_pair': constants.RT_PORT_PAIR,
    'flow_classifier': constants.RT_FLOW_CLASSIFIER,
}
NOUNS = {kind: kind.replace('_', ' ') for kind in ROUTING_TYPES}
NOT_FOUND = (sfc_ext.PortChainNotFound, sfc_ext.PortPairGroupNotFound,
             sfc_ext.PortPairNotFound, fc_ext.FlowClassifierNotFound)


class CopyMixin:
    """GET-copies, central-only changes and routings, for both plugins.
    ``KINDS`` names the kinds the plugin serves."""

    KINDS = ()

    def _start(self):
        sfc.with_sfc_extensions()
        self._deleting = set()

    @property
    def _core(self):
        return directory.get_plugin()

    def _get_or_copy(self, kind, context, resource_id, fields):
        get = getattr(super(), 'get_%s' % kind)
        try:
            return get(context, resource_id, fields)
        except NOT_FOUND:
            if resource_id in self._deleting:
                raise
            self.ensure(context, kind, resource_id)
        return get(context, resource_id, fields)

    def ensure(self, context, kind, resource_id):
        """The local copy of central's ``kind`` ``resource_id``, made if
        absent (with the pieces it names); networking-sfc's not-found if
        central has none the requester may see."""
        plugin = self if kind in self.KINDS else _other(kind)
        admin = context.elevated()
        if plugin._has(admin, kind, resource_id):
            return
        with lockutils.lock('tricircle-sfc-%s' % resource_id,
                            external=True):
            if plugin._has(admin, kind, resource_id):
                return
            top = self._central(context, kind, resource_id)
            for sub_kind, ids in _named(kind, top):
                for sub_id in ids:
                    self.ensure(context, sub_kind, sub_id)
            plugin._copy(admin, kind, top)

    def _has(self, admin, kind, resource_id):
        try:
            getattr(super(), 'get_%s' % kind)(admin, resource_id, ['id'])
            return True
        except NOT_FOUND:
            return False

    def _central(self, context, kind, resource_id):
        not_found = _not_found(kind, resource_id)
        try:
            top = self._core.central.get_resource(
                sfc.KINDS[kind].collection, resource_id, kind)
        except t_exc.CentralNotFound:
            raise not_found
        if not (context.is_admin or
                top.get('project_id') == context.project_id):
            raise not_found
        return top

    def _copy(self, admin, kind, top):
        create = getattr(super(), 'create_%s' % kind)
        delete = getattr(super(), 'delete_%s' % kind)
        try:
            with central_id(top['id']):
                create(admin, {kind: sfc.body(kind, top)})
        except db_exc.DBDuplicateEntry:
            return  # an API worker on another host copied it first
        with self._core._undone_on_error(NOUNS[kind], top['id'], delete,
                                         admin):
            self._core._record(top['id'], top['project_id'],
                               ROUTING_TYPES[kind])
        LOG.info('Copied central %s %s into pod %s', NOUNS[kind], top['id'],
                 self._core.region_name)

    def _change(self, kind, context, resource_id, body=None):
        """A tenant changes central's pieces on central (400 here); an
        admin's change is XJob's or the operator's."""
        if not context.is_admin and self._core.central.has(
                sfc.KINDS[kind].collection, resource_id):
            raise t_exc.ManagedByCentral(resource=NOUNS[kind],
                                         id=resource_id)
        if body is not None:
            update = getattr(super(), 'update_%s' % kind)
            return update(context, resource_id, body)
        self._deleting.add(resource_id)
        try:
            getattr(super(), 'delete_%s' % kind)(context, resource_id)
        finally:
            self._deleting.discard(resource_id)
        self._core._forget(resource_id, ROUTING_TYPES[kind])


def _named(kind, top):
    """The pieces a resource names, to be copied before it."""
    if kind == 'port_pair_group':
        return [('port_pair', top['port_pairs'])]
    if kind == 'port_chain':
        return [('flow_classifier', top['flow_classifiers']),
                ('port_pair_group', top['port_pair_groups'])]
    return []


def _not_found(kind, resource_id):
    return {'port_chain': sfc_ext.PortChainNotFound,
            'port_pair_group': sfc_ext.PortPairGroupNotFound,
            'port_pair': sfc_ext.PortPairNotFound,
            'flow_classifier': fc_ext.FlowClassifierNotFound}[kind](
                id=resource_id)


def _other(kind):
    name = (fc_ext.FLOW_CLASSIFIER_EXT if kind == 'flow_classifier'
            else sfc_ext.SFC_EXT)
    plugin = directory.get_plugin(name)
    if not isinstance(plugin, CopyMixin):
        raise t_exc.ManagedByCentral(resource=NOUNS[kind], id='')
    return plugin


class TricircleLocalSfcPlugin(CopyMixin, sfc_plugin.SfcPlugin):
    """networking-sfc's SFC plugin, copying central's chains."""

    KINDS = ('port_chain', 'port_pair_group', 'port_pair')

    def __init__(self):
        self._start()
        super().__init__()

    def _validate_port_pair_ingress_egress(self, ingress, egress):
        # Central checked the pair; here its ports may be shadows of a
        # remote VM's, which no device of this pod owns.
        if not copying():
            super()._validate_port_pair_ingress_egress(ingress, egress)

    def get_port_chain(self, context, id, fields=None):
        return self._get_or_copy('port_chain', context, id, fields)

    def get_port_pair_group(self, context, id, fields=None):
        return self._get_or_copy('port_pair_group', context, id, fields)

    def get_port_pair(self, context, id, fields=None):
        return self._get_or_copy('port_pair', context, id, fields)

    def update_port_chain(self, context, id, port_chain):
        return self._change('port_chain', context, id, port_chain)

    def delete_port_chain(self, context, id):
        self._change('port_chain', context, id)

    def update_port_pair_group(self, context, id, port_pair_group):
        return self._change('port_pair_group', context, id, port_pair_group)

    def delete_port_pair_group(self, context, id):
        self._change('port_pair_group', context, id)

    def update_port_pair(self, context, id, port_pair):
        return self._change('port_pair', context, id, port_pair)

    def delete_port_pair(self, context, id):
        self._change('port_pair', context, id)


class TricircleLocalFlowClassifierPlugin(CopyMixin,
                                         fc_plugin.FlowClassifierPlugin):
    """networking-sfc's classifier plugin, copying central's."""

    KINDS = ('flow_classifier',)

    def __init__(self):
        self._start()
        super().__init__()

    def _get_port(self, context, id):
        # Looked up here only: the core plugin's GET would pull a central
        # port this pod does not hold.
        return fc_db.FlowClassifierDbPlugin._get_port(self, context, id)

    def get_flow_classifier(self, context, id, fields=None):
        return self._get_or_copy('flow_classifier', context, id, fields)

    def update_flow_classifier(self, context, id, flow_classifier):
        return self._change('flow_classifier', context, id, flow_classifier)

    def delete_flow_classifier(self, context, id):
        self._change('flow_classifier', context, id)
