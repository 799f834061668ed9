"""Reach any pod's Neutron by region name.

Every Tricircle process (XJob, the plugins, the CLI) talks to pods through
here, so endpoint lookup and authentication are decided in one place:

- with ``[client] auth_url`` set, a Keystone v3 password session and the
  ``network`` endpoint of the pod's region from the service catalog;
- without it (the sandbox, or a cloud without Keystone), the endpoint from
  ``[client] pod_endpoints`` and a session that sends no token.

Connections are cached per region: building one costs a catalog lookup and
openstacksdk's setup, and a pod's endpoint does not change while we run.
"""

import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1.identity import v3
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from oslo_config import cfg
import openstack.connection

from tricircle.common import config
from tricircle.common import exceptions

CONF = cfg.CONF
NETWORK = 'network'

_LOCK = threading.Lock()
_SESSIONS = {}      # id(conf) -> session
_CONNECTIONS = {}   # (id(conf), region_name) -> Connection


def register_opts(conf=CONF):
    """Register only ``[client]``; safe inside neutron-api, whose CONF
    already has options of the same names in ``[DEFAULT]``."""
    conf.register_opts(config.client_opts, group='client')


def uses_keystone(conf=CONF):
    register_opts(conf)
    return bool(conf.client.auth_url)


def _new_session(conf):
    opts = conf.client
    if opts.auth_url:
        auth = v3.Password(auth_url=opts.auth_url, username=opts.username,
                           password=opts.password,
                           project_name=opts.project_name,
                           user_domain_name=opts.user_domain_name,
                           project_domain_name=opts.project_domain_name)
    else:
        # Endpoints are given per request (from pod_endpoints), so the
        # plugin needs no endpoint of its own; it only skips the token.
        auth = noauth.NoAuth()
    return ks_session.Session(auth=auth, timeout=opts.timeout)


def get_session(conf=CONF):
    """The keystoneauth session every pod connection shares."""
    register_opts(conf)
    with _LOCK:
        sess = _SESSIONS.get(id(conf))
        if sess is None:
            sess = _SESSIONS[id(conf)] = _new_session(conf)
        return sess


def network_endpoint(region_name, conf=CONF):
    """URL of the Neutron API of ``region_name``.

    :raises EndpointNotFound: the catalog (or pod_endpoints) has none.
    """
    if not uses_keystone(conf):
        url = conf.client.pod_endpoints.get(region_name)
    else:
        try:
            url = get_session(conf).get_endpoint(
                service_type=NETWORK, region_name=region_name,
                interface=conf.client.interface)
        except ks_exc.EndpointNotFound:
            url = None
    if not url:
        raise exceptions.EndpointNotFound(service_type=NETWORK,
                                          region=region_name)
    return url


def region_in_catalog(region_name, service_type=NETWORK, conf=CONF):
    """Whether Keystone's catalog has a ``service_type`` endpoint in
    ``region_name``. On a miss the service token is renewed once and the
    catalog read again: a region registered after our token was issued is
    only in a newer token's catalog.

    :raises keystoneauth1.exceptions.ClientException: Keystone unreachable.
    """
    sess = get_session(conf)
    for attempt in range(2):
        if attempt:
            sess.invalidate()
        try:
            if sess.get_endpoint(service_type=service_type,
                                 region_name=region_name,
                                 interface=conf.client.interface):
                return True
        except ks_exc.EndpointNotFound:
            pass
    return False


def get_connection(region_name, conf=CONF):
    """An openstacksdk Connection whose ``.network`` talks to the pod."""
    key = (id(conf), region_name)
    with _LOCK:
        conn = _CONNECTIONS.get(key)
    if conn is not None:
        return conn
    endpoint = network_endpoint(region_name, conf)
    conn = openstack.connection.Connection(
        session=get_session(conf), region_name=region_name,
        network_endpoint_override=endpoint,
        network_api_version='2')
    with _LOCK:
        return _CONNECTIONS.setdefault(key, conn)


def get_central_connection(conf=CONF):
    register_opts(conf)
    return get_connection(conf.client.central_region_name, conf)


def reset_cache():
    """Forget sessions and connections, e.g. after the config changed."""
    with _LOCK:
        _SESSIONS.clear()
        _CONNECTIONS.clear()


ADMIN = 'tricircle'


def admin_api_endpoint(conf=CONF):
    """URL of the Tricircle Admin API (catalog service type ``tricircle``,
    or ``[client] admin_api_url`` without Keystone)."""
    if not uses_keystone(conf):
        url = conf.client.admin_api_url
    else:
        try:
            url = get_session(conf).get_endpoint(
                service_type=ADMIN,
                region_name=conf.client.central_region_name,
                interface=conf.client.interface)
        except ks_exc.EndpointNotFound:
            url = None
    if not url:
        raise exceptions.EndpointNotFound(
            service_type=ADMIN, region=conf.client.central_region_name)
    return url
