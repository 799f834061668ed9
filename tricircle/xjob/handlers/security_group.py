"""``seg_rule_setup``: make every pod's copy of one central security group
match it (rules with central's ids, remote-group members in other pods as
IP rules); the logic is tricircle.network.sync.security_groups's."""

from tricircle.common import config
from tricircle.network.sync import security_groups as sg_sync

# XJob runs with tricircle.conf; the client options live with the plugins'.
config.register_network_opts()


def setup(ctx, job):
    sg_sync.setup(job['resource_id'], job.get('project_id'))
