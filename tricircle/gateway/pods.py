"""Where each pod's Nova and Cinder are, and which pods a tenant uses.

With Keystone the endpoints come from the catalog of the pod's region (as
the service user of ``[client]``); without it from ``[gateway]
compute_endpoints`` / ``volume_endpoints``. Either way the gateway keeps
only the *root* of an endpoint (scheme, host, port, path prefix before the
version): the request's own path (``/v2.1/servers/...``,
``/v3/<project>/volumes/...``) is appended to it, so a Cinder endpoint
registered with the service project's id in it still serves every tenant.
"""

import re

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg

from tricircle.common import client
from tricircle.common import context as t_context
from tricircle.db import api as db_api
from tricircle.db import bindings as db_bindings
from tricircle.gateway import errors

COMPUTE = 'compute'
VOLUME = 'volumev3'
# Resource routings of what the gateway created.
SERVER = 'server'
VOLUME_RESOURCE = 'volume'

_VERSION_TAIL = re.compile(r'/v\d[^/]*(/.*)?$')


def root(url):
    """``http://h:8774/compute/v2.1`` -> ``http://h:8774/compute``."""
    return _VERSION_TAIL.sub('', url.rstrip('/'))


def endpoint_root(pod, service_type, conf=cfg.CONF):
    region = pod['region_name']
    url = None
    if client.uses_keystone(conf):
        try:
            url = client.get_session(conf).get_endpoint(
                service_type=service_type, region_name=region,
                interface=conf.client.interface)
        except ks_exc.EndpointNotFound:
            url = None
        except ks_exc.ClientException as e:
            raise errors.ServiceUnavailable(
                'Keystone cannot be reached to find the %s endpoint of %s: '
                '%s' % (service_type, region, e))
    else:
        table = (conf.gateway.compute_endpoints if service_type == COMPUTE
                 else conf.gateway.volume_endpoints)
        url = table.get(region)
    if not url:
        raise errors.ServiceUnavailable(
            'Pod %s has no %s endpoint%s.' % (
                region, service_type,
                ' in the Keystone catalog' if client.uses_keystone(conf)
                else ' in [gateway] of tricircle.conf'))
    return root(url)


def all_pods():
    """Every pod but central, ordered by region name."""
    pods = db_api.list_pods(t_context.get_admin_context())
    return sorted((p for p in pods if p['az_name']),
                  key=lambda p: p['region_name'])


def by_id(pod_id):
    return db_api.get_pod(t_context.get_admin_context(), pod_id)


def zones():
    """AZ name -> its pods."""
    result = {}
    for pod in all_pods():
        result.setdefault(pod['az_name'], []).append(pod)
    return result


def used_by(project_id, resource_type):
    """Pods the project is bound to or has ``resource_type`` in; ordered
    by region name."""
    admin = t_context.get_admin_context()
    ids = {b['pod_id'] for b in db_bindings.list_bindings(
        admin, {'project_id': project_id})}
    ids |= {r['pod_id'] for r in db_api.list_routings(
        admin, {'project_id': project_id, 'resource_type': resource_type})}
    return [p for p in all_pods() if p['pod_id'] in ids]


def tenant_pods(ctx, req, resource_type):
    """Pods a list covers: the caller's project's, or every pod for an
    admin's ``all_tenants`` list."""
    if ctx.is_admin and req.GET.get('all_tenants') not in (
            None, '0', 'false', 'False'):
        return all_pods()
    return used_by(ctx.project_id, resource_type)
