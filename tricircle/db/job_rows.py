"""Rows of the job table and the *key lock* every job query relies on.

Several XJob processes on several hosts share ``async_jobs``, so every
decision that involves more than one row of one (type, resource_id) -- "is
a job already pending?", "is another one running?" -- is taken under a key
lock held until commit (:func:`lock_key`):

- SQLite: every transaction starts with BEGIN IMMEDIATE (tricircle.db.sqlite),
  so writers are serialised anyway;
- PostgreSQL: a transaction-scoped advisory lock on a hash of the key, so
  two first registrations of a key (no row to lock yet) serialise too;
- MySQL/MariaDB: ``SELECT ... FOR UPDATE`` on the (type, resource_id) index,
  whose next-key locks (REPEATABLE READ, the default) cover the empty range
  too; a deadlock between two first registrations is retried.

Writes are conditional on top of that (:func:`update_if_unchanged`): an
UPDATE matches only if the row is still what was read, rowcount 1 = won.
"""

import datetime
import hashlib

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from tricircle.common import constants as c
from tricircle.common import exceptions as exc
from tricircle.db import models

JOBS = models.AsyncJob.__table__
LOGS = models.AsyncJobLog.__table__

# JSON text of a result is ASCII (ensure_ascii), one byte a character, so
# this fits a MySQL TEXT (65535 bytes) with room to spare.
MAX_RESULT_CHARS = 60000


class Raced(db_exc.DBDuplicateEntry):
    """A row changed between our read and write: retry the transaction."""


# Deadlocks (MySQL first registrations) and lost races are retried with a
# fresh transaction, which then sees the winner's row.
retry = oslo_db_api.wrap_db_retry(
    max_retries=10, retry_interval=0.02, max_retry_interval=0.5,
    jitter=True, retry_on_deadlock=True,
    exception_checker=lambda e: isinstance(e, db_exc.DBDuplicateEntry))


def iso(value):
    return value.isoformat() if value else None


def delta(seconds):
    return datetime.timedelta(seconds=seconds)


def encode_result(value, limit=MAX_RESULT_CHARS):
    """The JSON text a job's result is stored as; None for None.

    The text is ASCII and at most ``limit`` characters. A longer one is
    stored as ``{"truncated": true, "chars": <its length>, "text": <its
    beginning>}``: still valid JSON, and an operator sees where it was cut.
    TypeError or ValueError when ``value`` is not JSON-serialisable.
    """
    if value is None:
        return None
    text = jsonutils.dumps(value, ensure_ascii=True)
    if len(text) <= limit:
        return text
    # Escaped again, each character of the (ASCII, control-free) text
    # takes one or two: cutting half the overflow at a time never cuts
    # more than needed, and halves the overflow each round.
    keep = limit
    while True:
        wrapped = jsonutils.dumps({'truncated': True, 'chars': len(text),
                                   'text': text[:keep]}, ensure_ascii=True)
        over = len(wrapped) - limit
        if over <= 0 or not keep:
            return wrapped
        keep = max(0, keep - (over + 1) // 2)


def to_dict(row):
    return {
        'id': row['id'], 'type': row['type'],
        'resource_id': row['resource_id'], 'project_id': row['project_id'],
        'status': row['status'],
        'extra': jsonutils.loads(row['extra']) if row['extra'] else None,
        'attempts': row['attempts'], 'lease_owner': row['lease_owner'],
        'lease_expires_at': iso(row['lease_expires_at']),
        'next_attempt_at': iso(row['next_attempt_at']),
        'last_error': row['last_error'],
        'result': (jsonutils.loads(row['result'])
                   if row['result'] is not None else None),
        'created_at': iso(row['created_at']),
        'updated_at': iso(row['updated_at'])}


def is_pending(row):
    """NEW, or FAIL waiting for a retry: work still to do."""
    return row['status'] == c.JS_NEW or (
        row['status'] == c.JS_FAIL and row['next_attempt_at'] is not None)


def due(now):
    """SQL: may be claimed at ``now`` (see jobs.claim_job)."""
    return sa.or_(
        JOBS.c.status == c.JS_NEW,
        sa.and_(JOBS.c.status == c.JS_FAIL, JOBS.c.next_attempt_at <= now),
        sa.and_(JOBS.c.status == c.JS_RUNNING,
                JOBS.c.lease_expires_at <= now))


def is_due(row, now):
    """Python twin of :func:`due`."""
    if row['status'] == c.JS_FAIL:
        return row['next_attempt_at'] is not None and (
            row['next_attempt_at'] <= now)
    if row['status'] == c.JS_RUNNING:
        return row['lease_expires_at'] <= now
    return row['status'] == c.JS_NEW


def _key_hash(job_type, resource_id):
    digest = hashlib.sha1(('%s\0%s' % (job_type, resource_id)).encode())
    return int.from_bytes(digest.digest()[:8], 'big', signed=True)


def lock_key(session, job_type, resource_id):
    """Take the key lock; return the key's rows as they are once held."""
    dialect = session.get_bind().dialect.name
    if dialect == 'postgresql':
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(
            _key_hash(job_type, resource_id))))
    query = sa.select(JOBS).where(
        JOBS.c.type == job_type,
        JOBS.c.resource_id == resource_id).order_by(JOBS.c.id)
    if dialect in ('mysql', 'mariadb'):
        query = query.with_for_update()
    return session.execute(query).mappings().all()


def get_row(session, job_id):
    return session.execute(sa.select(JOBS).where(
        JOBS.c.id == job_id)).mappings().first()


def locked_row(session, job_id):
    """(the job's row, all rows of its key) under the key lock, or
    JobNotFound."""
    row = get_row(session, job_id)
    if row is not None:
        rows = lock_key(session, row['type'], row['resource_id'])
        row = next((r for r in rows if r['id'] == job_id), None)
    if row is None:
        raise exc.JobNotFound(job_id=job_id)
    return row, rows


def update_if_unchanged(session, row, *where, **values):
    """UPDATE the row only if its status and lease owner are still what
    was read (and ``where`` holds); True if it did."""
    owner = row['lease_owner']
    values.setdefault('updated_at', timeutils.utcnow())
    result = session.execute(JOBS.update().where(
        JOBS.c.id == row['id'], JOBS.c.status == row['status'],
        JOBS.c.lease_owner == owner if owner else
        JOBS.c.lease_owner.is_(None), *where).values(**values))
    return result.rowcount == 1


def add_log(session, row, status, message=None):
    """One async_job_logs row: a run (or a lease) of the job ended."""
    session.execute(LOGS.insert().values(
        id=uuidutils.generate_uuid(), job_id=row['id'], type=row['type'],
        resource_id=row['resource_id'], project_id=row['project_id'],
        status=status, message=message, timestamp=timeutils.utcnow()))
