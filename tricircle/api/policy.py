"""oslo.policy rules of the Admin API and of Tricircle's Neutron
extension, with their defaults in code.

Everything the Admin API serves manages the whole cloud (pods, routings,
jobs, bindings, which name every tenant's resources), so every rule
defaults to admin only; a tenant learns about its own resources from
central Neutron instead.
Operators may loosen rules in policy.yaml. Samples: ``etc/*.sample``, made
by ``oslopolicy-sample-generator --namespace tricircle`` (Admin API) and
``--namespace tricircle-neutron`` (central Neutron).
"""

from oslo_config import cfg
from oslo_policy import policy

from tricircle.common import exceptions as exc

ADMIN_API = 'admin_api'

_BASE = [
    policy.RuleDefault(ADMIN_API, 'is_admin:True or role:admin',
                       description='Callers allowed to manage Tricircle.'),
]


def _crud(resource, path, methods):
    rules = []
    for action, verb, sub, desc in methods:
        rules.append(policy.DocumentedRuleDefault(
            name='tricircle:%s:%s' % (resource, action),
            check_str='rule:' + ADMIN_API,
            description=desc,
            operations=[{'method': verb, 'path': path + sub}]))
    return rules


_POD_RULES = _crud('pods', '/v1.0/pods', [
    ('create', 'POST', '', 'Register a pod.'),
    ('list', 'GET', '', 'List pods.'),
    ('show', 'GET', '/{pod_id}', 'Show a pod.'),
    ('delete', 'DELETE', '/{pod_id}', 'Delete a pod.'),
])

_ROUTING_RULES = _crud('routings', '/v1.0/routings', [
    ('create', 'POST', '', 'Create a resource routing.'),
    ('list', 'GET', '', 'List resource routings.'),
    ('show', 'GET', '/{id}', 'Show a resource routing.'),
    ('update', 'PUT', '/{id}', 'Update a resource routing.'),
    ('delete', 'DELETE', '/{id}', 'Delete a resource routing.'),
])

_JOB_RULES = _crud('jobs', '/v1.0/jobs', [
    ('create', 'POST', '', 'Queue an asynchronous job.'),
    ('list', 'GET', '', 'List asynchronous jobs.'),
    ('show', 'GET', '/{id}', 'Show a job and its runs.'),
    ('redo', 'PUT', '/{id}', 'Run a job that is not running again.'),
    ('delete', 'DELETE', '/{id}', 'Delete a job that is not running.'),
])

_BINDING_RULES = _crud('bindings', '/v1.0/bindings', [
    ('create', 'POST', '', 'Bind a project to a pod of an availability '
                           'zone.'),
    ('list', 'GET', '', 'List tenant-pod bindings.'),
    ('show', 'GET', '/{id}', 'Show a tenant-pod binding.'),
    ('update', 'PUT', '/{id}', 'Move a binding to another pod of its '
                               'availability zone.'),
    ('delete', 'DELETE', '/{id}', 'Delete a tenant-pod binding.'),
])


def list_rules():
    """Every default rule; the ``oslo.policy.policies`` entry point."""
    return (_BASE + _POD_RULES + _ROUTING_RULES + _JOB_RULES +
            _BINDING_RULES)


# Central Neutron: the central L3 plugin makes a floating IP's status
# writable, for XJob to copy the gateway pod's status up; a tenant writing
# it would lie about its floating IP's state. Neutron loads this through
# the ``neutron.policies`` entry point, beside its own rules.
FIP_STATUS = 'update_floatingip:status'

_NEUTRON_RULES = [
    policy.DocumentedRuleDefault(
        name=FIP_STATUS, check_str='rule:admin_only',
        scope_types=['project'],
        description='Set the status of a floating IP (XJob copies it from '
                    'the gateway pod; admin only).',
        operations=[{'method': 'PUT', 'path': '/floatingips/{id}'}]),
]


def list_neutron_rules():
    """Rules of our Neutron extension; ``neutron.policies`` and
    ``oslo.policy.policies`` (namespace ``tricircle-neutron``) entry
    points."""
    return list(_NEUTRON_RULES)


_ENFORCER = None


def get_enforcer(conf=cfg.CONF):
    global _ENFORCER
    if _ENFORCER is None:
        _ENFORCER = policy.Enforcer(conf)
        _ENFORCER.register_defaults(list_rules())
    return _ENFORCER


def authorize(context, action, target=None):
    """Raise PolicyNotAuthorized unless ``context`` may do ``action``."""
    target = target or {'project_id': context.project_id}
    get_enforcer().authorize(
        action, target, context.to_policy_values(), do_raise=True,
        exc=exc.PolicyNotAuthorized, action=action)
