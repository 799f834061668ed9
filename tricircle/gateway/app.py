"""The gateways' WSGI application: authentication, the caller's context,
a table of routes, and faults in the services' shape.

``setup_app('nova')`` / ``setup_app('cinder')`` build the two gateways from
one skeleton; what differs is the route table (``nova.ROUTES``,
``cinder.ROUTES``) and the catalog type their pods are reached by.
"""

import re

from keystonemiddleware import auth_token
from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import request_id
from oslo_serialization import jsonutils
import webob
import webob.dec

from tricircle.common import context as t_context
from tricircle.db import core
from tricircle.gateway import errors
from tricircle.gateway import pods as gw_pods
from tricircle.gateway import proxy

LOG = logging.getLogger(__name__)


class Call:
    """What a route's handler gets: the request, the caller's context,
    the captured URL parts, and whether identity travels as a token."""

    def __init__(self, req, ctx, params, keystone):
        self.req = req
        self.ctx = ctx
        self.params = params
        self.keystone = keystone


def json_body(req, key):
    """The request's JSON body; 400 unless it is an object holding a
    ``key`` object."""
    try:
        body = jsonutils.loads(req.body)
    except ValueError:
        raise errors.BadRequest('The request body is not valid JSON.')
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise errors.BadRequest('The request body needs a "%s" object.'
                                % key)
    return body


def route(method, pattern, handler):
    """``method`` ('GET', ... or '*'), a regex over the path (named
    groups become ``call.params``), and ``handler(call)``."""
    return (method, re.compile('^' + pattern + '$'), handler)


def to_any_pod(service_type):
    """A handler sending the request to the first pod that answers: for
    what every pod holds the same (versions, flavors, volume types)."""
    def handler(call):
        return proxy.first_answer(call.req, gw_pods.all_pods(),
                                  service_type, call.keystone)
    return handler


def to_tenant_pod(service_type, resource_type):
    """A handler sending the request to a pod the caller's project uses
    (else any): for calls the gateway has no rule of its own for."""
    def handler(call):
        candidates = gw_pods.tenant_pods(call.ctx, call.req,
                                         resource_type) or gw_pods.all_pods()
        return proxy.first_answer(call.req, candidates, service_type,
                                  call.keystone)
    return handler


class Gateway:
    """Dispatches to the first route whose method and pattern match."""

    def __init__(self, routes, fallback, keystone):
        self.routes = routes
        self.fallback = fallback
        self.keystone = keystone

    @webob.dec.wsgify
    def __call__(self, req):
        ctx = t_context.Context.from_environ(req.environ)
        path = req.path_info.rstrip('/') or '/'
        handler, params = self.fallback, {}
        for method, pattern, candidate in self.routes:
            match = pattern.match(path)
            if match and method in ('*', req.method):
                handler, params = candidate, match.groupdict()
                break
        try:
            return handler(Call(req, ctx, params, self.keystone))
        except errors.GatewayError as e:
            if e.code >= 500:
                LOG.warning('%s %s: %s', req.method, req.path, e.message)
            return errors.fault(e.code, e.message)
        except Exception:
            LOG.exception('Unexpected error in %s %s', req.method, req.path)
            return errors.fault(500, 'The gateway failed to handle the '
                                     'request.')


class NoAuth:
    """Sandbox only (``auth_strategy = noauth``): the caller is whoever
    its headers say, as the pods' own services take it: Nova's
    ``X-User-Id``/``X-Project-Id``/``X-Roles``, or Cinder's noauth token
    ``user:project``."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN', '')
        if 'HTTP_X_PROJECT_ID' not in environ and ':' in token:
            user, project = token.split(':', 1)
            environ['HTTP_X_USER_ID'] = user
            environ['HTTP_X_PROJECT_ID'] = project
            environ.setdefault('HTTP_X_ROLES',
                               'admin' if user == 'admin' else 'member')
        return self.application(environ, start_response)


class Healthcheck:
    """``GET /healthcheck`` answers 200 without a token or a pod: what a
    load balancer (and the sandbox) polls."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO') == '/healthcheck':
            start_response('200 OK', [('Content-Type', 'text/plain'),
                                      ('Content-Length', '2')])
            return [b'OK']
        return self.application(environ, start_response)


def setup_app(kind, conf=cfg.CONF):
    """The WSGI app of the ``kind`` ('nova' or 'cinder') gateway."""
    from tricircle.gateway import cinder
    from tricircle.gateway import nova
    module = {'nova': nova, 'cinder': cinder}[kind]
    core.configure(conf.database.connection)
    keystone = conf.auth_strategy != 'noauth'
    app = Gateway(module.ROUTES, module.fallback, keystone)
    if keystone:
        app = auth_token.AuthProtocol(app, {'oslo_config_config': conf})
    else:
        app = NoAuth(app)
    return request_id.RequestId(Healthcheck(app))
