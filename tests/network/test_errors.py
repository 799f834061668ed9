"""Bad input and failures: a clear Neutron error, nothing half-created."""

import os
import signal
import uuid

import openstack.exceptions as os_exc
import pytest

from tests.conftest import run_tricircle
from tests.conftest import start_sandbox
from tests.network.conftest import Cloud


def _ids(listing):
    return sorted(r.id for r in listing)


@pytest.fixture(scope='module')
def net1(cloud):
    net = cloud.central.network.create_network(
        name='errors-net1', availability_zone_hints=['az1'])
    subnet = cloud.central.network.create_subnet(
        network_id=net.id, cidr='10.60.0.0/24', ip_version=4)
    port = cloud.pods['Pod1'].network.create_port(network_id=net.id)
    return net, subnet, port


def test_unknown_az_hint_is_400_and_allocates_nothing(cloud):
    before = _ids(cloud.central.network.networks())
    for hints in (['az9'], ['az1', 'nowhere'], ['CentralRegion']):
        with pytest.raises(os_exc.BadRequestException) as err:
            cloud.central.network.create_network(
                name='bad-az', availability_zone_hints=hints)
        assert 'name no pod' in str(err.value)
    assert _ids(cloud.central.network.networks()) == before


def test_pod_region_name_is_a_valid_hint(cloud):
    net = cloud.central.network.create_network(
        name='by-region', availability_zone_hints=['Pod2'])
    assert net.availability_zone_hints == ['Pod2']
    cloud.central.network.delete_network(net.id)


def test_overlapping_cidr_on_one_network_is_400(cloud, net1):
    net, _subnet, _port = net1
    before = _ids(cloud.central.network.subnets(network_id=net.id))
    with pytest.raises(os_exc.BadRequestException):
        cloud.central.network.create_subnet(
            network_id=net.id, cidr='10.60.0.128/25', ip_version=4)
    assert _ids(cloud.central.network.subnets(network_id=net.id)) == before


def test_network_unknown_to_central_is_404_in_pod(cloud):
    pod = cloud.pods['Pod1']
    before = _ids(pod.network.ports())
    with pytest.raises(os_exc.NotFoundException):
        pod.network.create_port(network_id=str(uuid.uuid4()))
    assert _ids(pod.network.ports()) == before


def test_network_bound_to_another_az_is_400_in_pod(cloud, net1):
    net, _subnet, _port = net1
    pod2 = cloud.pods['Pod2']
    top_before = _ids(cloud.central.network.ports(network_id=net.id))
    with pytest.raises(os_exc.BadRequestException) as err:
        pod2.network.create_port(network_id=net.id)
    assert 'az1' in str(err.value) and 'Pod2' in str(err.value)
    assert list(pod2.network.networks(id=net.id)) == []
    assert _ids(cloud.central.network.ports(network_id=net.id)) == top_before


def test_ip_taken_on_central_is_409_and_nothing_local(cloud, net1):
    net, subnet, port = net1
    pod = cloud.pods['Pod1']
    taken = port.fixed_ips[0]['ip_address']
    before = (_ids(pod.network.ports()),
              _ids(cloud.central.network.ports(network_id=net.id)))
    with pytest.raises(os_exc.ConflictException) as err:
        pod.network.create_port(network_id=net.id, fixed_ips=[
            {'subnet_id': subnet.id, 'ip_address': taken}])
    assert taken in str(err.value)
    assert (_ids(pod.network.ports()),
            _ids(cloud.central.network.ports(network_id=net.id))) == before


