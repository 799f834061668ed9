"""Core queries on pods and resource routings.

Every function opens its own transaction, so callers (the Admin API, the
plugins, XJob) never hold a session across network calls to pods.
"""

from oslo_db import exception as db_exc
from oslo_utils import uuidutils
import sqlalchemy as sa

from tricircle.common import exceptions as exc
from tricircle.db import core
from tricircle.db import models

POD_FIELDS = ('region_name', 'az_name', 'pod_az_name', 'dc_name')
ROUTING_FIELDS = ('top_id', 'bottom_id', 'pod_id', 'project_id',
                  'resource_type')


def paginate(query, key_column, limit=None, marker=None):
    """Keyset pagination on a unique, ordered column."""
    query = query.order_by(key_column)
    if marker is not None:
        query = query.filter(key_column > marker)
    if limit:
        query = query.limit(limit)
    return query


# -- pods ------------------------------------------------------------------

def create_pod(ctx, values):
    pod = models.Pod(pod_id=values.get('pod_id') or uuidutils.generate_uuid(),
                     **{k: values.get(k) or None for k in POD_FIELDS})
    with core.writer(ctx) as session:
        if not pod.az_name:
            central = session.query(models.Pod).filter(
                sa.or_(models.Pod.az_name.is_(None),
                       models.Pod.az_name == '')).first()
            if central is not None:
                raise exc.CentralPodExists(region_name=central.region_name)
        if session.query(models.Pod).filter_by(
                region_name=pod.region_name).first() is not None:
            raise exc.DuplicatePod(region_name=pod.region_name)
        session.add(pod)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            raise exc.DuplicatePod(region_name=pod.region_name)
        return pod.to_dict()


def get_pod(ctx, pod_id):
    with core.reader(ctx) as session:
        pod = session.get(models.Pod, pod_id)
        if pod is None:
            raise exc.PodNotFound(pod_id=pod_id)
        return pod.to_dict()


def get_pod_by_region(ctx, region_name):
    with core.reader(ctx) as session:
        pod = session.query(models.Pod).filter_by(
            region_name=region_name).first()
        return pod.to_dict() if pod else None


def list_pods(ctx, filters=None, limit=None, marker=None):
    with core.reader(ctx) as session:
        query = session.query(models.Pod)
        for key, value in (filters or {}).items():
            query = query.filter(getattr(models.Pod, key) == value)
        query = paginate(query, models.Pod.pod_id, limit, marker)
        return [pod.to_dict() for pod in query]


def get_central_pod(ctx):
    with core.reader(ctx) as session:
        pod = session.query(models.Pod).filter(
            sa.or_(models.Pod.az_name.is_(None),
                   models.Pod.az_name == '')).first()
        return pod.to_dict() if pod else None


def delete_pod(ctx, pod_id):
    with core.writer(ctx) as session:
        pod = session.get(models.Pod, pod_id)
        if pod is None:
            raise exc.PodNotFound(pod_id=pod_id)
        users = _users_of_pod(session, pod_id)
        if users:
            raise exc.PodInUse(pod_id=pod_id, users=' and '.join(users))
        session.delete(pod)
        try:
            session.flush()
        except db_exc.DBReferenceError:
            # A routing or binding written since the count above.
            raise exc.PodInUse(pod_id=pod_id, users='routings or '
                               'bindings made meanwhile')


def _users_of_pod(session, pod_id):
    """What would be left pointing at nowhere if the pod went."""
    users = []
    for model, what in ((models.ResourceRouting, 'resource routing'),
                        (models.PodBinding, 'pod binding')):
        count = session.query(model).filter_by(pod_id=pod_id).count()
        if count:
            users.append('%d %s(s)' % (count, what))
    return users


# -- resource routings -----------------------------------------------------

