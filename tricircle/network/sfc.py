"""What central, the pods, XJob and the audit agree on about SFC.

A port chain is central's, with its pieces: the port pair groups in it,
their port pairs, and its flow classifiers. networking-sfc lets a piece
belong to one chain at most (a pair to one group, a group or a classifier
to one chain), so a chain and its pieces form a tree, and the tree is what
reaches a pod, whole, under central's ids. A piece no chain holds stays on
central: a pod has nothing to steer with it.

Supported layout: every port of the chain (the pairs' ingress and egress,
the classifiers' logical source and destination) on one network, which is
either VxLAN, reaching every pod through shadow ports of the same ids
(tricircle.network.sync.shadow_ports), or hinted to a single pod. Central
refuses any other chain with 400 (tricircle.network.central.sfc).

The pods that hold a chain are the ones where one of its ports is bound
(holds the port itself, not a shadow); each needs every port of the chain,
its own or a shadow, before it can take the chain.
"""

import collections

# kind -> where it lives in the API, the attributes a copy is created with
# (besides id and project), and those a PUT changes (networking-sfc's
# updatable ones).
Kind = collections.namedtuple('Kind', 'collection create update')

KINDS = {
    'port_pair': Kind('sfc/port_pairs',
                      ('name', 'description', 'ingress', 'egress',
                       'service_function_parameters'),
                      ('name', 'description')),
    'port_pair_group': Kind('sfc/port_pair_groups',
                            ('name', 'description', 'port_pairs',
                             'port_pair_group_parameters', 'tap_enabled'),
                            ('name', 'description', 'port_pairs')),
    'flow_classifier': Kind('sfc/flow_classifiers',
                            ('name', 'description', 'ethertype', 'protocol',
                             'source_port_range_min', 'source_port_range_max',
                             'destination_port_range_min',
                             'destination_port_range_max',
                             'source_ip_prefix', 'destination_ip_prefix',
                             'logical_source_port',
                             'logical_destination_port', 'l7_parameters'),
                            ('name', 'description')),
    'port_chain': Kind('sfc/port_chains',
                       ('name', 'description', 'port_pair_groups',
                        'flow_classifiers', 'chain_parameters', 'chain_id'),
                       ('name', 'description', 'port_pair_groups',
                        'flow_classifiers')),
}
# Pieces in the order a copy is made; deleted in the reverse order.
PIECES = ('port_pair', 'flow_classifier', 'port_pair_group')
CHAIN = 'port_chain'


def with_sfc_extensions():
    """networking-sfc's API extensions, which Neutron looks for only
    beside a plugin of networking-sfc's own package (central's and the
    pods' plugins call this before starting)."""
    import networking_sfc.extensions
    from neutron.api import extensions
    extensions.append_api_extensions_path(
        list(networking_sfc.extensions.__path__))


def port_users(session, port_id):
    """(port pairs, flow classifiers) naming a port: networking-sfc's
    rows, which central and the pods both look up."""
    from networking_sfc.db import flowclassifier_db as fc_db
    from networking_sfc.db import sfc_db
    import sqlalchemy as sa
    pairs = session.query(sfc_db.PortPair).filter(sa.or_(
        sfc_db.PortPair.ingress == port_id,
        sfc_db.PortPair.egress == port_id)).all()
    fcs = session.query(fc_db.FlowClassifier).filter(sa.or_(
        fc_db.FlowClassifier.logical_source_port == port_id,
        fc_db.FlowClassifier.logical_destination_port == port_id)).all()
    return pairs, fcs


def check_port_free(context, port_id):
    """409 for the delete of a port that a port pair or flow classifier
    of this Neutron names (networking-sfc's tables hold a foreign key to
    it, and the delete would fail with a database error, a 500)."""
    from neutron_lib.plugins import directory
    if directory.get_plugin('sfc') is None:
        return
    from neutron_lib.db import api as db_api

    from tricircle.network import exceptions as t_exc
    admin = context.elevated()
    with db_api.CONTEXT_READER.using(admin):
        pairs, fcs = port_users(admin.session, port_id)
        users = (['port pair %s' % p.id for p in pairs] +
                 ['flow classifier %s' % f.id for f in fcs])
    if users:
        raise t_exc.PortUsedByServiceChain(port_id=port_id,
                                           users=', '.join(users))


def body(kind, resource):
    """What a copy of ``resource`` is created with."""
    values = {k: resource[k] for k in KINDS[kind].create if k in resource}
    values['project_id'] = resource['project_id']
    return values


def path(kind, resource_id=None):
    collection = '/' + KINDS[kind].collection
    return collection if resource_id is None else '%s/%s' % (
        collection, resource_id)


def listed(conn, kind, ids):
    """``{id: resource}`` of those of ``ids`` ``conn`` has, by a list
    (which, unlike a GET by id in a pod, never copies central's)."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    key = KINDS[kind].collection.split('/')[-1]
    found = conn.request('GET', '%s?%s' % (path(kind), '&'.join(
        'id=%s' % i for i in ids)))[key]
    return {r['id']: r for r in found}


def tree(conn, chain_id):
    """A chain with its pieces as ``conn`` has them: ``{kind: {id:
    resource}}``, the chain under ``CHAIN``; None without the chain. A
    piece the chain names but ``conn`` lacks is absent from its kind."""
    chains = listed(conn, CHAIN, [chain_id])
    if not chains:
        return None
    chain = chains[chain_id]
    groups = listed(conn, 'port_pair_group', chain['port_pair_groups'])
    return {
        CHAIN: chains,
        'port_pair_group': groups,
        'port_pair': listed(conn, 'port_pair', [
            pp for g in groups.values() for pp in g['port_pairs']]),
        'flow_classifier': listed(conn, 'flow_classifier',
                                  chain['flow_classifiers']),
    }


def ports(tree_):
    """The ports a chain tree names."""
    found = set()
    for pair in tree_['port_pair'].values():
        found.update((pair['ingress'], pair['egress']))
    for fc in tree_['flow_classifier'].values():
        found.update(p for p in (fc['logical_source_port'],
                                 fc['logical_destination_port']) if p)
    return found


def differences(top, here):
    """What a pod's tree lacks of central's: ``{kind: {'missing': [id],
    'extra': [id], 'different': {id: [attr]}}}`` for every kind with a
    difference; ``{}`` when the pod is in step."""
    diff = {}
    for kind in (CHAIN,) + PIECES:
        there, mine = top[kind], here[kind]
        found = {
            'missing': sorted(set(there) - set(mine)),
            'extra': sorted(set(mine) - set(there)),
            'different': {
                rid: sorted(k for k in KINDS[kind].update
                            if _value(k, mine[rid].get(k)) !=
                            _value(k, there[rid].get(k)))
                for rid in sorted(set(there) & set(mine))},
        }
        found['different'] = {rid: attrs for rid, attrs in
                              found['different'].items() if attrs}
        if any(found.values()):
            diff[kind] = found
    return diff


def _value(attr, value):
    # The pairs of a group and the classifiers of a chain have no order;
    # the groups of a chain do.
    if attr in UNORDERED:
        return sorted(value or ())
    return value or None


UNORDERED = ('port_pairs', 'flow_classifiers')
