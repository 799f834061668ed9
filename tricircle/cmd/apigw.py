"""Serve an API gateway (``tricircle-nova-apigw`` on 19998,
``tricircle-cinder-apigw`` on 19997 by default) from ``tricircle.conf``."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import config
from tricircle.common import wsgi
from tricircle.gateway import opts

LOG = logging.getLogger(__name__)


def serve(kind, argv=None):
    prog = 'tricircle-%s-apigw' % kind
    opts.register_opts(cfg.CONF)
    config.init(sys.argv[1:] if argv is None else argv, prog=prog)
    conf = cfg.CONF
    group = conf['%s_apigw' % kind]
    LOG.info('%s gateway listening on %s:%d (auth_strategy=%s)',
             kind.capitalize(), group.bind_host, group.bind_port,
             conf.auth_strategy)

    def load():
        from tricircle.gateway import app
        return app.setup_app(kind, conf)

    wsgi.serve(load, group.bind_host, group.bind_port,
               workers=group.workers, threads=group.threads, proc_name=prog)
    return 0
