"""``qos_sync``: the pods' copies of one central QoS policy follow its
changes, its rules' and its delete; the logic is
tricircle.network.sync.qos'."""

from tricircle.common import config
from tricircle.network.sync import qos

config.register_network_opts()


def sync(ctx, job):
    return qos.sync(job['resource_id'])
