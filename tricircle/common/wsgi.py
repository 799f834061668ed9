"""Serve a WSGI application with gunicorn, configured from Python.

The Admin API and the sandbox's neutron-api servers both run this way. The
application is loaded inside the worker and ``sys.argv`` is reset first, so
applications that parse the command line with oslo.config (neutron-api does)
never see gunicorn's arguments.
"""

import sys

from gunicorn.app import base

from tricircle.common import startup


class _Server(base.BaseApplication):

    def __init__(self, loader, options):
        self._loader = loader
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        sys.argv = sys.argv[:1]
        with startup.importing():
            return self._loader()


def serve(loader, host, port, workers=1, threads=8, proc_name=None,
          timeout=120):
    """Run ``loader()``'s WSGI app until the process is told to stop."""
    options = {
        'bind': '%s:%d' % (host, port),
        'workers': workers,
        'threads': threads,
        'worker_class': 'gthread',
        'timeout': timeout,
        'graceful_timeout': 5,
        # Longer than clients keep an idle pooled connection: with
        # gunicorn's 2 s default, a client reusing one as the server
        # closes it gets "connection reset" (seen in XJob's runs).
        'keepalive': 75,
        'accesslog': '-',
        # gunicorn's default line and, last, the seconds the request took,
        # as Neutron's own server logs them: what an operator (and
        # benchmarks/) reads to see where the time of a call went.
        'access_log_format': ('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s '
                              '%(b)s "%(f)s" "%(a)s" %(L)s'),
    }
    if proc_name:
        options['proc_name'] = proc_name
    _Server(loader, options).run()
