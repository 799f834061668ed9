"""What every benchmark script shares: a token-less client of a sandbox
Neutron, one definition of a percentile, and writing the JSON result."""

import contextlib
import json
import os
import statistics

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import openstack.connection


def connect(url):
    """openstacksdk network proxy of a sandbox Neutron (noauth: admin)."""
    return openstack.connection.Connection(
        session=ks_session.Session(auth=noauth.NoAuth()),
        network_endpoint_override=url, network_api_version='2').network


@contextlib.contextmanager
def sandbox(sandbox_dir, pods, **shape):
    """A sandbox of ``pods`` pods for the block: ``(state, central network
    proxy, {region: pod network proxy})``; always taken down after.
    ``shape``: more keyword arguments of cluster.up (db, rabbit, ...)."""
    from tricircle.sandbox import cluster
    state = cluster.up(sandbox_dir, pods=pods, **shape)
    try:
        yield (state, connect(state['central']['neutron']),
               {p['region_name']: connect(p['neutron'])
                for p in state['pods']})
    finally:
        cluster.down(sandbox_dir)


def write_result(path, result):
    """Write ``result`` as JSON at ``path`` (making its folder)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print('wrote', path)


def percentile(sorted_values, pct):
    """Linear interpolation between closest ranks (numpy's default); None
    when empty. Every benchmark reports percentiles this one way."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * pct / 100.0
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] -
                                 sorted_values[low]) * (pos - low)


def summary(samples):
    """p50, p90, min, max and the samples, in seconds (3 decimals)."""
    return {'p50_s': round(statistics.median(samples), 3),
            'p90_s': round(percentile(sorted(samples), 90), 3),
            'min_s': round(min(samples), 3), 'max_s': round(max(samples), 3),
            'samples_s': [round(s, 3) for s in samples]}
