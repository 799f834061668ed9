"""Make SQLite safe for a threaded server (the sandbox's databases).

SQLite starts transactions deferred: a transaction that read first and then
writes must upgrade its lock, and when another writer holds it the upgrade
fails at once with "database is locked" rather than waiting. Starting every
transaction with BEGIN IMMEDIATE takes the write lock up front, so writers
queue behind each other for up to ``busy_timeout`` instead of failing.
MySQL/MariaDB and PostgreSQL never take this path.
"""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy import pool

BUSY_TIMEOUT_MS = 60000

_installed = False


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


def _on_begin(connection):
    if connection.dialect.name == 'sqlite' and _MARKER not in connection.info:
        connection.exec_driver_sql('BEGIN IMMEDIATE')
        connection.info[_MARKER] = True


def _on_end(connection):
    connection.info.pop(_MARKER, None)


def serialize_writers():
    """Apply to every SQLite engine this process creates (idempotent)."""
    global _installed
    if not _installed:
        event.listen(pool.Pool, 'connect', _on_connect)
        event.listen(Engine, 'begin', _on_begin)
        event.listen(Engine, 'commit', _on_end)
        event.listen(Engine, 'rollback', _on_end)
        _installed = True
