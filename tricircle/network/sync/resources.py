"""Converge the pods' copies of one central network, subnet or port (the
``network_sync``, ``subnet_sync`` and ``port_sync`` jobs).

The job reads the resource on central as it is now. If central still has
it, every pod holding a copy (its routings) gets central's value of each
attribute central owns (tricircle.network.attributes) that differs, tags
included. If central has it no more, every copy is deleted, with what
only stood for it in that pod (shadow ports, ports whose central twin is
gone), and its routings go. Running it twice, or after a crash half-way,
ends the same.

A pod that refuses (a port still used by a bottom router, bad input that
only the pod rejects) fails the job with the pod's name and Neutron's
message; XJob retries it, and a pod that is down gets the change when it
answers again.
"""

from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api
from tricircle.network import attributes
from tricircle.network import regions

LOG = logging.getLogger(__name__)

ROUTING_TYPES = {'network': constants.RT_NETWORK,
                 'subnet': constants.RT_SUBNET,
                 'port': constants.RT_PORT}


class SyncFailed(Exception):
    """One or more pods refused; each named with its reason."""


def central():
    return regions.rest(cfg.CONF.client.central_region_name)


def sync(kind, resource_id):
    """Make every pod's copy of central resource ``resource_id`` match it;
    return ``{region: what was done}``."""
    collection = attributes.COLLECTIONS[kind]
    top = central().get(collection, resource_id)
    return each_copy(resource_id, ROUTING_TYPES[kind], top,
                     lambda conn, top: _update(conn, kind, top),
                     lambda conn, rid: _delete(conn, kind, rid))


def each_copy(resource_id, resource_type, top, update, delete):
    """In every pod holding a copy of ``resource_id`` (its routings of
    ``resource_type``), concurrently: ``update(conn, top)``, or, when
    central has it no more (``top`` None), ``delete(conn, resource_id)``
    and the routing goes. ``{region: what was done}``; SyncFailed names
    every pod that refused, once all have been tried."""
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    copies = {r['id']: r for r in db_api.list_routings(None, {
        'top_id': resource_id, 'resource_type': resource_type})
        if r['pod_id'] in pods}

    def one(routing_id):
        conn = regions.rest(pods[copies[routing_id]['pod_id']])
        try:
            if top is None:
                done = delete(conn, resource_id)
                _drop_routing(routing_id)
                return done
            return update(conn, top)
        except Exception as e:
            return e

    outcome = regions.each_pod(copies, one)
    return settled({pods[copies[rid]['pod_id']]['region_name']: result
                    for rid, result in outcome.items()})


def settled(done):
    """``done`` (``{region: what was done, or the exception}``) back, or
    SyncFailed naming every pod that refused."""
    failed = {region: e for region, e in done.items()
              if isinstance(e, Exception)}
    if failed:
        raise SyncFailed('; '.join('%s' % e if isinstance(
            e, regions.PodRefused) else 'pod %s: %s: %s' % (
                region, type(e).__name__, e)
            for region, e in sorted(failed.items())))
    return done


def _update(conn, kind, top):
    collection = attributes.COLLECTIONS[kind]
    here = conn.find(collection, top['id'])
    if here is None:
        # Lost behind our back: the audit re-pulls it (networks, subnets)
        # or reports it (ports); nothing here can stand in for it.
        LOG.warning('%s %s is routed to pod %s but not there', kind,
                    top['id'], conn.region)
        return 'missing'
    diff = attributes.differences(kind, top, here)
    body = {k: top[k] for k in diff if k != attributes.TAGS}
    if body:
        # Central's own values: the pod must not pass them back to central
        # (tricircle.network.local.origin), where they may be stale by now.
        conn.request('PUT', '/%s/%s' % (collection, top['id']),
                     {kind: body}, headers={
                         constants.SYNC_HEADER: constants.SYNC_FROM_CENTRAL})
    if attributes.TAGS in diff:
        conn.request('PUT', '/%s/%s/tags' % (collection, top['id']),
                     {'tags': top[attributes.TAGS]})
    if diff:
        LOG.info('%s %s in pod %s now has central\'s %s', kind, top['id'],
                 conn.region, ', '.join(sorted(diff)))
        return 'updated: %s' % ', '.join(sorted(diff))
    return 'in sync'


def _delete(conn, kind, resource_id):
    collection = attributes.COLLECTIONS[kind]
    if conn.find(collection, resource_id) is None:
        return 'already gone'
    if kind == 'network':
        _drop_stand_ins(conn, 'network_id=%s' % resource_id)
        for subnet in conn.request('GET', '/subnets?network_id=%s'
                                   % resource_id)['subnets']:
            conn.request('DELETE', '/subnets/%s' % subnet['id'])
            _forget(conn, subnet['id'], constants.RT_SUBNET)
    elif kind == 'subnet':
        _drop_stand_ins(conn, 'fixed_ips=subnet_id%%3D%s' % resource_id)
    conn.request('DELETE', '/%s/%s' % (collection, resource_id))
    LOG.info('Deleted %s %s from pod %s: central deleted it', kind,
             resource_id, conn.region)
    return 'deleted'


def _drop_stand_ins(conn, query):
    """Before a network or subnet goes: the pod's ports on it that only
    stood for central ports (shadows, and copies whose central twin is
    gone). A bottom router's port is router_setup's to remove; while one
    is there the pod refuses, and the job is retried."""
    twins = {p['id'] for p in central().request(
        'GET', '/ports?fields=id&%s' % query)['ports']}
    for port in conn.request('GET', '/ports?%s' % query)['ports']:
        owner = port['device_owner'] or ''
        if owner.startswith('network:router') or owner == \
                constants.DEVICE_OWNER_FLOATINGIP:
            continue
        if owner != constants.DEVICE_OWNER_SHADOW and port['id'] in twins:
            continue
        conn.request('DELETE', '/ports/%s' % port['id'], ok=(204, 404))
        LOG.info('Deleted port %s (%s) of pod %s with its network',
                 port['id'], owner or 'no owner', conn.region)


def _forget(conn, resource_id, resource_type):
    pod = db_api.get_pod_by_region(None, conn.region)
    db_api.delete_routings(None, resource_id, pod['pod_id'], resource_type)


def _drop_routing(routing_id):
    """The pod's plugin forgets its copies as it deletes them; whatever
    it could not reach goes here."""
    try:
        db_api.delete_routing(None, routing_id)
    except t_exc.RoutingNotFound:
        pass
