"""Whether an idle XJob need look at a SQLite job table at all.

Without RabbitMQ (the sandbox's SQLite shape) nothing wakes XJob: it
scans the job table every ``scan_interval`` (0.2 s there), and an idle
scan cost 1.4 ms of CPU, mostly opening a connection. SQLite can say
"nothing was committed since you last looked" for almost nothing: ``PRAGMA
data_version`` on a connection kept open changes whenever another
connection commits. With no commit, a job becomes due only with time
(a retry's ``next_attempt_at``, a dead worker's lease), and the scan that
found nothing also learns the earliest such moment. Until a commit or that
moment, the table cannot hold a due job, and the scan is skipped.

Exact, not a heuristic: the version is read before the scan it vouches
for, so a commit racing the scan shows up at the next look. MariaDB and
PostgreSQL have no such counter (and their deployments wake XJob over
RabbitMQ); the gate is off for them.
"""

import os
import sqlite3
import threading

import sqlalchemy as sa

from tricircle.common import constants as c
from tricircle.db import core
from tricircle.db.job_rows import JOBS


class Gate:
    """One per process and database file; thread-safe."""

    def __init__(self, path):
        self._path = path
        self._lock = threading.Lock()
        self._conn = self._inode = None
        self._armed = None  # (data_version, moment) of the last empty look

    def version(self):
        """The file's commit counter as this gate's connection sees it;
        a file made anew (a test's or a sandbox's database recreated at
        the same path) gets a new connection, and a counter never seen."""
        with self._lock:
            inode = os.stat(self._path).st_ino
            if inode != self._inode:
                if self._conn is not None:
                    self._conn.close()
                self._conn = sqlite3.connect(self._path,
                                             check_same_thread=False)
                self._inode, self._armed = inode, None
            return (inode, self._conn.execute(
                'PRAGMA data_version').fetchone()[0])

    def look(self, now):
        """None when no job can be due (no commit since the last empty
        look, and its earliest moment not come); else the version the
        look about to be made vouches for (give it to :meth:`arm`)."""
        version = self.version()
        armed = self._armed
        if armed is not None and version == armed[0] and (
                armed[1] is None or now < armed[1]):
            return None
        return version

    def arm(self, version, moment):
        """The look that read ``version`` first found nothing due; the
        next job falls due by time at ``moment`` (None: never)."""
        self._armed = (version, moment)


_GATES = {}
_GATES_LOCK = threading.Lock()


def gate():
    """The gate of this process's Tricircle DB, or None (not SQLite, or
    an in-memory database)."""
    url = core.get_engine().url
    if url.get_backend_name() != 'sqlite' or not url.database or (
            url.database == ':memory:'):
        return None
    with _GATES_LOCK:
        if url.database not in _GATES:  # not a new Gate on every scan
            _GATES[url.database] = Gate(url.database)
        return _GATES[url.database]


def next_moment(conn, now):
    """The earliest moment after ``now`` at which a job falls due without
    a commit: a FAIL job's retry or a RUNNING job's lease end."""
    retry = sa.select(sa.func.min(JOBS.c.next_attempt_at)).where(
        JOBS.c.status == c.JS_FAIL, JOBS.c.next_attempt_at > now)
    lease = sa.select(sa.func.min(JOBS.c.lease_expires_at)).where(
        JOBS.c.status == c.JS_RUNNING)
    moments = [m for m in (conn.execute(retry).scalar(),
                           conn.execute(lease).scalar()) if m is not None]
    return min(moments) if moments else None
