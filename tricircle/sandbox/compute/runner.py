"""Entry point of the sandbox's Nova, Placement, Cinder and Glance processes.

Two reasons for a wrapper instead of their own scripts:

* SQLite. Several processes (Nova's api, conductor, scheduler, compute)
  write one database file. SQLite opens transactions deferred, so a
  transaction that reads and then writes fails with "database is locked"
  when another writer got there first, and parallel boots end in ERROR.
  Here every engine is made to ``BEGIN IMMEDIATE`` with a busy timeout
  (``tricircle.db.sqlite``, as our own processes do) before the service
  runs; nothing in the venv is touched.
* ``sys.argv``. Nova, Cinder and Glance parse the command line with
  oslo.config; under gunicorn they must not see gunicorn's flags.

``python -m tricircle.sandbox.compute.runner run MODULE:FUNC [ARG...]``
runs a console script's function (``nova.cmd.compute:main``) with
``sys.argv = [FUNC's script name, ARG...]``.

``python -m tricircle.sandbox.compute.runner wsgi MODULE --port P
[--name N] [-- ARG...]`` serves ``MODULE.application`` with gunicorn
(``tricircle.common.wsgi``), the application seeing ``sys.argv = [N, ARG...]``.
Config folders come from the services' own environment variables
(``OS_NOVA_CONFIG_DIR``...).
"""

import argparse
import importlib
import os
import sys

from tricircle.common import startup
from tricircle.db import sqlite


# "NAME=MODULE,...": MODULE imported as NAME once the service's own module
# is, e.g. a virt driver of ours where Nova only looks under nova.virt.
ALIASES_ENV = 'TRICIRCLE_MODULE_ALIASES'


def _aliases():
    for alias in filter(None, os.environ.get(ALIASES_ENV, '').split(',')):
        name, _, target = alias.partition('=')
        sys.modules[name] = importlib.import_module(target)


def _run(target, args):
    module_name, _, func_name = target.partition(':')
    prog = module_name.rsplit('.', 1)[-1]
    # Nova reads its concurrency backend from argv at import time.
    sys.argv = [prog] + list(args)
    with startup.importing():
        module = importlib.import_module(module_name)
        _aliases()
    # After the import: Cinder's commands monkey-patch eventlet first.
    sqlite.serialize_writers()
    sqlite.pool_connections()
    return getattr(module, func_name or 'main')()


def _wsgi(args):
    from gunicorn.app import base

    class Server(base.BaseApplication):
        """gunicorn configured from Python, as tricircle.common.wsgi does,
        plus no control socket: gunicorn 27 puts one per home folder,
        which a dozen sandbox servers would fight over."""

        def load_config(self):
            for key, value in {
                    'bind': '%s:%d' % (args.host, args.port),
                    'workers': 1, 'threads': args.threads,
                    'worker_class': 'gthread', 'timeout': 120,
                    'graceful_timeout': 5, 'keepalive': 75,
                    'accesslog': '-', 'proc_name': args.name,
                    'control_socket_disable': True}.items():
                self.cfg.set(key, value)

        def load(self):
            sys.argv = [args.name] + args.app_args
            sqlite.serialize_writers()
            sqlite.pool_connections()
            with startup.importing():
                return importlib.import_module(args.module).application

    Server().run()
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ['run'] and len(argv) >= 2:
        return _run(argv[1], argv[2:])
    parser = argparse.ArgumentParser(prog='tricircle-sandbox-service')
    sub = parser.add_subparsers(dest='mode', required=True)
    serve = sub.add_parser('wsgi')
    serve.add_argument('module')
    serve.add_argument('--host', default='127.0.0.1')
    serve.add_argument('--port', type=int, required=True)
    serve.add_argument('--threads', type=int, default=8)
    serve.add_argument('--name', default='openstack-api')
    app_args = []
    if '--' in argv:
        cut = argv.index('--')
        argv, app_args = argv[:cut], argv[cut + 1:]
    args = parser.parse_args(argv)
    args.app_args = app_args
    return _wsgi(args)


if __name__ == '__main__':
    sys.exit(main())
