"""Routes of the Nova gateway (``tricircle-nova-apigw``, catalog type
``compute`` in CentralRegion).

Servers: created in the pod ``placing`` picks, then reached through their
routing. Lists and availability zones: merged over the pods. Flavors and
keypairs: written in every pod. Aggregates: one ``ag_<pod>`` per pod, in
the pod's availability zone, made on first listing. Anything else goes to
a pod the tenant uses.
"""

import uuid

from oslo_log import log as logging
from oslo_serialization import jsonutils

from tricircle.common import client
from tricircle.gateway import app
from tricircle.gateway import errors
from tricircle.gateway import fanout
from tricircle.gateway import listing
from tricircle.gateway import placing
from tricircle.gateway import pods as gw_pods
from tricircle.gateway import proxy

LOG = logging.getLogger(__name__)
COMPUTE = gw_pods.COMPUTE
V = r'/v2\.1'
ID = r'(?P<id>[^/]+)'


def _mine(call):
    return gw_pods.tenant_pods(call.ctx, call.req, gw_pods.SERVER)


# Anything without a rule of its own.
fallback = app.to_tenant_pod(COMPUTE, gw_pods.SERVER)
# Reads of what every pod holds the same (versions, flavors, keypairs).
read_any = app.to_any_pod(COMPUTE)


# -- servers ---------------------------------------------------------------

def _hints_allow(network, pod):
    hints = network.get('availability_zone_hints') or []
    return not hints or pod['region_name'] in hints or pod['az_name'] in hints


def _check_networks(server, zone, zone_pods):
    """400 before anything is made when a network is hinted to pods none
    of which the server can land in."""
    requested = server.get('networks')
    if not isinstance(requested, list):
        return
    central = client.get_central_connection().network
    for nic in requested:
        if not isinstance(nic, dict):
            continue
        net_id = nic.get('uuid')
        if not net_id and nic.get('port'):
            port = central.find_port(nic['port'], ignore_missing=True)
            net_id = port and port.network_id
        if not net_id:
            continue
        network = central.find_network(net_id, ignore_missing=True)
        if network is None:
            continue
        if not any(_hints_allow(network, p) for p in zone_pods):
            raise errors.BadRequest(
                'Network %s is hinted to %s; a server in availability zone '
                '%s cannot use it.' % (net_id, ', '.join(
                    network.availability_zone_hints), zone))


def _check_volumes(server, pod):
    for bdm in server.get('block_device_mapping_v2') or []:
        if isinstance(bdm, dict) and bdm.get('source_type') == 'volume':
            where = placing.routed_pod(gw_pods.VOLUME_RESOURCE,
                                       bdm.get('uuid'))
            if where is not None and where['pod_id'] != pod['pod_id']:
                raise errors.BadRequest(
                    'Volume %s is in pod %s (%s); the server goes to %s '
                    '(%s): a server boots only from a volume of its pod.'
                    % (bdm.get('uuid'), where['region_name'],
                       where['az_name'], pod['region_name'], pod['az_name']))


def ensure_flavor(call, pod, flavor_id):
    """The flavor in ``pod`` too, copied (same id, extra specs) from a pod
    that has it: pods registered after the flavor was made get it on
    their first server."""
    if not flavor_id:
        return
    flavor_id = str(flavor_id).rstrip('/').rsplit('/', 1)[-1]
    admin = proxy.service_headers(call.keystone)
    admin['X-OpenStack-Nova-API-Version'] = '2.61'
    path = '/v2.1/flavors/%s' % flavor_id
    if proxy.send(pod, COMPUTE, 'GET', path, admin).status != 404:
        return
    for other in gw_pods.all_pods():
        if other['pod_id'] == pod['pod_id']:
            continue
        try:
            resp = proxy.send(other, COMPUTE, 'GET', path, admin)
        except errors.ServiceUnavailable:
            continue
        if not resp.ok:
            continue
        flavor = resp.json()['flavor']
        new = {k: flavor[k] for k in ('name', 'ram', 'vcpus', 'disk', 'id')}
        new.update({'swap': flavor.get('swap') or 0,
                    'rxtx_factor': flavor.get('rxtx_factor', 1.0),
                    'OS-FLV-EXT-DATA:ephemeral':
                        flavor.get('OS-FLV-EXT-DATA:ephemeral', 0),
                    'os-flavor-access:is_public':
                        flavor.get('os-flavor-access:is_public', True)})
        LOG.info('Copying flavor %s from %s to %s', flavor_id,
                 other['region_name'], pod['region_name'])
        proxy.send(pod, COMPUTE, 'POST', '/v2.1/flavors',
                   dict(admin, **{'Content-Type': 'application/json'}),
                   jsonutils.dump_as_bytes({'flavor': new}))
        if flavor.get('extra_specs'):
            proxy.send(pod, COMPUTE, 'POST', path + '/os-extra_specs',
                       dict(admin, **{'Content-Type': 'application/json'}),
                       jsonutils.dump_as_bytes(
                           {'extra_specs': flavor['extra_specs']}))
        return


