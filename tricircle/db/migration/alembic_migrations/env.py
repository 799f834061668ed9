"""Alembic environment: migrates the URL handed over by tricircle-db-manage."""

from alembic import context
import sqlalchemy as sa

from tricircle.db import models

config = context.config


def run_migrations_online():
    engine = sa.create_engine(config.get_main_option('sqlalchemy.url'))
    with engine.connect() as connection:
        context.configure(connection=connection,
                          target_metadata=models.BASE.metadata,
                          render_as_batch=connection.dialect.name == 'sqlite')
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
