"""``/v1.0/pods``: the regions Tricircle manages."""

import pecan
from pecan import rest

from tricircle.api import policy
from tricircle.api import validation as v
from tricircle.common import exceptions as exc
from tricircle.db import api as db_api

_FIELDS = ('region_name', 'az_name', 'pod_az_name', 'dc_name')
_LIST_FILTERS = _FIELDS + ('pod_id',)


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
        created = db_api.create_pod(ctx, values)
        pecan.response.status = 201
        return {'pod': created}

    @pecan.expose('json')
    def get_all(self, **params):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:list')
        limit, marker = v.pagination(params)
        pods = db_api.list_pods(ctx, v.filters(params, _LIST_FILTERS),
                                limit, marker)
        return v.page(pecan.request, 'pods', pods, limit, 'pod_id')

    @pecan.expose('json')
    def get_one(self, pod_id):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:show')
        return {'pod': db_api.get_pod(ctx, pod_id)}

    @pecan.expose('json')
    def delete(self, pod_id):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:pods:delete')
        db_api.delete_pod(ctx, pod_id)
        pecan.response.status = 204
