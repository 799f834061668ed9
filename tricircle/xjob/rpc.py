"""Wake-ups of XJob over oslo.messaging (topic ``tricircle-xjob``).

The job table is the source of truth: callers write the job first, then
call :func:`wake`, and an idle XJob process finds the job at its next
periodic scan even if the wake-up is lost. A wake-up only makes the job
start at once. Without ``[DEFAULT] transport_url`` (the sandbox has no
broker) :func:`wake` does nothing, and XJob runs no RPC server.
"""

import threading

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging
from oslo_messaging import opts as messaging_opts

LOG = logging.getLogger(__name__)

TOPIC = 'tricircle-xjob'

_LOCK = threading.Lock()
_CLIENTS = {}


def transport_url(conf=cfg.CONF):
    """The configured transport URL, or None when none is set (the
    library's own default, ``rabbit://``, does not count)."""
    for group, opts in messaging_opts.list_opts():
        if group is None:
            conf.register_opts(opts)
    if conf.get_location('transport_url').location == (
            cfg.Locations.opt_default):
        return None
    return conf.transport_url or None


def _client(conf):
    url = transport_url(conf)
    if url is None:
        return None
    with _LOCK:
        if url not in _CLIENTS:
            transport = oslo_messaging.get_rpc_transport(conf, url=url)
            _CLIENTS[url] = oslo_messaging.get_rpc_client(
                transport, oslo_messaging.Target(topic=TOPIC))
        return _CLIENTS[url]


def wake(job_type=None, resource_id=None, conf=cfg.CONF):
    """Tell every XJob process to scan for jobs now (a fanout cast).

    Never raises: a broker that is down must not fail the caller, whose
    job is already stored. Returns whether a cast was sent.
    """
    try:
        client = _client(conf)
        if client is None:
            return False
        client.prepare(fanout=True, retry=0).cast(
            {}, 'wake', job_type=job_type, resource_id=resource_id)
        return True
    except Exception as e:
        LOG.warning('Could not wake XJob for %s %s (it will find the job '
                    'at its next scan): %s', job_type, resource_id, e)
        return False


class WakeEndpoint:
    """RPC methods of an XJob process."""

    target = oslo_messaging.Target(version='1.0')

    def __init__(self, engine):
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
    transport = oslo_messaging.get_rpc_transport(conf, url=url)
    server = oslo_messaging.get_rpc_server(
        transport, oslo_messaging.Target(topic=TOPIC, server=server_name),
        [WakeEndpoint(engine)], executor='threading')
    server.start()
    LOG.info('Listening for wake-ups on topic %s', TOPIC)
    return server
