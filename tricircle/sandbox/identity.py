"""Tenants without Keystone, for the sandbox's Neutron servers.

Neutron's ``noauth`` pipeline makes every request the cloud admin, even one
that names a project. The sandbox swaps its ``fake_project_id`` filter for
this one: a request carrying ``X-Project-Id`` acts as that project with the
roles in ``X-Roles`` (so Neutron's policies and project scoping apply), and
one carrying none is the admin and a service, as the plugins' and XJob's
clients are.
Nothing is authenticated; ``--keystone`` sandboxes use real tokens instead.
"""

from neutron_lib import context
from oslo_middleware import base
import webob.dec

FILTER = 'tricircle_identity'
# The project of a request without X-Project-Id (Neutron's noauth name).
ADMIN_PROJECT = 'fake_project_id'
FACTORY = 'tricircle.sandbox.identity:HeaderIdentity.factory'


class HeaderIdentity(base.ConfigurableMiddleware):

    @webob.dec.wsgify
    def __call__(self, req):
        ctx = context.Context.from_environ(req.environ)
        if not ctx.project_id:
            ctx.project_id = ADMIN_PROJECT
            ctx = ctx.elevated()
            # Also a service, as Nova and XJob are: Neutron lets only the
            # service role write binding:profile.
            if 'service' not in ctx.roles:
                ctx.roles.append('service')
        req.environ['neutron.context'] = ctx
        return self.application


def paste_ini(installed, path, filters=()):
    """Write Neutron's api-paste.ini at ``path`` with this filter in the
    noauth pipeline; return ``path``. ``filters``: more (name, factory)
    filters, placed in both pipelines after the identity filters, just
    before Neutron's extensions."""
    with open(installed) as f:
        text = f.read()
    text = text.replace(' fake_project_id ', ' %s ' % FILTER)
    for name, factory in [(FILTER, FACTORY)] + list(filters):
        if name != FILTER:
            text = text.replace(' extensions neutronapiapp_v2_0',
                                ' %s extensions neutronapiapp_v2_0' % name)
        text += '\n[filter:%s]\npaste.filter_factory = %s\n' % (
            name, factory)
    with open(path, 'w') as f:
        f.write(text)
    return path
