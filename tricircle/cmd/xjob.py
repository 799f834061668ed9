"""``tricircle-xjob``: run cross-pod jobs from the Tricircle DB.

Reads the same config files as tricircle-api (``[database] connection``,
``[client]`` for the pods, ``[xjob]`` for the engine). Runs until SIGTERM
or SIGINT, then stops claiming and lets running jobs finish for up to
``[xjob] shutdown_grace`` seconds. Start as many as wanted, on any hosts.
"""

import signal
import sys
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import config
from tricircle.common import startup
from tricircle.db import core
from tricircle.xjob import engine as xjob_engine
from tricircle.xjob import handlers
from tricircle.xjob import opts
from tricircle.xjob import rpc

LOG = logging.getLogger(__name__)


def build_engine(conf=cfg.CONF):
    xconf = conf.xjob
    return xjob_engine.Engine(
        None, handlers.load_handlers(), lease_seconds=xconf.lease_seconds,
        scan_interval=xconf.scan_interval, workers=xconf.workers,
        retry_base=xconf.retry_base, max_backoff=xconf.max_backoff,
        max_attempts=xconf.max_attempts,
        shutdown_grace=xconf.shutdown_grace)


def main(argv=None):
    opts.register_opts(cfg.CONF)
    config.init(sys.argv[1:] if argv is None else argv, prog='tricircle-xjob')
    conf = cfg.CONF
    core.configure(conf.database.connection)
    with startup.importing():  # the handlers' code
        engine = build_engine(conf)
    stopping = []

    def on_signal(signum, _frame):
        # Only note it: taking a lock in a signal handler could deadlock
        # with the main thread holding that lock; the loop below acts.
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = rpc.start_server(engine, engine.worker_id, conf)
    runner = threading.Thread(target=engine.run, name='xjob-dispatcher')
    runner.start()
    status = 0
    try:
        while not stopping:
            time.sleep(0.2)
            if not runner.is_alive():
                LOG.error('The XJob dispatcher stopped unexpectedly')
                status = 1
                break
        else:
            LOG.info('Signal %d received: stopping XJob worker %s',
                     stopping[0], engine.worker_id)
    finally:
        if server is not None:
            server.stop()
        engine.stop()
        runner.join()
        if server is not None:
            server.wait()
    return status


if __name__ == '__main__':
    sys.exit(main())
