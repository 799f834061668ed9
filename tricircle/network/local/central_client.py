"""What the local plugin asks of central Neutron and of the Admin API.

Plain JSON over a keystoneauth session: the local plugin needs exact
control of the bodies (ids, IPs, MACs) and the least overhead per port.
"""

import threading
from urllib import parse

from keystoneauth1 import adapter
from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import client
from tricircle.common import constants
from tricircle.network import exceptions as t_exc

LOG = logging.getLogger(__name__)

GATEWAY_OWNER = constants.DEVICE_OWNER_GATEWAY


class _Api:
    """One JSON endpoint; turns transport and HTTP errors into Neutron's."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self._adapter = adapter.Adapter(
            client.get_session(), endpoint_override=endpoint)

    def request(self, method, path, body=None, ok=(200, 201, 204)):
        return self.response(method, path, body, ok)[0]

    def response(self, method, path, body=None, ok=(200, 201, 204),
                 headers=None):
        """(JSON body or None, response headers)."""
        # keystoneauth retries a read timeout like a refused connection:
        # a POST that central is still working on would be made twice.
        retries = 0 if method == 'POST' else 2
        try:
            resp = self._adapter.request(path, method, json=body,
                                         headers=headers, raise_exc=False,
                                         connect_retries=retries,
                                         timeout=cfg.CONF.client.timeout)
        except (ks_exc.ConnectionError, ks_exc.ConnectFailure,
                ks_exc.RequestTimeout) as e:
            raise t_exc.CentralUnavailable(url=self.endpoint, reason=e)
        if resp.status_code in ok:
            return (resp.json() if resp.content else None), resp.headers
        raise t_exc.from_response(resp.status_code, _message(resp))


def _message(resp):
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        err = body.get('NeutronError') or next(iter(body.values()), None)
        if isinstance(err, dict) and err.get('message'):
            return err['message']
    return resp.text[:200]


class CentralClient:
    """Central Neutron's networks, subnets and ports, seen from a pod."""

    def __init__(self, region_name, pod_name=None):
        self.api = _Api(client.network_endpoint(region_name).rstrip('/') +
                        '/v2.0')
        # Named on port creates and deletes, so that central records the
        # port's routing itself (tricircle.network.central.origin).
        self._from_pod = {constants.POD_HEADER: pod_name} if pod_name else None

    def get_network(self, net_id):
        return self.api.request('GET', '/networks/%s' % net_id)['network']

    def find_networks(self, names):
        """Central networks named any of ``names``, of every project."""
        return self.api.request('GET', '/networks?%s' % parse.urlencode(
            {'name': list(names)}, doseq=True))['networks']

    def get_subnet(self, subnet_id):
        return self.api.request('GET', '/subnets/%s' % subnet_id)['subnet']

    def list_subnets(self, net_id):
        return self.api.request(
            'GET', '/subnets?network_id=%s' % net_id)['subnets']

    def get_port(self, port_id):
        return self.api.request('GET', '/ports/%s' % port_id)['port']

    def find_ports(self, network_id, device_owner, ip_address):
        """Central ports on ``network_id`` with that owner holding that IP."""
        query = ('/ports?network_id=%s&device_owner=%s'
                 '&fixed_ips=ip_address%%3D%s'
                 % (network_id, device_owner, ip_address))
        return self.api.request('GET', query)['ports']

    def create_port(self, body):
        """A central port that lives in no pod (a reservation)."""
        return self.api.request('POST', '/ports', {'port': body})['port']

    def create_port_routed(self, body):
        """The central twin of a port of this pod: (central's port, whether
        central recorded that it lives here)."""
        answer, headers = self.api.response('POST', '/ports', {'port': body},
                                            headers=self._from_pod)
        return answer['port'], self._routed(headers)

    def _routed(self, headers):
        return bool(self._from_pod) and headers.get(
            constants.ROUTED_HEADER) == self._from_pod[constants.POD_HEADER]

    def update(self, kind, resource_id, body):
        """Update a central network, subnet or port; central's answer."""
        return self.api.request('PUT', '/%ss/%s' % (kind, resource_id),
                                {kind: body})[kind]

    def update_port(self, port_id, body):
        return self.api.request('PUT', '/ports/%s' % port_id,
                                {'port': body})['port']

    def delete_port(self, port_id):
        """Delete a top port; one already gone is fine. True when central
        also dropped the port's routing to this pod."""
        try:
            _answer, headers = self.api.response(
                'DELETE', '/ports/%s' % port_id, headers=self._from_pod)
        except t_exc.CentralNotFound:
            LOG.debug('Top port %s was already gone', port_id)
            return False
        return self._routed(headers)

    def gateway_port(self, subnet):
        """The central port holding ``subnet``'s gateway IP (the router
        interface, or a reservation made here on first use); concurrent
        pods converge on one port."""
        query = ('/ports?fixed_ips=subnet_id%%3D%s&fixed_ips=ip_address%%3D%s'
                 % (subnet['id'], subnet['gateway_ip']))
        for _attempt in range(3):
            found = self.api.request('GET', query)['ports']
            if found:
                return found[0]
            try:
                return self.create_port({
                    'network_id': subnet['network_id'],
                    'project_id': subnet['project_id'],
                    'name': 'gateway-%s' % subnet['id'],
                    'device_owner': GATEWAY_OWNER,
                    'admin_state_up': False,
                    'fixed_ips': [{'subnet_id': subnet['id'],
                                   'ip_address': subnet['gateway_ip']}]})
            except t_exc.CentralConflict:
                LOG.debug('Gateway IP of %s taken concurrently; reading '
                          'it again', subnet['id'])
        raise t_exc.CentralError(status=409, msg='gateway IP of subnet %s '
                                 'cannot be reserved' % subnet['id'])

    # -- security groups (pulled by tricircle.network.local.sg) ----------

    def get_security_group(self, sg_id):
        return self.api.request(
            'GET', '/security-groups/%s' % sg_id)['security_group']

    def get_security_group_rule(self, rule_id):
        return self.api.request(
            'GET', '/security-group-rules/%s' % rule_id)['security_group_rule']

    def default_security_group(self, project_id):
        """Central's default security group of a project (central makes it
        if the project has none yet: an admin list for a project does)."""
        found = self.api.request(
            'GET', '/security-groups?project_id=%s&name=default'
            % project_id)['security_groups']
        if not found:
            raise t_exc.CentralNotFound(
                msg='no default security group for project %s' % project_id)
        return found[0]

    def security_group_shared_with(self, sg_id, project_id):
        """Whether central has an RBAC entry sharing group ``sg_id`` with
        ``project_id`` or with every project."""
        entries = self.api.request(
            'GET', '/rbac-policies?object_type=security_group&'
            'action=access_as_shared&object_id=%s' % sg_id)['rbac_policies']
        return any(e['target_tenant'] in (project_id, '*') for e in entries)

    def security_groups_referring(self, sg_ids):
        """Ids of the security groups with a rule whose remote group is one
        of ``sg_ids``: their copies in other pods list members' IPs."""
        if not sg_ids:
            return []
        query = '&'.join('remote_group_id=%s' % i for i in sorted(sg_ids))
        rules = self.api.request(
            'GET', '/security-group-rules?fields=security_group_id&' +
            query)['security_group_rules']
        return sorted({r['security_group_id'] for r in rules})

    def has(self, collection, resource_id):
        """Whether central has this resource (``qos/policies``, ``trunks``,
        ``ports``...): a pod's copy of it is central's to change."""
        try:
            self.api.request('GET', '/%s/%s' % (collection, resource_id))
        except t_exc.CentralNotFound:
            return False
        return True

    def get_qos_policy(self, policy_id):
        """A QoS policy with its rules (tricircle.network.local.qos)."""
        return self.api.request('GET', '/qos/policies/%s' % policy_id)[
            'policy']

    def get_resource(self, collection, resource_id, key):
        """One resource of central's, e.g. an SFC piece
        (tricircle.network.local.sfc)."""
        return self.api.request('GET', '/%s/%s' % (collection, resource_id))[
            key]

    def get_trunk(self, trunk_id):
        """A trunk with its subports (tricircle.network.local.trunk)."""
        return self.api.request('GET', '/trunks/%s' % trunk_id)['trunk']

    def router_ids_on_network(self, net_id):
        ports = self.api.request(
            'GET', '/ports?network_id=%s&device_owner=%s' % (
                net_id, constants.DEVICE_OWNER_ROUTER_INTF))['ports']
        return sorted({p['device_id'] for p in ports})


