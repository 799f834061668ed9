"""Which pod a new server or volume goes to, and where an existing one is.

New: the request's availability zone (else ``[gateway]
default_availability_zone``, else the zone the tenant is bound in, else
the first zone with pods) and, inside the zone, the pod the tenant is
bound to there. A tenant's first resource in a zone binds it to the pod of
that zone with the fewest tenants among those that answer; every later one
goes to the same pod, so its servers, volumes and networks land together.
The admin moves a binding through ``/v1.0/bindings``.

Existing: the resource routing written when the gateway created it; for
one made some other way (directly in a pod, or several servers of one
request), the pods are asked once and the answer is recorded.
"""

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging

from tricircle.common import context as t_context
from tricircle.common import exceptions as t_exc
from tricircle.db import api as db_api
from tricircle.db import bindings as db_bindings
from tricircle.gateway import errors
from tricircle.gateway import pods as gw_pods
from tricircle.gateway import proxy

LOG = logging.getLogger(__name__)


def zone_of(value):
    """Nova accepts ``az``, ``az:host`` and ``az::node``."""
    return (value or '').split(':', 1)[0] or None


def default_zone(project_id):
    conf_zone = cfg.CONF.gateway.default_availability_zone
    if conf_zone:
        return conf_zone
    admin = t_context.get_admin_context()
    bound = db_bindings.list_bindings(admin, {'project_id': project_id})
    if bound:
        return min(bound, key=lambda b: b['created_at'])['az_name']
    zones = sorted(gw_pods.zones())
    if not zones:
        raise errors.ServiceUnavailable('No pod is registered yet.')
    return zones[0]


def _answers(pod, service_type):
    try:
        proxy.send(pod, service_type, 'GET', '/', {})
        return True
    except errors.ServiceUnavailable as e:
        LOG.warning('Not binding to %s: %s', pod['region_name'], e)
        return False


def zone_pods(zone):
    """The pods of ``zone``; 400 naming it when it has none."""
    zones = gw_pods.zones()
    if zone not in zones:
        raise errors.BadRequest(
            'Availability zone %s has no pods (zones with pods: %s).'
            % (zone, ', '.join(sorted(zones)) or 'none'))
    return zones[zone]


def pod_for_new(ctx, zone, service_type):
    """The pod of ``zone`` (or the tenant's default zone) for the caller's
    new resource, binding the tenant there on first use."""
    zone = zone or default_zone(ctx.project_id)
    zone_pods(zone)
    admin = t_context.get_admin_context()

    def choose(candidates):
        counts = {}
        for b in db_bindings.list_bindings(admin, {'az_name': zone}):
            counts[b['pod_id']] = counts.get(b['pod_id'], 0) + 1
        # The least bound first; only as many asked as it takes.
        for pod in sorted(candidates, key=lambda p: (
                counts.get(p['pod_id'], 0), p['region_name'])):
            if _answers(pod, service_type):
                return pod['pod_id']
        raise errors.ServiceUnavailable(
            'No pod of availability zone %s answers; nothing was '
            'created.' % zone)

    try:
        binding = db_bindings.bind(admin, ctx.project_id, zone, choose)
    except t_exc.InvalidInput as e:
        raise errors.BadRequest(e.msg)
    pod = gw_pods.by_id(binding['pod_id'])
    LOG.debug('Project %s in %s: pod %s', ctx.project_id, zone,
              pod['region_name'])
    return pod


def remember(ctx, resource_type, resource_id, pod):
    try:
        db_api.create_routing(t_context.get_admin_context(), {
            'top_id': resource_id, 'bottom_id': resource_id,
            'pod_id': pod['pod_id'], 'project_id': ctx.project_id,
            'resource_type': resource_type})
    except (t_exc.Conflict, db_exc.DBDuplicateEntry):
        pass


def forget(resource_type, resource_id):
    admin = t_context.get_admin_context()
    for routing in db_api.list_routings(admin, {
            'top_id': resource_id, 'resource_type': resource_type}):
        try:
            db_api.delete_routing(admin, routing['id'])
        except t_exc.NotFound:
            pass


def routed_pod(resource_type, resource_id):
    """The pod the routing names, or None."""
    for routing in db_api.list_routings(t_context.get_admin_context(), {
            'top_id': resource_id, 'resource_type': resource_type}):
        return gw_pods.by_id(routing['pod_id'])
    return None


def locate(req, ctx, resource_type, resource_id, service_type, show_path,
           keystone):
    """The pod holding ``resource_id``; asks the pods (as the caller) when
    no routing names one, and records the answer.

    :raises errors.NotFound: no pod has it for this caller.
    """
    pod = routed_pod(resource_type, resource_id)
    if pod is not None:
        return pod
    headers = proxy.forwarded_headers(req, keystone)
    for candidate in gw_pods.all_pods():
        try:
            resp = proxy.send(candidate, service_type, 'GET', show_path,
                              headers)
        except errors.ServiceUnavailable:
            continue
        if resp.ok:
            remember(ctx, resource_type, resource_id, candidate)
            return candidate
    raise errors.NotFound('%s %s could not be found.' % (
        resource_type.capitalize(), resource_id))
