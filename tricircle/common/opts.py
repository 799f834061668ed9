"""Option listing for oslo-config-generator (entry point ``tricircle``).

``etc/oslo-config-generator/tricircle.conf`` adds the libraries'
namespaces to ours; ``make config-sample`` writes
``etc/tricircle.conf.sample`` from it.
"""

import itertools

from oslo_config import cfg

from tricircle.common import config
from tricircle.gateway import opts as gateway_opts
from tricircle.xjob import opts as xjob_opts
from tricircle.xjob import rpc

_CLIENT = cfg.OptGroup(
    'client', title='Reaching the pods',
    help='How Tricircle reaches the Neutron servers of the regions and the '
         'Admin API. Read by tricircle-api, tricircle-xjob, '
         'tricircle-status and the tricircle CLI from tricircle.conf, and '
         'by the local plugin from the neutron.conf of each pod.')
_TRICIRCLE = cfg.OptGroup(
    'tricircle', title='Tricircle plugins inside neutron-server',
    help='Options of the Tricircle plugins, in the neutron.conf of the '
         'central Neutron (central plugin) and of each pod (local plugin). '
         'tricircle-xjob and tricircle audit read them from tricircle.conf '
         'too (bridge and cross-pod options): keep them the same there.')
_XJOB = cfg.OptGroup(
    'xjob', title='Cross-pod job engine',
    help='Options of tricircle-xjob; tricircle-status reads lease_seconds '
         'to tell a stuck job from a running one.')


def list_opts():
    return [
        ('DEFAULT', itertools.chain(config.api_opts)),
        (_CLIENT, itertools.chain(config.client_opts)),
        (_TRICIRCLE, itertools.chain(config.network_opts,
                                     config.bridge_opts,
                                     config.l2_opts,
                                     rpc.wakeup_opts)),
        (_XJOB, itertools.chain(xjob_opts.xjob_opts)),
    ] + gateway_opts.list_opts()
