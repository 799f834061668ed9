"""XJob engine throughput: noop jobs per second, 1, 2 and 4 processes.

Each measured mode gets a fresh, migrated database and starts that many
``tricircle-xjob`` processes (``[xjob] workers`` threads each, scan every
0.2 s as in the sandbox) and waits until each logs that it runs. Then
``--jobs`` NEW noop jobs (distinct resource ids) are inserted in one
transaction; the clock starts at its commit and stops at the last run's
``async_job_logs`` timestamp, so process start-up and the polling of this
script are not counted. Each job must have exactly one SUCCESS run.

A mode ``inprocess`` also times ``Engine.run_once()`` in one thread of
this process (claim + noop + finish, no dispatcher): the per-job cost of
the two transactions a job needs.

Usage::

    python benchmarks/job_engine.py [--jobs 2000] [--workers 4]
        [--processes 1 2 4] [--backend sqlite|mariadb|postgresql]
        [--output PATH]

Prints a table and writes JSON (default benchmarks/results/job_engine.json).
The numbers are reported, never asserted; they only mean something on an
otherwise idle machine (the load average is recorded).
"""

import argparse
import collections
import json
import os
import platform
import sys
import tempfile
import time

from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests.dbservers, for servers

from tricircle.common import constants  # noqa: E402
from tricircle.db import core  # noqa: E402
from tricircle.db import jobs  # noqa: E402
from tricircle.db import migration  # noqa: E402
from tricircle.sandbox import processes  # noqa: E402
from tricircle.sandbox import xjobs  # noqa: E402
from tricircle.xjob import engine as xjob_engine  # noqa: E402
from tricircle.xjob import handlers  # noqa: E402

DEFAULT_OUTPUT = os.path.join(HERE, 'results', 'job_engine.json')


class Databases:
    """Fresh databases on the chosen backend (a private server if not
    SQLite, stopped at the end)."""

    def __init__(self, backend, workdir):
        self.backend, self.workdir, self.server, self.count = (
            backend, workdir, None, 0)
        if backend != 'sqlite':
            from tests import dbservers
            cls = {'mariadb': dbservers.MariaDBServer,
                   'postgresql': dbservers.PostgreSQLServer}[backend]
            self.server = cls().start()

    def new(self):
        self.count += 1
        if self.server is None:
            url = 'sqlite:///%s/bench-%d.sqlite' % (self.workdir, self.count)
        else:
            url = self.server.create_database()
        migration.upgrade(url)
        core.configure(url)
        return url

    def close(self):
        if self.server is not None:
            self.server.stop()


def _start(url, workdir, name, workers):
    conf = os.path.join(workdir, name + '.conf')
    with open(conf, 'w') as f:
        f.write('[database]\nconnection = %s\n[xjob]\nworkers = %d\n'
                'scan_interval = 0.2\n' % (url, workers))
    return processes.start(name, xjobs.argv(conf),
                           os.path.join(workdir, name + '.log'))


def _insert(count):
    now = timeutils.utcnow()
    rows = [{'id': uuidutils.generate_uuid(), 'type': 'noop',
             'resource_id': 'bench-%d' % i, 'status': constants.JS_NEW,
             'attempts': 0, 'next_attempt_at': now, 'created_at': now}
            for i in range(count)]
    with core.writer() as session:
        session.execute(jobs.JOBS.insert(), rows)
    return timeutils.utcnow()


def _check(count):
    """(finished jobs, jobs without exactly one SUCCESS run, last run)."""
    with core.reader() as session:
        done = session.execute(sa.select(sa.func.count()).where(
            jobs.JOBS.c.status == constants.JS_SUCCESS)).scalar()
        if done < count:
            return done, None, None
        runs = collections.Counter(
            (r.job_id, r.status) for r in session.execute(
                sa.select(jobs.LOGS.c.job_id, jobs.LOGS.c.status)))
        last = session.execute(sa.select(sa.func.max(
            jobs.LOGS.c.timestamp))).scalar()
    bad = sum(1 for (_, status), n in runs.items()
              if status != constants.JS_SUCCESS or n != 1)
    return done, bad, last


def measure_processes(dbs, workdir, nproc, count, workers):
    url = dbs.new()
    records = [_start(url, workdir, 'xjob-%d-of-%d' % (i, nproc), workers)
               for i in range(1, nproc + 1)]
    try:
        xjobs.wait(records, 60)
        load = os.getloadavg()[0]
        started = _insert(count)
        deadline = time.monotonic() + 600
        while True:
            done, bad, last = _check(count)
            if last is not None or time.monotonic() > deadline:
                break
            time.sleep(0.25)
    finally:
        processes.stop(records, grace=30)
    seconds = (last - started).total_seconds() if last else None
    return {'mode': '%d process(es)' % nproc, 'processes': nproc,
            'workers_per_process': workers, 'jobs': count, 'done': done,
            'not_exactly_once': bad, 'seconds': seconds,
            'jobs_per_second': round(count / seconds, 1) if seconds else None,
            'load_before': load}


def measure_inprocess(dbs, count):
    dbs.new()
    _insert(count)
    engine = xjob_engine.Engine('bench', handlers.load_handlers(['noop']))
    started = time.monotonic()
    ran = 0
    while engine.run_once():
        ran += 1
    seconds = time.monotonic() - started
    return {'mode': 'inprocess run_once', 'processes': 1,
            'workers_per_process': 1, 'jobs': count, 'done': ran,
            'not_exactly_once': _check(count)[1], 'seconds': seconds,
            'jobs_per_second': round(ran / seconds, 1),
            'load_before': os.getloadavg()[0]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--jobs', type=int, default=2000)
    parser.add_argument('--workers', type=int, default=4,
                        help='[xjob] workers of each process')
    parser.add_argument('--processes', type=int, nargs='+',
                        default=[1, 2, 4],
                        help='XJob process counts to measure, one after '
                        'another')
    parser.add_argument('--backend', default='sqlite',
                        choices=['sqlite', 'mariadb', 'postgresql'])
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='job-engine-')
    dbs = Databases(args.backend, workdir)
    try:
        results = [measure_inprocess(dbs, min(args.jobs, 1000))]
        for nproc in args.processes:
            results.append(measure_processes(dbs, workdir, nproc,
                                             args.jobs, args.workers))
    finally:
        dbs.close()
    print('backend: %s, %d CPUs, logs in %s' % (
        args.backend, os.cpu_count(), workdir))
    print('%-22s %6s %8s %10s %8s' % ('mode', 'jobs', 'seconds', 'jobs/s',
                                      'not-1x'))
    for r in results:
        print('%-22s %6d %8.2f %10s %8s' % (
            r['mode'], r['done'], r['seconds'] or -1, r['jobs_per_second'],
            r['not_exactly_once']))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, 'w') as f:
        json.dump({'backend': args.backend, 'cpus': os.cpu_count(),
                   'python': platform.python_version(),
                   'when': timeutils.utcnow().isoformat(),
                   'results': results}, f, indent=2)
    print('wrote %s' % args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
