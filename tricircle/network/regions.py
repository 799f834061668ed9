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
