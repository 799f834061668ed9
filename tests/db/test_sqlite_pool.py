"""Pooled SQLite connections (tricircle.db.sqlite.pool_connections): a
sandbox neutron-api keeps its connections open instead of paying SQLite's
schema parse for every session, and writers still queue.

Each test runs in a fresh interpreter: the pool applies to every engine
oslo.db makes in a process from then on, and the other tests of this
worker must keep oslo.db's own choice."""

import subprocess
import sys
import textwrap


PRELUDE = textwrap.dedent('''
    import sys, threading, time
    import sqlalchemy as sa
    from oslo_db.sqlalchemy import engines
    from tricircle.db import sqlite
    sqlite.serialize_writers()
    path = sys.argv[1]
''')


def _run(tmp_path, body):
    script = PRELUDE + textwrap.dedent(body)
    result = subprocess.run(
        [sys.executable, '-c', script, str(tmp_path / 'db.sqlite')],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_without_the_pool_oslo_db_opens_a_connection_per_session(tmp_path):
    """The check below can fail: oslo.db's own choice is NullPool."""
    out = _run(tmp_path, '''
        engine = engines.create_engine('sqlite:///' + path)
        kept = []  # held, so no id is reused
        for _ in range(3):
            with engine.connect() as conn:
                kept.append(conn.connection.dbapi_connection)
                conn.exec_driver_sql('SELECT 1')
        print(type(engine.pool).__name__, len({id(c) for c in kept}))
    ''')
    assert out.split() == ['NullPool', '3']


def test_connections_are_kept_and_reused(tmp_path):
    out = _run(tmp_path, '''
        sqlite.pool_connections()
        sqlite.pool_connections()  # idempotent
        engine = engines.create_engine('sqlite:///' + path)
        seen = []
        for _ in range(3):
            with engine.begin() as conn:
                seen.append(conn.connection.dbapi_connection)
                # A reused connection takes the write lock again.
                assert conn.info[sqlite._MARKER] == sqlite._IMMEDIATE
                conn.exec_driver_sql('CREATE TABLE IF NOT EXISTS t (v)')
        assert not sqlite._held()
        memory = engines.create_engine('sqlite://')
        print(type(engine.pool).__name__, len({id(c) for c in seen}),
              type(memory.pool).__name__)
    ''')
    assert out.split() == ['QueuePool', '1', 'StaticPool']


def test_pooled_writers_of_other_threads_still_queue(tmp_path):
    """A connection given back mid-transaction leaves no lock behind, and
    a second thread's writer waits for the first's instead of failing."""
    out = _run(tmp_path, '''
        sqlite.pool_connections()
        engine = engines.create_engine('sqlite:///' + path)
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE t (v INTEGER)')
        abandoned = engine.connect()
        abandoned.begin()
        abandoned.exec_driver_sql('INSERT INTO t VALUES (0)')
        abandoned.close()  # rolled back by the pool
        assert not sqlite._held()
        order = []

        def second():
            with engine.begin() as conn:
                n = conn.exec_driver_sql('SELECT count(*) FROM t').scalar()
                conn.exec_driver_sql('INSERT INTO t VALUES (?)', (n + 1,))
                order.append('second')

        with engine.begin() as first:
            first.exec_driver_sql('INSERT INTO t VALUES (1)')
            worker = threading.Thread(target=second)
            worker.start()
            time.sleep(0.3)
            assert worker.is_alive()
            order.append('first')
        worker.join(10)
        with engine.connect() as conn:
            values = sorted(v for (v,) in conn.exec_driver_sql(
                'SELECT v FROM t'))
        print(order, values)
    ''')
    assert out.strip() == "['first', 'second'] [1, 2]"
