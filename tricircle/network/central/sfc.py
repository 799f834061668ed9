"""Central's service function chaining: networking-sfc's, reaching pods.

Port pairs, port pair groups, flow classifiers and port chains are made
and validated on central by networking-sfc's plugins unchanged (a pair
whose ports sit on different VMs, a group already in a chain, a classifier
conflicting with another: networking-sfc's 400/409). What central adds:

- a chain must have a layout the pods can carry (tricircle.network.sfc):
  a chain, or a change to one, with its ports on several networks, or on
  one that neither reaches every pod nor lives in a single one, is refused
  with 400 before anything is stored;
- after every committed change to a chain or to a piece of one, and when
  a port of a chain is bound, moved or unbound, the chain's ``sfc_sync``
  job is queued: the pods holding its ports follow.
"""

from networking_sfc.db import flowclassifier_db as fc_db
from networking_sfc.db import sfc_db
from networking_sfc.services.flowclassifier import plugin as fc_plugin
from networking_sfc.services.sfc import plugin as sfc_plugin
from neutron_lib.db import api as db_api
from neutron_lib.plugins import directory
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.network.central import follow
from tricircle.network import exceptions as t_exc
from tricircle.network import placement
from tricircle.network import segments
from tricircle.network import sfc
from tricircle.network.sync import shadow_ports

LOG = logging.getLogger(__name__)

# The type that reaches every pod with shadows of the same ids.
SPANNING_TYPE = shadow_ports.VXLAN


# -- which chain -----------------------------------------------------------

def chains_of_groups(session, group_ids):
    if not group_ids:
        return set()
    return {a.portchain_id for a in session.query(
        sfc_db.ChainGroupAssoc).filter(
            sfc_db.ChainGroupAssoc.portpairgroup_id.in_(group_ids))}


def chains_of_classifiers(session, fc_ids):
    if not fc_ids:
        return set()
    return {a.portchain_id for a in session.query(
        sfc_db.ChainClassifierAssoc).filter(
            sfc_db.ChainClassifierAssoc.flowclassifier_id.in_(fc_ids))}


def chains_of_port(session, port_id):
    """The chains naming a port, as a pair's or a classifier's."""
    pairs, fcs = sfc.port_users(session, port_id)
    groups = {p.portpairgroup_id for p in pairs if p.portpairgroup_id}
    return chains_of_groups(session, groups) | chains_of_classifiers(
        session, [f.id for f in fcs])


def changed(context, chain_ids, why):
    """Queue the job of each chain."""
    for chain_id in sorted(chain_ids):
        with db_api.CONTEXT_READER.using(context):
            chain = context.session.query(sfc_db.PortChain).filter_by(
                id=chain_id).first()
            project_id = chain.project_id if chain is not None else None
        follow.queue(constants.JOB_SFC_SYNC, chain_id, project_id, why)


def port_changed(context, port_id, why):
    """A port was bound, moved or unbound: its chains' pods may change."""
    with db_api.CONTEXT_READER.using(context):
        chains = chains_of_port(context.session, port_id)
    changed(context, chains, 'port %s %s' % (port_id, why))


# -- layout ----------------------------------------------------------------

def check_layout(context, what, pair_ids, fc_ids):
    """Refuse (400) a chain whose ports could not be in every pod that
    needs them: see tricircle.network.sfc."""
    port_ids = set()
    with db_api.CONTEXT_READER.using(context):
        session = context.session
        if pair_ids:
            for pair in session.query(sfc_db.PortPair).filter(
                    sfc_db.PortPair.id.in_(pair_ids)):
                port_ids.update((pair.ingress, pair.egress))
        if fc_ids:
            for fc in session.query(fc_db.FlowClassifier).filter(
                    fc_db.FlowClassifier.id.in_(fc_ids)):
                port_ids.update(p for p in (fc.logical_source_port,
                                            fc.logical_destination_port)
                                if p)
    if not port_ids:
        return
    core = directory.get_plugin()
    admin = context.elevated()
    nets = {p['network_id'] for p in core.get_ports(
        admin, filters={'id': sorted(port_ids)}, fields=['network_id'])}
    if len(nets) > 1:
        raise t_exc.ChainLayoutNotSupported(
            what=what, reason='its ports are on networks %s' % ', '.join(
                sorted(nets)))
    net = core.get_network(admin, nets.pop())
    net_type = segments.network_type(net)
    if net_type == SPANNING_TYPE or len(placement.hinted_pods(
            net.get('availability_zone_hints'))) == 1:
        return
    raise t_exc.ChainLayoutNotSupported(
        what=what, reason='its network %s is %s and not hinted to a single '
        'pod' % (net['id'], net_type))