def test_quota_is_central_s(cloud):
    """A port made through a pod counts against the project's quota on
    central, and nothing but central's quota can refuse it: the pods run
    Neutron's null quota driver and show no limits."""
    project = 'quota-tenant'
    tenant = cloud.tenant(project).network
    in_pod = cloud.tenant(project, 'Pod1').network
    net = tenant.create_network(name='quota-net',
                                availability_zone_hints=['az1'])
    tenant.create_subnet(network_id=net.id, cidr='10.62.0.0/24',
                         ip_version=4)
    made = [in_pod.create_port(network_id=net.id)]

    def set_quota(ports):
        resp = cloud.central.network.put(
            '/quotas/%s' % project, json={'quota': {'port': ports}})
        assert resp.status_code == 200, resp.text

    # Room for one more port than the project has on central now.
    used = len(list(cloud.central.network.ports(project_id=project)))
    set_quota(used + 1)
    made.append(in_pod.create_port(network_id=net.id))
    before = (_ids(cloud.pods['Pod1'].network.ports(project_id=project)),
              _ids(cloud.central.network.ports(project_id=project)))
    with pytest.raises(os_exc.ConflictException) as err:
        in_pod.create_port(network_id=net.id)
    assert 'quota' in str(err.value).lower()
    assert (_ids(cloud.pods['Pod1'].network.ports(project_id=project)),
            _ids(cloud.central.network.ports(project_id=project))) == before
    # Raised on central, and the pod follows at once.
    set_quota(used + 2)
    made.append(in_pod.create_port(network_id=net.id))
    shown = cloud.pods['Pod1'].network.get('/quotas/%s' % project)
    assert shown.status_code == 200, shown.text
    assert 'port' not in shown.json()['quota']
    for port in made:
        in_pod.delete_port(port.id)
    resp = cloud.central.network.delete('/quotas/%s' % project)
    assert resp.status_code == 204, resp.text


def test_local_failure_releases_the_central_twin(cloud, net1):
    """Central accepts the port, the pod then refuses it (a security group
    the pod does not have): the top port must not stay behind."""
    net, _subnet, _port = net1
    pod = cloud.pods['Pod1']
    before = (_ids(pod.network.ports()),
              _ids(cloud.central.network.ports(network_id=net.id)))
    with pytest.raises(os_exc.NotFoundException):
        pod.network.create_port(network_id=net.id,
                                security_group_ids=[str(uuid.uuid4())])
    assert (_ids(pod.network.ports()),
            _ids(cloud.central.network.ports(network_id=net.id))) == before


def test_subnet_of_a_central_network_is_made_on_central_only(cloud, net1):
    net, _subnet, _port = net1
    pod = cloud.pods['Pod1']
    before = _ids(pod.network.subnets())
    with pytest.raises(os_exc.BadRequestException) as err:
        pod.network.create_subnet(network_id=net.id, cidr='10.61.0.0/24',
                                  ip_version=4)
    assert 'belongs to central' in str(err.value)
    assert _ids(pod.network.subnets()) == before


@pytest.fixture(scope='module')
def central_down(tmp_path_factory):
    """A sandbox of its own whose central neutron-api is then killed."""
    sandbox_dir = tmp_path_factory.mktemp('central-down')
    state = start_sandbox(sandbox_dir, 1)
    try:
        cloud = Cloud(state)
        used = cloud.central.network.create_network(name='used')
        cloud.central.network.create_subnet(network_id=used.id, ip_version=4,
                                            cidr='10.70.0.0/24')
        cloud.pods['Pod1'].network.create_port(network_id=used.id)
        unused = cloud.central.network.create_network(name='unused')
        cloud.central.network.create_subnet(
            network_id=unused.id, ip_version=4, cidr='10.71.0.0/24')
        os.killpg(state['central']['pid'], signal.SIGKILL)
        yield cloud, used, unused
    finally:
        run_tricircle('sandbox', 'down', '--dir', str(sandbox_dir))


def test_central_down_is_503_and_nothing_half_created(central_down):
    cloud, used, unused = central_down
    pod = cloud.pods['Pod1']
    ports, nets = _ids(pod.network.ports()), _ids(pod.network.networks())
    for net in (used, unused):
        with pytest.raises(os_exc.HttpException) as err:
            pod.network.create_port(network_id=net.id)
        assert err.value.status_code == 503
        assert 'cannot be reached' in str(err.value)
    assert _ids(pod.network.ports()) == ports
    assert _ids(pod.network.networks()) == nets
