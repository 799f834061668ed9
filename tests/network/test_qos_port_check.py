"""When a new port is checked against QoS rules (tricircle.network.qos_checks.
PortCheckMixin): whenever it or its network has a policy, as Neutron does,
and never otherwise (where Neutron loaded the whole port to find out)."""

from neutron_lib.callbacks import events
import pytest

from tricircle.network import qos_checks


class _Neutron:
    """Stands for Neutron's QoS plugin: records what it was asked to
    check."""

    def __init__(self):
        self.checked = []

    def _validate_create_port_callback(self, resource, event, trigger,
                                       payload=None):
        self.checked.append(payload.latest_state)


class _Plugin(qos_checks.PortCheckMixin, _Neutron):
    pass


class _NotADict:
    pass


@pytest.fixture
def bound_networks(monkeypatch):
    bound = {'net-with-policy'}
    monkeypatch.setattr(qos_checks, '_network_bound',
                        lambda context, net_id: net_id in bound)
    return bound


@pytest.mark.parametrize('port, checked', [
    ({'network_id': 'plain-net'}, False),
    ({'network_id': 'plain-net', 'qos_policy_id': None}, False),
    ({'network_id': 'plain-net', 'qos_policy_id': 'p1'}, True),
    ({'network_id': 'net-with-policy'}, True),
    ({'network_id': 'net-with-policy', 'qos_policy_id': 'p1'}, True),
    (_NotADict(), True),
])
def test_checked_only_with_a_policy(bound_networks, port, checked):
    plugin = _Plugin()
    plugin._validate_create_port_callback(
        'port', 'precommit_create', None,
        payload=events.DBEventPayload(None, states=(port,)))
    assert plugin.checked == ([port] if checked else [])
