"""Start, watch and stop the sandbox's server processes.

Each server runs in a session (and process group) of its own, so stopping
it reaches gunicorn's workers too and nothing else. A process is recorded
with its start time, so a pid reused by an unrelated process after a reboot
is never signalled.

The start time kept is the kernel's own (clock ticks since boot, from
``/proc/<pid>/stat``), not psutil's wall-clock ``create_time``: that one is
boot time plus ticks, and the boot time moves whenever the wall clock is
stepped (NTP, a resumed VM), which made every live server look like a
stranger's process.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import psutil
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

# gunicorn's words when the port is taken, for retrying on another port.
PORT_IN_USE_MARKERS = ('Address already in use', 'Connection in use')
PORT_IN_USE = 'port in use'


class StartError(Exception):
    """A server exited or never answered; ``log`` is its log file."""

    def __init__(self, name, log, reason):
        self.name, self.log, self.reason = name, log, reason
        super().__init__('%s failed to start (%s); see its log file %s'
                         % (name, reason, log))


def free_port(host='127.0.0.1'):
    """A TCP port free right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_ticks(pid):
    """When ``pid`` started, in clock ticks since boot; None if it is gone."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; the
    # fields after its closing parenthesis start at field 3, so the start
    # time (field 22) is the 20th of them.
    return int(stat[stat.rindex(b')') + 2:].split()[19])


def _same_start(proc, record):
    """Whether ``proc`` is the process the record started (not a later
    process given the same pid)."""
    if 'start_ticks' in record:
        return start_ticks(proc.pid) == record['start_ticks']
    # A record written before start_ticks existed.
    return abs(proc.create_time() - record['create_time']) <= 1


def console_script(name, module, *args):
    """argv of one of our console scripts: the venv's script, else the one
    on PATH, else ``python -m module``."""
    script = os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.exists(script):
        script = shutil.which(name)
    head = [script] if script else [sys.executable, '-m', module]
    return head + list(args)


def start(name, argv, log_path, extra_env=None, user=None):
    """Start ``argv`` detached; return its record (name, pid, log, ...).

    ``user``: a system user to run as (PostgreSQL refuses root). The
    record keeps ``argv``, ``extra_env`` and ``user`` so that the same
    server can be started again (see :func:`restart`).
    """
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    env = dict(os.environ, **(extra_env or {}))
    as_user = {}
    if user:
        entry = pwd.getpwnam(user)
        env.update(HOME=entry.pw_dir, USER=user, LOGNAME=user)
        as_user = {'user': entry.pw_uid, 'group': entry.pw_gid,
                   'extra_groups': []}
    with open(log_path, 'ab') as log:
        offset = log.tell()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, close_fds=True,
                                **as_user)
    record = {'name': name, 'pid': proc.pid, 'log': log_path,
              'log_offset': offset, 'argv': list(argv),
              'extra_env': dict(extra_env or {}),
              'create_time': psutil.Process(proc.pid).create_time(),
              'start_ticks': start_ticks(proc.pid),
              'popen': proc}
    if user:
        record['user'] = user
    return record


def restart(record):
    """Start a stopped server again as it was first started; return its
    new record (same name, log, URL)."""
    new = start(record['name'], record['argv'], record['log'],
                record.get('extra_env'), record.get('user'))
    for key in ('url', 'stop_last', 'stop_signal'):
        if record.get(key):
            new[key] = record[key]
    return new


def _process(record):
    """The live psutil.Process of a record, or None if it is gone."""
    try:
        proc = psutil.Process(record['pid'])
        if not _same_start(proc, record):
            return None  # the pid now belongs to someone else
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return proc
    except psutil.Error:
        return None


def is_alive(record):
    return _process(record) is not None


def _reap(record):
    """Collect the exit status of a server this very process started, so
    it does not linger as a zombie (and keep its group "alive")."""
    popen = record.get('popen')
    if popen is not None:
        try:
            popen.wait(timeout=0)
        except subprocess.TimeoutExpired:
            pass
        return
    # A record read back from sandbox.json (up() and down() in one
    # process, as benchmarks and the demo do) has no Popen left.
    try:
        os.waitpid(record['pid'], os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: its own parent reaps it


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _group_is_ours(record):
    """Whether the record's process group still has members to stop.

    The session leader's pid is the group id. While the group has members
    its number cannot be given to a new process, so a live process with
    that pid but another start time means the group is gone.
    """
    try:
        proc = psutil.Process(record['pid'])
        if not _same_start(proc, record):
            return False
    except psutil.NoSuchProcess:
        pass
    except psutil.Error:
        return False
    return _group_alive(record['pid'])


def stop(records, grace=10.0):
    """SIGTERM (or the record's ``stop_signal``) each record's process
    group, SIGKILL what is left after ``grace`` seconds; return when every
    group is gone (or after 5 more seconds, when only an unkillable
    process could remain)."""
    groups = [r for r in records if _group_is_ours(r)]
    for sig, wait in ((None, grace), (signal.SIGKILL, 5.0)):
        for record in groups:
            try:
                os.killpg(record['pid'],
                          sig or record.get('stop_signal', signal.SIGTERM))
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while groups and time.monotonic() < deadline:
            for record in records:
                _reap(record)
            groups = [r for r in groups if _group_alive(r['pid'])]
            if groups:
                time.sleep(0.1)
        if not groups:
            break
    for record in records:
        _reap(record)


def http_ready(url, timeout=2.0):
    """True when ``GET url`` answers with a status below 500."""
    sess = ks_session.Session(timeout=timeout)
    try:
        resp = sess.get(url, authenticated=False, raise_exc=False,
                        log=False)
    except ks_exc.ClientException:
        return False
    return resp.status_code < 500


def listening(record, port):
    """Whether the record's own process listens on ``port``; so a server
    answering on a port another process took is never mistaken for ours."""
    proc = _process(record)
    if proc is None:
        return False
    try:
        conns = proc.net_connections(kind='tcp')
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
               for c in conns)


def port_in_use(record):
    """Whether the server's log, since it started, says its port is taken."""
    try:
        with open(record['log'], 'rb') as f:
            f.seek(record.get('log_offset', 0))
            text = f.read().decode('utf-8', 'replace')
    except OSError:
        return False
    return any(marker in text for marker in PORT_IN_USE_MARKERS)


def log_contains(record, marker):
    """Whether the process's log, since it started, contains ``marker``."""
    try:
        with open(record['log'], 'rb') as f:
            f.seek(record.get('log_offset', 0))
            return marker.encode() in f.read()
    except OSError:
        return False


def wait_ready(records_urls, timeout=60.0):
    """Wait until every (record, url) answers over HTTP.

    Raises StartError for the first server that exits or is not ready in
    time; ``reason`` is PORT_IN_USE when its log says so.
    """
    pending = list(records_urls)
    deadline = time.monotonic() + timeout
    while pending:
        for record, url in list(pending):
            port = urllib.parse.urlsplit(url).port
            if listening(record, port) and http_ready(url):
                pending.remove((record, url))
            elif port_in_use(record):
                # gunicorn keeps retrying the bind; no point waiting.
                raise StartError(record['name'], record['log'],
                                 PORT_IN_USE)
            elif not is_alive(record):
                _reap(record)
                raise StartError(record['name'], record['log'], 'exited')
        if pending and time.monotonic() > deadline:
            record = pending[0][0]
            raise StartError(record['name'], record['log'],
                             'not answering after %ds' % timeout)
        if pending:
            time.sleep(0.2)


def wait_until(record, check, deadline, what, interval=0.1):
    """Poll ``check()`` until true while ``record``'s process lives;
    StartError naming ``what`` when it exits or ``deadline`` (monotonic)
    passes first."""
    while not check():
        if not is_alive(record):
            raise StartError(record['name'], record['log'], 'exited')
        if time.monotonic() > deadline:
            raise StartError(record['name'], record['log'], what)
        time.sleep(interval)
