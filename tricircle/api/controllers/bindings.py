"""``/v1.0/bindings``: the pod of each AZ a project's new servers and
volumes go to.

The API gateway makes bindings on a project's first use of an AZ; admins
list them, bind ahead of time, and move one (PUT) when its pod is full or
down. A binding's project and AZ never change: that would be another
binding, so PUT accepts ``pod_id`` alone.
"""

import pecan
from pecan import rest

from tricircle.api import policy
from tricircle.api import validation as v
from tricircle.common import exceptions as exc
from tricircle.db import bindings as db_bindings

_LENGTHS = {'project_id': 255, 'pod_id': 36}


def _create_values(body):
    v.reject_unknown(body, _LENGTHS, 'binding')
    return {key: v.string(body, key, max_len, required=True)
            for key, max_len in _LENGTHS.items()}


def _move_target(body):
    fixed = sorted(set(body) - {'pod_id'})
    if fixed:
        raise exc.InvalidInput(
            reason='only pod_id of a binding can change, not: %s' % ', '.join(
                str(k) for k in fixed))
    return v.string(body, 'pod_id', _LENGTHS['pod_id'], required=True)


class BindingsController(rest.RestController):

    @pecan.expose('json')
    def post(self):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:bindings:create')
        values = _create_values(v.parse_body(pecan.request, 'binding'))
        created = db_bindings.create_binding(ctx, **values)
        pecan.response.status = 201
        return {'binding': created}

    @pecan.expose('json')
    def get_all(self, **params):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:bindings:list')
        limit, marker = v.pagination(params, uuid_marker=True)
        items = db_bindings.list_bindings(
            ctx, v.filters(params, db_bindings.FILTERS), limit, marker)
        return v.page(pecan.request, 'bindings', items, limit, 'id')

    @pecan.expose('json')
    def get_one(self, binding_id):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:bindings:show')
        return {'binding': db_bindings.get_binding(ctx, binding_id)}

    @pecan.expose('json')
    def put(self, binding_id=None):
        v.item_only(binding_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:bindings:update')
        pod_id = _move_target(v.parse_body(pecan.request, 'binding'))
        return {'binding': db_bindings.move_binding(ctx, binding_id, pod_id)}

    @pecan.expose('json')
    def delete(self, binding_id=None):
        v.item_only(binding_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:bindings:delete')
        db_bindings.delete_binding(ctx, binding_id)
        pecan.response.status = 204
