"""Entry point of one sandbox neutron-api process.

``python -m tricircle.sandbox.neutron_server --host H --port P`` with
``OS_NEUTRON_CONFIG_FILES`` naming the server's config files. When the database
is SQLite (Neutron's alembic migrations do not run there) it creates the
Neutron schema and the rows Neutron's migrations insert; it serves
``neutron.wsgi.api:application`` with gunicorn.
"""

import argparse
import configparser
import os
import sys

from tricircle.common import startup
from tricircle.common import wsgi
from tricircle.db import sqlite

CONFIG_ENV = 'OS_NEUTRON_CONFIG_FILES'


def _database_url(config_files):
    """``[database] connection`` of the last config file that sets it."""
    url = None
    for path in config_files:
        parser = configparser.ConfigParser(interpolation=None)
        if not parser.read(path):
            raise SystemExit('config file %s cannot be read' % path)
        url = parser.get('database', 'connection', fallback=url)
    return url


# The one Neutron migration that inserts rows into a fresh database: the
# templates of the rules Neutron gives new security groups (two egress rules
# for every group, two ingress-from-the-group rules for a default group).
# Every other migration inserting rows only converts rows already there.
SG_DEFAULT_RULES_REVISION = 'c33da356b165'


def _neutron_migration(revision):
    """Neutron's alembic migration module ``revision``, loaded from its
    file (the versions folder is no package)."""
    import glob
    import importlib.util

    from neutron.db import migration
    pattern = os.path.join(os.path.dirname(migration.__file__),
                           'alembic_migrations', 'versions', '*', '*',
                           '%s_*.py' % revision)
    paths = glob.glob(pattern)
    if len(paths) != 1:
        raise RuntimeError('Neutron migration %s not found (%s)' %
                           (revision, paths or pattern))
    spec = importlib.util.spec_from_file_location(
        'tricircle_neutron_migration_%s' % revision, paths[0])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _insert_sg_default_rules(conn, metadata):
    """The migration's rule templates, each with its standardattributes
    row, unless the templates table holds rows already."""
    import sqlalchemy as sa
    migration = _neutron_migration(SG_DEFAULT_RULES_REVISION)
    templates = metadata.tables[migration.table_name]
    stdattrs = metadata.tables['standardattributes']
    if conn.execute(sa.select(sa.func.count()).select_from(
            templates)).scalar():
        return
    for template in migration.default_template_rules:
        rule = dict(template)
        description = rule.pop('description', None)
        res = conn.execute(sa.insert(stdattrs).values(
            resource_type=templates.name, description=description))
        rule['standard_attr_id'] = res.inserted_primary_key[0]
        conn.execute(sa.insert(templates).values(rule))


def create_sqlite_schema(url):
    """Create every table of Neutron's head models and the rows Neutron's
    migrations insert into a fresh database (idempotent)."""
    import sqlalchemy as sa
    from networking_sfc.db import sfc_db  # noqa: F401 - SFC's models
    from neutron.db.migration.models import head  # noqa: F401 - models
    from neutron_lib.db import model_base
    engine = sa.create_engine(url)
    try:
        model_base.BASEV2.metadata.create_all(engine)
        with engine.begin() as conn:
            _insert_sg_default_rules(conn, model_base.BASEV2.metadata)
    finally:
        engine.dispose()


def _load_app():
    from neutron import policy
    from neutron.wsgi import api
    app = api.application
    # Neutron publishes its policy enforcer before it has loaded the rules
    # into it, so requests racing the first enforcement see no rules and
    # get 403 (seen when a restarted central meets the pods' retries).
    # Load them now, before the first request is accepted.
    policy.init()
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(prog='tricircle-sandbox-neutron')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--threads', type=int, default=8)
    parser.add_argument('--workers', type=int, default=1,
                        help='gunicorn worker processes (SQLite: keep 1).')
    parser.add_argument('--name', default='neutron-api',
                        help='Process title, e.g. the region name.')
    args = parser.parse_args(argv)
    files = [f for f in os.environ.get(CONFIG_ENV, '').split(';') if f]
    if not files:
        raise SystemExit('%s names no config file' % CONFIG_ENV)
    url = _database_url(files)
    if url and url.startswith('sqlite'):
        sqlite.serialize_writers()
        sqlite.pool_connections()
        with startup.importing():  # the models: most of Neutron
            create_sqlite_schema(url)
    wsgi.serve(_load_app, args.host, args.port, workers=args.workers,
               threads=args.threads, proc_name=args.name)
    return 0


if __name__ == '__main__':
    sys.exit(main())
