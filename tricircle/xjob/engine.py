"""The XJob engine: claim due jobs, run their handlers, record outcomes.

One process runs one dispatcher (the thread calling :meth:`Engine.run`),
``workers`` handler threads and a heartbeat thread. The dispatcher claims
a job only when a handler thread is free, so a busy process leaves due jobs
to the others; it scans every ``scan_interval`` seconds when idle, or at
once on :meth:`Engine.wake` (RPC). The heartbeat renews the lease of every
running job every third of ``lease_seconds``, so a long job is never taken
over while its worker lives, and is taken over once a dead worker's lease
expires. Handlers run in daemon threads: a stuck one cannot hold the
process past its shutdown grace.

What a handler returns (None, or a JSON-serialisable value such as a dict
of what it found) becomes the job's ``result`` when the run succeeds; a
failed run leaves the result of the last successful one (see
tricircle.db.job_leases.finish_job).
"""

import datetime
import os
import queue
import socket
import threading
import time

from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from tricircle.common import context
from tricircle.db import jobs

LOG = logging.getLogger(__name__)
# Past a retry's due time, so its scan finds it due.
RETRY_WAKE_MARGIN = 0.05


def default_worker_id():
    """host:pid:random -- unique even when a pid is reused."""
    return '%s:%d:%s' % (socket.gethostname(), os.getpid(),
                         uuidutils.generate_uuid()[:8])


