"""A pod's neutron-api down while its router job runs: the job fails,
is retried with backoff, and converges once the pod is back, with
nothing made twice."""

import time

import pytest

from tests.conftest import run_tricircle
from tests.conftest import start_sandbox
from tests.network.conftest import Cloud
from tests.network.test_l3 import bottom
from tests.network.test_l3 import make_net
from tests.network.test_l3 import wait_jobs


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
