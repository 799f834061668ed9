"""Fixtures of the DB tests: the private servers of tests.dbservers and a
fresh empty database per test on each backend."""

import pytest

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
