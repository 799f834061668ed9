"""Volume types at the top: the same types, by name, in every pod.

Cinder makes a type's id itself, so the pods' copies of one type have
different ids. The gateway shows the types of one pod (the first by
region name that answers) and treats a type as its *name* everywhere
else: a write about ``/types/<id>`` is sent to each pod with that pod's
own id for the name, and a volume created with a type id is created with
the type's name, which Cinder takes as well.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils

from tricircle.gateway import app
from tricircle.gateway import errors
from tricircle.gateway import fanout
from tricircle.gateway import pods as gw_pods
from tricircle.gateway import proxy

LOG = logging.getLogger(__name__)
VOLUME = gw_pods.VOLUME


def _types(pod, prefix, headers):
    """name -> id of the pod's volume types (admins see private ones)."""
    resp = proxy.send(pod, VOLUME, 'GET',
                      '%s/types?is_public=None' % prefix, headers)
    if not resp.ok:
        return {}
    return {t['name']: t['id'] for t in resp.json().get('volume_types', [])}


def name_of(call, prefix, type_id):
    """The name of the type ``type_id`` (an id in some pod, or a name)."""
    headers = proxy.forwarded_headers(call.req, call.keystone)
    for pod in gw_pods.all_pods():
        try:
            known = _types(pod, prefix, headers)
        except errors.ServiceUnavailable:
            continue
        for name, pod_type_id in known.items():
            if type_id in (pod_type_id, name):
                return name
    return None


def create(call, prefix):
    name = app.json_body(call.req, 'volume_type')['volume_type'].get('name')

    def undo(pod, headers):
        type_id = _types(pod, prefix, headers).get(name)
        if type_id:
            proxy.send(pod, VOLUME, 'DELETE',
                       '%s/types/%s' % (prefix, type_id), headers)
    return fanout.fan_out(call, gw_pods.all_pods(), VOLUME, undo=undo)


def write(call, prefix):
    """``PUT``/``POST``/``DELETE`` on ``/types/<id>[/...]``: the same call
    on each pod's type of that name."""
    type_id, rest = call.params['id'], call.params.get('rest') or ''
    name = name_of(call, prefix, type_id)
    if name is None:
        raise errors.NotFound('Volume type %s could not be found.'
                              % type_id)
    headers = proxy.forwarded_headers(call.req, call.keystone)
    first, skipped = None, []
    for pod in gw_pods.all_pods():
        try:
            pod_type_id = _types(pod, prefix, headers).get(name)
            if pod_type_id is None:
                LOG.warning('Volume type %s is missing in %s', name,
                            pod['region_name'])
                continue
            resp = proxy.send(pod, VOLUME, call.req.method, '%s/types/%s%s'
                              % (prefix, pod_type_id, rest) + (
                                  '?' + call.req.query_string
                                  if call.req.query_string else ''),
                              headers, call.req.body)
        except errors.ServiceUnavailable:
            skipped.append(pod['region_name'])
            continue
        if not resp.ok:
            return proxy.to_response(call.req, resp)
        first = first or resp
    if first is None:
        raise errors.ServiceUnavailable(
            'No pod holding volume type %s answers.' % name)
    if skipped:
        LOG.warning('Volume type %s: %s %s not done in %s', name,
                    call.req.method, rest or '', ', '.join(skipped))
    return proxy.to_response(call.req, first)


def named(call, prefix, body):
    """The create-volume body with its ``volume_type`` id as a name."""
    volume = body['volume']
    if volume.get('volume_type'):
        name = name_of(call, prefix, volume['volume_type'])
        if name is None:
            raise errors.NotFound('Volume type %s could not be found.'
                                  % volume['volume_type'])
        volume['volume_type'] = name
    return jsonutils.dump_as_bytes(body)
