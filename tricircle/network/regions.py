"""openstacksdk network proxies of central and of the pods, for XJob."""

from concurrent import futures

from oslo_config import cfg

from tricircle.common import client


def central():
    return client.get_connection(cfg.CONF.client.central_region_name).network


def pod(pod):
    """``pod`` is a pod dict of the Tricircle DB."""
    return client.get_connection(pod['region_name']).network


def each_pod(pod_ids, work):
    """``{pod_id: work(pod_id)}``, the pods handled concurrently; the
    first failure is raised once all have finished."""
    pod_ids = list(pod_ids)
    with futures.ThreadPoolExecutor(max(1, len(pod_ids))) as pool:
        running = {pod_id: pool.submit(work, pod_id) for pod_id in pod_ids}
    return {pod_id: f.result() for pod_id, f in running.items()}


class PodRefused(Exception):
    """A pod's Neutron answered a request with an error: the message
    names the pod and carries Neutron's own words, for the job's
    ``last_error`` and the operator reading it."""

    def __init__(self, region, method, path, status, message):
        self.region, self.status = region, status
        super().__init__('pod %s refused %s %s (HTTP %s): %s' % (
            region, method, path, status, message))


class Rest:
    """Plain JSON requests to one region's Neutron, with Neutron's own
    attribute names (``provider:network_type``, ``binding:host_id``...):
    what the sync jobs compare and push is exactly what the API shows."""

    def __init__(self, region_name):
        self.region = region_name
        self.proxy = client.get_connection(region_name).network

    def request(self, method, path, body=None, ok=(200, 201, 204),
                headers=None):
        resp = self.proxy.request(path, method, json=body, raise_exc=False,
                                  headers=headers)
        if resp.status_code in ok:
            return resp.json() if resp.content else None
        raise PodRefused(self.region, method, path, resp.status_code,
                         _neutron_message(resp))

    def find(self, collection, resource_id):
        """One resource by listing (None if absent): a GET by id in a pod
        would pull a missing central network or subnet back in."""
        found = self.request('GET', '/%s?id=%s' % (collection, resource_id))
        return next(iter(found[collection]), None)

    def get(self, collection, resource_id, key=None):
        """One resource by id, None if absent (``key``: its name in the
        answer, when not the collection's singular: ``policy`` of
        ``qos/policies``). In a pod, a GET by id of a central network,
        subnet, QoS policy or trunk the pod lacks copies it there."""
        try:
            return self.request('GET', '/%s/%s' % (collection, resource_id)
                                )[key or collection[:-1]]
        except PodRefused as e:
            if e.status == 404:
                return None
            raise


def _neutron_message(resp):
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    err = body.get('NeutronError') if isinstance(body, dict) else None
    if isinstance(err, dict):
        return '%s: %s' % (err.get('type'), err.get('message'))
    return resp.text[:300]


def rest(pod_or_region):
    """A :class:`Rest` of a pod dict or a region name."""
    return Rest(pod_or_region if isinstance(pod_or_region, str)
                else pod_or_region['region_name'])
