"""The same write in every pod: what must look like one cloud-wide object
(a flavor, a keypair) exists once per pod under the same id or name.

All or nothing among the pods that answer: if one pod refuses, the pods
already done are undone and the refusal is the answer. A pod that does not
answer is skipped and logged; it gets the object when a resource first
lands there (see ``nova.ensure_flavor``).
"""

from oslo_log import log as logging

from tricircle.gateway import errors
from tricircle.gateway import proxy

LOG = logging.getLogger(__name__)


def fan_out(call, pods, service_type, body=None, undo=None, path_qs=None):
    """Send ``call.req`` (with ``body`` bytes if given) to every pod.

    ``undo(pod, headers)`` reverses it in one pod. Returns the webob
    response: the first pod's success, or the first refusal.
    """
    headers = proxy.forwarded_headers(call.req, call.keystone)
    data = call.req.body if body is None else body
    path_qs = path_qs or call.req.path_qs
    done, first, skipped = [], None, []
    for pod in pods:
        try:
            resp = proxy.send(pod, service_type, call.req.method, path_qs,
                              headers, data)
        except errors.ServiceUnavailable as e:
            LOG.warning('%s %s: skipping %s: %s', call.req.method,
                        call.req.path, pod['region_name'], e)
            skipped.append(pod['region_name'])
            continue
        if not resp.ok:
            if done and undo:
                LOG.info('%s %s refused by %s (%d); undoing it in %s',
                         call.req.method, call.req.path, pod['region_name'],
                         resp.status,
                         ', '.join(p['region_name'] for p in done))
                for other in done:
                    try:
                        undo(other, headers)
                    except errors.ServiceUnavailable as e:
                        LOG.error('Could not undo in %s: %s',
                                  other['region_name'], e)
            return proxy.to_response(call.req, resp)
        done.append(pod)
        first = first or resp
    if first is None:
        raise errors.ServiceUnavailable(
            'No pod answers (tried %s).' % ', '.join(skipped or ['none']))
    if skipped:
        LOG.warning('%s %s done in %s but not in %s', call.req.method,
                    call.req.path, ', '.join(p['region_name'] for p in done),
                    ', '.join(skipped))
    return proxy.to_response(call.req, first)
