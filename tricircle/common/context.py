"""Request context of Tricircle services (an oslo.context subclass)."""

from oslo_context import context as oslo_context


class Context(oslo_context.RequestContext):
    """Carries who is calling; ``is_admin`` feeds the policy checks."""

    def to_policy_values(self):
        values = super().to_policy_values()
        values['is_admin'] = self.is_admin
        return values


def get_admin_context():
    return Context(is_admin=True, roles=['admin'], overwrite=False)


def admin_header(req, name):
    """``(Neutron context, header name)`` of a WSGI request; the header is
    None unless the caller is an admin. Tricircle's headers between its
    own services (a pod naming itself to central, XJob marking a push to
    a pod) must mean nothing from a tenant."""
    ctx = req.environ.get('neutron.context')
    if ctx is None or not ctx.is_admin:
        return ctx, None
    return ctx, req.headers.get(name)
