"""Input checks shared by the Admin API controllers.

Each helper raises InvalidInput (400) before anything is written, so a bad
request never leaves a half-created row behind.
"""

from oslo_serialization import jsonutils

from tricircle.common import exceptions as exc

MAX_LIMIT = 1000


def parse_body(request, key):
    """The dict under ``key`` of a JSON request body."""
    try:
        body = jsonutils.loads(request.body or b'')
    except (ValueError, TypeError, UnicodeDecodeError):
        raise exc.InvalidInput(reason='request body is not valid JSON')
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise exc.InvalidInput(
            reason='request body must be a JSON object with a "%s" '
                   'object' % key)
    return body[key]


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


def pagination(params):
    """``(limit, marker)`` from query parameters."""
    limit = params.get('limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise exc.InvalidInput(reason='limit must be an integer')
        if limit < 1:
            raise exc.InvalidInput(reason='limit must be positive')
        limit = min(limit, MAX_LIMIT)
    return limit, params.get('marker')


def filters(params, allowed):
    """Equality filters from query parameters; unknown keys are a 400,
    like Neutron's filter validation."""
    result = {}
    for key, value in params.items():
        if key in ('limit', 'marker'):
            continue
        if key not in allowed:
            raise exc.InvalidInput(reason='unknown filter: %s' % key)
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
