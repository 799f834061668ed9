"""Tenant-pod bindings: which pod of an availability zone receives a
project's new servers and volumes.

The API gateway binds a project on its first resource in an AZ (``bind``)
and admins correct bindings through the Admin API when a pod is full or
down. Every function opens its own transaction, as in tricircle.db.api;
``bind`` calls the gateway's chooser outside any, since choosing may ask
the pods over the network.
"""

from oslo_db import exception as db_exc
from oslo_utils import uuidutils

from tricircle.common import exceptions as exc
from tricircle.db import api
from tricircle.db import core
from tricircle.db import models

FILTERS = ('project_id', 'pod_id', 'az_name')


def _zone_of(session, pod_id):
    """The AZ a binding to ``pod_id`` belongs to; only pods that hold
    servers and volumes (not central) can be bound."""
    pod = session.get(models.Pod, pod_id)
    if pod is None:
        raise exc.InvalidInput(reason='pod_id %s does not exist' % pod_id)
    if not pod.az_name:
        raise exc.InvalidInput(
            reason='pod %s (%s) has no az_name: the central pod takes no '
                   'bindings' % (pod_id, pod.region_name))
    return pod.az_name


def _lookup(ctx, project_id, az_name):
    with core.reader(ctx) as session:
        binding = session.query(models.PodBinding).filter_by(
            project_id=project_id, az_name=az_name).first()
        return binding.to_dict() if binding else None


def create_binding(ctx, project_id, pod_id):
    """Bind a project to a pod in the pod's AZ; BindingExists names the
    binding in the way.

    No read before the insert: only the unique key sees a concurrent
    binding, so it alone decides, and a plain duplicate takes the same
    path as a race. The failed transaction can read nothing more (on
    PostgreSQL), so the binding in the way is read in a new one.
    """
    az_name = None
    try:
        with core.writer(ctx) as session:
            az_name = _zone_of(session, pod_id)
            binding = models.PodBinding(
                id=uuidutils.generate_uuid(), project_id=project_id,
                az_name=az_name, pod_id=pod_id)
            session.add(binding)
            session.flush()
            return binding.to_dict()
    except db_exc.DBDuplicateEntry:
        winner = _lookup(ctx, project_id, az_name)
        raise exc.BindingExists(
            project_id=project_id, az_name=az_name,
            binding_id=winner['id'] if winner else '(since deleted)')
    except db_exc.DBReferenceError:
        raise exc.InvalidInput(reason='pod_id %s does not exist' % pod_id)


def _get(session, binding_id):
    binding = session.get(models.PodBinding, binding_id)
    if binding is None:
        raise exc.BindingNotFound(binding_id=binding_id)
    return binding


def get_binding(ctx, binding_id):
    with core.reader(ctx) as session:
        return _get(session, binding_id).to_dict()


def list_bindings(ctx, filters=None, limit=None, marker=None):
    with core.reader(ctx) as session:
        query = session.query(models.PodBinding)
        for key, value in (filters or {}).items():
            query = query.filter(getattr(models.PodBinding, key) == value)
        query = api.paginate(query, models.PodBinding.id, limit, marker)
        return [b.to_dict() for b in query]


def move_binding(ctx, binding_id, pod_id):
    """Point a binding at another pod of its AZ: the project's later
    resources go there, those already made stay where they are. A pod of
    another AZ is refused: the project's binding there is another row."""
    try:
        with core.writer(ctx) as session:
            binding = _get(session, binding_id)
            pod = session.get(models.Pod, pod_id)
            if pod is None:
                raise exc.InvalidInput(
                    reason='pod_id %s does not exist' % pod_id)
            if pod.az_name != binding.az_name:
                raise exc.InvalidInput(
                    reason='pod %s is in availability zone %s, binding %s '
                           'in %s; a binding moves only within its zone' % (
                               pod_id, pod.az_name or '(none: central)',
                               binding_id, binding.az_name))
            binding.pod_id = pod_id
            session.flush()
            return binding.to_dict()
    except db_exc.DBReferenceError:
        raise exc.InvalidInput(reason='pod_id %s does not exist' % pod_id)


def delete_binding(ctx, binding_id):
    with core.writer(ctx) as session:
        session.delete(_get(session, binding_id))


def bind(ctx, project_id, az_name, choose):
    """The project's binding in ``az_name``, made on first use.

    ``choose(pods)`` gets the AZ's pods (dicts, by region name, never
    empty) and returns the chosen pod_id; it may raise to refuse them all.
    When another caller binds the project in the meantime, its binding
    wins and is returned, so concurrent first boots land on one pod.
    """
    if not az_name:
        raise exc.InvalidInput(reason='an availability zone is required '
                                      'to bind a project to a pod')
    found = _lookup(ctx, project_id, az_name)
    if found is not None:
        return found
    pods = sorted(api.list_pods(ctx, {'az_name': az_name}),
                  key=lambda p: p['region_name'])
    if not pods:
        raise exc.InvalidInput(
            reason='availability zone %s has no pods' % az_name)
    pod_id = choose(pods)
    if pod_id not in {p['pod_id'] for p in pods}:
        raise ValueError('choose() returned %r, not a pod of availability '
                         'zone %s' % (pod_id, az_name))
    try:
        return create_binding(ctx, project_id, pod_id)
    except exc.BindingExists:
        return _lookup(ctx, project_id, az_name) or bind(
            ctx, project_id, az_name, choose)
