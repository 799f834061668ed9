"""Private MariaDB and PostgreSQL servers for tests.

Each server runs from a fresh temporary directory, listens on a free
loopback TCP port (and a unix socket inside that directory), and is stopped
and wiped afterwards. Tests get SQLAlchemy URLs of empty databases owned by
a password-authenticated user, as a real deployment would.

Use from Python::

    with MariaDBServer() as server:
        url = server.create_database()      # mysql+pymysql://...

or as pytest fixtures: ``tests/db/conftest.py`` imports the fixtures below;
another test package can do the same, or a root conftest can list
``pytest_plugins = ['tests.dbservers']``.

If the server binaries are missing the fixtures FAIL (they do not skip):
run ``make install`` (tools/install-deps.sh), which installs them.
"""

import atexit
import ctypes
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from tricircle.sandbox import dbserver
from tricircle.sandbox import processes

START_TIMEOUT = 60
STOP_TIMEOUT = 30

_RUNNING = set()

# The tests' servers and the sandbox's (``up --db``) are described once,
# in tricircle.sandbox.dbserver; this module only gives them a throw-away
# folder and a lifetime bound to the test process.
ServerUnavailable = dbserver.DatabaseError


def _die_with_parent():
    """preexec_fn: the server gets SIGTERM if the test process dies, so a
    killed pytest leaves no server behind (Linux only; best effort)."""
    try:
        # 1 = PR_SET_PDEATHSIG
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except Exception:  # pragma: no cover - not Linux
        pass


@atexit.register
def _stop_all():
    for server in list(_RUNNING):
        server.stop()


class _Server:
    """A backend of tricircle.sandbox.dbserver in a temporary folder."""

    backend_class = None

    def __init__(self):
        self.name = self.backend_class.name
        # Fails at once (ServerUnavailable) when the binaries are missing.
        self.backend = self.backend_class(None)
        self.tmpdir = None
        self.proc = None
        self.start_seconds = None
        self._log = None

    @property
    def port(self):
        return self.backend.port

    @property
    def log_path(self):
        return os.path.join(self.tmpdir, 'server.log')

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError:
            return ''

    def start(self):
        started = time.monotonic()
        self.tmpdir = tempfile.mkdtemp(prefix='tc-%s-' % self.name)
        self.backend.base = self.tmpdir
        try:
            self.backend.initialize()
            for attempt in range(3):
                self.backend.port = processes.free_port()
                if self._launch():
                    break
                if attempt == 2:
                    raise ServerUnavailable(
                        '%s exited at start (code %s); log tail:\n%s' % (
                            self.name, self.proc.returncode,
                            self.log_tail()))
            self.backend.create_user()
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _launch(self):
        """Start the process and wait for it; False if it died at once
        (e.g. the port was taken meanwhile), so start() retries."""
        self._log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(
            self.backend.argv(), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, cwd=self.tmpdir,
            start_new_session=True, preexec_fn=_die_with_parent,
            **self.backend.popen_kwargs())
        _RUNNING.add(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                _RUNNING.discard(self)
                return False
            if self.backend.ready():
                return True
            time.sleep(0.05)
        raise ServerUnavailable('%s did not accept connections within %ss; '
                                'log tail:\n%s' % (self.name, START_TIMEOUT,
                                                   self.log_tail()))

    def stop(self):
        """Stop the server, wait for it and remove its directory."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(self.backend.stop_signal)
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            # Whatever is left of its process group (server children).
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
        _RUNNING.discard(self)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None

    def create_database(self, name=None):
        """Create an empty database owned by the test user; its URL."""
        return self.backend.create_database(
            name or 'tc_%s' % uuid.uuid4().hex[:12])

    def url(self, database):
        return self.backend.url(database)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class MariaDBServer(_Server):
    backend_class = dbserver.MariaDB


class PostgreSQLServer(_Server):
    """As root, PostgreSQL runs as the ``postgres`` system user."""

    backend_class = dbserver.PostgreSQL


# -- pytest fixtures -------------------------------------------------------

def _start_or_fail(cls):
    """Start a server, or FAIL (not skip) the tests that need it."""
    try:
        return cls().start()
    except ServerUnavailable as e:
        error = str(e)
    pytest.fail('Cannot start a private %s server: %s' % (cls.name, error),
                pytrace=False)


@pytest.fixture(scope='session')
def mariadb_server():
    """A running private MariaDB server (a MariaDBServer)."""
    server = _start_or_fail(MariaDBServer)
    yield server
    server.stop()


@pytest.fixture(scope='session')
def postgresql_server():
    """A running private PostgreSQL server (a PostgreSQLServer)."""
    server = _start_or_fail(PostgreSQLServer)
    yield server
    server.stop()


@pytest.fixture(scope='session')
def mariadb_url(mariadb_server):
    """URL (mysql+pymysql://) of an empty database on the private MariaDB,
    shared by the session; use mariadb_server.create_database() for a new
    one."""
    return mariadb_server.create_database('tricircle')


@pytest.fixture(scope='session')
def postgresql_url(postgresql_server):
    """URL (postgresql+psycopg2://) of an empty database on the private
    PostgreSQL, shared by the session; postgresql_server.create_database()
    gives a new one."""
    return postgresql_server.create_database('tricircle')
