"""Real ``tricircle-xjob`` processes on a shared Tricircle DB."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.dbservers import mariadb_server  # noqa: F401 (pytest fixtures)
from tests.dbservers import postgresql_server  # noqa: F401
from tricircle.db import core
from tricircle.db import migration
from tricircle.sandbox import xjobs

BIN = os.path.dirname(sys.executable)


class XJob:
    """One tricircle-xjob process with its own config and log file."""

    def __init__(self, workdir, name, db_url, **options):
        self.name = name
        conf = os.path.join(workdir, '%s.conf' % name)
        with open(conf, 'w') as f:
            f.write('[database]\nconnection = %s\n[xjob]\n' % db_url)
            for key, value in options.items():
                f.write('%s = %s\n' % (key, value))
        self.log_path = os.path.join(workdir, '%s.log' % name)
        self._log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(
            [os.path.join(BIN, 'tricircle-xjob'), '--config-file', conf],
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self.proc.pid
        self._wait_ready()

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def _wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while xjobs.READY_MARKER not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('%s did not start:\n%s'
                                   % (self.name, self.log()))
            time.sleep(0.05)

    def owns(self, job):
        """Whether this process holds the job's lease (worker ids are
        host:pid:random)."""
        return ':%d:' % self.pid in (job['lease_owner'] or '')

    def signal(self, sig):
        os.killpg(self.pid, sig)

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait()
        self._log.close()


@pytest.fixture
def start_xjob(tmp_path):
    """``start_xjob(db_url, name, **xjob_options)`` -> a running XJob;
    every one is stopped after the test."""
    started = []

    def start(db_url, name='xjob', **options):
        options.setdefault('scan_interval', 0.1)
        started.append(XJob(str(tmp_path), name, db_url, **options))
        return started[-1]
    yield start
    for xjob in started:
        xjob.stop()


def _url(request, tmp_path, backend):
    if backend == 'sqlite':
        return 'sqlite:///%s' % (tmp_path / 'tricircle.sqlite')
    return request.getfixturevalue('%s_server' % backend).create_database()


@pytest.fixture
def sqlite_db(tmp_path):
    """A migrated SQLite Tricircle DB, configured in this process too."""
    url = 'sqlite:///%s' % (tmp_path / 'tricircle.sqlite')
    migration.upgrade(url)
    core.configure(url)
    return url


@pytest.fixture(params=('sqlite', 'mariadb', 'postgresql'))
def any_db(request, tmp_path):
    """Like sqlite_db, on each backend in turn."""
    url = _url(request, tmp_path, request.param)
    migration.upgrade(url)
    core.configure(url)
    yield url
    core.get_engine().dispose()
