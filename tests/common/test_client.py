"""The client layer reaches each sandbox pod's Neutron by region name."""

from oslo_config import cfg
import pytest

from tricircle.common import client
from tricircle.common import exceptions


@pytest.fixture
def conf(sandbox):
    conf = cfg.ConfigOpts()
    client.register_opts(conf)
    conf(['--config-file', sandbox['tricircle_conf']],
         default_config_files=[])
    yield conf
    client.reset_cache()


def test_each_region_is_its_own_neutron(sandbox, conf):
    servers = [sandbox['central']] + sandbox['pods']
    for server in servers:
        region = server['region_name']
        assert client.network_endpoint(region, conf) == server['neutron']
        net = client.get_connection(region, conf).network.create_network(
            name='client-test-' + region)
        try:
            for other in servers:
                names = {n.name for n in client.get_connection(
                    other['region_name'], conf).network.networks()}
                assert (net.name in names) == (other is server)
        finally:
            client.get_connection(region, conf).network.delete_network(net)


def test_central_connection_and_cache(sandbox, conf):
    central = client.get_central_connection(conf)
    assert central is client.get_connection('CentralRegion', conf)
    assert isinstance(list(central.network.networks()), list)


def test_unknown_region(sandbox, conf):
    with pytest.raises(exceptions.EndpointNotFound):
        client.network_endpoint('NoSuchRegion', conf)
    with pytest.raises(exceptions.EndpointNotFound):
        client.get_connection('NoSuchRegion', conf)
