"""SQLite in a threaded server (tricircle.db.sqlite): writers queue behind
each other, and a thread's second session on a database whose write lock
it holds reads beside its first instead of waiting for itself."""

import threading
import time

import sqlalchemy as sa
from sqlalchemy import orm

from tricircle.db import sqlite


def _engine(path):
    sqlite.serialize_writers()
    engine = sa.create_engine('sqlite:///%s' % path,
                              poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE IF NOT EXISTS t (v INTEGER)')
    return engine


def test_a_nested_session_reads_beside_the_write_lock(tmp_path):
    engine = _engine(tmp_path / 'nested.sqlite')
    started = time.monotonic()
    with orm.Session(engine) as outer, outer.begin():
        outer.execute(sa.text('INSERT INTO t VALUES (1)'))
        with orm.Session(engine) as inner, inner.begin():
            # Before the fix this waited busy_timeout (60 s) and failed
            # with "database is locked".
            assert inner.execute(sa.text('SELECT count(*) FROM t')
                                 ).scalar() == 0
    assert time.monotonic() - started < 5
    assert not sqlite._held()
    with orm.Session(engine) as session:
        assert session.execute(sa.text('SELECT count(*) FROM t')
                               ).scalar() == 1


def test_writers_of_other_threads_still_queue(tmp_path):
    """Another thread's transaction waits for the lock (and then writes),
    where a deferred one would have failed on upgrading its read lock."""
    engine = _engine(tmp_path / 'queue.sqlite')
    order = []

    def second():
        with orm.Session(engine) as session, session.begin():
            count = session.execute(sa.text('SELECT count(*) FROM t')
                                    ).scalar()
            session.execute(sa.text('INSERT INTO t VALUES (:v)'),
                            {'v': count + 1})
            order.append('second')

    with orm.Session(engine) as first, first.begin():
        first.execute(sa.text('INSERT INTO t VALUES (1)'))
        worker = threading.Thread(target=second)
        worker.start()
        time.sleep(0.3)
        assert worker.is_alive()  # queued behind this thread's lock
        order.append('first')
    worker.join(10)
    assert order == ['first', 'second']
    with engine.connect() as conn:
        assert sorted(v for (v,) in conn.exec_driver_sql(
            'SELECT v FROM t')) == [1, 2]


def test_a_connection_returned_without_commit_releases_the_lock(tmp_path):
    engine = _engine(tmp_path / 'reset.sqlite')
    conn = engine.connect()
    conn.begin()
    conn.exec_driver_sql('SELECT 1')
    assert sqlite._held()
    conn.close()
    assert not sqlite._held()
    # The next transaction of this thread takes the write lock again.
    with engine.begin() as again:
        again.exec_driver_sql('INSERT INTO t VALUES (3)')
        assert again.info[sqlite._MARKER] == sqlite._IMMEDIATE