def create_server(call):
    body = app.json_body(call.req, 'server')
    server = body['server']
    zone = placing.zone_of(server.get('availability_zone')) or \
        placing.default_zone(call.ctx.project_id)
    _check_networks(server, zone, placing.zone_pods(zone))
    pod = placing.pod_for_new(call.ctx, zone, COMPUTE)
    _check_networks(server, zone, [pod])
    _check_volumes(server, pod)
    ensure_flavor(call, pod, server.get('flavorRef'))
    LOG.info('Server %s of project %s goes to %s (%s)', server.get('name'),
             call.ctx.project_id, pod['region_name'], zone)
    resp = proxy.forward(call.req, pod, COMPUTE, call.keystone)
    if resp.status_int == 202:
        created = jsonutils.loads(resp.body).get('server') or {}
        if created.get('id'):
            placing.remember(call.ctx, gw_pods.SERVER, created['id'], pod)
    return resp


def list_servers(call):
    detail = call.req.path_info.rstrip('/').endswith('/detail')
    return listing.merged_list(call.req, _mine(call), COMPUTE,
                               '/v2.1/servers/detail', 'servers', detail,
                               call.keystone)


def _server_pod(call):
    server_id = call.params['id']
    return placing.locate(call.req, call.ctx, gw_pods.SERVER, server_id,
                          COMPUTE, '/v2.1/servers/%s' % server_id,
                          call.keystone)


def server_call(call):
    """Anything about one server, in the pod holding it."""
    pod = _server_pod(call)
    rest = call.params.get('rest') or ''
    if rest.startswith('/os-volume_attachments') and \
            call.req.method == 'POST':
        attachment = app.json_body(
            call.req, 'volumeAttachment')['volumeAttachment']
        where = placing.routed_pod(gw_pods.VOLUME_RESOURCE,
                                   attachment.get('volumeId'))
        if where is not None and where['pod_id'] != pod['pod_id']:
            raise errors.BadRequest(
                'Volume %s is in pod %s (%s) and server %s in pod %s (%s): '
                'a volume attaches only to a server of its pod.' % (
                    attachment.get('volumeId'), where['region_name'],
                    where['az_name'], call.params['id'], pod['region_name'],
                    pod['az_name']))
    resp = proxy.forward(call.req, pod, COMPUTE, call.keystone)
    if resp.status_int == 404 and not rest and call.req.method == 'GET':
        # Gone from its pod (deleted): the routing goes too.
        placing.forget(gw_pods.SERVER, call.params['id'])
    return resp


# -- flavors and keypairs --------------------------------------------------

def create_flavor(call):
    body = app.json_body(call.req, 'flavor')
    if not body['flavor'].get('id'):
        # The pods must agree on the id: the gateway picks it.
        body['flavor']['id'] = str(uuid.uuid4())
    flavor_id = body['flavor']['id']

    def undo(pod, headers):
        proxy.send(pod, COMPUTE, 'DELETE', '/v2.1/flavors/%s' % flavor_id,
                   headers)
    return fanout.fan_out(call, gw_pods.all_pods(), COMPUTE,
                          body=jsonutils.dump_as_bytes(body), undo=undo)


def every_pod(call):
    """A write kept the same in every pod (flavor delete, extra specs,
    flavor access, keypair delete)."""
    return fanout.fan_out(call, gw_pods.all_pods(), COMPUTE)


def create_keypair(call):
    keypair = app.json_body(call.req, 'keypair')['keypair']
    name = keypair.get('name')

    def undo(pod, headers):
        proxy.send(pod, COMPUTE, 'DELETE', '/v2.1/os-keypairs/%s' % name,
                   headers)
    pods = gw_pods.all_pods()
    if keypair.get('public_key'):
        return fanout.fan_out(call, pods, COMPUTE, undo=undo)
    # Nova makes the key pair in one pod; the others import its public
    # half, so the private key handed back works in every pod.
    headers = proxy.forwarded_headers(call.req, call.keystone)
    for i, pod in enumerate(pods):
        try:
            made = proxy.send(pod, COMPUTE, 'POST', call.req.path_qs,
                              headers, call.req.body)
        except errors.ServiceUnavailable:
            continue
        if not made.ok or i == len(pods) - 1:
            return proxy.to_response(call.req, made)
        imported = dict(keypair, public_key=made.json()['keypair'][
            'public_key'])
        try:
            resp = fanout.fan_out(call, pods[i + 1:], COMPUTE, undo=undo,
                                  body=jsonutils.dump_as_bytes(
                                      {'keypair': imported}))
        except errors.ServiceUnavailable:
            # No other pod answers: they import it on a later create.
            return proxy.to_response(call.req, made)
        if resp.status_int >= 300:
            undo(pod, headers)
            return resp
        return proxy.to_response(call.req, made)
    raise errors.ServiceUnavailable('No pod answers.')


