"""Wake-ups of XJob over oslo.messaging (topic ``tricircle-xjob``).

The job table is the source of truth: callers write the job first, then
call :func:`wake`, and an idle XJob process finds the job at its next
periodic scan even if the wake-up is lost. A wake-up only makes the job
start at once, so it never holds up its caller: a thread of the caller's
process sends it, and wake-ups queued while one is on its way fold into
the next (one wake-up makes XJob claim every due job). A broker that is
down costs the caller nothing; XJob's scan runs the jobs.

The transport is ``[tricircle] wakeup_transport_url``, else ``[DEFAULT]
transport_url``. Central Neutron names the first, so its own RPC (agent
notifications, which block while a broker is down) can stay on another
transport. With neither (the library's default ``rabbit://`` does not
count), :func:`wake` does nothing and XJob runs no RPC server.
"""

import threading

from oslo_config import cfg
from oslo_log import log as logging

# oslo.messaging is imported where it is used: half a second of CPU that
# a process which never wakes XJob (the audit, the CLI, a SQLite sandbox's
# servers) need not pay.

LOG = logging.getLogger(__name__)

TOPIC = 'tricircle-xjob'

wakeup_opts = [
    cfg.StrOpt('wakeup_transport_url', secret=True,
               help='oslo.messaging transport URL of XJob wake-ups (e.g. '
                    'rabbit://user:password@host:5672/tricircle). Unset: '
                    '[DEFAULT] transport_url. Give central Neutron this '
                    'one, so that its own RPC keeps its transport.'),
]

_LOCK = threading.Lock()
_SENDERS = {}


def transport_url(conf=cfg.CONF):
    """The wake-ups' transport URL, or None when none is set."""
    from oslo_messaging import opts as messaging_opts
    for group, opts in messaging_opts.list_opts():
        if group is None:
            conf.register_opts(opts)
    conf.register_opts(wakeup_opts, group='tricircle')
    if conf.tricircle.wakeup_transport_url:
        return conf.tricircle.wakeup_transport_url
    if conf.get_location('transport_url').location == (
            cfg.Locations.opt_default):
        return None
    return conf.transport_url or None


class _Sender:
    """One thread per transport sending the latest wake-up asked for."""

    def __init__(self, conf, url):
        import oslo_messaging
        transport = oslo_messaging.get_rpc_transport(conf, url=url)
        self.client = oslo_messaging.get_rpc_client(
            transport, oslo_messaging.Target(topic=TOPIC)).prepare(
                fanout=True, retry=0)
        self.pending = None
        self.ready = threading.Condition()
        threading.Thread(target=self._run, daemon=True,
                         name='xjob-wakeup').start()

    def ask(self, job_type, resource_id):
        with self.ready:
            self.pending = (job_type, resource_id)
            self.ready.notify()

    def _run(self):
        while True:
            with self.ready:
                while self.pending is None:
                    self.ready.wait()
                (job_type, resource_id), self.pending = self.pending, None
            try:
                self.client.cast({}, 'wake', job_type=job_type,
                                 resource_id=resource_id)
            except Exception as e:
                LOG.warning('Could not wake XJob for %s %s (it will find '
                            'the job at its next scan): %s', job_type,
                            resource_id, e)


def wake(job_type=None, resource_id=None, conf=cfg.CONF):
    """Tell every XJob process to scan for jobs now (a fanout cast, sent
    in the background). Never raises or blocks; returns whether a
    wake-up was queued (False without a transport)."""
    try:
        url = transport_url(conf)
        if url is None:
            return False
        with _LOCK:
            if url not in _SENDERS:
                _SENDERS[url] = _Sender(conf, url)
            sender = _SENDERS[url]
        sender.ask(job_type, resource_id)
        return True
    except Exception as e:
        LOG.warning('Could not wake XJob for %s %s (it will find the job '
                    'at its next scan): %s', job_type, resource_id, e)
        return False


class WakeEndpoint:
    """RPC methods of an XJob process."""

    def __init__(self, engine):
        import oslo_messaging
        self.target = oslo_messaging.Target(version='1.0')
        self.engine = engine

    def wake(self, ctxt, job_type=None, resource_id=None):
        LOG.info('Woken up for %s %s', job_type, resource_id)
        self.engine.wake()


def start_server(engine, server_name, conf=cfg.CONF):
    """Serve ``wake`` for ``engine`` when a transport is configured;
    return the started server (``stop()`` then ``wait()`` it) or None."""
    url = transport_url(conf)
    if url is None:
        LOG.info('No [DEFAULT] transport_url: XJob relies on its periodic '
                 'scan alone')
        return None
    import oslo_messaging
    transport = oslo_messaging.get_rpc_transport(conf, url=url)
    server = oslo_messaging.get_rpc_server(
        transport, oslo_messaging.Target(topic=TOPIC, server=server_name),
        [WakeEndpoint(engine)], executor='threading')
    server.start()
    LOG.info('Listening for wake-ups on topic %s', TOPIC)
    return server
