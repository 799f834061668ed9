"""openstacksdk connections to a sandbox's central and pod Neutrons."""

from keystoneauth1 import adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import openstack.connection
import pytest


class Cloud:
    """The sandbox seen through real clients: ``central``, ``pods[region]``
    (openstacksdk Connections) and ``admin`` (the Admin API)."""

    def __init__(self, state):
        self.state = state
        self.central = self._connect(state['central']['neutron'])
        self.pods = {p['region_name']: self._connect(p['neutron'])
                     for p in state['pods']}
        self.pod_ids = {p['region_name']: p['pod_id'] for p in state['pods']}
        sess = ks_session.Session(auth=noauth.NoAuth())
        self.admin = adapter.Adapter(sess,
                                     endpoint_override=state['admin_api'])

    @staticmethod
    def _connect(url, headers=None):
        sess = ks_session.Session(auth=noauth.NoAuth(),
                                  additional_headers=headers)
        return openstack.connection.Connection(
            session=sess, network_endpoint_override=url,
            network_api_version='2')

    def tenant(self, project_id, region=None):
        """A non-admin member of ``project_id`` on central (or a pod):
        Neutron's noauth pipeline takes the identity from these headers."""
        url = (self.state['central']['neutron'] if region is None else
               next(p['neutron'] for p in self.state['pods']
                    if p['region_name'] == region))
        return self._connect(url, {'X-Project-Id': project_id,
                                   'X-User-Id': 'user-' + project_id,
                                   'X-Roles': 'member,reader'})

    def routings(self, **filters):
        query = '&'.join('%s=%s' % kv for kv in sorted(filters.items()))
        return self.admin.get('/v1.0/routings?' + query).json()['routings']

    def gateway_port(self, subnet_id):
        ports = list(self.central.network.ports(
            device_owner='network:tricircle_gateway',
            fixed_ips='subnet_id=%s' % subnet_id))
        assert len(ports) == 1, ports
        return ports[0]


@pytest.fixture(scope='session')
def cloud(sandbox):
    return Cloud(sandbox)
