"""``router_setup``: make every pod match one central router."""

from tricircle.common import config
from tricircle.network.sync import router as router_sync

# XJob runs with tricircle.conf; the bridge options live with the plugins'.
config.register_network_opts()


def setup(ctx, job):
    router_sync.setup(job['resource_id'], job.get('project_id'))
