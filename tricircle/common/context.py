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
