"""The production shape, started by the real CLI: ``sandbox up --db
mariadb|postgresql --rabbit --workers 2``.

Every Neutron and the Tricircle DB live on a private database server,
their schemas made by Neutron's own migrations and ours; XJob is woken
over RabbitMQ; each API runs two workers and two XJob processes share the
job table. The seed flow of ``make demo`` (networks in two pods, ports,
a router across pods, north-south with floating IPs) runs on it end to
end, the audit finds nothing, and after ``down`` and ``up`` the data is
still there and the flow's first half runs again (its first steps delete
what the first run made, through central).
"""

import collections
import contextlib
import io
import os
import shutil
import tempfile
import threading
import time

from keystoneauth1 import adapter
import psutil
import pytest

from tests import conftest
from tests.network import conftest as network_conftest
from tests.network import helpers
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
        assert dbserver.revisions(url) == dbserver.neutron_heads(), (
            server['region_name'])
        assert not os.path.exists(os.path.join(
            shaped['dir'], server['region_name'], 'neutron.sqlite'))
    # Neutron's migrations ran once; the other databases are copies.
    assert len(_db_manage_logs(shaped['dir'])) == 1
    tricircle_url = database['urls'][dbserver.TRICIRCLE_DB]
    assert dbserver.revisions(tricircle_url) == set(migration.heads())
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


def _db_manage_logs(folder):
    logs = os.path.join(folder, 'logs')
    return {name: os.path.getsize(os.path.join(logs, name))
            for name in os.listdir(logs) if name.startswith('db-manage-')}


def _run_seed_flow(state, steps=demo.STEPS):
    flow = demo.Demo(state)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for step in steps:
            step(flow)
    assert flow.failures == [], out.getvalue()
    return flow


def _audit_clean(state):
    helpers.wait_idle(network_conftest.Cloud(state))
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
    migrated = _db_manage_logs(folder)
    state = _up(folder, shaped['database']['backend'])
    # Every Neutron database was at heads: no neutron-db-manage ran.
    assert _db_manage_logs(folder) == migrated
    shaped.clear()
    shaped.update(state)  # the module's later tests use the new processes
    assert {n['id'] for n in demo.Demo(state).top.networks()} == networks
    # The restarted servers make networks and ports through the pods
    # beside the first run's (whose L3 stays up), and the whole is clean.
    _run_seed_flow(state, [demo.show_pods, demo.create_networks,
                           demo.create_ports, demo.compare_ports,
                           demo.show_routings])
    _audit_clean(state)


@pytest.mark.parametrize('args, code, message', [
    (('--workers', '2'), 1, '--workers 2 needs --db mariadb or postgresql'),
    (('--db', 'oracle'), 2, "invalid choice: 'oracle'"),
])
def test_bad_shape_refused_before_anything_starts(tmp_path, args, code,
                                                  message):
    result = conftest.run_tricircle('sandbox', 'up', '--dir', str(tmp_path),
                                    *args)
    assert result.returncode == code
    assert message in result.stderr
    assert cluster.load_state(str(tmp_path)) is None
    assert not os.path.exists(tmp_path / 'tricircle.sqlite')


def test_postgresql_folder_the_postgres_user_cannot_reach(tmp_path):
    private = tmp_path / 'private'
    private.mkdir(mode=0o700)
    with pytest.raises(dbserver.DatabaseError, match='cannot enter'):
        dbserver.PostgreSQL(str(private / 'sandbox' / 'postgresql')
                            ).initialize()
    assert not (private / 'sandbox').exists()


# -- faults in that shape (MariaDB; its sandbox is the one above) --------

def _sandbox(state, *args):
    result = conftest.run_tricircle('sandbox', *args, '--dir', state['dir'])
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _admin(state):
    return cluster.admin_api(state)


def _subnet_per_pod(cloud, prefix):
    """A network hinted to each pod, with a subnet and a port made through
    the pod (so the network lives there); the subnets."""
    subnets = []
    for i, (region, az) in enumerate((('Pod1', 'az1'), ('Pod2', 'az2'))):
        net, subnet = helpers.make_net(cloud, az,
                                       '%s.%d.0/24' % (prefix, i + 1))
        cloud.pods[region].network.create_port(network_id=net.id)
        subnets.append(subnet)
    return subnets


