"""``/v1.0/routings``: where each top resource lives in the pods."""

import pecan
from pecan import rest

from tricircle.api import policy
from tricircle.api import validation as v
from tricircle.common import constants
from tricircle.common import exceptions as exc
from tricircle.db import api as db_api

_LENGTHS = {'top_id': 127, 'bottom_id': 36, 'pod_id': 36,
            'project_id': 255, 'resource_type': 64}
_REQUIRED = ('top_id', 'pod_id', 'project_id', 'resource_type')
# What a routing can never lack, even after an update.
_NOT_NULL = ('top_id', 'pod_id', 'resource_type')
_LIST_FILTERS = tuple(_LENGTHS)


def _routing_id(raw):
    """Routing ids are integers; anything else cannot name a routing."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise exc.RoutingNotFound(routing_id=raw)
    if value < 1 or value > 2 ** 63 - 1:
        raise exc.RoutingNotFound(routing_id=raw)
    return value


def _values(body, required):
    v.reject_unknown(body, _LENGTHS, 'routing')
    if not body:
        raise exc.InvalidInput(reason='no routing attribute given')
    values = {}
    for key, max_len in _LENGTHS.items():
        if key in body or key in required:
            values[key] = v.string(body, key, max_len,
                                   required=key in required or
                                   key in _NOT_NULL)
    if 'resource_type' in values:
        _check_type(values['resource_type'])
    return values


def _check_type(rtype):
    if rtype not in constants.RESOURCE_TYPES:
        raise exc.InvalidInput(
            reason='resource_type must be one of: %s' % ', '.join(
                constants.RESOURCE_TYPES))


def _filters(params):
    """List filters, checked like a POST body: a filter no routing can
    match (an unknown resource_type) is a 400, not an empty page."""
    filters = v.filters(params, _LIST_FILTERS)
    if 'resource_type' in filters:
        _check_type(filters['resource_type'])
    return filters


class RoutingsController(rest.RestController):

    @pecan.expose('json')
    def post(self):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:routings:create')
        values = _values(v.parse_body(pecan.request, 'routing'), _REQUIRED)
        created = db_api.create_routing(ctx, values)
        pecan.response.status = 201
        return {'routing': created}

    @pecan.expose('json')
    def get_all(self, **params):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:routings:list')
        limit, marker = v.pagination(params)
        if marker is not None:
            marker = _marker(marker)
        items = db_api.list_routings(ctx, _filters(params), limit, marker)
        return v.page(pecan.request, 'routings', items, limit, 'id')

    @pecan.expose('json')
    def get_one(self, routing_id):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:routings:show')
        return {'routing': db_api.get_routing(ctx, _routing_id(routing_id))}

    @pecan.expose('json')
    def put(self, routing_id=None):
        v.item_only(routing_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:routings:update')
        routing_id = _routing_id(routing_id)
        values = _values(v.parse_body(pecan.request, 'routing'), ())
        return {'routing': db_api.update_routing(ctx, routing_id, values)}

    @pecan.expose('json')
    def delete(self, routing_id=None):
        v.item_only(routing_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:routings:delete')
        db_api.delete_routing(ctx, _routing_id(routing_id))
        pecan.response.status = 204


def _marker(raw):
    try:
        return int(raw)
    except ValueError:
        raise exc.InvalidInput(reason='marker must be a routing id')