# -- availability zones, aggregates, limits --------------------------------

def _each_pod(call, path_qs, pods=None, headers=None):
    """(pod, PodResponse) of every pod that answers, and the regions that
    did not."""
    headers = headers or proxy.forwarded_headers(call.req, call.keystone)
    answers, down = [], []
    for pod in gw_pods.all_pods() if pods is None else pods:
        try:
            answers.append((pod, proxy.send(pod, COMPUTE, 'GET', path_qs,
                                            headers)))
        except errors.ServiceUnavailable:
            down.append(pod['region_name'])
    return answers, down


def availability_zones(call):
    answers, down = _each_pod(call, call.req.path_qs)
    zones = {}
    for pod, resp in answers:
        if not resp.ok:
            return proxy.to_response(call.req, resp)
        for zone in resp.json().get('availabilityZoneInfo', []):
            merged = zones.setdefault(zone['zoneName'], dict(
                zone, zoneState={'available': False}))
            merged['zoneState']['available'] |= bool(
                zone.get('zoneState', {}).get('available'))
            if zone.get('hosts'):
                merged['hosts'] = dict(merged.get('hosts') or {},
                                       **zone['hosts'])
    return listing.json_response(200, {'availabilityZoneInfo': [
        zones[name] for name in sorted(zones)]}, down)


def aggregate_name(pod):
    return 'ag_%s' % pod['region_name']


def _ensure_aggregate(call, pod, aggregates, headers):
    """``ag_<pod>`` in the pod, in its AZ, holding its compute hosts."""
    name = aggregate_name(pod)
    if any(a['name'] == name for a in aggregates):
        return None
    json_headers = dict(headers, **{'Content-Type': 'application/json'})
    resp = proxy.send(pod, COMPUTE, 'POST', '/v2.1/os-aggregates',
                      json_headers, jsonutils.dump_as_bytes({'aggregate': {
                          'name': name, 'availability_zone': pod['az_name']}}))
    if not resp.ok:
        LOG.warning('Creating aggregate %s in %s: %d %s', name,
                    pod['region_name'], resp.status, resp.body[:200])
        return None
    aggregate = resp.json()['aggregate']
    services = proxy.send(pod, COMPUTE, 'GET',
                          '/v2.1/os-services?binary=nova-compute', headers)
    for service in services.json().get('services', []) if services.ok else []:
        added = proxy.send(
            pod, COMPUTE, 'POST',
            '/v2.1/os-aggregates/%s/action' % aggregate['id'], json_headers,
            jsonutils.dump_as_bytes({'add_host': {'host': service['host']}}))
        if added.ok:
            aggregate = added.json()['aggregate']
    LOG.info('Made aggregate %s (availability zone %s) in %s', name,
             pod['az_name'], pod['region_name'])
    return aggregate


def list_aggregates(call):
    headers = proxy.forwarded_headers(call.req, call.keystone)
    answers, down = _each_pod(call, call.req.path_qs, headers=headers)
    result = []
    for pod, resp in answers:
        if not resp.ok:
            return proxy.to_response(call.req, resp)
        aggregates = resp.json()['aggregates']
        made = _ensure_aggregate(call, pod, aggregates, headers)
        result.extend(aggregates + ([made] if made else []))
    return listing.json_response(200, {'aggregates': result}, down)


def limits(call):
    pods = gw_pods.used_by(call.ctx.project_id, gw_pods.SERVER)
    if not pods:
        return read_any(call)
    return listing.summed_limits(call.req, pods, COMPUTE, call.keystone)


ROUTES = [
    app.route('GET', r'/', read_any),
    app.route('GET', V, read_any),
    app.route('POST', V + r'/servers', create_server),
    app.route('GET', V + r'/servers(/detail)?', list_servers),
    app.route('*', V + r'/servers/' + ID + r'(?P<rest>/.*)?', server_call),
    app.route('POST', V + r'/flavors', create_flavor),
    app.route('GET', V + r'/flavors(/.*)?', read_any),
    app.route('*', V + r'/flavors/.+', every_pod),
    app.route('POST', V + r'/os-keypairs', create_keypair),
    app.route('DELETE', V + r'/os-keypairs/[^/]+', every_pod),
    app.route('GET', V + r'/os-keypairs(/.*)?', read_any),
    app.route('GET', V + r'/os-availability-zone(/detail)?',
              availability_zones),
    app.route('GET', V + r'/os-aggregates', list_aggregates),
    app.route('GET', V + r'/limits', limits),
]