@pytest.mark.parametrize('shaped', ['mariadb'], indirect=True)
def test_database_restarted_under_port_creates(shaped):
    """40 ports made through the pods while the one database server of
    every Neutron and of Tricircle restarts: each answer is 201 or a clean
    503, a 201's port is whole on central and in its pod, a 503 left
    nothing, and the audit agrees."""
    cloud = network_conftest.Cloud(shaped)
    net = cloud.central.network.create_network(name='db-restart')
    cloud.central.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr='10.77.0.0/24')
    regions = sorted(cloud.pods)
    sess = cluster.session(shaped, timeout=180)
    pods = {p['region_name']: adapter.Adapter(
        sess, endpoint_override=p['neutron'], raise_exc=False)
        for p in shaped['pods']}
    answers = {}

    def create(i):
        name = 'db-restart-%d' % i
        resp = pods[regions[i % 2]].post('/v2.0/ports', json={'port': {
            'network_id': net.id, 'name': name}})
        answers[name] = (regions[i % 2], resp.status_code, resp.text)

    _sandbox(shaped, 'stop-server', 'mariadb')
    threads = [threading.Thread(target=create, args=(i,))
               for i in range(40)]
    for thread in threads:
        thread.start()
    time.sleep(3)  # every request meets the outage first
    _sandbox(shaped, 'start-server', 'mariadb')
    for thread in threads:
        thread.join()
    statuses = collections.Counter(a[1] for a in answers.values())
    assert set(statuses) <= {201, 503}, answers
    made = {name for name, a in answers.items() if a[1] == 201}
    central = {p.name: p for p in cloud.central.network.ports(
        network_id=net.id) if p.name.startswith('db-restart-')}
    assert set(central) == made
    for region in regions:
        here = {p.name: p for p in cloud.pods[region].network.ports(
            network_id=net.id) if p.name.startswith('db-restart-')}
        assert set(here) == {n for n in made if answers[n][0] == region}
        for name, port in here.items():
            assert (port.id, port.mac_address, port.fixed_ips) == (
                central[name].id, central[name].mac_address,
                central[name].fixed_ips)
    _audit_clean(shaped)


@pytest.mark.parametrize('shaped', ['mariadb'], indirect=True)
def test_rabbitmq_restarted_while_a_router_is_set_up(shaped):
    """With the broker down no wake-up reaches XJob: the job table scan
    runs the router's jobs; once the broker is back, wake-ups flow
    again."""
    cloud = network_conftest.Cloud(shaped)
    subnets = _subnet_per_pod(cloud, '10.78')
    _sandbox(shaped, 'stop-server', 'rabbitmq')
    router = cloud.central.network.create_router(name='broker-down')
    for subnet in subnets:
        cloud.central.network.add_interface_to_router(router,
                                                      subnet_id=subnet.id)
    helpers.wait_jobs(cloud, router.id)
    for region in ('Pod1', 'Pod2'):
        assert helpers.bottom(cloud, region, router.id) is not None, region
    _sandbox(shaped, 'start-server', 'rabbitmq')
    xjobs = [r for r in shaped['processes'] if r['name'].startswith('xjob-')]
    before = {r['name']: _log(r).count('Woken up for noop') for r in xjobs}

    def woken():
        # Each cast is best effort: repeat until every process heard one.
        _admin(shaped).post('/v1.0/jobs', json={'job': {
            'type': 'noop', 'resource_id': 'broker-back'}})
        return all(_log(r).count('Woken up for noop') > before[r['name']]
                   for r in xjobs)
    conftest.eventually(woken, 'XJob woken over the restarted broker',
                        timeout=120)
    _audit_clean(shaped)


@pytest.mark.parametrize('shaped', ['mariadb'], indirect=True)
def test_xjob_process_killed_mid_job(shaped):
    """One of two XJob processes dies holding a job: the other takes it
    over once the lease expires, and the job succeeds."""
    admin = _admin(shaped)
    job = admin.post('/v1.0/jobs', json={'job': {
        'type': 'sleep', 'resource_id': 'xjob-killed',
        'extra': {'seconds': 5}}}).json()['job']

    def leased():
        found = admin.get('/v1.0/jobs/%s' % job['id']).json()['job']
        return found['lease_owner'] if found['status'] == 'RUNNING' else None
    owner = conftest.eventually(leased, 'the sleep job running')
    pid = int(owner.split(':')[1])
    victim = next(r for r in shaped['processes'] if r['pid'] == pid)
    psutil.Process(pid).kill()

    def done():
        found = admin.get('/v1.0/jobs/%s' % job['id']).json()['job']
        return found if found['status'] == 'SUCCESS' else None
    # The lease (30 s) must expire before the other process may take it.
    finished = conftest.eventually(done, 'the job taken over', timeout=120)
    assert finished['attempts'] >= 2
    _sandbox(shaped, 'start-server', victim['name'])


@pytest.mark.parametrize('shaped', ['mariadb'], indirect=True)
def test_neutron_worker_killed_mid_job(shaped):
    """One of a pod's two neutron-api workers is killed while XJob sets a
    router up through it: gunicorn starts another, the job's retries
    finish the router, and the audit is clean."""
    cloud = network_conftest.Cloud(shaped)
    subnets = _subnet_per_pod(cloud, '10.79')
    master = psutil.Process(_record(shaped, 'Pod1')['pid'])
    router = cloud.central.network.create_router(name='worker-killed')
    for subnet in subnets:
        cloud.central.network.add_interface_to_router(router,
                                                      subnet_id=subnet.id)
    victim = master.children()[0]
    victim.kill()
    helpers.wait_jobs(cloud, router.id)
    for region in ('Pod1', 'Pod2'):
        assert helpers.bottom(cloud, region, router.id) is not None, region
    conftest.eventually(
        lambda: len(master.children()) == WORKERS and
        victim.pid not in [c.pid for c in master.children()],
        'gunicorn replacing the killed worker')
    _audit_clean(shaped)
