"""Which pods a central network lives in, or is bound to.

A network is in the pods where it has been materialised (its routings);
before that, availability_zone_hints that name one pod (its region name, or
an AZ holding exactly one pod) already say where it will be. Central and
XJob both decide with this, so they never disagree.
"""

from tricircle.common import constants
from tricircle.db import api as db_api


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
