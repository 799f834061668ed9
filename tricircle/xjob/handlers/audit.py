"""``audit``: ``tricircle audit --fix`` as a job, for the Admin API.

The resource is a project id, or ``all``. The drift found is logged and
the jobs converging it are queued; drift no job can decide is logged for
the operator (``tricircle audit`` prints it as a table). The job's result
(``GET /v1.0/jobs/{id}``) holds all of it::

    {"drift": [{"pod", "kind", "resource", "problem", "detail",
                "fix": [...] or null}, ...],
     "queued": [[job type, resource id], ...],
     "left_to_operator": <drift rows without a fix>}
"""

from oslo_log import log as logging

from tricircle.common import config
from tricircle.network.sync import audit

LOG = logging.getLogger(__name__)

config.register_network_opts()

ALL = 'all'


def _drift(row):
    return {'pod': row.pod, 'kind': row.kind, 'resource': row.resource,
            'problem': row.problem, 'detail': row.detail,
            'fix': list(row.fix) if row.fix is not None else None}


def run(ctx, job):
    project = job['resource_id']
    rows = audit.audit(None if project == ALL else project)
    for row in rows:
        LOG.warning('Audit: %s %s %s in %s: %s', row.kind, row.resource,
                    row.problem, row.pod, row.detail)
    queued = audit.fix(rows)
    left = sum(1 for r in rows if r.fix is None)
    LOG.info('Audit of %s: %d drift(s), queued %d job(s), %d left to the '
             'operator', project, len(rows), len(queued), left)
    return {'drift': [_drift(row) for row in rows],
            'queued': [list(pair) for pair in queued],
            'left_to_operator': left}
