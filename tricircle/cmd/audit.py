"""``tricircle audit``: what differs between central and the pods.

Reads the config XJob reads (``[database]`` for the Tricircle DB,
``[client]`` for the regions), prints the drift as a table and, with
``--fix``, queues the jobs that converge it. Exit status: 0 clean (or every
drift given to a job with ``--fix``), 1 drift left, 2 a region could not
be read.
"""

import os

DEFAULT_SANDBOX_DIR = './sandbox'


def _load_config(args):
    from oslo_config import cfg

    from tricircle.common import config
    from tricircle.db import core
    path = args.config_file or os.path.join(args.dir, 'tricircle.conf')
    config.register_opts(cfg.CONF)
    config.register_network_opts(cfg.CONF)
    cfg.CONF(['--config-file', path], project='tricircle')
    core.configure(cfg.CONF.database.connection)


def _audit(args):
    from tricircle.cmd import cli
    from tricircle.network.sync import audit
    _load_config(args)
    try:
        rows = audit.audit(args.project)
    except Exception as e:  # a region that does not answer
        print('audit failed: %s' % e)
        return 2
    if not rows:
        print('clean: central and every pod agree')
        return 0
    cli._print_table([(r.pod, r.kind, r.resource, r.problem, r.detail,
                       '%s %s' % r.fix[:2] if r.fix else '-')
                      for r in rows],
                     ('POD', 'KIND', 'RESOURCE', 'PROBLEM', 'DETAIL', 'FIX'))
    if not args.fix:
        print('%d drift(s); --fix queues the jobs that converge them'
              % len(rows))
        return 1
    queued = audit.fix(rows)
    left = [r for r in rows if r.fix is None]
    print('queued %d job(s): %s' % (len(queued), ', '.join(
        '%s %s' % q for q in queued) or 'none'))
    if left:
        print('%d drift(s) have no job to converge them; see above' %
              len(left))
        return 1
    return 0


def add_audit(subparsers):
    parser = subparsers.add_parser(
        'audit', help='Compare what central says with what the pods have.')
    parser.add_argument('--project', help="Only this project's resources.")
    parser.add_argument('--fix', action='store_true',
                        help='Queue the jobs that converge the drift.')
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--config-file',
                       help='tricircle.conf of the deployment.')
    where.add_argument('--dir', default=DEFAULT_SANDBOX_DIR,
                       help='A sandbox folder (its tricircle.conf).')
    parser.set_defaults(func=_audit)
