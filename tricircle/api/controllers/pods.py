"""``/v1.0/pods``: the regions Tricircle manages."""

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_log import log as logging
import pecan
from pecan import rest

from tricircle.api import policy
from tricircle.api import validation as v
from tricircle.common import client
from tricircle.common import exceptions as exc
from tricircle.db import api as db_api

_FIELDS = ('region_name', 'az_name', 'pod_az_name', 'dc_name')
_LIST_FILTERS = _FIELDS + ('pod_id',)
LOG = logging.getLogger(__name__)


class KeystoneUnavailable(exc.TricircleError):
    code = 503
    message = 'Keystone cannot be reached to check region %(region)s.'


def _check_region(region_name):
    """With Keystone, a pod is a Keystone region whose Neutron is in the
    catalog: central and XJob find the pod there, so a pod registered
    under any other name could never be reached."""
    conf = cfg.CONF
    if not client.uses_keystone(conf):
        return
    try:
        known = client.region_in_catalog(region_name, conf=conf)
    except ks_exc.ClientException as e:
        LOG.error('Cannot read the Keystone catalog: %s', e)
        raise KeystoneUnavailable(region=region_name)
    if not known:
        raise exc.InvalidInput(
            reason='region %s has no network endpoint in the Keystone '
                   'catalog' % region_name)


class PodsController(rest.RestController):

    @pecan.expose('json')
    def post(self):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:create')
        pod = v.parse_body(pecan.request, 'pod')
        v.reject_unknown(pod, _FIELDS + ('pod_name',), 'pod')
        # The seeds' README calls the region name "pod_name".
        alias = v.string(pod, 'pod_name', 255)
        region = v.string(pod, 'region_name', 255)
        if alias and region and alias != region:
            raise exc.InvalidInput(
                reason='pod_name and region_name differ; give one of them')
        values = {'region_name': region or alias}
        if not values['region_name']:
            raise exc.InvalidInput(reason='region_name is required')
        for key in ('az_name', 'pod_az_name', 'dc_name'):
            values[key] = v.string(pod, key, 255, allow_empty=True)
        _check_region(values['region_name'])
        created = db_api.create_pod(ctx, values)
        pecan.response.status = 201
        return {'pod': created}

    @pecan.expose('json')
    def get_all(self, **params):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:list')
        limit, marker = v.pagination(params, uuid_marker=True)
        pods = db_api.list_pods(ctx, v.filters(params, _LIST_FILTERS),
                                limit, marker)
        return v.page(pecan.request, 'pods', pods, limit, 'pod_id')

    @pecan.expose('json')
    def get_one(self, pod_id):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:show')
        return {'pod': db_api.get_pod(ctx, pod_id)}

    @pecan.expose('json')
    def delete(self, pod_id=None):
        v.item_only(pod_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:delete')
        db_api.delete_pod(ctx, pod_id)
        pecan.response.status = 204
