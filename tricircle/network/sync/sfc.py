"""Converge the pods' copies of one central port chain (``sfc_sync``).

The job reads the chain on central as it is now, pieces and all
(tricircle.network.sfc). The pods that should hold it are those where one
of its ports is bound; each of them gets the chain if it has none (a GET
of the chain by id there copies it whole, tricircle.network.local.sfc),
or else exactly central's pieces under their ids with central's
attributes: missing ones are copied, changed ones updated, the ones
central dropped deleted. A pod holding a copy it should not (the chain is
gone from central, or its ports left the pod) loses the copy, pieces
first detached by the chain's delete, then deleted.

A pod can take a chain only once it has every port of it, its own or
shadows (tricircle.network.sync.shadow_ports). A port still unbound
everywhere is waited for (its binding queues this job again); one bound in
another pod whose shadow is not here yet fails the run, and XJob's retry
comes back when shadow_port_setup has made it. Running it twice ends the
same.
"""

from oslo_log import log as logging

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network import regions
from tricircle.network import sfc
from tricircle.network.sync import resources

LOG = logging.getLogger(__name__)

CHAIN = sfc.CHAIN


_NONE = {'missing': [], 'extra': [], 'different': {}}


class PortsNotThere(Exception):
    """A pod lacks the shadow of a chain port bound in another pod."""


def sync(chain_id):
    """Make the pods' copies of central chain ``chain_id`` match it;
    ``{region: what was done}``."""
    central = resources.central()
    top = sfc.tree(central, chain_id)
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    wanted = holders(top) & set(pods) if top is not None else set()
    held = {r['pod_id'] for r in db_api.list_routings(None, {
        'top_id': chain_id, 'resource_type': constants.RT_PORT_CHAIN})}
    held &= set(pods)

    def one(pod_id):
        conn = regions.rest(pods[pod_id])
        try:
            if pod_id in wanted:
                return converge(conn, central, top)
            done = remove(conn, chain_id)
            db_api.delete_routings(None, chain_id, pod_id,
                                   constants.RT_PORT_CHAIN)
            return done
        except Exception as e:
            return e

    outcome = regions.each_pod(wanted | held, one)
    return resources.settled({pods[pid]['region_name']: result
                              for pid, result in outcome.items()})


def holders(top):
    """Pod ids where a port of the chain is bound (the pod holds it)."""
    found = set()
    for port_id in sfc.ports(top):
        found.update(r['pod_id'] for r in db_api.list_routings(None, {
            'top_id': port_id, 'resource_type': constants.RT_PORT}))
    return found


def lacking_ports(conn, top):
    """The chain's ports ``conn`` does not have (its own or shadows)."""
    wanted = sorted(sfc.ports(top))
    have = {p['id'] for p in conn.request('GET', '/ports?fields=id&%s' % (
        '&'.join('id=%s' % p for p in wanted)))['ports']}
    return [p for p in wanted if p not in have]


def converge(conn, central, top):
    """Make one pod's copy match central's tree ``top``."""
    chain_id = next(iter(top[CHAIN]))
    lacking = lacking_ports(conn, top)
    if lacking:
        bound = [p['id'] for p in central.request(
            'GET', '/ports?fields=id&fields=binding:host_id&%s' % '&'.join(
                'id=%s' % p for p in lacking))['ports']
            if p.get('binding:host_id')]
        if bound:
            raise PortsNotThere(
                'port chain %s: ports %s are bound in another pod and their '
                'shadows are not in pod %s yet' % (
                    chain_id, ', '.join(bound), conn.region))
        LOG.info('Port chain %s waits for its ports %s before pod %s can '
                 'hold it', chain_id, ', '.join(lacking), conn.region)
        return 'waiting for ports %s' % ', '.join(lacking)
    here = sfc.tree(conn, chain_id)
    if here is None:
        conn.request('GET', sfc.path(CHAIN, chain_id))
        LOG.info('Port chain %s copied into pod %s, which holds its ports',
                 chain_id, conn.region)
        return 'copied'
    diff = sfc.differences(top, here)
    if not diff:
        return 'in sync'
    _apply(conn, top, here, diff)
    done = '; '.join('%s %s' % (kind, ', '.join(
        '%s %d' % (what, len(found[what])) for what in
        ('missing', 'different', 'extra') if found[what]))
        for kind, found in sorted(diff.items()))
    LOG.info('Port chain %s in pod %s now matches central (%s)', chain_id,
             conn.region, done)
    return 'updated: %s' % done


def _apply(conn, top, here, diff):
    def ids(kind, what):
        return diff.get(kind, {}).get(what) or type(_NONE[what])()

    def put(kind, rid, attrs):
        conn.request('PUT', sfc.path(kind, rid), {kind: {
            k: top[kind][rid][k] for k in attrs}})

    chain_id = next(iter(top[CHAIN]))
    # Leaves first: pairs and classifiers central added, and the ones
    # whose attributes changed.
    for kind in ('port_pair', 'flow_classifier'):
        for rid in ids(kind, 'missing'):
            conn.request('GET', sfc.path(kind, rid))
        for rid, attrs in ids(kind, 'different').items():
            put(kind, rid, attrs)
    # Groups central dropped leave the chain, and go, before the groups
    # that stay take their pairs.
    extra_groups = ids('port_pair_group', 'extra')
    if extra_groups:
        conn.request('PUT', sfc.path(CHAIN, chain_id), {CHAIN: {
            'port_pair_groups': [
                g for g in here[CHAIN][chain_id]['port_pair_groups']
                if g not in extra_groups]}})
        for rid in extra_groups:
            conn.request('DELETE', sfc.path('port_pair_group', rid),
                         ok=(204, 404))
    for rid, attrs in ids('port_pair_group', 'different').items():
        put('port_pair_group', rid, attrs)
    for rid in ids('port_pair_group', 'missing'):
        conn.request('GET', sfc.path('port_pair_group', rid))
    if CHAIN in diff or ids('port_pair_group', 'missing') or extra_groups:
        put(CHAIN, chain_id, sfc.KINDS[CHAIN].update)
    for kind in ('port_pair', 'flow_classifier'):
        for rid in ids(kind, 'extra'):
            conn.request('DELETE', sfc.path(kind, rid), ok=(204, 404))


def remove(conn, chain_id):
    """The pod's copy of a chain goes, then the pieces it held."""
    here = sfc.tree(conn, chain_id)
    if here is None:
        return 'already gone'
    conn.request('DELETE', sfc.path(CHAIN, chain_id), ok=(204, 404))
    for kind in reversed(sfc.PIECES):
        for rid in here[kind]:
            conn.request('DELETE', sfc.path(kind, rid), ok=(204, 404))
    LOG.info('Removed port chain %s and its %d pieces from pod %s', chain_id,
             sum(len(here[k]) for k in sfc.PIECES), conn.region)
    return 'removed'
