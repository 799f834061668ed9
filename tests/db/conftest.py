"""Fixtures of the DB tests: the private servers of tests.dbservers and a
fresh empty database per test on each backend."""

import pytest

from tricircle.db import core
from tricircle.db import migration
from tricircle.db import models

from tests.dbservers import mariadb_server  # noqa: F401 (pytest fixtures)
from tests.dbservers import mariadb_url  # noqa: F401
from tests.dbservers import postgresql_server  # noqa: F401
from tests.dbservers import postgresql_url  # noqa: F401

BACKENDS = ('sqlite', 'mariadb', 'postgresql')


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path):
    """SQLAlchemy URL of a new, empty database on each backend in turn."""
    if request.param == 'sqlite':
        return 'sqlite:///%s' % (tmp_path / 'tricircle.sqlite')
    server = request.getfixturevalue('%s_server' % request.param)
    return server.create_database()


@pytest.fixture(scope='module', params=BACKENDS)
def migrated_url(request, tmp_path_factory):
    """One migrated database per backend, for a whole test module."""
    if request.param == 'sqlite':
        url = 'sqlite:///%s' % (
            tmp_path_factory.mktemp('db') / 'tricircle.sqlite')
    else:
        url = request.getfixturevalue(
            '%s_server' % request.param).create_database()
    migration.upgrade(url, 'head')
    yield url
    core.configure(url)
    core.get_engine().dispose()


@pytest.fixture
def db(migrated_url):
    """The Tricircle DB configured on one backend, emptied after each
    test."""
    core.configure(migrated_url)
    yield migrated_url
    with core.writer() as session:
        for model in (models.ResourceRouting, models.PodBinding,
                      models.AsyncJobLog, models.AsyncJob, models.Pod):
            session.query(model).delete()
