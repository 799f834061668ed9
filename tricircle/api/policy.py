"""oslo.policy rules of the Admin API, with their defaults in code.

Everything here manages the whole cloud (pods, routings, jobs), so every
rule defaults to admin only; operators may loosen rules in policy.yaml.
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


def list_rules():
    """Every default rule; the ``oslo.policy.policies`` entry point."""
    return _BASE + _POD_RULES + _ROUTING_RULES + _JOB_RULES


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
