"""Routes of the Cinder gateway (``tricircle-cinder-apigw``, catalog type
``volumev3`` in CentralRegion).

Volumes: created in the pod ``placing`` picks (a clone in its source's
pod), then reached through their routing; lists merged over the pods the
tenant uses; limits summed. Volume types: the same names in every pod
(``volume_types``). Anything else goes to a pod the tenant uses.
URLs with and without the project (``/v3/<project>/volumes``,
``/v3/volumes``) are both taken and passed on as they came.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils

from tricircle.gateway import app
from tricircle.gateway import errors
from tricircle.gateway import listing
from tricircle.gateway import placing
from tricircle.gateway import pods as gw_pods
from tricircle.gateway import proxy
from tricircle.gateway import volume_types

LOG = logging.getLogger(__name__)
VOLUME = gw_pods.VOLUME
P = r'/v3(?P<project>/[0-9a-f\-]+)?'
ID = r'(?P<id>[^/]+)'


def _mine(call):
    return gw_pods.tenant_pods(call.ctx, call.req, gw_pods.VOLUME_RESOURCE)


# Anything without a rule of its own.
fallback = app.to_tenant_pod(VOLUME, gw_pods.VOLUME_RESOURCE)
# Reads of what every pod holds the same (versions, volume types).
read_any = app.to_any_pod(VOLUME)


def version(call):
    """``GET /v3`` (and ``/v3/<project>``): v3's own version document, the
    one clients discover from a catalog URL. A pod's Cinder answers it
    only behind authentication (its noauth mode gives an empty 204), so
    it is cut from the pod's list of versions."""
    resp = proxy.first_answer(call.req, gw_pods.all_pods(), VOLUME,
                              call.keystone, path_qs='/')
    # Cinder lists its versions with 300 Multiple Choices.
    if resp.status_int >= 400:
        return resp
    for entry in jsonutils.loads(resp.body).get('versions', []):
        if entry.get('id', '').startswith('v3'):
            return listing.json_response(200, {'version': entry})
    raise errors.NotFound('The pods offer no Cinder v3.')


def _prefix(call):
    return '/v3' + (call.params.get('project') or '')


def create_volume(call):
    body = app.json_body(call.req, 'volume')
    volume = body['volume']
    source = volume.get('source_volid')
    pod = source and placing.routed_pod(gw_pods.VOLUME_RESOURCE, source)
    if pod is None:
        zone = placing.zone_of(volume.get('availability_zone'))
        pod = placing.pod_for_new(call.ctx, zone, VOLUME)
    LOG.info('Volume %s of project %s goes to %s (%s)', volume.get('name'),
             call.ctx.project_id, pod['region_name'], pod['az_name'])
    resp = proxy.forward(call.req, pod, VOLUME, call.keystone,
                         body=volume_types.named(call, _prefix(call), body))
    if resp.status_int == 202:
        created = jsonutils.loads(resp.body).get('volume') or {}
        if created.get('id'):
            placing.remember(call.ctx, gw_pods.VOLUME_RESOURCE,
                             created['id'], pod)
    return resp


def list_volumes(call):
    detail = call.req.path_info.rstrip('/').endswith('/detail')
    return listing.merged_list(call.req, _mine(call), VOLUME,
                               _prefix(call) + '/volumes/detail', 'volumes',
                               detail, call.keystone)


def volume_call(call):
    volume_id = call.params['id']
    pod = placing.locate(call.req, call.ctx, gw_pods.VOLUME_RESOURCE,
                         volume_id, VOLUME,
                         '%s/volumes/%s' % (_prefix(call), volume_id),
                         call.keystone)
    resp = proxy.forward(call.req, pod, VOLUME, call.keystone)
    if resp.status_int == 404 and not call.params.get('rest') and \
            call.req.method == 'GET':
        placing.forget(gw_pods.VOLUME_RESOURCE, volume_id)
    return resp


def create_type(call):
    return volume_types.create(call, _prefix(call))


def type_write(call):
    return volume_types.write(call, _prefix(call))


def limits(call):
    pods = _mine(call)
    if not pods:
        return fallback(call)
    return listing.summed_limits(call.req, pods, VOLUME, call.keystone)


ROUTES = [
    app.route('GET', r'/', read_any),
    app.route('GET', P, version),
    app.route('POST', P + r'/volumes', create_volume),
    app.route('GET', P + r'/volumes(/detail)?', list_volumes),
    app.route('*', P + r'/volumes/' + ID + r'(?P<rest>/.*)?', volume_call),
    app.route('GET', P + r'/limits', limits),
    app.route('POST', P + r'/types', create_type),
    app.route('GET', P + r'/types(/.*)?', read_any),
    app.route('*', P + r'/types/' + ID + r'(?P<rest>/.*)?', type_write),
]
