"""``tricircle sandbox vm``: the operator's commands for namespace VMs,
and the errors they give for bad input (nothing is left half-made)."""

from tests.conftest import run_tricircle


def _vm(dataplane, verb, *args):
    # --dir before the arguments: after "exec NAME --" it is the command's.
    return run_tricircle('sandbox', 'vm', verb, '--dir',
                         dataplane.state['dir'], *args)


def test_create_exec_list_delete(dataplane):
    net = dataplane.central.network.create_network(
        name='cli-net', availability_zone_hints=['az1'])
    subnet = dataplane.central.network.create_subnet(
        network_id=net.id, cidr='10.91.0.0/24', ip_version=4)
    # One port made through the pod, one on central: the pod pulls it
    # when the VM binds it, as when Nova boots with a central port.
    ports = [dataplane.pods['Pod1'].network.create_port(
        network_id=net.id, name='cli-vm1'),
        dataplane.central.network.create_port(network_id=net.id,
                                              name='cli-vm2')]
    for n, port in enumerate(ports, 1):
        result = _vm(dataplane, 'create', 'cli-vm%d' % n, '--pod', 'Pod1',
                     '--port', port.id)
        assert result.returncode == 0, result.stderr
        assert 'cli-vm%d plugged' % n in result.stdout
    for port in ports:
        bound = dataplane.pods['Pod1'].network.get_port(port.id)
        assert (bound.binding_host_id, bound.binding_vif_type) == (
            'pod1-compute', 'ovs')
        # The binding reached central too.
        assert dataplane.central.network.get_port(
            port.id).binding_host_id == 'pod1-compute'
    listed = _vm(dataplane, 'list').stdout
    assert 'cli-vm1' in listed and 'cli-vm2' in listed
    target = ports[1].fixed_ips[0]['ip_address']
    dataplane.reaches('VM commands', 'cli-vm1', target)
    result = _vm(dataplane, 'exec', 'cli-vm1', '--', 'ping', '-c', '2',
                 '-W', '1', target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ' 0% packet loss' in result.stdout
    assert subnet.gateway_ip in _vm(dataplane, 'exec', 'cli-vm1', '--',
                                    'ip', 'route').stdout

    result = _vm(dataplane, 'delete', 'cli-vm1', 'cli-vm2')
    assert result.returncode == 0, result.stderr
    assert 'cli-vm1' not in _vm(dataplane, 'list').stdout
    unbound = dataplane.pods['Pod1'].network.get_port(ports[0].id)
    assert not unbound.binding_host_id and not unbound.device_id


def test_bad_input_is_refused_and_leaves_nothing(dataplane):
    port = dataplane.pods['Pod1'].network.create_port(
        network_id=dataplane.central.network.create_network(
            name='cli-bad', availability_zone_hints=['az1']).id)
    cases = [
        (('create', 'bad name!', '--pod', 'Pod1', '--port', port.id),
         'a VM name is'),
        (('create', 'x1', '--pod', 'Pod9', '--port', port.id), 'no pod Pod9'),
        (('create', 'x2', '--pod', 'Pod1', '--port',
          '00000000-0000-0000-0000-000000000000'), 'not known in this pod'),
        (('create', 'x3', '--physnet', 'nowhere', '--ip', '10.0.0.1/24'),
         'no physnet nowhere'),
        (('create', 'x4', '--physnet', 'extern', '--ip', '10.0.0.1'),
         '--ip must be an address with its prefix'),
        (('create', 'x5', '--physnet', 'extern', '--vlan', '5000', '--ip',
          '10.0.0.1/24'), '--vlan must be 1-4094'),
        (('create', 'x6'), 'give --pod and --port'),
        (('exec', 'nosuchvm', '--', 'true'), 'no VM named nosuchvm'),
        (('delete', 'nosuchvm'), 'no VM named nosuchvm'),
    ]
    for args, message in cases:
        result = _vm(dataplane, *args)
        assert result.returncode == 1, (args, result.stdout)
        assert message in result.stderr, (args, result.stderr)
    assert 'x1' not in _vm(dataplane, 'list').stdout
    assert not dataplane.pods['Pod1'].network.get_port(port.id).device_id


def test_a_second_data_plane_on_the_host_is_refused(dataplane, tmp_path):
    """The userspace datapath allows one switch per host: a second
    ``up --dataplane`` says so before it starts anything."""
    result = run_tricircle('sandbox', 'up', '--dataplane', '--pods', '1',
                           '--dir', str(tmp_path / 'second'))
    assert result.returncode == 1, result.stdout
    assert 'allows one per host' in result.stderr, result.stderr
    assert not (tmp_path / 'second' / 'sandbox.json').exists()
