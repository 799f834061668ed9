"""Converge the pod's copy of one central trunk (``trunk_sync``).

The job reads the trunk on central as it is now. The pod holding the
parent port gets a copy if it has none (a GET of the trunk by id there
copies it, tricircle.network.local.trunk), then central's owned attributes
and exactly central's subports (port, segmentation type and id): the ones
central dropped or changed are removed, the missing ones added. Then the
copy's status, which the pod's agent sets as it wires the parent, is
written back to central. A status still on its way (BUILD, or DOWN while
the parent is bound and its agent has not reported yet) fails the run,
and XJob's retry brings the settled one. When central has the trunk no
more, the copy goes. Running it twice ends the same.
"""

from oslo_log import log as logging

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network import regions
from tricircle.network.sync import resources
from tricircle.network import trunks

LOG = logging.getLogger(__name__)


class StatusNotSettled(Exception):
    """The pod's agent has not finished wiring the trunk."""


def trunk_of(conn, trunk_id):
    """A trunk, None if absent (in a pod, a GET by id copies central's
    trunk if the pod holds its parent and not the trunk yet)."""
    return conn.get('trunks', trunk_id)


def sync(trunk_id):
    """Make the pod's copy of central trunk ``trunk_id`` match it, and
    central's status the pod's; ``{region: what was done}``."""
    top = trunk_of(resources.central(), trunk_id)
    if top is not None:
        _copy_to_parent_pod(top)
    return resources.each_copy(trunk_id, constants.RT_TRUNK, top, converge,
                               _delete)


def _copy_to_parent_pod(top):
    """The pod holding the parent port copies the trunk (and so records
    its routing) if it has not yet."""
    parent = db_api.list_routings(None, {'top_id': top['port_id'],
                                         'resource_type': constants.RT_PORT})
    held = {r['pod_id'] for r in db_api.list_routings(
        None, {'top_id': top['id'], 'resource_type': constants.RT_TRUNK})}
    for routing in parent:
        if routing['pod_id'] in held:
            continue
        pod = db_api.get_pod(None, routing['pod_id'])
        trunk_of(regions.rest(pod), top['id'])
        LOG.info('Trunk %s copied into pod %s, which holds its parent %s',
                 top['id'], pod['region_name'], top['port_id'])


def converge(conn, top):
    """Make one pod's copy match central's trunk ``top``; bring the
    copy's status back to central."""
    here = trunk_of(conn, top['id'])
    if here is None:
        LOG.warning('Trunk %s is routed to pod %s but not there',
                    top['id'], conn.region)
        return 'missing'
    diff = trunks.differences(top, here)
    path = '/trunks/%s' % top['id']
    done = []
    # A disabled trunk takes no subport changes: enable it first, disable
    # it last.
    attrs_first = top.get('admin_state_up', True)
    if diff['trunk'] and attrs_first:
        done.append(_attributes(conn, path, top, diff))
    if diff['extra']:
        conn.request('PUT', path + '/remove_subports', {'sub_ports': [
            {'port_id': s['port_id']} for s in diff['extra']]})
        done.append('removed %d subports' % len(diff['extra']))
    if diff['missing']:
        conn.request('PUT', path + '/add_subports',
                     {'sub_ports': diff['missing']})
        done.append('added %d subports' % len(diff['missing']))
    if diff['trunk'] and not attrs_first:
        done.append(_attributes(conn, path, top, diff))
    if done:
        here = trunk_of(conn, top['id'])
        LOG.info('Trunk %s in pod %s now matches central (%s)', top['id'],
                 conn.region, '; '.join(done))
    status = _settled_status(conn, here)
    if status != top['status']:
        resources.central().request('PUT', path,
                                    {'trunk': {'status': status}})
        done.append('status %s to central' % status)
    return '; '.join(done) or 'in sync'


def _attributes(conn, path, top, diff):
    conn.request('PUT', path, {'trunk': {k: top[k] for k in diff['trunk']}})
    return 'set %s' % ', '.join(sorted(diff['trunk']))


def _settled_status(conn, here):
    status = here['status']
    if status == constants.TRUNK_BUILD:
        raise StatusNotSettled('trunk %s in pod %s is still BUILD' % (
            here['id'], conn.region))
    if status == constants.TRUNK_DOWN:
        parent = conn.request('GET', '/ports/%s' % here['port_id'])['port']
        if trunks.bound_host(parent):
            raise StatusNotSettled(
                'trunk %s in pod %s is DOWN while its parent is bound to %s'
                ': its agent has not wired it yet' % (
                    here['id'], conn.region,
                    parent.get(constants.HOST_ID)))
    return status


def _delete(conn, trunk_id):
    if trunk_of(conn, trunk_id) is None:
        return 'already gone'
    conn.request('DELETE', '/trunks/%s' % trunk_id, ok=(204, 404))
    LOG.info('Deleted trunk %s from pod %s: central deleted it', trunk_id,
             conn.region)
    return 'deleted'
