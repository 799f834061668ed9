"""Input checks shared by the Admin API controllers.

Each helper raises InvalidInput (400) before anything is written, so a bad
request never leaves a half-created row behind.
"""

from oslo_serialization import jsonutils
from oslo_utils import uuidutils
import webob.exc

from tricircle.common import exceptions as exc

MAX_LIMIT = 1000
# Beyond this a limit is not a page size but garbage (it would not fit the
# database's integer either); below it, large limits are capped.
LIMIT_CEILING = 2 ** 31 - 1
MAX_FILTER_LEN = 255


class UnsupportedMediaType(exc.TricircleError):
    code = 415
    message = 'Request body must be application/json, not %(content_type)s.'


def _check_content_type(request):
    """A body sent as form data or text is not what the caller thinks it
    sends: refuse it rather than guess (a form post must not create a pod).
    No Content-Type at all is taken as JSON, as curl users send it."""
    ctype = (request.content_type or '').strip().lower()
    if ctype and ctype != 'application/json' and not ctype.endswith('+json'):
        raise UnsupportedMediaType(content_type=ctype)


def parse_body(request, key):
    """The dict under ``key`` of a JSON request body."""
    _check_content_type(request)
    try:
        body = jsonutils.loads(request.body or b'')
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        # RecursionError: JSON nested deeper than the parser's stack, which
        # is garbage, not a server fault.
        raise exc.InvalidInput(reason='request body is not valid JSON')
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise exc.InvalidInput(
            reason='request body must be a JSON object with a "%s" '
                   'object' % key)
    if len(body) > 1:
        raise exc.InvalidInput(reason='unknown key(s) beside "%s": %s' % (
            key, ', '.join(sorted(str(k) for k in body if k != key))))
    return body[key]


def item_only(item_id):
    """Item methods routed on a collection URL (``DELETE /v1.0/pods``)
    arrive without an id: that method is not allowed there (405), rather
    than a TypeError from the missing argument (500)."""
    if item_id is None:
        raise webob.exc.HTTPMethodNotAllowed()
    return item_id


def reject_unknown(values, allowed, what):
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise exc.InvalidInput(
            reason='unknown %s attribute(s): %s' % (what, ', '.join(
                str(u) for u in unknown)))


def string(values, key, max_len, required=False, allow_empty=False):
    """Validate ``values[key]`` as a string; return it stripped, or None."""
    value = values.get(key)
    if value is None:
        if required:
            raise exc.InvalidInput(reason='%s is required' % key)
        return None
    if not isinstance(value, str):
        raise exc.InvalidInput(reason='%s must be a string' % key)
    value = value.strip()
    if not value and (required or not allow_empty):
        raise exc.InvalidInput(reason='%s must not be empty' % key)
    if len(value) > max_len:
        raise exc.InvalidInput(
            reason='%s is longer than %d characters' % (key, max_len))
    if any(ord(ch) < 32 for ch in value):
        raise exc.InvalidInput(
            reason='%s contains control characters' % key)
    return value


def _single(params, key):
    """A query parameter given once; ``?k=1&k=2`` arrives as a list."""
    value = params.get(key)
    if isinstance(value, (list, tuple)):
        raise exc.InvalidInput(reason='%s given more than once' % key)
    return value


def pagination(params, uuid_marker=False):
    """``(limit, marker)`` from query parameters; ``uuid_marker``: the
    collection's ids are UUIDs, so any other marker names nothing."""
    limit = _single(params, 'limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise exc.InvalidInput(reason='limit must be an integer')
        if limit < 1 or limit > LIMIT_CEILING:
            raise exc.InvalidInput(
                reason='limit must be between 1 and %d' % LIMIT_CEILING)
        limit = min(limit, MAX_LIMIT)
    marker = _single(params, 'marker')
    if marker is not None and uuid_marker and not uuidutils.is_uuid_like(
            marker):
        raise exc.InvalidInput(reason='marker must be an id (a UUID)')
    return limit, marker


def filters(params, allowed):
    """Equality filters from query parameters; unknown keys are a 400,
    like Neutron's filter validation."""
    result = {}
    for key, value in params.items():
        if key in ('limit', 'marker'):
            continue
        if key not in allowed:
            raise exc.InvalidInput(reason='unknown filter: %s' % key)
        value = _single(params, key)
        if len(value) > MAX_FILTER_LEN:
            raise exc.InvalidInput(
                reason='filter %s is longer than %d characters' % (
                    key, MAX_FILTER_LEN))
        result[key] = value
    return result


def page(request, collection, items, limit, key):
    """``{collection: items}``, with Neutron-style ``<collection>_links``
    pointing at the next page when this one is full."""
    result = {collection: items}
    if not limit or len(items) < limit:
        return result
    params = dict(request.GET)
    params['marker'] = items[-1][key]
    params['limit'] = limit
    query = '&'.join('%s=%s' % (k, v) for k, v in sorted(params.items()))
    result[collection + '_links'] = [
        {'rel': 'next', 'href': '%s?%s' % (request.path_url, query)}]
    return result
