"""One list out of several pods', with Nova's and Cinder's paging.

Each pod is asked for its whole detailed list (following its own ``next``
links) with the caller's filters; the gateway sorts the union the way the
services do (``created`` newest first, then ``id``, or the caller's
``sort_key``/``sort_dir``), then applies ``marker`` and ``limit`` itself:
a marker is an id in one pod only, so no pod could apply it to the others.
A pod that does not answer is left out, logged, and named in the
``X-Tricircle-Unreachable-Pods`` header, so the answer is still the
service's shape and never a 500.
"""

from concurrent import futures
import urllib.parse

from oslo_log import log as logging
from oslo_serialization import jsonutils
import webob

from tricircle.gateway import errors
from tricircle.gateway import proxy

LOG = logging.getLogger(__name__)
UNREACHABLE_HEADER = 'X-Tricircle-Unreachable-Pods'
MAX_LIMIT = 1000
_PAGING = ('limit', 'marker')
# API sort keys -> the field of a detailed item that holds them.
_SORT_FIELDS = {'created_at': ('created', 'created_at'),
                'updated_at': ('updated', 'updated_at'),
                'display_name': ('name',), 'name': ('name',),
                'id': ('id',), 'status': ('status',),
                'size': ('size',), 'launched_at': ('OS-SRV-USG:launched_at',)}


def _field(item, sort_key):
    for name in _SORT_FIELDS.get(sort_key, (sort_key,)):
        if name in item:
            return item[name]
    return None


def _fetch(pod, service_type, path, params, headers, collection):
    """Every item of the pod's list ``path`` (detailed), page after page,
    and the pod's root URL; or the pod's refusal (a PodResponse)."""
    items, pod_root = [], None
    query = urllib.parse.urlencode(params, doseq=True)
    path_qs = path + ('?' + query if query else '')
    while path_qs:
        resp = proxy.send(pod, service_type, 'GET', path_qs, headers)
        if not resp.ok:
            return resp
        pod_root = resp.pod_root
        body = resp.json()
        items.extend(body.get(collection, []))
        path_qs = None
        for link in body.get(collection + '_links', []):
            if link.get('rel') == 'next':
                split = urllib.parse.urlsplit(link['href'])
                path_qs = split.path + '?' + split.query
                # The pod's path may carry a prefix the request had not.
                path_qs = path_qs[path_qs.index(path.split('?')[0]):]
    return items, pod_root


def _sort(items, params):
    keys = params.getall('sort_key') or ['created_at', 'id']
    dirs = params.getall('sort_dir') or []
    # Stable sorts from the least significant key up.
    for i in reversed(range(len(keys))):
        reverse = (dirs[i] if i < len(dirs) else 'desc') == 'desc'
        items.sort(key=lambda item: (_field(item, keys[i]) is not None,
                                     str(_field(item, keys[i]) or '')),
                   reverse=reverse)
    return items


def _brief(item):
    return {k: item[k] for k in ('id', 'name', 'links') if k in item}


def merged_list(req, pods, service_type, detail_path, collection, detail,
                keystone):
    """The webob response of a list over ``pods``: ``detail_path`` is the
    request's path with ``/detail`` (``/v2.1/servers/detail``)."""
    params = req.GET
    try:
        limit = min(int(params.get('limit', MAX_LIMIT)), MAX_LIMIT)
        if limit < 0:
            raise ValueError(limit)
    except ValueError:
        raise errors.BadRequest('limit must be an integer 0 or greater')
    marker = params.get('marker')
    forwarded = [(k, v) for k, v in params.items() if k not in _PAGING]
    headers = proxy.forwarded_headers(req, keystone)
    items, unreachable = [], []
    with futures.ThreadPoolExecutor(max(1, min(len(pods), 8))) as pool:
        jobs = {pod['region_name']: pool.submit(
            _fetch, pod, service_type, detail_path, forwarded, headers,
            collection) for pod in pods}
        roots = set()
        for region, job in sorted(jobs.items()):
            try:
                result = job.result()
            except errors.ServiceUnavailable as e:
                LOG.warning('Listing %s without pod %s: %s', collection,
                            region, e)
                unreachable.append(region)
                continue
            if isinstance(result, proxy.PodResponse):
                # The pod refused the request itself (a bad filter, a
                # policy): its answer is the answer.
                return proxy.to_response(req, result)
            items.extend(result[0])
            roots.add(result[1])
    _sort(items, params)
    start = 0
    if marker:
        ids = [item.get('id') for item in items]
        if marker not in ids:
            raise errors.BadRequest('marker [%s] not found' % marker)
        start = ids.index(marker) + 1
    page = items[start:start + limit]
    body = {collection: page if detail else [_brief(i) for i in page]}
    if page and start + limit < len(items) and 'limit' in params:
        query = [(k, v) for k, v in forwarded] + [
            ('limit', limit), ('marker', page[-1]['id'])]
        body[collection + '_links'] = [{
            'rel': 'next',
            'href': '%s%s?%s' % (req.host_url, req.path,
                                 urllib.parse.urlencode(query))}]
    data = jsonutils.dump_as_bytes(body)
    for pod_root in roots - {None}:
        data = proxy.rewrite(data, pod_root, req.host_url + req.script_name)
    resp = webob.Response(status=200, content_type='application/json',
                          charset='UTF-8', body=data)
    if unreachable:
        resp.headers[UNREACHABLE_HEADER] = ','.join(unreachable)
    return resp


def json_response(status, body, unreachable=()):
    resp = webob.Response(status=status, content_type='application/json',
                          charset='UTF-8', body=jsonutils.dump_as_bytes(body))
    if unreachable:
        resp.headers[UNREACHABLE_HEADER] = ','.join(unreachable)
    return resp


def summed_limits(req, pods, service_type, keystone):
    """``/limits`` over ``pods``: each ``total*Used`` summed, the maxima
    one pod's (the same quota everywhere)."""
    headers = proxy.forwarded_headers(req, keystone)
    body, down = None, []
    for pod in pods:
        try:
            resp = proxy.send(pod, service_type, 'GET', req.path_qs, headers)
        except errors.ServiceUnavailable:
            down.append(pod['region_name'])
            continue
        if not resp.ok:
            return proxy.to_response(req, resp)
        if body is None:
            body = resp.json()
            continue
        total = body['limits']['absolute']
        for key, value in resp.json()['limits']['absolute'].items():
            # A negative amount is "not counted" (a no-op quota driver).
            if key.endswith('Used') and isinstance(value, int) and \
                    value >= 0:
                total[key] = max(total.get(key) or 0, 0) + value
    if body is None:
        raise errors.ServiceUnavailable('No pod of this project answers.')
    return json_response(200, body, down)
