"""Option listing for oslo-config-generator (entry point ``tricircle``)."""

import itertools

from tricircle.common import config
from tricircle.xjob import opts as xjob_opts


def list_opts():
    return [
        ('DEFAULT', itertools.chain(config.api_opts)),
        ('client', itertools.chain(config.client_opts)),
        ('tricircle', itertools.chain(config.network_opts,
                                      config.bridge_opts,
                                      config.l2_opts)),
        ('xjob', itertools.chain(xjob_opts.xjob_opts)),
    ]