class AdminClient:
    """Routings of this pod, recorded through the Admin API."""

    def __init__(self, region_name):
        self.api = _Api(client.admin_api_endpoint().rstrip('/') + '/v1.0')
        self.region_name = region_name
        self._pod = None
        self._lock = threading.Lock()

    @property
    def pod(self):
        """This pod as the Admin API registered it (cached)."""
        with self._lock:
            if self._pod is None:
                pods = self.api.request(
                    'GET', '/pods?region_name=%s' % self.region_name)['pods']
                if not pods:
                    raise t_exc.CentralError(
                        status=404, msg='pod %s is not registered in the '
                        'Admin API' % self.region_name)
                self._pod = pods[0]
            return self._pod

    @property
    def pod_id(self):
        return self.pod['pod_id']

    def add_routing(self, top_id, bottom_id, project_id, resource_type):
        """Record that ``top_id`` lives here; a repeat is not an error."""
        try:
            self.api.request('POST', '/routings', {'routing': {
                'top_id': top_id, 'bottom_id': bottom_id,
                'pod_id': self.pod_id, 'project_id': project_id,
                'resource_type': resource_type}})
        except t_exc.CentralConflict:
            pass

    def remove_routing(self, top_id, resource_type):
        found = self.api.request(
            'GET', '/routings?top_id=%s&pod_id=%s&resource_type=%s'
            % (top_id, self.pod_id, resource_type))['routings']
        for routing in found:
            try:
                self.api.request('DELETE', '/routings/%d' % routing['id'])
            except t_exc.CentralNotFound:
                pass

    def routings(self, top_id, resource_type):
        """Where ``top_id`` lives, in every pod."""
        return self.api.request(
            'GET', '/routings?top_id=%s&resource_type=%s'
            % (top_id, resource_type))['routings']

    def add_job(self, job_type, resource_id, project_id):
        """Queue an XJob job (coalesced by the Admin API with any pending
        one for the same resource)."""
        return self.api.request('POST', '/jobs', {'job': {
            'type': job_type, 'resource_id': resource_id,
            'project_id': project_id}})['job']
