"""Whether a request to a pod is XJob pushing central's own values.

A tenant's or Nova's port update in a pod goes to central first, then to
the pod's copy. XJob's ``port_sync`` goes the other way: it reads the port
on central, compares, and sends the pod central's values. Passed back to
central like any update, that push would write the values the job read
over any change central took since: a tenant who changed a port's groups
twice in a row could see central go back to the first change.

XJob names its push in the ``X-Tricircle-Sync: central`` header. This
WSGI filter, placed in the pod's ``api-paste.ini`` after the identity
filter, marks the request's Neutron context, for admin requests only (the
service user XJob runs as): a tenant's header changes nothing. A pod
without the filter passes the push back to central as before.
"""

from oslo_middleware import base
import webob.dec

from tricircle.common import constants
from tricircle.common import context as t_context

FILTER = 'tricircle_sync'
FACTORY = 'tricircle.network.local.origin:CentralSync.factory'

_FROM_CENTRAL = 'tricircle_from_central'


class CentralSync(base.ConfigurableMiddleware):

    @webob.dec.wsgify
    def __call__(self, req):
        ctx, mark = t_context.admin_header(req, constants.SYNC_HEADER)
        if mark == constants.SYNC_FROM_CENTRAL:
            setattr(ctx, _FROM_CENTRAL, True)
        return self.application


def from_central(context):
    """True when this request carries central's own values (XJob)."""
    return getattr(context, _FROM_CENTRAL, False)
