"""The sandbox admin's clients of the compute services, in either mode.

Without Keystone a service takes a request's identity from what it is
sent: Nova from ``X-User-Id``/``X-Project-Id``/``X-Roles`` (and it needs
some ``X-Auth-Token`` to pass on to Neutron, which ignores it), Placement's
noauth2 and Cinder's noauth from the token itself ("admin", or
"user:project"). With Keystone the admin's token is sent and each service
is found in the catalog of the pod's region (Glance in CentralRegion's).
"""

from keystoneauth1 import adapter
from keystoneauth1 import session as ks_session

from tricircle.common import constants
from tricircle.sandbox import keystone

ADMIN_PROJECT = 'admin'
NOVA_ADMIN_HEADERS = {'X-Auth-Token': 'sandbox', 'X-User-Id': 'admin',
                      'X-Project-Id': ADMIN_PROJECT,
                      'X-Roles': 'admin,member,reader'}
PLACEMENT_HEADERS = {'X-Auth-Token': 'admin'}
CINDER_ADMIN_HEADERS = {'X-Auth-Token': 'admin:%s' % ADMIN_PROJECT}
NOVA_LATEST = {'X-OpenStack-Nova-API-Version': 'latest'}


def session(headers=None, timeout=30):
    """A session sending ``headers`` and no token of its own (keystoneauth's
    NoAuth plugin would send "notused" as X-Auth-Token, which Placement
    and Cinder read as the user)."""
    return ks_session.Session(timeout=timeout, additional_headers=headers)


def _admin(state, service_type, region, noauth_headers, endpoint,
           headers=None):
    if keystone.enabled(state):
        return adapter.Adapter(keystone.session(state['auth']),
                               service_type=service_type, interface='public',
                               region_name=region,
                               additional_headers=headers)
    return adapter.Adapter(session(dict(noauth_headers, **(headers or {}))),
                           endpoint_override=endpoint)


def nova_admin(state, pod):
    """The pod's Nova as the sandbox's admin, latest microversion."""
    return _admin(state, 'compute', pod['region_name'], NOVA_ADMIN_HEADERS,
                  pod['compute'], NOVA_LATEST)


def nova_gateway(state):
    """CentralRegion's Nova, the API gateway, as the sandbox's admin."""
    return _admin(state, 'compute', constants.CENTRAL_REGION,
                  NOVA_ADMIN_HEADERS, state['central']['compute'],
                  NOVA_LATEST)


def placement_admin(state, pod):
    return _admin(state, 'placement', pod['region_name'], PLACEMENT_HEADERS,
                  pod['placement'])


def cinder_admin(state, pod):
    """The pod's Cinder v3 (without Keystone, URLs carry no project)."""
    return _admin(state, 'volumev3', pod['region_name'],
                  CINDER_ADMIN_HEADERS, pod['volume'])


def glance_admin(state):
    return _admin(state, 'image', constants.CENTRAL_REGION, {},
                  state['compute']['glance'])
