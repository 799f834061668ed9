"""``tricircle-db-manage``: create or upgrade the Tricircle DB schema."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import config
from tricircle.db import migration

LOG = logging.getLogger(__name__)


def _add_commands(subparsers):
    up = subparsers.add_parser('upgrade', help='Upgrade to a revision.')
    up.add_argument('revision', nargs='?', default='head')
    subparsers.add_parser('current', help='Show the current revision.')


def main(argv=None):
    conf = cfg.ConfigOpts()
    conf.register_cli_opt(cfg.StrOpt(
        'database-url',
        help='SQLAlchemy URL of the Tricircle DB; overrides '
             '[database]/connection of the config files.'))
    conf.register_cli_opt(cfg.SubCommandOpt('command', handler=_add_commands))
    config.init(sys.argv[1:] if argv is None else argv, conf=conf,
                prog='tricircle-db-manage')
    url = conf.database_url or conf.database.connection
    if conf.command.name == 'upgrade':
        migration.upgrade(url, conf.command.revision)
        LOG.info('Tricircle DB upgraded to %s', conf.command.revision)
        print('Tricircle DB at revision %s' % migration.current(url))
    else:
        print(migration.current(url) or 'empty')
    return 0


if __name__ == '__main__':
    sys.exit(main())
