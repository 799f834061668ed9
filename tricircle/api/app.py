"""Build the Admin API WSGI application.

The pipeline, outermost first: request id, JSON faults, authentication
(keystonemiddleware, or the sandbox's noauth), then the pecan controllers.
"""

from keystonemiddleware import auth_token
from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_middleware import request_id
from oslo_serialization import jsonutils
import pecan
from pecan import hooks
import webob
import webob.dec

from tricircle.common import context
from tricircle.common import exceptions as exc
from tricircle.db import core

LOG = logging.getLogger(__name__)


def error_response(status, err_type, message):
    """A Neutron-style error body; the one shape every 4xx/5xx uses."""
    body = {'NeutronError': {'type': err_type, 'message': message,
                             'detail': ''}}
    return webob.Response(status=status, content_type='application/json',
                          charset='UTF-8', body=jsonutils.dump_as_bytes(body))


class ContextHook(hooks.PecanHook):
    """Attach the caller's context to the request."""

    def before(self, state):
        state.request.context = context.Context.from_environ(
            state.request.environ)


class ErrorHook(hooks.PecanHook):
    """Turn Tricircle errors into their HTTP status."""

    def on_error(self, state, e):
        if isinstance(e, exc.TricircleError):
            if e.code >= 500:
                LOG.error('%s %s failed: %s', state.request.method,
                          state.request.path, e)
            return error_response(e.code, e.type, e.msg)
        if isinstance(e, webob.exc.HTTPException):
            return None
        if isinstance(e, db_exc.DBConnectionError):
            # The database restarting or failing over: the caller retries.
            LOG.warning('%s %s: the Tricircle DB cannot be reached: %s',
                        state.request.method, state.request.path, e)
            return error_response(503, 'ServiceUnavailable',
                                  'The Tricircle DB cannot be reached; '
                                  'retry later.')
        if isinstance(e, RecursionError) and 'JSON' in str(e):
            # pecan's RestController reads the JSON body while routing,
            # before our validation: a body nested deeper than the parser's
            # stack is bad input, not a server fault.
            return error_response(400, 'InvalidInput',
                                  'Invalid input: request body is not '
                                  'valid JSON (nested too deeply)')
        LOG.exception('Unexpected error in %s %s', state.request.method,
                      state.request.path)
        return error_response(500, 'InternalError',
                              'The server failed to handle the request.')


class FaultWrapper:
    """Give every error the JSON body, including pecan's own 404/405,
    keystonemiddleware's 401 (``{"error": ...}``) and any exception that
    escaped the hooks."""

    def __init__(self, application):
        self.application = application

    @webob.dec.wsgify
    def __call__(self, req):
        try:
            resp = req.get_response(self.application)
        except Exception:
            LOG.exception('Unhandled error in %s %s', req.method, req.path)
            return error_response(500, 'InternalError',
                                  'The server failed to handle the request.')
        if resp.status_int >= 400 and not _neutron_error(resp):
            title = resp.status.split(' ', 1)[-1]
            message = _foreign_message(resp) or title + '.'
            new = error_response(resp.status_int,
                                 title.replace(' ', ''), message)
            # keystonemiddleware's 401 tells where to get a token.
            for header in ('WWW-Authenticate', 'Allow', 'Retry-After'):
                if header in resp.headers:
                    new.headers[header] = resp.headers[header]
            resp = new
        return resp


def _neutron_error(resp):
    """Whether an error response already has our body."""
    if resp.content_type != 'application/json':
        return False
    try:
        body = jsonutils.loads(resp.body)
    except (ValueError, TypeError, UnicodeDecodeError):
        return False
    return isinstance(body, dict) and isinstance(body.get('NeutronError'),
                                                 dict)


def _foreign_message(resp):
    """The message of another JSON error body, such as keystonemiddleware's
    ``{"error": {"code": 401, "title": ..., "message": ...}}``."""
    if resp.content_type != 'application/json':
        return None
    try:
        err = jsonutils.loads(resp.body).get('error')
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return None
    if isinstance(err, dict) and isinstance(err.get('message'), str):
        return err['message']
    return None


class NoAuth:
    """Sandbox-only: every caller is an admin of the project it names."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        environ['HTTP_X_ROLES'] = 'admin'
        environ.setdefault('HTTP_X_PROJECT_ID', 'admin')
        environ.setdefault('HTTP_X_USER_ID', 'admin')
        return self.application(environ, start_response)


def setup_app(conf=cfg.CONF):
    core.configure(conf.database.connection)
    app = pecan.make_app(
        'tricircle.api.controllers.root.RootController',
        hooks=[ContextHook(), ErrorHook()],
        guess_content_type_from_ext=False,
        force_canonical=False,
    )
    if conf.auth_strategy == 'noauth':
        app = NoAuth(app)
    else:
        app = auth_token.AuthProtocol(app, {'oslo_config_config': conf})
    app = FaultWrapper(app)
    return request_id.RequestId(app)
