"""A private MariaDB or PostgreSQL server for ``sandbox up --db``.

A production cloud keeps Neutron and Tricircle in MariaDB (Galera) or
PostgreSQL, not SQLite; ``--db`` gives the sandbox that shape. The server
is Debian's, started from its binaries with every file under
``<sandbox>/<backend>/`` and listening on loopback only, so its databases
outlive ``down`` like the SQLite files do. Each Neutron gets a database
of its own, made by Neutron's own migrations (``neutron-db-manage upgrade
heads``), and the Tricircle DB by ours.

The backends also serve the tests' throw-away servers (tests/dbservers.py):
one description of how each server is initialised, started and reached.
"""

import abc
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time

from oslo_log import log as logging

from tricircle.sandbox import processes

LOG = logging.getLogger(__name__)

USER = 'tricircle'
PASSWORD = 'tricircle-secret'
INSTALL_HINT = ('run `make install` (tools/install-deps.sh), which installs '
                'the Debian packages mariadb-server and postgresql')
START_TIMEOUT = 60.0
# Name of the Tricircle DB; each Neutron's is neutron_<region>.
TRICIRCLE_DB = 'tricircle'


class DatabaseError(Exception):
    """The server cannot run or be set up; the message says why."""


def find(name, extra_dirs=()):
    """Path of a server binary, or DatabaseError with the install hint."""
    for directory in extra_dirs:
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    path = shutil.which(name) or shutil.which(
        name, path='/usr/sbin:/usr/bin:/sbin:/bin')
    if path is None:
        raise DatabaseError('%s not found; %s.' % (name, INSTALL_HINT))
    return path


def _run(argv, what, **kwargs):
    result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            **kwargs)
    if result.returncode:
        raise DatabaseError('%s failed:\n%s' % (
            what, result.stdout.decode(errors='replace')[-4000:]))


class Backend(abc.ABC):
    """One server: ``base`` holds its data folder and unix socket."""

    name = None
    stop_signal = signal.SIGTERM
    run_as = None  # a pwd entry when the server must not run as root

    def __init__(self, base, port=None):
        self.base = base
        self.port = port

    @property
    def datadir(self):
        return os.path.join(self.base, 'data')

    def initialized(self):
        return os.path.isdir(self.datadir)

    @abc.abstractmethod
    def initialize(self):
        """Create the data folder (the server's own init tool)."""

    @abc.abstractmethod
    def argv(self):
        """The server's command line, listening on ``port``."""

    @abc.abstractmethod
    def admin(self):
        """A DB-API connection as the superuser, autocommitting."""

    def admin_sql(self, *statements):
        conn = self.admin()
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
                return cur.fetchall() if cur.description else None
        finally:
            conn.close()

    def ready(self):
        try:
            self.admin().close()
            return True
        except Exception:
            return False

    @abc.abstractmethod
    def create_user(self):
        """The password user every service connects as, unless it
        exists."""

    @abc.abstractmethod
    def create_database(self, name):
        """An empty database owned by USER, unless it exists; its URL."""

    @abc.abstractmethod
    def url(self, database):
        """SQLAlchemy URL of ``database`` as that user."""

    @abc.abstractmethod
    def copy_database(self, source, target):
        """Make ``target`` (empty, owned by USER) a copy of ``source``,
        schema and rows, foreign keys included."""

    def popen_kwargs(self):
        """Keyword arguments of subprocess.Popen for the server's tools."""
        if self.run_as is None:
            return {}
        return {'user': self.run_as.pw_uid, 'group': self.run_as.pw_gid,
                'extra_groups': [],
                'env': dict(os.environ, HOME=self.run_as.pw_dir,
                            USER=self.run_as.pw_name,
                            LOGNAME=self.run_as.pw_name)}


