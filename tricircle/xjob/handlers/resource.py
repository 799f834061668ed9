"""``network_sync``, ``subnet_sync``, ``port_sync``: the pods' copies of
one central resource follow its updates and its delete; the logic is
tricircle.network.sync.resources'."""

from tricircle.common import config
from tricircle.network.sync import resources

config.register_network_opts()


def network(ctx, job):
    return resources.sync('network', job['resource_id'])


def subnet(ctx, job):
    return resources.sync('subnet', job['resource_id'])


def port(ctx, job):
    return resources.sync('port', job['resource_id'])
