"""The data plane seen by the tests: the cloud through real clients, its
namespace VMs, and pings that go into the test's report."""

from tests.conftest import eventually
from tests.network.conftest import Cloud
from tricircle.sandbox import cluster
from tricircle.sandbox.dataplane import ovs
from tricircle.sandbox.dataplane import vm

PROPERTY = 'ping'


class DataPlane(Cloud):
    """The cloud through real clients, plus its namespace VMs."""

    def __init__(self, state):
        super().__init__(state)
        self.session = cluster.session(state)
        self.node = None  # the running test (its report carries pings)
        self.report = []

    def _report(self, topology, what, result):
        line = (topology, what, result['loss'], result['rtt_avg_ms'])
        self.report.append(line)
        if self.node is not None:
            self.node.user_properties.append((PROPERTY, line))

    def vm(self, name, region, port_id):
        return vm.create(self.state, self.session, name, pod=region,
                         port_id=port_id)

    def outside(self, name, physnet, vlan, address, gateway=None):
        return vm.create(self.state, self.session, name, physnet=physnet,
                         vlan=vlan, address=address, gateway=gateway)

    def tunnels(self, region):
        """(local_ip, remote_ip) of each VxLAN port on the pod's tunnel
        bridge, as its OVS agent made them."""
        dp = self.state['dataplane']
        found = []
        for port in ovs.vsctl(dp, 'list-ports', dp['pods'][region][
                'tunnel_bridge']).split():
            if ovs.vsctl(dp, 'get', 'Interface', port, 'type') == 'vxlan':
                found.append(tuple(ovs.vsctl(
                    dp, 'get', 'Interface', port,
                    'options:%s' % key).strip('"')
                    for key in ('local_ip', 'remote_ip')))
        return found

    def measure(self, topology, source, address):
        """Report what 5 pings get, with no expectation."""
        result = self.ping(source, address, count=5)
        self._report(topology, '%s -> %s' % (source, address), result)
        return result

    def delete_vm(self, name):
        vm.delete(self.state, self.session, name)

    def ping(self, source, address, count=5):
        return vm.ping(self.state, source, address, count=count)

    def reaches(self, topology, source, address, timeout=150):
        """Wait until ``source`` gets replies from ``address`` (agents
        wire asynchronously), then measure and report 20 pings."""
        eventually(lambda: self.ping(source, address, count=2)['received'],
                   '%s pings %s (%s)' % (source, address, topology),
                   timeout=timeout)
        result = self.ping(source, address, count=20)
        self._report(topology, '%s -> %s' % (source, address), result)
        assert result['loss'] <= 0.1, result['output']
        return result

    def blocked(self, topology, source, address, timeout=150):
        """Wait until nothing comes back from ``address`` any more."""
        eventually(lambda: self.ping(source, address, count=3)[
            'received'] == 0, '%s no longer reaches %s (%s)' % (
                source, address, topology), timeout=timeout)
        result = self.ping(source, address, count=5)
        self._report(topology, '%s -/-> %s' % (source, address), result)
        assert result['received'] == 0, result['output']
