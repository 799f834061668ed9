"""Engine and transactions of the Tricircle database.

The Tricircle DB is separate from every Neutron DB, even inside the central
neutron-api where Neutron's own enginefacade owns ``[database]``; so it gets
an enginefacade of its own, configured with an explicit connection URL.
"""

import threading

from oslo_db.sqlalchemy import enginefacade
from sqlalchemy import orm

from tricircle.db import sqlite

BASE = orm.declarative_base()

_LOCK = threading.Lock()
_FACADE = None
_URL = None


class _DbContext:
    """Carrier for enginefacade state when the caller has no context.

    In central's neutron-api, Neutron's revision plugin listens to the
    flush of every SQLAlchemy session, ours included, and asks the
    session's context for a compare-and-swap constraint: ours never has
    one.
    """

    @staticmethod
    def get_transaction_constraint():
        return None

    @staticmethod
    def clear_transaction_constraint():
        pass


def configure(connection, **engine_kwargs):
    """Point this process at a Tricircle DB; later calls with another URL
    replace the engine (tests and the sandbox use one process per URL)."""
    global _FACADE, _URL
    with _LOCK:
        if _FACADE is not None and _URL == connection:
            return
        facade = enginefacade.transaction_context()
        kwargs = {'connection': connection}
        if connection.startswith('sqlite'):
            # SQLite has one writer: let concurrent writers wait for the
            # lock instead of failing at once with "database is locked".
            sqlite.serialize_writers()
            kwargs['sqlite_fk'] = True
        kwargs.update(engine_kwargs)
        facade.configure(**kwargs)
        _FACADE, _URL = facade, connection


def _facade():
    if _FACADE is None:
        raise RuntimeError('Tricircle DB is not configured; call '
                           'tricircle.db.core.configure() first.')
    return _FACADE


def writer(context=None):
    """Context manager giving a session inside one write transaction."""
    return _facade().writer.using(context or _DbContext())


def reader(context=None):
    return _facade().reader.using(context or _DbContext())


def get_engine():
    return _facade().writer.get_engine()