def _pairs_of_groups(context, group_ids, replaced=None):
    """The pairs of some groups; ``replaced`` gives one group new ones."""
    replaced = replaced or {}
    pairs = set()
    with db_api.CONTEXT_READER.using(context):
        for group_id in group_ids:
            if group_id in replaced:
                pairs.update(replaced[group_id])
                continue
            pairs.update(p.id for p in context.session.query(
                sfc_db.PortPair).filter_by(portpairgroup_id=group_id))
    return pairs


# -- the plugins -----------------------------------------------------------

class TricircleCentralSfcPlugin(sfc_plugin.SfcPlugin):
    """networking-sfc's SFC plugin: layouts checked, changes followed."""

    def __init__(self):
        sfc.with_sfc_extensions()
        super().__init__()
        LOG.info('Tricircle central SFC plugin started')

    def create_port_chain(self, context, port_chain):
        body = port_chain['port_chain']
        check_layout(context, 'port chain', _pairs_of_groups(
            context, body.get('port_pair_groups') or ()),
            body.get('flow_classifiers') or ())
        result = super().create_port_chain(context, port_chain)
        changed(context, [result['id']], 'port chain created')
        return result

    def update_port_chain(self, context, id, port_chain):
        body = port_chain['port_chain']
        if 'port_pair_groups' in body or 'flow_classifiers' in body:
            old = self.get_port_chain(context, id)
            check_layout(
                context, 'port chain %s' % id, _pairs_of_groups(
                    context, body.get('port_pair_groups',
                                      old['port_pair_groups'])),
                body.get('flow_classifiers', old['flow_classifiers']))
        result = super().update_port_chain(context, id, port_chain)
        changed(context, [id], 'port chain updated')
        return result

    def delete_port_chain(self, context, id):
        super().delete_port_chain(context, id)
        if follow.routed(id, constants.RT_PORT_CHAIN):
            follow.queue(constants.JOB_SFC_SYNC, id, None,
                         'port chain deleted')

    def update_port_pair_group(self, context, id, port_pair_group):
        body = port_pair_group['port_pair_group']
        with db_api.CONTEXT_READER.using(context):
            chains = chains_of_groups(context.session, [id])
        if 'port_pairs' in body:
            for chain_id in chains:
                chain = self.get_port_chain(context, chain_id)
                check_layout(
                    context, 'port pair group %s (in port chain %s)' % (
                        id, chain_id), _pairs_of_groups(
                        context, chain['port_pair_groups'],
                        {id: body['port_pairs'] or ()}),
                    chain['flow_classifiers'])
        result = super().update_port_pair_group(context, id,
                                                port_pair_group)
        changed(context, chains, 'port pair group %s updated' % id)
        return result

    def update_port_pair(self, context, id, port_pair):
        result = super().update_port_pair(context, id, port_pair)
        with db_api.CONTEXT_READER.using(context):
            group = self._get_port_pair(context, id).portpairgroup_id
            chains = chains_of_groups(context.session, [group] if group
                                      else [])
        changed(context, chains, 'port pair %s updated' % id)
        return result


class TricircleCentralFlowClassifierPlugin(fc_plugin.FlowClassifierPlugin):
    """networking-sfc's classifier plugin: changes followed."""

    def __init__(self):
        sfc.with_sfc_extensions()
        super().__init__()

    def update_flow_classifier(self, context, id, flow_classifier):
        result = super().update_flow_classifier(context, id,
                                                flow_classifier)
        with db_api.CONTEXT_READER.using(context):
            chains = chains_of_classifiers(context.session, [id])
        changed(context, chains, 'flow classifier %s updated' % id)
        return result
