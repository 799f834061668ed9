"""The compute tests' sandbox (``tricircle sandbox up --compute
--dataplane --pods 2``, tests/conftest.py's plane_sandbox) through
openstacksdk clients of its Novas and Neutrons.

Without Keystone a request's identity is its headers: Nova builds its
context from ``X-User-Id``/``X-Project-Id``/``X-Roles`` (its pipeline has
no authtoken) and needs some ``X-Auth-Token`` to pass on to Neutron, which
ignores it.
"""

import os
import time

import keystoneauth1.adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
import openstack.connection
import pytest

from tests import conftest as base

BOOT_TIMEOUT = 120


class ComputeCloud:
    """``central`` and ``pods[region]`` Neutrons (admin), ``nova(region,
    project)`` a tenant's Nova of a pod, ``admin_nova(region)``, ``admin``
    the Admin API (so tests/network's helpers take it as their cloud)."""

    def __init__(self, state):
        self.state = state
        self.regions = {p['region_name']: p for p in state['pods']}
        self.central = self._connect(network=state['central']['neutron'])
        self.pods = {r: self._connect(network=p['neutron'])
                     for r, p in self.regions.items()}
        self.admin = keystoneauth1.adapter.Adapter(
            ks_session.Session(auth=noauth.NoAuth()),
            endpoint_override=state['admin_api'])
        self.image_id = state['compute']['image_id']
        self.flavor_id = state['compute']['flavor_id']

    @staticmethod
    def _connect(headers=None, network=None, compute=None, volume=None):
        headers = dict(headers or {})
        # A token in the headers goes as the token: keystoneauth's NoAuth
        # would send "notused" instead.
        token = headers.pop('X-Auth-Token', None)
        auth = (token_endpoint.Token(None, token) if token
                else noauth.NoAuth())
        sess = ks_session.Session(auth=auth, additional_headers=headers)
        kwargs = {}
        if volume:
            kwargs.update(block_storage_endpoint_override=volume,
                          block_storage_api_version='3')
        if network:
            kwargs.update(network_endpoint_override=network,
                          network_api_version='2')
        if compute:
            kwargs.update(compute_endpoint_override=compute,
                          compute_api_version='2')
        return openstack.connection.Connection(session=sess, **kwargs)

    def nova(self, region, project_id, roles='member,reader'):
        """A member of ``project_id`` on the pod's own Nova."""
        return self._connect({'X-User-Id': 'user-' + project_id,
                              'X-Project-Id': project_id,
                              'X-Roles': roles},
                             compute=self.regions[region]['compute'])

    def gateway(self, project_id, roles='member,reader'):
        """A member of ``project_id`` on the API gateways (CentralRegion's
        compute and volumev3, Cinder's without the project in its URLs)
        and central Neutron; the Cinder gateway's noauth reads the token
        as ``user:project``."""
        user = 'user-' + project_id
        return self._connect(
            {'X-User-Id': user, 'X-Project-Id': project_id,
             'X-Roles': roles, 'X-Auth-Token': '%s:%s' % (user, project_id)},
            network=self.state['central']['neutron'],
            compute=self.state['central']['compute'],
            volume=self.state['central']['volume'])

    def admin_nova(self, region):
        return self.nova(region, 'admin', 'admin,member,reader')

    def tenant_central(self, project_id):
        """A member of ``project_id`` on central Neutron."""
        return self._connect({'X-Project-Id': project_id,
                              'X-User-Id': 'user-' + project_id,
                              'X-Roles': 'member,reader'},
                             network=self.state['central']['neutron'])


@pytest.fixture(scope='package')
def compute(plane_sandbox):
    """The compute sandbox (tests/conftest.py's plane_sandbox, which
    tests/dataplane shares) through real clients."""
    return ComputeCloud(plane_sandbox)


def wait_active(nova, server, timeout=BOOT_TIMEOUT):
    """The server once ACTIVE; fails with its fault if it went ERROR."""
    deadline = time.monotonic() + timeout
    while True:
        server = nova.compute.get_server(server.id)
        if server.status == 'ACTIVE':
            return server
        if server.status == 'ERROR' or time.monotonic() > deadline:
            pytest.fail('server %s is %s: %s' % (server.id, server.status,
                                                 server.fault))
        time.sleep(0.2)


def wait_gone(nova, server, timeout=BOOT_TIMEOUT):
    nova.compute.delete_server(server)
    nova.compute.wait_for_delete(server, interval=0.2, wait=timeout)


def sandbox_log(state, name):
    return os.path.join(state['dir'], 'logs', name + '.log')


# Shared with tests/keystone (compute in a Keystone sandbox).
eventually = base.eventually
