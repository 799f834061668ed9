"""The compute services of a ``--keystone`` sandbox: their service users,
their endpoints in every region's catalog, and the auth sections their
configs get.

Each pod's region lists its own Nova (``compute``), Placement and Cinder
(``volumev3``); CentralRegion lists the API gateways under the same two
types, and the one Glance, where the seeds put it; Glance is listed under
the same URL in every pod's region too, so that
``openstack --os-region-name Pod1 server create --image tiny`` finds the
image where it looks for it. Each service validates tokens and calls the
others as a user of its own (``nova``, ``placement``, ``cinder``,
``glance``) in the ``service`` project, as a real deployment does; Nova
and Cinder send service tokens with the calls they make for a user (Cinder
takes an attachment's delete only from a service).
"""

from tricircle.common import constants
from tricircle.sandbox import keystone

USERS = ('nova', 'placement', 'cinder', 'glance')
# (service type, name, description); each region's URLs: _endpoints().
SERVICES = (('compute', 'nova', 'Nova of each pod'),
            ('placement', 'placement', 'Placement of each pod'),
            ('volumev3', 'cinderv3', 'Cinder of each pod'),
            ('image', 'glance', 'The one Glance, shared by every region'))


def _endpoints(layout, pod):
    cinder = pod['volume'].rsplit('/', 1)[0]
    return {'compute': pod['compute'], 'placement': pod['placement'],
            'volumev3': cinder + '/v3/$(project_id)s',
            'image': layout['compute']['glance']}


def register(layout):
    """Service users and catalog entries of the compute services; their
    credentials go to ``layout['compute']['users']`` (not to clouds.yaml:
    nobody logs in as them but the services)."""
    auth = layout['auth']
    known = keystone.passwords(layout['dir'], USERS)
    ident = keystone.Identity(keystone.session(auth))
    project = ident.service_project()
    users = {}
    for name in USERS:
        ident.ensure_service_user(name, known[name], project['id'])
        users[name] = {'username': name, 'password': known[name],
                       'project_name': keystone.SERVICE_PROJECT}
    services = {kind: ident.ensure('services', 'service', {
        'type': kind, 'name': name, 'description': description}, type=kind)
        for kind, name, description in SERVICES}
    # CentralRegion: the one Glance and the API gateways.
    central = layout['central']
    central_endpoints = {
        'image': layout['compute']['glance'],
        'compute': central['compute'],
        'volumev3': central['volume'] + '/$(project_id)s'}
    regions = [(constants.CENTRAL_REGION, central_endpoints)]
    for region, endpoints in regions + [
            (pod['region_name'], _endpoints(layout, pod))
            for pod in layout['pods']]:
        for kind, url in endpoints.items():
            for interface in keystone.INTERFACES:
                ident.set_endpoint(services[kind]['id'], region, interface,
                                   url)
    layout['compute']['users'] = users
    return users


class ServiceAuth:
    """The auth sections of the compute services' configs in Keystone
    mode, each as one of the services' users."""

    def __init__(self, layout):
        self.auth = layout['auth']
        self.users = layout['compute']['users']

    def authtoken(self, user):
        """``[keystone_authtoken]``: validate the tokens sent to ``user``'s
        service."""
        return keystone.authtoken_options(self.auth, self.users[user])

    def client(self, user, region=None, region_option='region_name'):
        """keystoneauth options for calling another service as ``user``,
        finding it in ``region``'s catalog (Nova's ``[cinder]`` names the
        region ``os_region_name``)."""
        creds = self.users[user]
        options = {'auth_type': 'password', 'auth_url': self.auth['auth_url'],
                   'username': creds['username'],
                   'password': creds['password'],
                   'project_name': creds['project_name'],
                   'user_domain_name': keystone.DOMAIN,
                   'project_domain_name': keystone.DOMAIN,
                   'valid_interfaces': 'public'}
        if region:
            options[region_option] = region
        return options

    def service_user(self, user):
        """``[service_user]``: a service token beside the user's."""
        return dict(self.client(user), send_service_user_token='True')
