"""External networks (seed 004): made on central, hinted to one pod by its
region name, materialised in that pod only with the same id."""

import openstack.exceptions as os_exc
import pytest

from tests.network.helpers import make_external


def _ids(listing):
    return sorted(r.id for r in listing)


def test_external_network_lives_in_its_pod_only(cloud):
    ext, subnet = make_external(cloud, 'ext-net', '163.3.124.0/24',
                                net_type='flat')

    pod2 = cloud.pods['Pod2'].network
    bottom = pod2.get_network(ext.id)
    assert bottom.is_router_external is True
    assert (bottom.provider_network_type,
            bottom.provider_physical_network) == ('flat', 'extern')
    bottom_subnet = pod2.get_subnet(subnet.id)
    assert bottom_subnet.cidr == '163.3.124.0/24'
    assert bottom_subnet.is_dhcp_enabled is False

    # Pod1 shows central's record (so a client can resolve the id) but
    # never makes a copy; a port there is refused with the reason.
    pod1 = cloud.pods['Pod1'].network
    assert pod1.get_network(ext.id).is_router_external is True
    assert list(pod1.networks(id=ext.id)) == []
    with pytest.raises(os_exc.BadRequestException):
        pod1.create_port(network_id=ext.id)
    assert list(pod1.networks(id=ext.id)) == []


@pytest.mark.parametrize('hints', [None, [], ['az1', 'az2'],
                                   ['Pod1', 'Pod2']])
def test_external_network_must_name_one_pod(cloud, hints):
    before = _ids(cloud.central.network.networks())
    kwargs = {} if hints is None else {'availability_zone_hints': hints}
    with pytest.raises(os_exc.BadRequestException) as err:
        cloud.central.network.create_network(
            name='ext-bad', is_router_external=True, **kwargs)
    assert 'one pod' in str(err.value)
    assert _ids(cloud.central.network.networks()) == before


def test_az_with_several_pods_is_not_a_place_for_it(cloud):
    extra = cloud.admin.post('/v1.0/pods', json={'pod': {
        'region_name': 'Pod1b', 'az_name': 'az1'}}).json()['pod']
    try:
        before = _ids(cloud.central.network.networks())
        with pytest.raises(os_exc.BadRequestException) as err:
            cloud.central.network.create_network(
                name='ext-az1', is_router_external=True,
                availability_zone_hints=['az1'])
        assert 'several pods' in str(err.value)
        assert _ids(cloud.central.network.networks()) == before
    finally:
        cloud.admin.delete('/v1.0/pods/%s' % extra['pod_id'])


def test_turning_an_unplaced_network_external_is_400(cloud):
    net = cloud.central.network.create_network(name='plain')
    with pytest.raises(os_exc.BadRequestException):
        cloud.central.network.update_network(net, is_router_external=True)
    assert cloud.central.network.get_network(
        net.id).is_router_external is False
    cloud.central.network.delete_network(net)
