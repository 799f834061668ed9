"""What every benchmark script shares: a token-less client of a sandbox
Neutron, and writing its JSON result."""

import json
import os

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import openstack.connection


def connect(url):
    """openstacksdk network proxy of a sandbox Neutron (noauth: admin)."""
    return openstack.connection.Connection(
        session=ks_session.Session(auth=noauth.NoAuth()),
        network_endpoint_override=url, network_api_version='2').network


def write_result(path, result):
    """Write ``result`` as JSON at ``path`` (making its folder)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print('wrote', path)
