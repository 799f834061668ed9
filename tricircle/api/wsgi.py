"""WSGI entry point for external servers (uwsgi, mod_wsgi, gunicorn).

Config files come from ``TRICIRCLE_CONFIG_FILES`` (``;``-separated), since
such servers own the command line.
"""

import os

from tricircle.api import app as api_app
from tricircle.common import config


def _init():
    files = [f for f in os.environ.get(
        'TRICIRCLE_CONFIG_FILES', '/etc/tricircle/tricircle.conf').split(';')
        if f]
    config.init([], default_config_files=files, prog='tricircle-api')
    return api_app.setup_app()


application = _init()
