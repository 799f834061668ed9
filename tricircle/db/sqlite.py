"""Make SQLite safe for a threaded server (the sandbox's databases).

SQLite starts transactions deferred: a transaction that read first and then
writes must upgrade its lock, and when another writer holds it the upgrade
fails at once with "database is locked" rather than waiting. Starting every
transaction with BEGIN IMMEDIATE takes the write lock up front, so writers
queue behind each other for up to ``busy_timeout`` instead of failing.
MySQL/MariaDB and PostgreSQL never take this path.

One exception: a thread that already holds a database's write lock and
opens a second session on it (Neutron does, with a fresh admin context,
inside a request's transaction: QoS resource requests while it lists
ports) begins that one deferred. In WAL mode it reads beside the first;
waiting for the lock would be waiting for itself.
"""

import collections
import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy import pool

BUSY_TIMEOUT_MS = 60000
# Connections a server keeps open per SQLite file: one per request thread
# (the sandbox's gunicorn runs 8) and a few for the nested sessions
# Neutron opens inside a request. More are opened when needed and closed
# when given back.
POOL_SIZE = 12
POOL_OVERFLOW = 40

_installed = False
_pooled = False


def _on_connect(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA busy_timeout = %d' % BUSY_TIMEOUT_MS)
        cursor.execute('PRAGMA journal_mode = WAL')
        cursor.close()


# oslo.db's engines emit their own BEGIN unless this marker says a
# transaction is open; setting it makes theirs stand aside for ours.
_MARKER = 'in_transaction'


_IMMEDIATE, _DEFERRED = 'immediate', 'deferred'
_local = threading.local()


def _held():
    """This thread's write locks: database path -> transactions."""
    held = getattr(_local, 'held', None)
    if held is None:
        held = _local.held = collections.Counter()
    return held


def _on_begin(connection):
    if connection.dialect.name != 'sqlite' or _MARKER in connection.info:
        return
    database = connection.engine.url.database
    held = _held()
    if held[database]:
        connection.exec_driver_sql('BEGIN')
        connection.info[_MARKER] = _DEFERRED
    else:
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        connection.info[_MARKER] = _IMMEDIATE
        connection.info[_MARKER + '_db'] = database
        held[database] += 1


def _release(info):
    if info.pop(_MARKER, None) == _IMMEDIATE:
        held = _held()
        database = info.pop(_MARKER + '_db')
        held[database] -= 1
        if held[database] <= 0:
            del held[database]


def _on_end(connection):
    _release(connection.info)


def _on_checkin(_dbapi_connection, record):
    """A connection given back without a commit or rollback event (the
    pool's own reset) ends its transaction too."""
    if record is not None:
        _release(record.info)


def serialize_writers():
    """Apply to every SQLite engine this process creates (idempotent)."""
    global _installed
    if not _installed:
        event.listen(pool.Pool, 'connect', _on_connect)
        event.listen(Engine, 'begin', _on_begin)
        event.listen(Engine, 'commit', _on_end)
        event.listen(Engine, 'rollback', _on_end)
        event.listen(pool.Pool, 'checkin', _on_checkin)
        _installed = True


def _keep_open(url, engine_args, kw):
    """oslo.db's SQLite setup, which runs before this, gives a file
    database NullPool: a new connection for every session. Each one costs
    SQLite a parse of the whole schema (Neutron's has 200 tables), about
    2 ms of CPU, and a request opens several. Keep them in a pool instead,
    as SQLAlchemy 2 itself does for SQLite files."""
    if engine_args.get('poolclass') is not pool.NullPool:
        return  # :memory: (StaticPool) or a pool chosen elsewhere
    engine_args['poolclass'] = pool.QueuePool
    engine_args['pool_size'] = POOL_SIZE
    engine_args['max_overflow'] = POOL_OVERFLOW
    # A pooled connection serves whichever thread checks it out next;
    # the pool never hands one to two threads at once.
    engine_args['connect_args']['check_same_thread'] = False


def pool_connections():
    """Let every SQLite engine oslo.db makes in this process from now on
    keep its connections open (idempotent). Only for servers whose
    database schema no other process changes while they run."""
    global _pooled
    if not _pooled:
        from oslo_db.sqlalchemy import engines
        # oslo.db runs every function registered for the dialect, the
        # most specific first: "*+pysqlite" comes after its "sqlite" one.
        engines._init_connection_args.dispatch_for('*+pysqlite')(
            _keep_open)
        _pooled = True
