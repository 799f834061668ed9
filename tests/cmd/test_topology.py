"""``tricircle topology`` through the real CLI, against the session sandbox:
a tenant's router joining a network in Pod1 and one in Pod2 must show its
pieces in both pods, the tenant's bridge network, each network's pod and
the latest router_setup job, in text, DOT and (with Graphviz) PNG."""

import os
import shutil
import subprocess

import pytest

from tests.network import conftest as network_conftest
from tests.network import helpers

PROJECT = 'topo-proj'


@pytest.fixture(scope='module')
def topology(sandbox):
    cloud = network_conftest.Cloud(sandbox)
    tenant = cloud.tenant(PROJECT).network
    nets, subnets = {}, {}
    for i, (az, region) in enumerate((('az1', 'Pod1'), ('az2', 'Pod2')), 1):
        nets[region] = tenant.create_network(
            name='topo-net%d' % i, availability_zone_hints=[az])
        subnets[region] = tenant.create_subnet(
            network_id=nets[region].id, ip_version=4,
            cidr='10.66.%d.0/24' % i)
        cloud.tenant(PROJECT, region).network.create_port(
            network_id=nets[region].id, name='topo-vm%d' % i)
    router = tenant.create_router(name='topo-router')
    for subnet in subnets.values():
        tenant.add_interface_to_router(router, subnet_id=subnet.id)
    # A local router of Pod1 beside it, on a network of its own.
    local_net = tenant.create_network(name='topo-local-net',
                                      availability_zone_hints=['az1'])
    local_subnet = tenant.create_subnet(network_id=local_net.id,
                                        ip_version=4, cidr='10.66.3.0/24')
    cloud.tenant(PROJECT, 'Pod1').network.create_port(
        network_id=local_net.id, name='topo-vm3')
    local = tenant.create_router(name='topo-local',
                                 availability_zone_hints=['az1'])
    tenant.add_interface_to_router(local, subnet_id=local_subnet.id)
    helpers.wait_jobs(cloud, router.id)
    helpers.wait_jobs(cloud, local.id)
    yield {'router': router, 'nets': nets, 'local': local,
           'conf': sandbox['tricircle_conf']}
    tenant.remove_interface_from_router(local, subnet_id=local_subnet.id)
    tenant.delete_router(local)
    for subnet in subnets.values():
        tenant.remove_interface_from_router(router, subnet_id=subnet.id)
    tenant.delete_router(router)
    helpers.wait_jobs(cloud, router.id)
    helpers.wait_jobs(cloud, local.id)


def _run(tricircle_cli, topology, *args):
    result = tricircle_cli('topology', '--config-file', topology['conf'],
                           '--project', PROJECT, *args, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_text_shows_pieces_bridge_and_jobs(tricircle_cli, topology):
    out = _run(tricircle_cli, topology)
    router = topology['router']
    assert 'Router topo-router (%s) project %s' % (router.id, PROJECT) in out
    block = out.split('Router topo-router', 1)[1].split('\n\n', 1)[0]
    assert 'pieces:       Pod1, Pod2' in block
    assert 'topo-net1 10.66.1.1 in Pod1' in block
    assert 'topo-net2 10.66.2.1 in Pod2' in block
    bridge = [line for line in block.splitlines()
              if line.strip().startswith('bridge:')]
    assert len(bridge) == 1 and 'tricircle-bridge-' + PROJECT in bridge[0]
    assert bridge[0].rstrip().endswith('in Pod1, Pod2')
    assert 'router_setup: SUCCESS' in block
    for i, region in ((1, 'Pod1'), (2, 'Pod2')):
        net = topology['nets'][region]
        assert 'Network topo-net%d (%s)' % (i, net.id) in out
        net_block = out.split('Network topo-net%d' % i, 1)[1].split(
            '\n\n', 1)[0]
        assert 'pods:         %s (hints: az%d)' % (region, i) in net_block
        assert '10.66.%d.0/24' % i in net_block
    # --project keeps other tenants' resources out, e.g. the fuzz's.
    assert 'fuzz-router' not in out


def test_text_tells_a_local_router(tricircle_cli, topology):
    """Hinted to Pod1: its piece there, called local, and no bridge line
    although the tenant's bridge joins its spanning router."""
    out = _run(tricircle_cli, topology)
    block = out.split('Router topo-local', 1)[1].split('\n\n', 1)[0]
    assert ('pieces:       Pod1 (local router, availability_zone_hints '
            'az1)') in block
    assert 'topo-local-net 10.66.3.1 in Pod1' in block
    assert 'bridge:' not in block
    assert 'router_setup: SUCCESS' in block


def test_text_for_the_whole_cloud(tricircle_cli, topology):
    sandbox_dir = os.path.dirname(topology['conf'])
    result = tricircle_cli('topology', '--dir', sandbox_dir, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'Router topo-router' in result.stdout
    assert result.stdout.startswith('Pods: ')


def test_dot_is_a_graph_of_pods_routers_networks(tricircle_cli, topology):
    out = _run(tricircle_cli, topology, '--format', 'dot')
    router = topology['router']
    assert out.startswith('digraph tricircle {')
    for region in ('Pod1', 'Pod2'):
        assert '"router:%s" -> "pod:%s" [label="piece"' % (
            router.id, region) in out
        net = topology['nets'][region]
        assert '"router:%s" -> "net:%s"' % (router.id, net.id) in out
        assert '"net:%s" -> "pod:%s"' % (net.id, region) in out
    assert 'tricircle-bridge-' + PROJECT in out
    # Graphviz (tools/install-deps.sh) must accept it as it is.
    check = subprocess.run([shutil.which('dot') or 'dot', '-Tplain'],
                           input=out, text=True, capture_output=True,
                           timeout=60)
    assert check.returncode == 0, check.stderr


def test_png(tricircle_cli, topology, tmp_path):
    path = tmp_path / 'topology.png'
    out = _run(tricircle_cli, topology, '--format', 'png', '--output',
               str(path))
    assert 'wrote' in out
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_missing_config_is_an_error(tricircle_cli, tmp_path):
    result = tricircle_cli('topology', '--dir', str(tmp_path / 'nowhere'))
    assert result.returncode == 1
    assert 'not found' in result.stderr


def test_dot_labels_break_lines_without_literal_backslashes():
    from tricircle.cmd import topology
    assert topology._q('Pod2\naz2') == '"Pod2\\naz2"'
    assert topology._q('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
