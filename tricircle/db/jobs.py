"""Job queries (the ``async_jobs`` table of XJob): the module other code
uses to queue work, and the Admin API to list, show, redo and delete jobs.

Statuses: NEW (due now), RUNNING (leased to a worker until
lease_expires_at), SUCCESS, FAIL (retried at next_attempt_at; NULL there
means no retry: max_attempts reached, or a newer job of the same
(type, resource_id) took its work over). ``attempts`` counts the runs since
the job was created or last redone; async_job_logs has one row per run.
``result`` is what the last successful run returned (decoded JSON, None
when no run succeeded or the handler returned nothing); failures, redos
and coalescing leave it as it is (see finish_job).
Workers' functions (claim, renew, finish) live in tricircle.db.job_leases
and are re-exported here.
"""

from oslo_serialization import jsonutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from tricircle.common import constants as c
from tricircle.common import exceptions as exc
from tricircle.db import core
from tricircle.db import job_rows as jr
from tricircle.db.job_leases import backoff_seconds  # noqa: F401
from tricircle.db.job_leases import claim_job  # noqa: F401
from tricircle.db.job_leases import finish_job  # noqa: F401
from tricircle.db.job_leases import renew_lease  # noqa: F401
from tricircle.db.job_rows import JOBS
from tricircle.db.job_rows import LOGS

FILTERS = ('status', 'type', 'project_id', 'resource_id')


@jr.retry
def register_job(ctx, job_type, resource_id, project_id=None, extra=None):
    """Queue work on a resource; return the job dict.

    Coalescing: when a job of this (type, resource_id) is already pending
    (NEW, or FAIL waiting for a retry), no row is added; that job gets
    ``extra`` (the latest state wins) and becomes NEW, due now. A burst of
    registrations thus causes one run; a registration while a job runs
    queues exactly one NEW job behind it.
    """
    text = jsonutils.dumps(extra) if extra is not None else None
    now = timeutils.utcnow()
    with core.writer(ctx) as session:
        rows = jr.lock_key(session, job_type, resource_id)
        pending = sorted((r for r in rows if jr.is_pending(r)),
                         key=lambda r: (r['status'] != c.JS_NEW,
                                        r['created_at']))
        if pending:
            values = {'status': c.JS_NEW, 'extra': text,
                      'next_attempt_at': now}
            if project_id is not None:
                values['project_id'] = project_id
            if not jr.update_if_unchanged(session, pending[0], **values):
                raise jr.Raced()
            return jr.to_dict(jr.get_row(session, pending[0]['id']))
        job_id = uuidutils.generate_uuid()
        session.execute(JOBS.insert().values(
            id=job_id, type=job_type, resource_id=resource_id,
            project_id=project_id, status=c.JS_NEW, extra=text, attempts=0,
            next_attempt_at=now, created_at=now))
        return jr.to_dict(jr.get_row(session, job_id))


def get_job(ctx, job_id):
    with core.reader(ctx) as session:
        row = jr.get_row(session, job_id)
        if row is None:
            raise exc.JobNotFound(job_id=job_id)
        return jr.to_dict(row)


def list_jobs(ctx, filters=None, limit=None, marker=None):
    """Jobs ordered by id (keyset pagination from ``marker``)."""
    query = sa.select(JOBS).order_by(JOBS.c.id)
    for key, value in (filters or {}).items():
        if key not in FILTERS:
            raise exc.InvalidInput(reason='unknown filter: %s' % key)
        query = query.where(JOBS.c[key] == value)
    if marker is not None:
        query = query.where(JOBS.c.id > marker)
    if limit:
        query = query.limit(limit)
    with core.reader(ctx) as session:
        return [jr.to_dict(r) for r in session.execute(query).mappings()]


def list_job_logs(ctx, job_id):
    """The finished runs of a job, oldest first."""
    query = sa.select(LOGS).where(LOGS.c.job_id == job_id).order_by(
        LOGS.c.timestamp, LOGS.c.id)
    with core.reader(ctx) as session:
        return [{'id': r['id'], 'job_id': r['job_id'],
                 'status': r['status'], 'message': r['message'],
                 'timestamp': jr.iso(r['timestamp'])}
                for r in session.execute(query).mappings()]


@jr.retry
def redo_job(ctx, job_id):
    """Run a NEW, FAIL or SUCCESS job again, now, with a fresh attempt
    count. JobRunning if it runs; JobPending if another job of its key is
    already pending (that one will do the same work)."""
    with core.writer(ctx) as session:
        row, rows = jr.locked_row(session, job_id)
        if row['status'] == c.JS_RUNNING:
            raise exc.JobRunning(job_id=job_id)
        other = next((r for r in rows if jr.is_pending(r)
                      and r['id'] != job_id), None)
        if other is not None:
            raise exc.JobPending(job_id=job_id, other_id=other['id'],
                                 job_type=row['type'],
                                 resource_id=row['resource_id'])
        if not jr.update_if_unchanged(
                session, row, status=c.JS_NEW, attempts=0,
                next_attempt_at=timeutils.utcnow()):
            raise jr.Raced()
        return jr.to_dict(jr.get_row(session, job_id))


@jr.retry
def delete_job(ctx, job_id):
    """Delete a NEW or FAIL job, with its logs: work not wanted any more.
    A RUNNING job cannot be cancelled (JobRunning) and a SUCCESS one is
    the record of what was done (JobSucceeded)."""
    with core.writer(ctx) as session:
        row, _rows = jr.locked_row(session, job_id)
        if row['status'] == c.JS_RUNNING:
            raise exc.JobRunning(job_id=job_id)
        if row['status'] == c.JS_SUCCESS:
            raise exc.JobSucceeded(job_id=job_id)
        if session.execute(JOBS.delete().where(
                JOBS.c.id == job_id,
                JOBS.c.status == row['status'])).rowcount != 1:
            raise jr.Raced()
        session.execute(LOGS.delete().where(LOGS.c.job_id == job_id))
