"""``sfc_sync``: the pods holding the ports of one central port chain
hold the chain, pieces and all, as central has it; the logic is
tricircle.network.sync.sfc's."""

from tricircle.common import config
from tricircle.network.sync import sfc

config.register_network_opts()


def sync(ctx, job):
    return sfc.sync(job['resource_id'])
