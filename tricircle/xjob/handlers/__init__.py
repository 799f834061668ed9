"""The job types XJob knows: what runs a job, and what input it accepts.

Adding a type is one line in ``JOB_TYPES`` (or a ``register_handler`` call
at import time of a module that is always imported)::

    'router_setup': JobType('tricircle.xjob.handlers.router.setup',
                            resource_id=uuid_resource_id),

A handler is ``handler(ctx, job)``; ``job`` is the dict of
tricircle.db.jobs (``id``, ``type``, ``resource_id``, ``project_id``,
``extra``, ``attempts``...). It returns on success, optionally a
JSON-serialisable value that becomes the job's ``result`` (what the run
found or did, shown by ``GET /v1.0/jobs/{id}``), and raises on failure
(the job goes to FAIL and is retried with backoff). It must be idempotent:
a job may run again after a crash, a lost lease or a redo, and one run
may stand for several registrations (only the latest ``extra`` is kept).

Handlers are given as dotted paths and imported only by the XJob daemon,
so the Admin API can validate a job type without importing the code that
talks to the pods; validators must stay light for the same reason.
"""

import collections

from oslo_log import log as logging
from oslo_utils import importutils
from oslo_utils import uuidutils

from tricircle.common import exceptions as exc

LOG = logging.getLogger(__name__)

RESOURCE_ID_MAX = 127  # async_jobs.resource_id


def any_resource_id(value):
    """Default validator: a non-empty string that fits the column."""
    if not isinstance(value, str) or not value.strip():
        raise exc.InvalidInput(reason='resource_id must be a non-empty '
                                      'string')
    if len(value) > RESOURCE_ID_MAX or any(ord(ch) < 32 for ch in value):
        raise exc.InvalidInput(
            reason='resource_id must be at most %d characters, without '
                   'control characters' % RESOURCE_ID_MAX)


def uuid_resource_id(value):
    """For types whose resource is a Neutron resource (router, port...)."""
    any_resource_id(value)
    if not uuidutils.is_uuid_like(value):
        raise exc.InvalidInput(reason='resource_id must be a UUID')


def any_extra(value):
    if value is not None and not isinstance(value, dict):
        raise exc.InvalidInput(reason='extra must be an object')


# handler: a callable or its dotted path; resource_id / extra: validators
# raising InvalidInput.
JobType = collections.namedtuple('JobType', 'handler resource_id extra',
                                 defaults=(any_resource_id, any_extra))


def _sleep_extra(value):
    any_extra(value)
    seconds = (value or {}).get('seconds', 1)
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
            or not 0 <= seconds <= 3600):
        raise exc.InvalidInput(reason='extra.seconds must be a number of '
                                      'seconds from 0 to 3600')


JOB_TYPES = {
    'noop': JobType('tricircle.xjob.handlers.basic.noop'),
    'sleep': JobType('tricircle.xjob.handlers.basic.sleep',
                     extra=_sleep_extra),
    'router_setup': JobType('tricircle.xjob.handlers.router.setup',
                            resource_id=uuid_resource_id),
    # resource: a central security group; its rules in every pod using it.
    'seg_rule_setup': JobType('tricircle.xjob.handlers.security_group.setup',
                              resource_id=uuid_resource_id),
    # resource: a central network; shadow ports of its cross-pod ports.
    'shadow_port_setup': JobType('tricircle.xjob.handlers.network.setup',
                                 resource_id=uuid_resource_id),
    # resource: a central network, subnet or port; its copies in every pod
    # follow its attributes, or go when central deleted it.
    'network_sync': JobType('tricircle.xjob.handlers.resource.network',
                            resource_id=uuid_resource_id),
    'subnet_sync': JobType('tricircle.xjob.handlers.resource.subnet',
                           resource_id=uuid_resource_id),
    'port_sync': JobType('tricircle.xjob.handlers.resource.port',
                         resource_id=uuid_resource_id),
    # resource: a central QoS policy; its copies, with its rules, follow.
    'qos_sync': JobType('tricircle.xjob.handlers.qos.sync',
                        resource_id=uuid_resource_id),
    # resource: a central trunk; its pod's copy follows, its status back.
    'trunk_sync': JobType('tricircle.xjob.handlers.trunk.sync',
                          resource_id=uuid_resource_id),
    # resource: a central port chain; the pods holding its ports hold it,
    # pieces and all.
    'sfc_sync': JobType('tricircle.xjob.handlers.sfc.sync',
                        resource_id=uuid_resource_id),
    # resource: a project id, or 'all'; compares and queues the fixes.
    'audit': JobType('tricircle.xjob.handlers.audit.run'),
}


def register_handler(type_name, handler, resource_id=any_resource_id,
                     extra=any_extra):
    """Add or replace a job type at run time."""
    JOB_TYPES[type_name] = JobType(handler, resource_id, extra)


def job_type(type_name):
    """The JobType of a name (a bare handler in JOB_TYPES is accepted)."""
    entry = JOB_TYPES.get(type_name)
    if entry is None:
        raise exc.UnknownJobType(job_type=type_name,
                                 known=', '.join(sorted(JOB_TYPES)))
    return entry if isinstance(entry, JobType) else JobType(entry)


def validate(type_name, resource_id, extra=None):
    """Raise (400) unless a job of this type may be queued with these."""
    if not isinstance(type_name, str):
        raise exc.InvalidInput(reason='type must be a string')
    entry = job_type(type_name)
    entry.resource_id(resource_id)
    entry.extra(extra)


def resolve(type_name):
    handler = job_type(type_name).handler
    return importutils.import_class(handler) if isinstance(
        handler, str) else handler


def load_handlers(names=None):
    """``{type: callable}`` of every known type (or of ``names``); a type
    whose handler cannot be imported is logged and left out, so the other
    types keep running."""
    handlers = {}
    for name in sorted(names or JOB_TYPES):
        try:
            handlers[name] = resolve(name)
        except Exception:
            LOG.exception('Cannot load the handler of job type %s; jobs of '
                          'this type stay queued', name)
    return handlers
