"""Leases of XJob workers on jobs: claim, renew, finish.

A claim is a conditional UPDATE (``WHERE id = :id AND <still claimable>``)
taken under the key lock of tricircle.db.job_rows, so several processes on
several hosts can share the table. Lease times come from the caller's
clock: hosts running XJob must keep time (NTP).
"""

import random
import sqlite3

from oslo_log import log as logging
from oslo_utils import timeutils
import sqlalchemy as sa

from tricircle.common import constants as c
from tricircle.db import core
from tricircle.db import job_gate
from tricircle.db import job_rows as jr
from tricircle.db.job_rows import JOBS

LOG = logging.getLogger(__name__)

MAX_ERROR_CHARS = 16000  # a MySQL TEXT holds 64 KiB of utf8mb4
CLAIM_BATCH = 8


def backoff_seconds(attempts, base=1.0, cap=300.0):
    """Delay before retry number ``attempts`` (1 = after the first run):
    base, 2*base, 4*base... never more than ``cap``."""
    return min(cap, base * 2 ** max(0, min(attempts - 1, 60)))


def _candidates(ctx, now, types):
    """A few due jobs, oldest first, then shuffled a little so that
    several dispatchers rarely race for the same row. One query per due
    status, each an index range scan of (status, next_attempt_at) that
    stops after CLAIM_BATCH rows, however many jobs have piled up."""
    # SQLite: no look at all while nothing was committed and nothing fell
    # due by time since the last look found nothing (tricircle.db.job_gate).
    gate = job_gate.gate()
    if gate is not None:
        try:
            version = gate.look(now)
        except (OSError, sqlite3.Error) as e:
            LOG.debug('Idle gate unavailable (%s); scanning', e)
            gate = None
        else:
            if version is None:
                return []
    # An idle dispatcher scans often and nearly always finds nothing: one
    # cheap look for any due row first, on a bare connection (an idle scan
    # cost three queries with a correlated subquery each, in a session).
    any_due = sa.select(JOBS.c.id).where(sa.or_(
        JOBS.c.status == c.JS_NEW,
        sa.and_(JOBS.c.status == c.JS_FAIL, JOBS.c.next_attempt_at <= now),
        sa.and_(JOBS.c.status == c.JS_RUNNING,
                JOBS.c.lease_expires_at <= now))).limit(1)
    with core.get_engine().connect() as conn:
        if conn.execute(any_due).first() is None:
            if gate is not None:
                gate.arm(version, job_gate.next_moment(conn, now))
            return []
    other = JOBS.alias('other')
    busy = sa.exists().where(
        other.c.type == JOBS.c.type,
        other.c.resource_id == JOBS.c.resource_id,
        other.c.status == c.JS_RUNNING, other.c.lease_expires_at > now,
        other.c.id != JOBS.c.id)
    found = []
    with core.reader(ctx) as session:
        for status, due in ((c.JS_NEW, None),
                            (c.JS_FAIL, JOBS.c.next_attempt_at <= now),
                            (c.JS_RUNNING, JOBS.c.lease_expires_at <= now)):
            query = sa.select(JOBS.c.id, JOBS.c.type, JOBS.c.resource_id,
                              JOBS.c.next_attempt_at).where(
                JOBS.c.status == status, ~busy)
            if due is not None:
                query = query.where(due)
            if types is not None:
                query = query.where(JOBS.c.type.in_(list(types)))
            found += session.execute(query.order_by(
                JOBS.c.next_attempt_at, JOBS.c.id).limit(
                    CLAIM_BATCH)).mappings().all()
    found.sort(key=lambda r: (r['next_attempt_at'] or now, r['id']))
    found = found[:CLAIM_BATCH]
    random.shuffle(found)
    return found


def _retire(session, others, job_id, now):
    """Claiming a pending job while a dead worker's job of the same key
    is still RUNNING (lease expired): the pending one carries the newer
    state and does that work too, so the old one ends as FAIL, not
    retried. False if its worker renewed the lease meanwhile."""
    for other in others:
        note = ('lease of %s expired; superseded by job %s'
                % (other['lease_owner'], job_id))
        if not jr.update_if_unchanged(
                session, other, jr.due(now), status=c.JS_FAIL,
                lease_owner=None, lease_expires_at=None,
                next_attempt_at=None, last_error=note):
            return False
        jr.add_log(session, other, c.JS_FAIL, note)
    return True


