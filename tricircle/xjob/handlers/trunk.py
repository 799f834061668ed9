"""``trunk_sync``: the pod's copy of one central trunk follows its
changes, its subports' and its delete, and its status comes back; the
logic is tricircle.network.sync.trunks'."""

from tricircle.common import config
from tricircle.network.sync import trunks

config.register_network_opts()


def sync(ctx, job):
    return trunks.sync(job['resource_id'])