class MariaDB(Backend):
    name = 'mariadb'

    def __init__(self, base, port=None):
        super().__init__(base, port)
        self.mariadbd = find('mariadbd')
        self.install_db = find('mariadb-install-db')

    @property
    def socket_path(self):
        return os.path.join(self.base, 'mysqld.sock')

    def initialize(self):
        os.makedirs(self.base, exist_ok=True)
        argv = [self.install_db, '--no-defaults',
                '--datadir=%s' % self.datadir,
                '--auth-root-authentication-method=normal',
                '--skip-test-db', '--skip-name-resolve']
        if os.geteuid() == 0:
            argv.append('--user=root')
        _run(argv, 'mariadb-install-db', cwd=self.base)

    def argv(self):
        argv = [self.mariadbd, '--no-defaults',
                '--datadir=%s' % self.datadir,
                '--socket=%s' % self.socket_path,
                '--pid-file=%s' % os.path.join(self.base, 'mysqld.pid'),
                '--port=%d' % self.port, '--bind-address=127.0.0.1',
                '--skip-name-resolve', '--skip-log-bin',
                '--character-set-server=utf8mb4',
                '--collation-server=utf8mb4_general_ci',
                # Every worker of every server keeps a pool.
                '--max-connections=1000',
                '--innodb-buffer-pool-size=64M',
                '--innodb-log-file-size=16M',
                '--innodb-flush-log-at-trx-commit=0',
                '--innodb-doublewrite=0']
        if os.geteuid() == 0:
            argv.append('--user=root')
        return argv

    def admin(self):
        import pymysql
        return pymysql.connect(unix_socket=self.socket_path, user='root',
                               password='', autocommit=True,
                               connect_timeout=2)

    def create_user(self):
        self.admin_sql("CREATE USER IF NOT EXISTS '%s'@'127.0.0.1' "
                       "IDENTIFIED BY '%s'" % (USER, PASSWORD))

    def create_database(self, name):
        self.admin_sql('CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET '
                       'utf8mb4' % name,
                       "GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'127.0.0.1'"
                       % (name, USER))
        return self.url(name)

    def url(self, database):
        return ('mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8mb4'
                % (USER, PASSWORD, self.port, database))

    def copy_database(self, source, target):
        # MariaDB has no template databases, and CREATE TABLE ... LIKE
        # drops foreign keys: its own dump tool, piped into its client.
        client = ['--no-defaults', '--socket=%s' % self.socket_path,
                  '--user=root']
        dump = subprocess.Popen(
            [find('mariadb-dump')] + client + ['--single-transaction',
                                               source],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        load = subprocess.run([find('mariadb')] + client + [target],
                              stdin=dump.stdout, capture_output=True)
        dump.stdout.close()
        dump_err = dump.stderr.read()
        if dump.wait() or load.returncode:
            raise DatabaseError('copying database %s to %s failed: %s' % (
                source, target,
                (dump_err + load.stderr).decode(errors='replace')[-2000:]))


class PostgreSQL(Backend):
    """PostgreSQL refuses to run as root: as root, initdb and postgres run
    as the ``postgres`` system user the Debian package creates, which must
    be able to reach ``base``."""

    name = 'postgresql'
    stop_signal = signal.SIGINT  # "fast" shutdown: ends client sessions

    def __init__(self, base, port=None):
        super().__init__(base, port)
        bin_dirs = sorted((os.path.join('/usr/lib/postgresql', v, 'bin')
                           for v in _listdir('/usr/lib/postgresql')),
                          reverse=True)
        self.initdb = find('initdb', bin_dirs)
        self.postgres = find('postgres', bin_dirs)
        if os.geteuid() == 0:
            try:
                self.run_as = pwd.getpwnam('postgres')
            except KeyError:
                raise DatabaseError(
                    'running as root, but there is no "postgres" system '
                    'user to run PostgreSQL as; %s.' % INSTALL_HINT) from None

    def _check_reachable(self):
        """The postgres user must traverse every folder above ``base``."""
        if self.run_as is None:
            return
        path = os.path.dirname(os.path.abspath(self.base))
        while True:
            try:
                st = os.stat(path)
            except FileNotFoundError:  # made below, by root, mode 755
                path = os.path.dirname(path)
                continue
            if not (st.st_mode & 0o001 or (
                    st.st_uid == self.run_as.pw_uid and st.st_mode & 0o100)
                    or (st.st_gid == self.run_as.pw_gid
                        and st.st_mode & 0o010)):
                raise DatabaseError(
                    'PostgreSQL runs as the "postgres" user, which cannot '
                    'enter %s (mode %o); use a sandbox folder it can reach, '
                    'e.g. one under /var/tmp' % (path, st.st_mode & 0o777))
            parent = os.path.dirname(path)
            if parent == path:
                return
            path = parent

    def initialize(self):
        self._check_reachable()
        os.makedirs(self.base, exist_ok=True)
        if self.run_as is not None:
            os.chown(self.base, self.run_as.pw_uid, self.run_as.pw_gid)
        os.chmod(self.base, 0o700)
        _run([self.initdb, '-D', self.datadir, '-U', 'postgres',
              '--auth-local=trust', '--auth-host=scram-sha-256', '-E',
              'UTF8', '--locale=C', '--no-sync'], 'initdb', cwd=self.base,
             **self.popen_kwargs())

    def argv(self):
        return [self.postgres, '-D', self.datadir, '-p', str(self.port),
                '-k', self.base, '-c', 'listen_addresses=127.0.0.1',
                '-c', 'fsync=off', '-c', 'synchronous_commit=off',
                '-c', 'full_page_writes=off',
                # Every worker of every server keeps a pool.
                '-c', 'max_connections=500']

    def admin(self):
        import psycopg2
        conn = psycopg2.connect(host=self.base, port=self.port,
                                user='postgres', dbname='postgres',
                                connect_timeout=2)
        conn.autocommit = True
        return conn

    def create_user(self):
        if not self.admin_sql("SELECT 1 FROM pg_roles WHERE rolname = '%s'"
                              % USER):
            self.admin_sql("CREATE ROLE %s LOGIN PASSWORD '%s'"
                           % (USER, PASSWORD))

    def create_database(self, name):
        if not self.admin_sql("SELECT 1 FROM pg_database WHERE datname = "
                              "'%s'" % name):
            self.admin_sql('CREATE DATABASE "%s" OWNER %s' % (name, USER))
        return self.url(name)

    def url(self, database):
        return ('postgresql+psycopg2://%s:%s@127.0.0.1:%d/%s'
                % (USER, PASSWORD, self.port, database))

    def copy_database(self, source, target):
        # A template copy is a file copy inside the server: instant. The
        # source must have no session open, which holds once
        # neutron-db-manage has exited.
        self.admin_sql('DROP DATABASE IF EXISTS "%s"' % target,
                       'CREATE DATABASE "%s" TEMPLATE "%s" OWNER %s'
                       % (target, source, USER))


BACKENDS = {cls.name: cls for cls in (MariaDB, PostgreSQL)}


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def backend(name, base, port=None):
    try:
        return BACKENDS[name](base, port)
    except KeyError:
        raise DatabaseError('unknown database %r; choose one of %s' % (
            name, ', '.join(sorted(BACKENDS)))) from None


def _base(sandbox_dir, name):
    return os.path.join(sandbox_dir, name)


def server_of(sandbox_dir, database):
    """The running server of a sandbox's ``database`` section."""
    name = database['backend']
    return backend(name, _base(sandbox_dir, name), database['port'])


def neutron_db(region_name):
    return 'neutron_%s' % region_name.lower()


def start(sandbox_dir, name, region_names, records, timeout=START_TIMEOUT):
    """Start the sandbox's server (initialising its data on the first
    ``up``), make the user and a database per Neutron and for Tricircle;
    append the server's record (stopped last) and return the layout's
    ``database`` section: backend, port and a URL per database."""
    server = backend(name, _base(sandbox_dir, name))
    if not server.initialized():
        LOG.info('Initialising %s in %s', name, server.base)
        server.initialize()
    log = os.path.join(sandbox_dir, 'logs', name + '.log')
    for attempt in range(3):
        server.port = processes.free_port()
        record = processes.start(name, server.argv(), log,
                                 user=server.run_as and server.run_as.pw_name)
        record['stop_last'] = True
        record['stop_signal'] = int(server.stop_signal)
        deadline = time.monotonic() + timeout
        try:
            processes.wait_until(record, server.ready, deadline,
                                 'not accepting connections after %ds'
                                 % timeout, 0.1)
            break
        except processes.StartError:
            processes.stop([record], 5.0)
            if attempt == 2 or processes.is_alive(record):
                raise
            LOG.warning('%s exited at start (port %d taken?); retrying',
                        name, server.port)
    records.append(record)
    server.create_user()
    urls = {TRICIRCLE_DB: server.create_database(TRICIRCLE_DB)}
    for region in region_names:
        urls[region] = server.create_database(neutron_db(region))
    return {'backend': name, 'port': server.port, 'pid': record['pid'],
            'urls': urls}


# Neutron 29's migration d553edeb540f makes the tags table case-sensitive
# with MySQL-only SQL and fails on PostgreSQL, whose text comparisons are
# case-sensitive already: on a fresh PostgreSQL database, migrate to the
# revision before it, mark it done, then go on to the heads.
PG_BROKEN_REVISION = 'd553edeb540f'
PG_BEFORE_BROKEN = 'ad80a9f07c5c'


def _db_manage():
    script = os.path.join(os.path.dirname(sys.executable),
                          'neutron-db-manage')
    return script if os.path.exists(script) else (
        shutil.which('neutron-db-manage') or 'neutron-db-manage')


def neutron_heads():
    """The revisions a Neutron database at heads records in
    ``alembic_version``: Neutron's expand and contract heads."""
    from neutron.db import migration as neutron_migration
    folder = os.path.join(os.path.dirname(neutron_migration.__file__),
                          'alembic_migrations', 'versions')
    heads = set()
    for name in ('EXPAND_HEAD', 'CONTRACT_HEAD'):
        with open(os.path.join(folder, name)) as f:
            heads.add(f.read().strip())
    return heads


def revisions(url):
    """The revisions in ``alembic_version``; None when the database has
    none (fresh)."""
    import sqlalchemy as sa
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table('alembic_version'):
                return None
            return {row[0] for row in conn.execute(
                sa.text('SELECT version_num FROM alembic_version'))}
    finally:
        engine.dispose()


def _neutron_steps(database, region, fresh):
    if database['backend'] == 'postgresql' and fresh:
        # Revisions are Neutron's own: the subprojects (networking-sfc)
        # come with the last step.
        neutron = ('--subproject', 'neutron')
        return [neutron + ('upgrade', PG_BEFORE_BROKEN),
                neutron + ('stamp', PG_BROKEN_REVISION),
                ('upgrade', 'heads')]
    return [('upgrade', 'heads')]


def migrate_neutron(database, region_names, log_dir, server):
    """Bring every Neutron database to heads with ``neutron-db-manage
    upgrade heads``; DatabaseError naming the log of the first that fails.

    Neutron's migrations take 10-20 s of CPU per database, and every
    fresh database comes out the same: one fresh database is migrated
    and the other fresh ones are made copies of it (``server``'s
    copy_database). Databases already at heads (a second ``up``) are left
    alone; any other is upgraded, all at once.
    """
    os.makedirs(log_dir, exist_ok=True)
    heads = neutron_heads()
    found = {region: revisions(database['urls'][region])
             for region in region_names}
    fresh = [r for r in region_names if found[r] is None]
    behind = [r for r in region_names
              if found[r] is not None and found[r] != heads]
    running = []
    for region in behind + fresh[:1]:
        log_path = os.path.join(log_dir, 'db-manage-%s.log' % region)
        steps = _neutron_steps(database, region, region in fresh)
        script = ' && '.join(
            '"%s" --database-connection "%s" %s' % (
                _db_manage(), database['urls'][region], ' '.join(step))
            for step in steps)
        with open(log_path, 'ab') as log:
            running.append((region, log_path, subprocess.Popen(
                ['sh', '-c', script], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)))
    failed = [(region, path) for region, path, proc in running
              if proc.wait()]
    if failed:
        raise DatabaseError('neutron-db-manage failed for %s; see %s' % (
            ', '.join(r for r, _ in failed), ', '.join(p for _, p in failed)))
    for region in fresh[1:]:
        LOG.info('Neutron database of %s: a copy of %s\'s, just migrated',
                 region, fresh[0])
        server.copy_database(neutron_db(fresh[0]), neutron_db(region))