@jr.retry
def _try_claim(ctx, candidate, worker_id, lease_seconds):
    now = timeutils.utcnow()
    job_id = candidate['id']
    with core.writer(ctx) as session:
        rows = jr.lock_key(session, candidate['type'],
                           candidate['resource_id'])
        row = next((r for r in rows if r['id'] == job_id), None)
        if row is None or not jr.is_due(row, now):
            return None
        others = [r for r in rows if r['id'] != job_id
                  and r['status'] == c.JS_RUNNING]
        if any(r['lease_expires_at'] > now for r in others):
            return None
        if row['status'] != c.JS_RUNNING and not _retire(
                session, others, job_id, now):
            return None
        values = {'status': c.JS_RUNNING, 'lease_owner': worker_id,
                  'lease_expires_at': now + jr.delta(lease_seconds),
                  'attempts': row['attempts'] + 1, 'updated_at': now}
        # due(now) again in SQL: the owner may have renewed meanwhile.
        if not jr.update_if_unchanged(session, row, jr.due(now), **values):
            return None
        if row['status'] == c.JS_RUNNING:
            jr.add_log(session, row, c.JS_FAIL,
                       'lease of %s expired; taken over by %s'
                       % (row['lease_owner'], worker_id))
        return jr.to_dict(dict(row, **values))


def claim_job(ctx, worker_id, lease_seconds, types=None):
    """Lease one due job to ``worker_id``; return it (RUNNING) or None.

    Due: NEW; FAIL whose next_attempt_at has come; RUNNING whose lease
    expired (its worker died: the job is taken over). A job is never
    claimed while another job of its key holds an unexpired lease.
    ``types`` limits the claim to the job types this worker can run.
    """
    for candidate in _candidates(ctx, timeutils.utcnow(), types):
        job = _try_claim(ctx, candidate, worker_id, lease_seconds)
        if job is not None:
            return job
    return None


def renew_lease(ctx, job_id, worker_id, lease_seconds):
    """Extend this worker's lease; False when it no longer holds it."""
    now = timeutils.utcnow()
    with core.writer(ctx) as session:
        return session.execute(JOBS.update().where(
            JOBS.c.id == job_id, JOBS.c.status == c.JS_RUNNING,
            JOBS.c.lease_owner == worker_id).values(
                lease_expires_at=now + jr.delta(lease_seconds),
                updated_at=now)).rowcount == 1


def _result_text(job_id, result):
    try:
        return jr.encode_result(result)
    except (TypeError, ValueError) as e:
        error = '%s: %s' % (type(e).__name__, e)
        LOG.error('The result of job %s is not JSON-serialisable (%s); '
                  'storing {"unserialisable": <the error>} instead',
                  job_id, error)
        return jr.encode_result({'unserialisable': error})


def finish_job(ctx, job_id, worker_id, success, error=None, backoff=None,
               max_attempts=0, result=None):
    """Record the end of this worker's run; return the job, or None when
    the worker lost its lease (another worker took the job over).

    A failure becomes FAIL, retried after ``backoff(attempts)`` seconds
    (default :func:`backoff_seconds`), unless ``max_attempts`` (0: no
    limit) runs were made or a newer pending job of the key supersedes it.
    Every finished run adds an async_job_logs row.

    ``result`` (JSON-serialisable: what the run found) is stored on
    success, replacing the previous one; None stores NULL. A failure keeps
    the result of the last successful run, as a redo, a coalesced
    registration or a lease takeover do: ``result`` always describes the
    last run that succeeded. The text is capped (see
    tricircle.db.job_rows.encode_result: a longer one is stored as
    ``{"truncated": true, "chars": N, "text": <its beginning>}``); a
    value that cannot be serialised is stored as ``{"unserialisable":
    <the error>}``, the run still counting as a success -- its work is
    done.
    """
    text = _result_text(job_id, result) if success else None
    return _finish(ctx, job_id, worker_id, success, error, backoff,
                   max_attempts, text)


@jr.retry
def _finish(ctx, job_id, worker_id, success, error, backoff, max_attempts,
            result_text):
    now = timeutils.utcnow()
    with core.writer(ctx) as session:
        row = jr.get_row(session, job_id)
        if row is None or row['status'] != c.JS_RUNNING or (
                row['lease_owner'] != worker_id):
            return None
        values = {'lease_owner': None, 'lease_expires_at': None,
                  'updated_at': now}
        if success:
            values.update(status=c.JS_SUCCESS, next_attempt_at=None,
                          last_error=None, result=result_text)
        else:
            error = (error or 'failed')[:MAX_ERROR_CHARS]
            retry_at = now + jr.delta((backoff or backoff_seconds)(
                row['attempts']))
            rows = jr.lock_key(session, row['type'], row['resource_id'])
            if (max_attempts and row['attempts'] >= max_attempts) or any(
                    jr.is_pending(r) for r in rows if r['id'] != job_id):
                retry_at = None
            values.update(status=c.JS_FAIL, next_attempt_at=retry_at,
                          last_error=error)
        if not jr.update_if_unchanged(session, row, **values):
            return None
        jr.add_log(session, row, values['status'],
                   None if success else error)
        return jr.to_dict(dict(row, **values))
