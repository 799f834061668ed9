"""The alembic migrations, run through ``tricircle-db-manage`` on SQLite,
MariaDB and PostgreSQL, create exactly the schema of tricircle.db.models."""

import os
import re
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import sqlalchemy as sa

from tricircle.db import migration
from tricircle.db import models

TABLES = {'pods', 'resource_routings', 'async_jobs', 'async_job_logs',
          'pod_bindings'}


def _db_manage(*args):
    script = os.path.join(os.path.dirname(sys.executable),
                          'tricircle-db-manage')
    assert os.access(script, os.X_OK), (
        '%s missing: run `make install`' % script)
    result = subprocess.run([script, *args], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (
        'tricircle-db-manage %s failed (%d):\n%s\n%s' % (
            ' '.join(args), result.returncode, result.stdout,
            result.stderr))
    return result.stdout


def _last_line(output):
    return [line for line in output.splitlines() if line.strip()][-1].strip()


def _schema(url):
    """What the database holds: tables with columns, indexes, uniques."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            table: (
                [(c['name'], str(c['type']), c['nullable'])
                 for c in inspector.get_columns(table)],
                sorted((i['name'], tuple(i['column_names']))
                       for i in inspector.get_indexes(table)),
                sorted(tuple(u['column_names'])
                       for u in inspector.get_unique_constraints(table)))
            for table in inspector.get_table_names()}
    finally:
        engine.dispose()


def _diff(url, metadata):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn),
                                    metadata)
    finally:
        engine.dispose()


def test_one_head():
    assert len(migration.heads()) == 1


def test_upgrade_head_then_current(empty_db_url):
    head = migration.heads()[0]
    assert _last_line(_db_manage('--database-url', empty_db_url,
                                 'current')) == 'empty'

    _db_manage('--database-url', empty_db_url, 'upgrade', 'head')

    assert _last_line(_db_manage('--database-url', empty_db_url,
                                 'current')) == head
    assert migration.current(empty_db_url) == head
    assert TABLES <= set(_schema(empty_db_url))


def test_upgrade_twice_is_a_noop(empty_db_url, tmp_path):
    _db_manage('--database-url', empty_db_url, 'upgrade')
    before = _schema(empty_db_url)

    # The second time through a config file, as a deployment runs it.
    conf = tmp_path / 'tricircle.conf'
    conf.write_text('[database]\nconnection = %s\n' % empty_db_url)
    _db_manage('--config-file', str(conf), 'upgrade', 'head')

    assert _schema(empty_db_url) == before
    assert migration.current(empty_db_url) == migration.heads()[0]
    engine = sa.create_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(
                sa.text('SELECT version_num FROM alembic_version')).all()
    finally:
        engine.dispose()
    assert versions == [(migration.heads()[0],)]


def test_migrations_match_models(empty_db_url):
    _db_manage('--database-url', empty_db_url, 'upgrade', 'head')

    assert _diff(empty_db_url, models.BASE.metadata) == []

    # The comparison does see the schema: against no models at all, every
    # table of the migrations shows up as one to remove.
    removed = {op[1].name for op in _diff(empty_db_url, sa.MetaData())
               if op[0] == 'remove_table'}
    assert removed == TABLES

    # ... and it would see a drift of a column type.
    drifted = sa.MetaData()
    for table in models.BASE.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables['pods'].c.region_name.type = sa.String(100)
    assert [op[0][0] for op in _diff(empty_db_url, drifted)] == [
        'modify_type']


def _normalized(sql_type):
    # MariaDB reflects integers with their display width: INTEGER(11).
    return re.sub(r'^(TINYINT|SMALLINT|INTEGER|BIGINT)\(\d+\)$', r'\1',
                  sql_type)


def test_column_types_match_models(empty_db_url):
    """The types as the backend stores them, including what autogenerate
    does not compare (e.g. the fractional seconds of a MySQL DATETIME)."""
    migration.upgrade(empty_db_url)
    engine = sa.create_engine(empty_db_url)
    try:
        inspector = sa.inspect(engine)
        mismatches = []
        for table in models.BASE.metadata.sorted_tables:
            stored = {c['name']: c for c in inspector.get_columns(table.name)}
            assert set(stored) == set(table.columns.keys()), table.name
            for column in table.columns:
                want = column.type.compile(dialect=engine.dialect)
                got = _normalized(stored[column.name]['type'].compile(
                    dialect=engine.dialect))
                if want != got:
                    mismatches.append((table.name, column.name, want, got))
    finally:
        engine.dispose()
    assert mismatches == []
