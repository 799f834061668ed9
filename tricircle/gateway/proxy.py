"""Send a request to a pod's Nova or Cinder and hand its answer back.

The pod's status, error body, microversion and request-id headers come
back as they are. Only URLs change: a pod writes its own address into
``links`` and ``Location``; those are rewritten to the gateway's, so a
client following a link stays on the gateway.
"""

import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from oslo_config import cfg
from oslo_log import log as logging
import webob

from tricircle.gateway import errors
from tricircle.gateway import pods as gw_pods

LOG = logging.getLogger(__name__)

# Not forwarded: hop-by-hop headers, and what the WSGI server or
# keystoneauth set for the new connection.
_HOP = frozenset(('connection', 'keep-alive', 'proxy-authenticate',
                  'proxy-authorization', 'te', 'trailers',
                  'transfer-encoding', 'upgrade', 'host', 'content-length',
                  'accept-encoding', 'content-encoding'))
# What keystonemiddleware adds after validating the token: the pod's own
# keystonemiddleware validates the same token again.
_AUTH_RESULT = ('x-identity-status', 'x-service-identity-status',
                'x-roles', 'x-role', 'x-user', 'x-user-', 'x-project-',
                'x-domain-', 'x-tenant', 'x-service-', 'x-is-admin-project',
                'x-system-scope', 'x-user-domain', 'x-project-domain')

_LOCAL = threading.local()


def _session():
    sess = getattr(_LOCAL, 'session', None)
    if sess is None:
        sess = _LOCAL.session = ks_session.Session(
            timeout=cfg.CONF.gateway.pod_timeout)
    return sess


def forwarded_headers(req, keystone):
    """The caller's headers to pass on. With Keystone the identity goes as
    the token; without it, as the caller's own identity headers (the
    pods' services read them the same way)."""
    headers = {}
    for name, value in req.headers.items():
        low = name.lower()
        if low in _HOP:
            continue
        if keystone and low.startswith(_AUTH_RESULT):
            continue
        headers[name] = value
    return headers


class PodResponse:
    """A pod's answer: ``status``, ``headers``, ``body`` (bytes),
    ``json()``, and the pod's root URL it came from."""

    def __init__(self, resp, pod_root):
        self.status = resp.status_code
        self.headers = resp.headers
        self.body = resp.content
        self.pod_root = pod_root
        self._resp = resp

    def json(self):
        return self._resp.json()

    @property
    def ok(self):
        return 200 <= self.status < 300


def send(pod, service_type, method, path_qs, headers, body=None):
    """``method`` ``path_qs`` (``/v2.1/...?...``) to the pod's service.

    :raises errors.PodDown: the pod did not answer.
    """
    pod_root = gw_pods.endpoint_root(pod, service_type)
    try:
        resp = _session().request(
            pod_root + path_qs, method, headers=headers, data=body,
            raise_exc=False, authenticated=False, redirect=False,
            log=False)
    except (ks_exc.ConnectionError, ks_exc.RequestTimeout) as e:
        LOG.warning('%s %s to %s (%s): %s', method, path_qs,
                    pod['region_name'], service_type, e)
        raise errors.PodDown(pod, service_type, e) from None
    return PodResponse(resp, pod_root)


def rewrite(data, pod_root, gateway_root):
    """``data`` (bytes or str) with the pod's URLs made the gateway's."""
    if isinstance(data, bytes):
        return data.replace(pod_root.encode(), gateway_root.encode())
    return data.replace(pod_root, gateway_root)


def to_response(req, pod_resp, body=None):
    """The webob response for ``req``: the pod's status and headers, and
    ``body`` (bytes; the pod's own by default), links rewritten."""
    gateway_root = req.host_url + req.script_name
    resp = webob.Response(status=pod_resp.status)
    for name, value in pod_resp.headers.items():
        if name.lower() in _HOP or name.lower() == 'content-type':
            continue
        if name.lower() == 'location':
            value = rewrite(value, pod_resp.pod_root, gateway_root)
        resp.headers[name] = value
    content_type = pod_resp.headers.get('Content-Type')
    if content_type:
        resp.headers['Content-Type'] = content_type
    data = pod_resp.body if body is None else body
    if data and 'json' in (content_type or ''):
        data = rewrite(data, pod_resp.pod_root, gateway_root)
    resp.body = data or b''
    return resp


def forward(req, pod, service_type, keystone, body=None, path_qs=None):
    """Forward ``req`` as it is (or with ``body``) to the pod; return the
    pod's answer as the response to give."""
    pod_resp = send(pod, service_type, req.method,
                    path_qs or req.path_qs,
                    forwarded_headers(req, keystone),
                    req.body if body is None else body)
    return to_response(req, pod_resp)


def service_headers(keystone):
    """Identity of Tricircle itself, for what the gateway does on its own
    account (a flavor copied to a pod that lacks it): the service user's
    token, or an admin's headers without Keystone."""
    if keystone:
        from tricircle.common import client
        return {'X-Auth-Token': client.get_session().get_token()}
    return {'X-Auth-Token': 'admin:admin', 'X-User-Id': 'tricircle',
            'X-Project-Id': 'admin', 'X-Roles': 'admin,member,reader'}


def first_answer(req, pods, service_type, keystone, path_qs=None):
    """The response of the first pod of ``pods`` that answers ``req``."""
    last = None
    for pod in pods:
        try:
            return forward(req, pod, service_type, keystone,
                           path_qs=path_qs)
        except errors.ServiceUnavailable as e:
            last = e
    raise last or errors.ServiceUnavailable('No pod is registered yet.')
