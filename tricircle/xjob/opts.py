"""Options of the XJob daemon (group ``[xjob]``).

They live apart from tricircle.common.config so the daemon's knobs sit
next to the engine that reads them; tricircle.common.opts lists them for
oslo-config-generator.
"""

from oslo_config import cfg

GROUP = 'xjob'

xjob_opts = [
    cfg.IntOpt('workers', default=4, min=1,
               help='Jobs one tricircle-xjob process runs at the same time '
                    '(one thread each). Run more processes, on any hosts, '
                    'to scale out: they share the job table safely.'),
    cfg.FloatOpt('lease_seconds', default=30.0, min=1.0,
                 help='How long a claimed job stays leased to its worker '
                      'without a renewal. The worker renews it every third '
                      'of this while the job runs; if the worker dies, '
                      'another one takes the job over once the lease has '
                      'expired, so this is also the takeover delay.'),
    cfg.FloatOpt('scan_interval', default=5.0, min=0.01,
                 help='Seconds between scans of the job table by an idle '
                      'process. Scanning alone is enough for correctness; '
                      'an RPC wake-up (when [DEFAULT] transport_url is '
                      'set) makes a new job start at once, so the scan only '
                      'catches lost wake-ups and due retries. Without a '
                      'transport, lower it (e.g. 0.2) for jobs to start '
                      'sooner, at the cost of one query per scan.'),
    cfg.FloatOpt('retry_base', default=1.0, min=0.0,
                 help='Seconds before the first retry of a failed job; '
                      'each further failure doubles the delay.'),
    cfg.FloatOpt('max_backoff', default=300.0, min=0.0,
                 help='Upper bound of the delay between two retries of a '
                      'failed job, in seconds.'),
    cfg.IntOpt('max_attempts', default=0, min=0,
               help='Runs after which a failing job is left in FAIL for an '
                    'operator to redo (PUT /v1.0/jobs/{id}); 0 retries '
                    'until it succeeds.'),
    cfg.FloatOpt('shutdown_grace', default=30.0, min=0.0,
                 help='On SIGTERM, seconds to let running jobs finish. '
                      'Jobs still running after that are handed back (FAIL, '
                      'due at once) so another worker runs them right away.'),
]


def register_opts(conf=cfg.CONF):
    conf.register_opts(xjob_opts, group=GROUP)


def list_opts():
    return [(GROUP, xjob_opts)]
