"""Which pod a request to central comes from, so central can record where a
port lives in the same request that creates it.

A pod's local plugin creates every VM port's central twin first, then its
own copy. Central is the one that can write the Tricircle DB directly; when
it knows the pod, it records the port's routing itself and tells the pod
so, which saves the pod a call to the Admin API (and the Admin API its
request, auth and write) for every port. It also lets central decide which
security-group jobs a new member needs: the member's own pod resolves its
remote groups natively.

The pod names itself in the ``X-Tricircle-Pod`` header. This WSGI filter,
placed in central's ``api-paste.ini`` after the identity filter (noauth's
or ``keystonecontext``), puts the name on the request's Neutron context,
for admin requests only (the pods' service user): a tenant cannot make
central record a routing. Central answers ``X-Tricircle-Routed`` with the
region when it recorded the routing. A central without the filter never
answers it, and the pod then records the routing through the Admin API as
before.
"""

from neutron_lib import exceptions as n_exc
from oslo_middleware import base
import webob.dec

from tricircle.common import constants
from tricircle.common import context as t_context
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api

HEADER = constants.POD_HEADER
ROUTED_HEADER = constants.ROUTED_HEADER
FILTER = 'tricircle_origin'
FACTORY = 'tricircle.network.central.origin:PodOrigin.factory'

_POD = 'tricircle_pod'
_ROUTED = 'tricircle_routed'


class PodOrigin(base.ConfigurableMiddleware):

    @webob.dec.wsgify
    def __call__(self, req):
        ctx, region = t_context.admin_header(req, HEADER)
        if not region:
            return self.application
        setattr(ctx, _POD, region)
        resp = req.get_response(self.application)
        if getattr(ctx, _ROUTED, False):
            resp.headers[ROUTED_HEADER] = region
        return resp


def pod_of(context):
    """The region of the pod this request comes from, or None."""
    return getattr(context, _POD, None)


def routed(context):
    """Tell the pod that central recorded (or dropped) the routing."""
    setattr(context, _ROUTED, True)


def record_port(context, port):
    """Record that ``port`` lives in the pod asking; return that pod's id,
    or None when no pod asks (a tenant's own request)."""
    if pod_of(context) is None:
        return None
    pod = _asking_pod(context)
    if pod is None:
        raise n_exc.ServiceUnavailable(
            message='pod %s is not registered in the Admin API'
            % pod_of(context))
    try:
        db_api.create_routing(None, {
            'top_id': port['id'], 'bottom_id': port['id'],
            'pod_id': pod['pod_id'], 'project_id': port['project_id'],
            'resource_type': constants.RT_PORT})
    except t_exc.DuplicateRouting:
        pass
    routed(context)
    return pod['pod_id']


def pod_holding(context, port_id):
    """The id of the asking pod if it holds ``port_id``, else None."""
    pod = _asking_pod(context)
    if pod and db_api.get_bottom_id(None, port_id, pod['pod_id'],
                                    constants.RT_PORT):
        return pod['pod_id']
    return None


def _asking_pod(context):
    """The asking pod's row; None when no pod asks or it is unknown."""
    region = pod_of(context)
    return db_api.get_pod_by_region(None, region) if region else None


def forget_port(context, port_id):
    """The asking pod no longer holds ``port_id``: drop its routing."""
    pod = _asking_pod(context)
    if not pod:
        return
    db_api.delete_routings(None, port_id, pod['pod_id'], constants.RT_PORT)
    routed(context)
