"""``shadow_port_setup``: shadow ports of one cross-pod VxLAN network."""

from tricircle.common import config
from tricircle.network.sync import shadow_ports

config.register_network_opts()


def setup(ctx, job):
    shadow_ports.setup(job['resource_id'])
