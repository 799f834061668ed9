"""``tricircle-api``: serve the Admin API (default 127.0.0.1:19999)."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import config
from tricircle.common import wsgi

LOG = logging.getLogger(__name__)


def main(argv=None):
    config.init(sys.argv[1:] if argv is None else argv, prog='tricircle-api')
    conf = cfg.CONF
    LOG.info('Admin API listening on %s:%d (auth_strategy=%s)',
             conf.bind_host, conf.bind_port, conf.auth_strategy)

    def load():
        from tricircle.api import app
        return app.setup_app(conf)

    wsgi.serve(load, conf.bind_host, conf.bind_port,
               workers=conf.api_workers, threads=conf.api_threads,
               proc_name='tricircle-api')
    return 0


if __name__ == '__main__':
    sys.exit(main())
