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

import abc
import atexit
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

INSTALL_HINT = ('run `make install` (tools/install-deps.sh), which installs '
                'the Debian packages mariadb-server and postgresql')
START_TIMEOUT = 60
STOP_TIMEOUT = 30
USER = 'tricircle'
PASSWORD = 'tricircle-secret'

_RUNNING = set()


class ServerUnavailable(RuntimeError):
    """The server binaries are missing or the server would not start."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _find(name, extra_dirs=()):
    for directory in extra_dirs:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    path = shutil.which(name) or shutil.which(
        name, path='/usr/sbin:/usr/bin:/sbin:/bin')
    if path is None:
        raise ServerUnavailable('%s not found; %s.' % (name, INSTALL_HINT))
    return path


def _die_with_parent():
    """preexec_fn: the server gets SIGTERM if the test process dies, so a
    killed pytest leaves no server behind (Linux only; best effort)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - not Linux
        pass


@atexit.register
def _stop_all():
    for server in list(_RUNNING):
        server.stop()


class _Server(abc.ABC):
    """Common start/stop logic; subclasses describe their own commands."""

    name = 'server'
    stop_signal = signal.SIGTERM

    def __init__(self):
        self.tmpdir = None
        self.port = None
        self.proc = None
        self.start_seconds = None
        self._log = None

    # -- subclass hooks ----------------------------------------------------
    @abc.abstractmethod
    def _prepare(self):
        """Create the data directory (binaries were checked)."""

    @abc.abstractmethod
    def _command(self):
        """argv of the server process."""

    def _popen_kwargs(self):
        return {}

    @abc.abstractmethod
    def _admin(self):
        """A DB-API connection as the server's superuser, autocommitting."""

    def _ready(self):
        """True once the server accepts admin connections."""
        self._admin().close()
        return True

    def _admin_sql(self, *statements):
        """Run statements as the superuser, on one short connection."""
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    @abc.abstractmethod
    def _setup_user(self):
        """Create the password user the tests connect as."""

    # -- public API --------------------------------------------------------
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
        try:
            self._prepare()
            for attempt in range(3):
                self.port = free_port()
                if self._launch():
                    break
                if attempt == 2:
                    raise ServerUnavailable(
                        '%s exited at start (code %s); log tail:\n%s' % (
                            self.name, self.proc.returncode,
                            self.log_tail()))
            self._setup_user()
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
            self._command(), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, cwd=self.tmpdir,
            start_new_session=True, preexec_fn=_die_with_parent,
            **self._popen_kwargs())
        _RUNNING.add(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                _RUNNING.discard(self)
                return False
            try:
                if self._ready():
                    return True
            except Exception:
                pass
            time.sleep(0.05)
        raise ServerUnavailable('%s did not accept connections within %ss; '
                                'log tail:\n%s' % (self.name, START_TIMEOUT,
                                                   self.log_tail()))

    def stop(self):
        """Stop the server, wait for it and remove its directory."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(self.stop_signal)
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
        name = name or 'tc_%s' % uuid.uuid4().hex[:12]
        self._create_database(name)
        return self.url(name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class MariaDBServer(_Server):
    name = 'mariadb'

    def __init__(self):
        super().__init__()
        self.mariadbd = _find('mariadbd')
        self.install_db = _find('mariadb-install-db')

    @property
    def socket_path(self):
        return os.path.join(self.tmpdir, 'mysqld.sock')

    def _prepare(self):
        cmd = [self.install_db, '--no-defaults',
               '--datadir=%s' % os.path.join(self.tmpdir, 'data'),
               '--auth-root-authentication-method=normal',
               '--skip-test-db', '--skip-name-resolve']
        if os.geteuid() == 0:
            cmd.append('--user=root')
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=self.tmpdir)
        if result.returncode:
            raise ServerUnavailable('mariadb-install-db failed:\n%s' %
                                    result.stdout.decode(errors='replace'))

    def _command(self):
        cmd = [self.mariadbd, '--no-defaults',
               '--datadir=%s' % os.path.join(self.tmpdir, 'data'),
               '--socket=%s' % self.socket_path,
               '--pid-file=%s' % os.path.join(self.tmpdir, 'mysqld.pid'),
               '--port=%d' % self.port, '--bind-address=127.0.0.1',
               '--skip-name-resolve', '--skip-log-bin',
               '--character-set-server=utf8mb4',
               '--collation-server=utf8mb4_general_ci',
               '--innodb-buffer-pool-size=64M',
               '--innodb-log-file-size=16M',
               '--innodb-flush-log-at-trx-commit=0',
               '--innodb-doublewrite=0']
        if os.geteuid() == 0:
            cmd.append('--user=root')
        return cmd

    def _admin(self):
        import pymysql
        return pymysql.connect(unix_socket=self.socket_path, user='root',
                               password='', autocommit=True,
                               connect_timeout=2)

    def _setup_user(self):
        self._admin_sql("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'"
                        % (USER, PASSWORD))

    def _create_database(self, name):
        self._admin_sql('CREATE DATABASE `%s` CHARACTER SET utf8mb4' % name,
                        "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'127.0.0.1'"
                        % (name, USER))

    def url(self, database):
        return ('mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8mb4'
                % (USER, PASSWORD, self.port, database))


class PostgreSQLServer(_Server):
    """PostgreSQL refuses to run as root: as root, initdb and postgres run
    as the ``postgres`` system user the Debian package creates."""

    name = 'postgresql'
    stop_signal = signal.SIGINT        # "fast" shutdown: ends client sessions
    BIN_DIRS = ('/usr/lib/postgresql/15/bin',)

    def __init__(self):
        super().__init__()
        bin_dirs = sorted(
            (os.path.join('/usr/lib/postgresql', v, 'bin')
             for v in _listdir('/usr/lib/postgresql')), reverse=True)
        self.initdb = _find('initdb', bin_dirs)
        self.postgres = _find('postgres', bin_dirs)
        self.run_as = None
        if os.geteuid() == 0:
            try:
                self.run_as = pwd.getpwnam('postgres')
            except KeyError:
                raise ServerUnavailable(
                    'running as root, but there is no "postgres" system user '
                    'to run PostgreSQL as; %s.' % INSTALL_HINT)

    def _popen_kwargs(self):
        if self.run_as is None:
            return {}
        return {'user': self.run_as.pw_uid, 'group': self.run_as.pw_gid,
                'extra_groups': [],
                'env': dict(os.environ, HOME=self.run_as.pw_dir,
                            USER='postgres', LOGNAME='postgres')}

    def _prepare(self):
        if self.run_as is not None:
            os.chown(self.tmpdir, self.run_as.pw_uid, self.run_as.pw_gid)
        os.chmod(self.tmpdir, 0o700)
        result = subprocess.run(
            [self.initdb, '-D', os.path.join(self.tmpdir, 'data'),
             '-U', 'postgres', '--auth-local=trust',
             '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C',
             '--no-sync'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, cwd=self.tmpdir,
            **self._popen_kwargs())
        if result.returncode:
            raise ServerUnavailable('initdb failed:\n%s' %
                                    result.stdout.decode(errors='replace'))

    def _command(self):
        return [self.postgres, '-D', os.path.join(self.tmpdir, 'data'),
                '-p', str(self.port), '-k', self.tmpdir,
                '-c', 'listen_addresses=127.0.0.1',
                '-c', 'fsync=off', '-c', 'synchronous_commit=off',
                '-c', 'full_page_writes=off', '-c', 'max_connections=200']

    def _admin(self):
        import psycopg2
        conn = psycopg2.connect(host=self.tmpdir, port=self.port,
                                user='postgres', dbname='postgres',
                                connect_timeout=2)
        conn.autocommit = True
        return conn

    def _setup_user(self):
        self._admin_sql("CREATE ROLE %s LOGIN PASSWORD '%s'"
                        % (USER, PASSWORD))

    def _create_database(self, name):
        self._admin_sql('CREATE DATABASE "%s" OWNER %s' % (name, USER))

    def url(self, database):
        return ('postgresql+psycopg2://%s:%s@127.0.0.1:%d/%s'
                % (USER, PASSWORD, self.port, database))


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


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
