"""openstacksdk network proxies of central and of the pods, for XJob."""

from oslo_config import cfg

from tricircle.common import client


def central():
    return client.get_connection(cfg.CONF.client.central_region_name).network


def pod(pod):
    """``pod`` is a pod dict of the Tricircle DB."""
    return client.get_connection(pod['region_name']).network
