"""Which pods a central network lives in, or is bound to.

A network is in the pods where it has been materialised (its routings);
before that, availability_zone_hints that name one pod (its region name, or
an AZ holding exactly one pod) already say where it will be. Central and
XJob both decide with this, so they never disagree.
"""

from oslo_config import cfg

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network import exceptions as t_exc
from tricircle.network import segments


def hinted_pods(hints, pods=None):
    pods = pods if pods is not None else db_api.list_pods(None)
    chosen = {}
    for hint in hints or ():
        by_region = [p for p in pods if p['region_name'] == hint and
                     p['az_name']]
        by_az = [p for p in pods if p['az_name'] == hint]
        for pod in by_region or (by_az if len(by_az) == 1 else []):
            chosen[pod['pod_id']] = pod
    return list(chosen.values())


def crowded_azs(hints, pods=None):
    """The hints that name an AZ holding several pods."""
    pods = pods if pods is not None else db_api.list_pods(None)
    return sorted(h for h in set(hints or ()) if sum(
        1 for p in pods if p['az_name'] == h) > 1)


def network_pods(network, pods=None):
    """Pod dicts for ``network`` (a dict with id and AZ hints)."""
    pods = pods if pods is not None else db_api.list_pods(None)
    by_id = {p['pod_id']: p for p in pods}
    chosen = {}
    for routing in db_api.list_routings(
            None, {'top_id': network['id'],
                   'resource_type': constants.RT_NETWORK}):
        if routing['pod_id'] in by_id:
            chosen[routing['pod_id']] = by_id[routing['pod_id']]
    for pod in hinted_pods(network.get('availability_zone_hints'), pods):
        chosen.setdefault(pod['pod_id'], pod)
    return sorted(chosen.values(), key=lambda p: p['region_name'])


def check_pod(network, pod, elsewhere):
    """Raise unless central ``network`` may live in ``pod``: hints naming
    other pods refuse it (400), and so does another pod holding it already
    (``elsewhere``) when its segment cannot span pods (409). The local
    plugin asks before it pulls a network, central before a trunk takes a
    subport into its parent's pod."""
    hints = network.get('availability_zone_hints') or []
    if hints and not {pod['az_name'], pod['region_name']} & set(hints):
        raise t_exc.NetworkNotInPod(net_id=network['id'], hints=hints,
                                    region=pod['region_name'],
                                    az=pod['az_name'])
    if not elsewhere:
        return
    conf = cfg.CONF.tricircle
    net_type = segments.network_type(network)
    if net_type not in conf.cross_pod_network_types or not (
            hints or conf.span_unhinted_networks):
        raise t_exc.NetworkInAnotherPod(
            net_id=network['id'], type=net_type,
            types=', '.join(conf.cross_pod_network_types))