def create_routing(ctx, values):
    routing = models.ResourceRouting(
        **{k: values.get(k) for k in ROUTING_FIELDS})
    with core.writer(ctx) as session:
        if session.get(models.Pod, routing.pod_id) is None:
            raise exc.InvalidInput(
                reason='pod_id %s does not exist' % routing.pod_id)
        session.add(routing)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            raise exc.DuplicateRouting(**{k: values.get(k) for k in (
                'top_id', 'pod_id', 'resource_type')})
        return routing.to_dict()


def routed_pods(ctx, top_id, resource_type):
    """The pods holding a copy of ``top_id``, in one query (central asks
    for a network's on every read of its availability zones)."""
    with core.reader(ctx) as session:
        query = session.query(models.Pod).join(
            models.ResourceRouting,
            models.ResourceRouting.pod_id == models.Pod.pod_id).filter(
            models.ResourceRouting.top_id == top_id,
            models.ResourceRouting.resource_type == resource_type)
        return [pod.to_dict() for pod in query]


def pods_holding(ctx, top_ids, resource_type):
    """The ids of the pods holding any of ``top_ids``, in one query (a
    security group's job asks for every member port of the group)."""
    return set().union(*holders(ctx, top_ids, resource_type).values())


def holders(ctx, top_ids, resource_type):
    """``{top id: {pod id}}`` of those of ``top_ids`` some pod holds, in
    one query."""
    top_ids = list(top_ids)
    found = {}
    if not top_ids:
        return found
    with core.reader(ctx) as session:
        for row in session.query(
                models.ResourceRouting.top_id,
                models.ResourceRouting.pod_id).filter(
                    models.ResourceRouting.top_id.in_(top_ids),
                    models.ResourceRouting.resource_type == resource_type
                ).distinct():
            found.setdefault(row.top_id, set()).add(row.pod_id)
    return found


def get_routing(ctx, routing_id):
    with core.reader(ctx) as session:
        routing = session.get(models.ResourceRouting, routing_id)
        if routing is None:
            raise exc.RoutingNotFound(routing_id=routing_id)
        return routing.to_dict()


def list_routings(ctx, filters=None, limit=None, marker=None):
    with core.reader(ctx) as session:
        query = session.query(models.ResourceRouting)
        for key, value in (filters or {}).items():
            query = query.filter(
                getattr(models.ResourceRouting, key) == value)
        query = paginate(query, models.ResourceRouting.id, limit, marker)
        return [r.to_dict() for r in query]


def update_routing(ctx, routing_id, values):
    with core.writer(ctx) as session:
        routing = session.get(models.ResourceRouting, routing_id)
        if routing is None:
            raise exc.RoutingNotFound(routing_id=routing_id)
        if 'pod_id' in values and session.get(
                models.Pod, values['pod_id']) is None:
            raise exc.InvalidInput(
                reason='pod_id %s does not exist' % values['pod_id'])
        merged = routing.to_dict()
        merged.update(values)
        for key, value in values.items():
            setattr(routing, key, value)
        try:
            session.flush()
        except db_exc.DBDuplicateEntry:
            raise exc.DuplicateRouting(**{k: merged[k] for k in (
                'top_id', 'pod_id', 'resource_type')})
        return routing.to_dict()


def delete_routing(ctx, routing_id):
    with core.writer(ctx) as session:
        routing = session.get(models.ResourceRouting, routing_id)
        if routing is None:
            raise exc.RoutingNotFound(routing_id=routing_id)
        session.delete(routing)


def delete_routings(ctx, top_id, pod_id, resource_type):
    """Forget that ``top_id`` lives in the pod; how many routings went
    (none is fine: another process may have forgotten it first)."""
    with core.writer(ctx) as session:
        return session.query(models.ResourceRouting).filter_by(
            top_id=top_id, pod_id=pod_id,
            resource_type=resource_type).delete(synchronize_session=False)


def get_bottom_id(ctx, top_id, pod_id, resource_type):
    """The bottom id of a top resource in a pod, or None if not there."""
    with core.reader(ctx) as session:
        routing = session.query(models.ResourceRouting).filter_by(
            top_id=top_id, pod_id=pod_id,
            resource_type=resource_type).first()
        return routing.bottom_id if routing else None
