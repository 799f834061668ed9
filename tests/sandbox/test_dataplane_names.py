"""Pure logic of the data plane: device names (kernel limits, what
``down`` may delete) and ping's summary."""

import pytest

from tricircle.sandbox.dataplane import ovs
from tricircle.sandbox.dataplane import vm


def _plan(pods=3, folder='/tmp/some/sandbox'):
    layout = {'dir': folder, 'pods': [
        {'region_name': 'Pod%d' % n} for n in range(1, pods + 1)]}
    return ovs.plan(layout)


def test_every_name_fits_the_kernel_and_is_ours():
    dp = _plan(pods=12)
    names = list(dp['hubs'].values()) + [dp['underlay']]
    for pod in dp['pods'].values():
        names += [pod['integration_bridge'], pod['tunnel_bridge'],
                  pod['int_peer_patch_port'], pod['tun_peer_patch_port']]
        names += list(pod['bridges'].values())
    assert len(set(names)) == len(names)
    for name in names:
        assert len(name) <= 15, name
        assert ovs.ours(dp, name), name
    assert len({p['vtep_ip'] for p in dp['pods'].values()}) == 12


def test_down_deletes_only_this_sandboxs_devices():
    dp = _plan()
    other = _plan(folder='/tmp/another/sandbox')
    assert dp['token'] != other['token']
    for name in ('eth0', 'lo', 'br-int', 'tap1234abcd-12',
                 other['underlay'], other['pods']['Pod1'][
                     'integration_bridge'], 'qr-%s' % dp['token']):
        assert not ovs.ours(dp, name), name


def test_ping_summary():
    out = ('5 packets transmitted, 4 received, 20% packet loss, time 4ms\n'
           'rtt min/avg/max/mdev = 0.312/0.520/0.901/0.2 ms\n')
    assert vm.parse_ping(out, 5) == {'sent': 5, 'received': 4,
                                     'loss': pytest.approx(0.2),
                                     'rtt_avg_ms': 0.52}
    nothing = vm.parse_ping('3 packets transmitted, 0 received, 100% '
                            'packet loss\n', 3)
    assert (nothing['loss'], nothing['rtt_avg_ms']) == (1.0, None)
    assert vm.parse_ping('connect: Network is unreachable\n', 2)[
        'loss'] == 1.0