class Engine:

    def __init__(self, worker_id, handlers, lease_seconds=30.0,
                 scan_interval=1.0, workers=1, retry_base=1.0,
                 max_backoff=300.0, max_attempts=0, shutdown_grace=30.0):
        self.worker_id = worker_id or default_worker_id()
        self.handlers = dict(handlers)
        self.lease_seconds = lease_seconds
        self.scan_interval = scan_interval
        self.workers = workers
        self.retry_base = retry_base
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self.shutdown_grace = shutdown_grace
        self._running = {}
        self._finishing = 0  # runs over, their outcome being recorded
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(workers)
        self._queue = queue.Queue()

    # -- one job -------------------------------------------------------

    def _backoff(self, attempts):
        return jobs.backoff_seconds(attempts, self.retry_base,
                                    self.max_backoff)

    def claim(self):
        """Lease one due job of a type this engine can run, or None."""
        return jobs.claim_job(None, self.worker_id, self.lease_seconds,
                              types=sorted(self.handlers))

    def execute(self, job):
        """Run a claimed job's handler and record how it ended."""
        with self._lock:
            self._running[job['id']] = job
        LOG.info('Running %s job %s for %s (attempt %d)', job['type'],
                 job['id'], job['resource_id'], job['attempts'])
        started = time.monotonic()
        error = result = None
        try:
            result = self.handlers[job['type']](context.get_admin_context(),
                                                job)
        except Exception as e:
            error = '%s: %s' % (type(e).__name__, e)
            LOG.warning('%s job %s for %s failed after %.2fs: %s',
                        job['type'], job['id'], job['resource_id'],
                        time.monotonic() - started, error, exc_info=True)
        with self._lock:
            still_ours = self._running.pop(job['id'], None) is not None
            if still_ours:
                self._finishing += 1
        if still_ours:
            try:
                self._finish(job, error, time.monotonic() - started,
                             result=result)
            finally:
                with self._lock:
                    self._finishing -= 1

    def _finish(self, job, error, seconds, backoff=None, result=None):
        try:
            done = jobs.finish_job(
                None, job['id'], self.worker_id, error is None, error=error,
                backoff=backoff or self._backoff,
                max_attempts=self.max_attempts, result=result)
        except Exception:
            LOG.exception('Could not record the end of job %s; it will be '
                          'run again once its lease expires', job['id'])
            return
        # A newer job of this resource could not be claimed while this one
        # ran, and the wake-up cast for it is spent: look again now.
        self.wake()
        if done is None:
            LOG.warning('Job %s finished after its lease was lost (another '
                        'worker took it over); outcome not recorded',
                        job['id'])
        elif error is None:
            LOG.info('%s job %s for %s succeeded in %.2fs', job['type'],
                     job['id'], job['resource_id'], seconds)
        elif done['next_attempt_at']:
            LOG.info('Job %s will be retried at %s (attempt %d failed)',
                     job['id'], done['next_attempt_at'], done['attempts'])
            self._wake_at(done['next_attempt_at'])
        elif self.max_attempts and done['attempts'] >= self.max_attempts:
            LOG.error('Job %s is left in FAIL after %d attempt(s); redo it '
                      'once the cause is fixed: %s', job['id'],
                      done['attempts'], error)
        else:
            LOG.info('Job %s failed and is not retried: a newer job of '
                     '%s %s will do its work', job['id'], job['type'],
                     job['resource_id'])

    def _wake_at(self, when):
        """Scan when a retry falls due: no wake-up is cast for a retry,
        and the periodic scan may be seconds away."""
        delay = (datetime.datetime.fromisoformat(when) -
                 timeutils.utcnow()).total_seconds()
        timer = threading.Timer(max(delay, 0) + RETRY_WAKE_MARGIN, self.wake)
        timer.daemon = True
        timer.start()

    def run_once(self):
        """Claim and run at most one job in this thread; whether it did."""
        job = self.claim()
        if job is None:
            return False
        self.execute(job)
        return True

    # -- the daemon ----------------------------------------------------

    def wake(self):
        """Scan for due jobs now instead of at the next interval."""
        self._wake.set()

    def stop(self):
        """Stop claiming; :meth:`run` then drains and returns."""
        self._stop.set()
        self._wake.set()

    def run(self, stop_event=None):
        """Dispatch jobs until ``stop_event`` (or :meth:`stop`), then let
        running handlers finish for up to ``shutdown_grace`` seconds."""
        stop = stop_event or self._stop
        heartbeat_done = threading.Event()
        threads = [threading.Thread(target=self._worker, daemon=True,
                                    name='xjob-worker-%d' % i)
                   for i in range(self.workers)]
        threads.append(threading.Thread(
            target=self._heartbeat, args=(heartbeat_done,), daemon=True,
            name='xjob-heartbeat'))
        for thread in threads:
            thread.start()
        LOG.info('XJob worker %s started: %d thread(s), job types %s',
                 self.worker_id, self.workers, ', '.join(sorted(
                     self.handlers)))

        def stopping():
            return stop.is_set() or self._stop.is_set()

        while not stopping():
            if not self._slots.acquire(timeout=self.scan_interval):
                continue
            # Cleared before stop is looked at: a stop() that came while
            # every slot was busy, or comes from now on, ends the wait
            # below instead of being lost for a whole scan interval.
            self._wake.clear()
            if stopping():
                self._slots.release()
                break
            try:
                job = self.claim()
            except Exception:
                LOG.exception('Claiming a job failed; retrying')
                job = None
            if job is None:
                self._slots.release()
                self._wake.wait(self.scan_interval)
                continue
            with self._lock:  # heartbeats cover it from now on
                self._running[job['id']] = job
            self._queue.put(job)
        self._drain()
        heartbeat_done.set()
        LOG.info('XJob worker %s stopped', self.worker_id)

    def _worker(self):
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self.execute(job)
            except Exception:
                LOG.exception('Unexpected error running job %s', job['id'])
            finally:
                self._slots.release()

    def _heartbeat(self, done):
        while not done.wait(self.lease_seconds / 3.0):
            with self._lock:
                running = list(self._running)
            for job_id in running:
                try:
                    if not jobs.renew_lease(None, job_id, self.worker_id,
                                            self.lease_seconds):
                        LOG.warning('Lost the lease of job %s', job_id)
                except Exception:
                    LOG.exception('Could not renew the lease of job %s',
                                  job_id)

    def _drain(self):
        deadline = time.monotonic() + self.shutdown_grace
        with self._lock:
            busy = len(self._running) + self._finishing
        if busy:
            LOG.info('Stopping: waiting up to %.0fs for %d running job(s)',
                     self.shutdown_grace, busy)
        # Until the outcomes are recorded too: handler threads are daemons,
        # so exiting earlier could lose a finished run's SUCCESS.
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running and not self._finishing:
                    break
            time.sleep(0.05)
        with self._lock:
            left, self._running = list(self._running.values()), {}
        for job in left:
            LOG.warning('Handing back job %s, still running at shutdown',
                        job['id'])
            self._finish(job, 'worker %s shut down before the job finished'
                         % self.worker_id, 0.0, backoff=lambda attempts: 0)
        for _ in range(self.workers):
            self._queue.put(None)
