"""Alembic migrations of the Tricircle DB, callable from Python and the CLI."""

import os

from alembic import command
from alembic import config as alembic_config

_HERE = os.path.dirname(__file__)


def _config(connection):
    cfg = alembic_config.Config(os.path.join(_HERE, 'alembic.ini'))
    cfg.set_main_option('script_location',
                        os.path.join(_HERE, 'alembic_migrations'))
    # '%' would be read as interpolation by ConfigParser.
    cfg.set_main_option('sqlalchemy.url', connection.replace('%', '%%'))
    return cfg


def upgrade(connection, revision='head'):
    command.upgrade(_config(connection), revision)


def current(connection):
    """The revision the database is at, or None for an empty database."""
    import sqlalchemy as sa
    from alembic.runtime import migration
    engine = sa.create_engine(connection)
    try:
        with engine.connect() as conn:
            return migration.MigrationContext.configure(
                conn).get_current_revision()
    finally:
        engine.dispose()


def heads(connection='sqlite://'):
    from alembic import script
    return script.ScriptDirectory.from_config(_config(connection)).get_heads()
