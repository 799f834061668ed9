"""Option listing for oslo-config-generator (entry point ``tricircle``)."""

import itertools

from tricircle.common import config


def list_opts():
    return [
        ('DEFAULT', itertools.chain(config.api_opts)),
        ('client', itertools.chain(config.client_opts)),
        ('tricircle', itertools.chain(config.network_opts)),
    ]
