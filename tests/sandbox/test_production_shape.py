"""The production shape, started by the real CLI: ``sandbox up --db
mariadb|postgresql --rabbit --workers 2``.

Every Neutron and the Tricircle DB live on a private database server,
their schemas made by Neutron's own migrations and ours; XJob is woken
over RabbitMQ; each API runs two workers and two XJob processes share the
job table. The seed flow of ``make demo`` (networks in two pods, ports,
a router across pods, north-south with floating IPs) runs on it end to
end, the audit finds nothing, and after ``down`` and ``up`` the data is
still there and the flow runs again (its first steps delete what the
first run made, through central).
"""

import contextlib
import io
import os
import shutil
import tempfile

import psutil
import pytest
import sqlalchemy as sa

from tests import conftest
from tricircle.db import migration
from tricircle.sandbox import cluster
from tricircle.sandbox import dbserver
from tricircle.sandbox import demo

WORKERS = 2
SHAPE = ('--rabbit', '--workers', str(WORKERS))


def _up(folder, backend):
    return conftest.start_sandbox(folder, 2, '--db', backend, *SHAPE)


@pytest.fixture(scope='module', params=sorted(dbserver.BACKENDS))
def shaped(request):
    """A running production-shape sandbox, once per database backend."""
    # PostgreSQL runs as the postgres user, which must reach the folder:
    # pytest's own temporary folders are private to root.
    folder = tempfile.mkdtemp(prefix='tc-%s-' % request.param,
                              dir='/var/tmp')
    os.chmod(folder, 0o711)
    state = _up(folder, request.param)
    yield state
    conftest.run_tricircle('sandbox', 'down', '--dir', folder)
    shutil.rmtree(folder, ignore_errors=True)


def _heads(url):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(
                sa.text('SELECT version_num FROM alembic_version'))}
    finally:
        engine.dispose()


def _neutron_heads():
    from neutron.db import migration as neutron_migration
    folder = os.path.join(os.path.dirname(neutron_migration.__file__),
                          'alembic_migrations', 'versions')
    heads = set()
    for name in ('EXPAND_HEAD', 'CONTRACT_HEAD'):
        with open(os.path.join(folder, name)) as f:
            heads.add(f.read().strip())
    return heads


def _record(state, name):
    return next(r for r in state['processes'] if r['name'] == name)


def _log(record):
    with open(record['log'], errors='replace') as f:
        return f.read()


def test_databases_made_by_migrations(shaped):
    database = shaped['database']
    assert database['backend'] in dbserver.BACKENDS
    for server in [shaped['central']] + shaped['pods']:
        url = database['urls'][server['region_name']]
        assert url.startswith(('mysql+pymysql://', 'postgresql+psycopg2://'))
        assert _heads(url) == _neutron_heads(), server['region_name']
        assert not os.path.exists(os.path.join(
            shaped['dir'], server['region_name'], 'neutron.sqlite'))
    tricircle_url = database['urls'][dbserver.TRICIRCLE_DB]
    assert _heads(tricircle_url) == set(migration.heads())
    assert not os.path.exists(os.path.join(shaped['dir'],
                                           'tricircle.sqlite'))


def test_workers_and_xjob_processes(shaped):
    for name in [s['region_name'] for s in
                 [shaped['central']] + shaped['pods']] + ['admin-api']:
        master = psutil.Process(_record(shaped, name)['pid'])
        assert len(master.children()) == WORKERS, name
    xjobs = [r for r in shaped['processes']
             if r['name'].startswith('xjob-')]
    assert len(xjobs) == WORKERS
    for record in xjobs:
        assert psutil.pid_exists(record['pid'])
        assert 'Listening for wake-ups on topic' in _log(record)


def _run_seed_flow(state):
    flow = demo.Demo(state)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for step in demo.STEPS:
            step(flow)
    assert flow.failures == [], out.getvalue()
    return flow


def _audit_clean(state):
    result = conftest.run_tricircle('audit', '--dir', state['dir'])
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'clean' in result.stdout


def test_seed_flow_with_wakeups(shaped):
    before = {r['name']: _log(r).count('Woken up for ')
              for r in shaped['processes'] if r['name'].startswith('xjob-')}
    _run_seed_flow(shaped)
    _audit_clean(shaped)
    # Every job central queued was cast to every XJob process (fanout).
    for record in shaped['processes']:
        if record['name'].startswith('xjob-'):
            assert _log(record).count('Woken up for router_setup') > (
                before[record['name']]), record['name']


@pytest.mark.parametrize('shaped', ['postgresql'], indirect=True)
def test_down_and_up_keeps_the_data(shaped):
    """On PostgreSQL, whose first migration takes a detour (see dbserver)
    that a second ``up`` must not take again; MariaDB's path is the same
    on both."""
    folder = shaped['dir']
    networks = {n['id'] for n in demo.Demo(shaped).top.networks()}
    result = conftest.run_tricircle('sandbox', 'down', '--dir', folder)
    assert result.returncode == 0, result.stderr
    state = _up(folder, shaped['database']['backend'])
    shaped.clear()
    shaped.update(state)  # the module's later tests use the new processes
    assert {n['id'] for n in demo.Demo(state).top.networks()} == networks
    _run_seed_flow(state)
    _audit_clean(state)


def test_workers_need_a_database_server(tmp_path):
    result = conftest.run_tricircle('sandbox', 'up', '--dir', str(tmp_path),
                                    '--workers', '2')
    assert result.returncode == 1
    assert '--workers 2 needs --db mariadb or postgresql' in result.stderr
    assert cluster.load_state(str(tmp_path)) is None
    assert not os.path.exists(tmp_path / 'tricircle.sqlite')


def test_unknown_database_refused(tmp_path):
    result = conftest.run_tricircle('sandbox', 'up', '--dir', str(tmp_path),
                                    '--db', 'oracle')
    assert result.returncode == 2
    assert "invalid choice: 'oracle'" in result.stderr
    assert cluster.load_state(str(tmp_path)) is None


def test_postgresql_folder_the_postgres_user_cannot_reach(tmp_path):
    private = tmp_path / 'private'
    private.mkdir(mode=0o700)
    with pytest.raises(dbserver.DatabaseError, match='cannot enter'):
        dbserver.PostgreSQL(str(private / 'sandbox' / 'postgresql')
                            ).initialize()
    assert not (private / 'sandbox').exists()
