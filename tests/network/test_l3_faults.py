"""Faults on a bad day, with real processes: a pod's or central's
neutron-api down mid-work, bottom pieces deleted behind Tricircle's back.
Jobs fail, are retried with backoff and converge once the server is back;
``tricircle audit`` then finds nothing, or finds the damage and ``--fix``
repairs it."""

import concurrent.futures
import threading
import time

from keystoneauth1 import adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import pytest

from tests.conftest import eventually
from tests.conftest import run_tricircle
from tests.conftest import start_sandbox
from tests.network.conftest import Cloud
from tests.network.helpers import bottom
from tests.network.helpers import bridge_ip
from tests.network.helpers import central_bridge
from tests.network.helpers import make_external
from tests.network.helpers import make_net
from tests.network.helpers import wait_idle
from tests.network.helpers import wait_jobs

GATEWAY_OWNER = 'network:tricircle_gateway'


@pytest.fixture(scope='module')
def sandbox2(tmp_path_factory):
    sandbox_dir = tmp_path_factory.mktemp('l3-faults')
    state = start_sandbox(sandbox_dir, 2)
    yield sandbox_dir, Cloud(state)
    run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))


def _cli(*args):
    result = run_tricircle(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pod_down_during_job_then_converges(sandbox2):
    sandbox_dir, cloud = sandbox2
    _net1, sub1 = make_net(cloud, 'az1', '10.2.1.0/24')
    _net2, sub2 = make_net(cloud, 'az2', '10.2.2.0/24')
    router = cloud.central.network.create_router(name='faulty')
    cloud.central.network.add_interface_to_router(router, subnet_id=sub1.id)
    wait_jobs(cloud, router.id)

    _cli('sandbox', 'stop-server', '--dir', str(sandbox_dir), 'Pod2')
    cloud.central.network.add_interface_to_router(router, subnet_id=sub2.id)
    deadline = time.time() + 60
    failed = []
    while not failed and time.time() < deadline:
        jobs = cloud.admin.get('/v1.0/jobs?resource_id=%s&status=FAIL'
                               % router.id).json()['jobs']
        failed = [j for j in jobs if j['next_attempt_at']]
        time.sleep(0.3)
    assert failed, 'the job never failed while Pod2 was down'
    assert failed[0]['last_error']

    _cli('sandbox', 'start-server', '--dir', str(sandbox_dir), 'Pod2')
    wait_jobs(cloud, router.id, timeout=120)

    bridge_subnet = next(cloud.central.network.subnets(
        name='tricircle-bridge-' + router.project_id))
    for region, mine, other in (('Pod1', sub1, sub2), ('Pod2', sub2, sub1)):
        pod = cloud.pods[region].network
        assert [r.id for r in pod.routers()] == [router.id]
        piece, ifaces = bottom(cloud, region, router.id)
        assert set(ifaces) == {mine.id, bridge_subnet.id}
        assert [r['destination'] for r in piece.routes] == [other.cidr]
        assert len(list(pod.networks(
            name='tricircle-bridge-' + router.project_id))) == 1
        assert len([p for p in pod.ports(network_id=bridge_subnet.network_id)
                    ]) == 1
    # One central twin per bottom bridge port, no leftovers.
    assert len(list(cloud.central.network.ports(
        network_id=bridge_subnet.network_id))) == 2
    assert len(list(cloud.central.network.networks(
        name='tricircle-bridge-' + router.project_id))) == 1


def _audit(sandbox_dir, *extra):
    return run_tricircle('audit', '--dir', str(sandbox_dir), *extra)


def _assert_clean(sandbox_dir, cloud):
    wait_idle(cloud)
    result = _audit(sandbox_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'clean' in result.stdout


@pytest.fixture(scope='module')
def north_south(sandbox2):
    """External network in Pod2, a router over both pods with its gateway,
    a VM port in each pod."""
    _sandbox_dir, cloud = sandbox2
    ext, _subnet = make_external(cloud, 'ext-faults', '203.0.113.0/24')
    ports, subnets = {}, {}
    for n, region in enumerate(('Pod1', 'Pod2'), 1):
        net, subnets[region] = make_net(cloud, 'az%d' % n,
                                        '10.3.%d.0/24' % n)
        ports[region] = cloud.pods[region].network.create_port(
            network_id=net.id)
    router = cloud.central.network.create_router(name='faults-ns')
    return ext, router, subnets, ports


def test_pod_restart_while_north_south_is_configured(sandbox2, north_south):
    sandbox_dir, cloud = sandbox2
    ext, router, subnets, ports = north_south
    for subnet in subnets.values():
        cloud.central.network.add_interface_to_router(router,
                                                      subnet_id=subnet.id)
    cloud.central.network.update_router(router, external_gateway_info={
        'network_id': ext.id})
    fips = [cloud.central.network.create_ip(floating_network_id=ext.id,
                                            port_id=port.id)
            for port in ports.values()]
    _cli('sandbox', 'stop-server', '--dir', str(sandbox_dir), 'Pod1')
    time.sleep(2)
    _cli('sandbox', 'start-server', '--dir', str(sandbox_dir), 'Pod1')
    wait_jobs(cloud, router.id, timeout=120)

    for fip in fips:
        mapped = [f for f in cloud.pods['Pod2'].network.ips()
                  if f.description == 'tricircle:' + fip.id]
        assert len(mapped) == 1, mapped
    assert [r.id for r in cloud.pods['Pod1'].network.routers()
            if r.id == router.id] == [router.id]
    _assert_clean(sandbox_dir, cloud)


def test_deleted_behind_our_back_is_found_and_fixed(sandbox2, north_south):
    sandbox_dir, cloud = sandbox2
    _ext, router, subnets, _ports = north_south
    wait_jobs(cloud, router.id, timeout=120)
    pod2 = cloud.pods['Pod2'].network
    victim = next(f for f in pod2.ips()
                  if (f.description or '').startswith('tricircle:'))
    pod2.delete_ip(victim)
    pod1 = cloud.pods['Pod1'].network
    routes = pod1.get_router(router.id).routes
    assert routes
    pod1.update_router(router.id, routes=[])

    found = _audit(sandbox_dir)
    assert found.returncode == 1, found.stdout + found.stderr
    assert 'floatingip' in found.stdout and 'missing' in found.stdout
    assert 'routes' in found.stdout and 'different' in found.stdout
    assert subnets['Pod2'].cidr in found.stdout
    assert 'router_setup' in found.stdout

    fixed = _audit(sandbox_dir, '--fix')
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert 'queued 1 job' in fixed.stdout
    wait_jobs(cloud, router.id, timeout=120)
    _assert_clean(sandbox_dir, cloud)
    assert pod1.get_router(router.id).routes == routes


def test_central_restart_during_pod_port_creates(sandbox2):
    """Every create answers 201 or a clear error; none leaves a pod port
    without its central twin."""
    sandbox_dir, cloud = sandbox2
    net, _subnet = make_net(cloud, 'az1', '10.3.9.0/24')
    url = cloud.state['pods'][0]['neutron']

    def create(i):
        api = adapter.Adapter(ks_session.Session(auth=noauth.NoAuth()),
                              endpoint_override=url)
        resp = api.post('/v2.0/ports', raise_exc=False, json={'port': {
            'network_id': net.id, 'name': 'restart-%d' % i}})
        return resp.status_code, resp.text

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        running = [pool.submit(create, i) for i in range(40)]
        time.sleep(0.3)
        _cli('sandbox', 'stop-server', '--dir', str(sandbox_dir),
             'CentralRegion')
        time.sleep(1)
        _cli('sandbox', 'start-server', '--dir', str(sandbox_dir),
             'CentralRegion')
        answers = [f.result() for f in running]
    codes = sorted({code for code, _text in answers})
    assert set(codes) <= {201, 503}, answers
    for code, text in answers:
        if code == 503:
            assert 'central' in text.lower(), text
    made = [p for p in cloud.pods['Pod1'].network.ports(network_id=net.id)
            if p.name.startswith('restart-')]
    assert len(made) == sum(1 for code, _t in answers if code == 201)
    _assert_clean(sandbox_dir, cloud)


def test_interface_wins_over_a_racing_gateway_reservation(sandbox2):
    """A pod pulling a subnet no router holds reserves its gateway IP on
    central (``CentralClient.gateway_port``). An interface of the
    reservation's project takes it over (``test_l3``); for a router of
    another project, add_router_interface releases it first. A
    reservation landing between that release and the interface's port
    must not fail the add: the reservation only stands in for it."""
    _sandbox_dir, cloud = sandbox2
    net, sub = make_net(cloud, 'az1', '10.3.10.0/24')
    router = cloud.central.network.create_router(name='raced',
                                                 project_id='racing-project')
    api = adapter.Adapter(ks_session.Session(auth=noauth.NoAuth()),
                          endpoint_override=cloud.state['central']['neutron'])
    query = ('/v2.0/ports?fixed_ips=subnet_id%%3D%s&fixed_ips=ip_address'
             '%%3D%s' % (sub.id, sub.gateway_ip))

    def holders():
        return [p['device_owner'] for p in api.get(query).json()['ports']]

    def reserve():
        return api.post('/v2.0/ports', raise_exc=False, json={'port': {
            'network_id': net.id, 'admin_state_up': False,
            'device_owner': GATEWAY_OWNER, 'fixed_ips': [
                {'subnet_id': sub.id, 'ip_address': sub.gateway_ip}]}})

    def race(stop):
        """As a pod does: once the add has released the reservation and
        nobody holds the IP, take it. True if it got in first."""
        while not stop.is_set():
            if not holders():
                return reserve().status_code == 201
        return False

    assert reserve().status_code == 201
    raced = 0
    for _cycle in range(30):    # a race is won about one cycle in four
        if raced == 2:
            break
        # A reservation holds the IP (central's own after a remove).
        eventually(lambda: holders() == [GATEWAY_OWNER],
                   'gateway IP of %s reserved' % sub.id)
        stop = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            racer = pool.submit(race, stop)
            time.sleep(0.05)   # the racer is polling when the add starts
            cloud.central.network.add_interface_to_router(
                router, subnet_id=sub.id)
            stop.set()
            raced += racer.result()
        assert holders() == ['network:router_interface']
        cloud.central.network.remove_interface_from_router(
            router, subnet_id=sub.id)
    # Without the add taking the IP back, any race won is a 409 above.
    assert raced, 'no reservation got between the release and the add'
    wait_jobs(cloud, router.id)


def test_a_bridge_port_left_unattached_is_taken_again(sandbox2):
    """A job makes a pod's bridge port while it makes the bottom router; a
    run that stopped in between leaves the port unattached. The next run
    takes that very port, so no address on the bridge leaks."""
    sandbox_dir, cloud = sandbox2
    _n1, sub1 = make_net(cloud, 'az1', '10.3.21.0/24')
    _n2, sub2 = make_net(cloud, 'az2', '10.3.22.0/24')
    spanning = cloud.central.network.create_router(name='spans-first')
    for sub in (sub1, sub2):
        cloud.central.network.add_interface_to_router(spanning,
                                                      subnet_id=sub.id)
    wait_jobs(cloud, spanning.id)
    bridge_net, bridge_sub = central_bridge(cloud, spanning.project_id)

    router = cloud.central.network.create_router(name='left-behind')
    pod1 = cloud.pods['Pod1'].network
    name = 'bridge-%s' % router.id
    left = pod1.create_port(network_id=bridge_net.id, name=name,
                            project_id=router.project_id,
                            device_owner='network:tricircle_bridge',
                            fixed_ips=[{'subnet_id': bridge_sub.id}])
    _n3, sub3 = make_net(cloud, 'az1', '10.3.23.0/24')
    _n4, sub4 = make_net(cloud, 'az2', '10.3.24.0/24')
    for sub in (sub3, sub4):
        cloud.central.network.add_interface_to_router(router,
                                                      subnet_id=sub.id)
    wait_jobs(cloud, router.id)

    assert bridge_ip(cloud, 'Pod1', router.id, bridge_sub.id) == \
        left.fixed_ips[0]['ip_address']
    assert [p.id for p in pod1.ports(network_id=bridge_net.id,
                                     name=name)] == [left.id]
    # On central: that port and Pod2's, one per bottom router.
    on_central = {p.id for p in cloud.central.network.ports(
        network_id=bridge_net.id, name=name)}
    assert left.id in on_central and len(on_central) == 2
    assert bridge_ip(cloud, 'Pod2', router.id, bridge_sub.id) != \
        left.fixed_ips[0]['ip_address']
    _assert_clean(sandbox_dir, cloud)
