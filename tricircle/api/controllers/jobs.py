"""``/v1.0/jobs``: the XJob queue, for operators to watch and steer.

POST queues work like a plugin does (coalescing included: the answer may
be a job that was already pending for that resource, now carrying the new
``extra``); PUT redoes a job; DELETE removes one that is not running. Every
check runs before anything is written, and POST/PUT wake XJob afterwards.
"""

import pecan
from pecan import rest

from oslo_serialization import jsonutils

from tricircle.api import policy
from tricircle.api import validation as v
from tricircle.common import constants
from tricircle.common import exceptions as exc
from tricircle.db import jobs as db_jobs
from tricircle.xjob import handlers
from tricircle.xjob import rpc

_FIELDS = ('type', 'resource_id', 'project_id', 'extra')
MAX_EXTRA_CHARS = 16384


def _values(body):
    v.reject_unknown(body, _FIELDS, 'job')
    values = {'job_type': v.string(body, 'type', 64, required=True),
              'resource_id': v.string(body, 'resource_id',
                                      handlers.RESOURCE_ID_MAX,
                                      required=True),
              'project_id': v.string(body, 'project_id', 255),
              'extra': body.get('extra')}
    handlers.validate(values['job_type'], values['resource_id'],
                      values['extra'])
    if values['extra'] is not None and len(jsonutils.dumps(
            values['extra'])) > MAX_EXTRA_CHARS:
        raise exc.InvalidInput(reason='extra is larger than %d characters '
                                      'of JSON' % MAX_EXTRA_CHARS)
    return values


def _filters(params):
    filters = v.filters(params, db_jobs.FILTERS)
    status = filters.get('status')
    if status is not None and status not in constants.JOB_STATUSES:
        raise exc.InvalidInput(reason='status must be one of: %s' % ', '.join(
            constants.JOB_STATUSES))
    job_type = filters.get('type')
    if job_type is not None and job_type not in handlers.JOB_TYPES:
        raise exc.InvalidInput(reason='type must be one of: %s' % ', '.join(
            sorted(handlers.JOB_TYPES)))
    return filters


class JobsController(rest.RestController):

    @pecan.expose('json')
    def post(self):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:jobs:create')
        values = _values(v.parse_body(pecan.request, 'job'))
        job = db_jobs.register_job(ctx, **values)
        rpc.wake(job['type'], job['resource_id'])
        pecan.response.status = 201
        return {'job': job}

    @pecan.expose('json')
    def get_all(self, **params):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:jobs:list')
        limit, marker = v.pagination(params, uuid_marker=True)
        items = db_jobs.list_jobs(ctx, _filters(params), limit, marker)
        return v.page(pecan.request, 'jobs', items, limit, 'id')

    @pecan.expose('json')
    def get_one(self, job_id):
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:jobs:show')
        job = db_jobs.get_job(ctx, job_id)
        job['logs'] = db_jobs.list_job_logs(ctx, job_id)
        return {'job': job}

    @pecan.expose('json')
    def put(self, job_id=None):
        """Redo: the request body, if any, is ignored."""
        v.item_only(job_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:jobs:redo')
        job = db_jobs.redo_job(ctx, job_id)
        rpc.wake(job['type'], job['resource_id'])
        return {'job': job}

    @pecan.expose('json')
    def delete(self, job_id=None):
        v.item_only(job_id)
        ctx = pecan.request.context
        policy.authorize(ctx, 'tricircle:jobs:delete')
        db_jobs.delete_job(ctx, job_id)
        pecan.response.status = 204
