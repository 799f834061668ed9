"""Bad input, generated: every malformed request gets a 4xx and changes
nothing.

Why a fuzz and not more hand-written cases: the Admin API and central's
Tricircle-specific checks (AZ hints as pods, external network placement,
router interface bodies, the admin-only floating IP status
write) each validate a handful of fields, and a 500 or a half-written row
hides in the combinations (a list where a string is expected, a nested
body, a query parameter given twice...). The cases are built from small
tables of garbage values crossed with every field and endpoint, run against
the session sandbox (real tricircle-api, central Neutron, XJob), and after
each one the full listings the request could touch are compared with the
ones taken before the first case.
"""

import json
import time

from keystoneauth1 import adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import pytest

from tests.network import conftest as network_conftest
from tests.network import helpers

HUGE = 'x' * (1024 * 1024)          # 1 MB string
DEEP = '[' * 100000 + ']' * 100000  # nesting no JSON parser should recurse
NESTED = {'a': [{'b': {'c': [None, 1.5, {'d': ['e'] * 50}]}}] * 20}
BAD_UUID = 'not-a-uuid-%s' % ('z' * 8)
ZERO_UUID = '00000000-0000-0000-0000-000000000000'

# Values of the wrong type or shape for a string attribute.
STRING_GARBAGE = [
    ('int', 1), ('float', 1.5), ('true', True), ('list', ['x']),
    ('dict', {'a': 1}), ('nested', NESTED), ('empty', ''), ('blank', '   '),
    ('ctrl', 'a\x00b'), ('newline', 'a\nb'), ('huge', HUGE),
]
# Bodies that are not a JSON object wrapping an object.
BODY_GARBAGE = [
    ('not-json', 'this is not json'), ('binary', b'\xff\xfe\x00\x81'),
    ('empty-body', ''), ('json-list', '[]'), ('json-null', 'null'),
    ('json-string', '"pod"'), ('truncated', '{"%(key)s": {"a": '),
    ('deep-nesting', DEEP), ('huge-body', '{"%(key)s": "' + HUGE + '"}'),
    ('wrapper-string', '{"%(key)s": "x"}'),
    ('wrapper-list', '{"%(key)s": [1, 2]}'),
    ('wrapper-null', '{"%(key)s": null}'),
    ('wrong-key', '{"bogus": {}}'),
]
WRONG_CONTENT_TYPES = ['text/plain', 'application/xml',
                       'application/x-www-form-urlencoded']


class Case:
    """One malformed request. ``path`` and string bodies may hold
    ``{placeholders}`` filled from the world fixture at run time."""

    def __init__(self, cid, target, method, path, body=None,
                 content_type='application/json', status=None,
                 headers=None):
        self.cid, self.target, self.method, self.path = (cid, target,
                                                         method, path)
        self.body, self.content_type = body, content_type
        self.status, self.headers = status, headers or {}

    def __repr__(self):
        return self.cid


def _admin_cases():
    cases = []
    samples = {
        'pod': ('/v1.0/pods', {'region_name': 'FuzzPod', 'az_name': 'fz'}),
        'routing': ('/v1.0/routings', {
            'top_id': 'fuzz-top', 'bottom_id': 'fuzz-bottom',
            'pod_id': '{pod_id}', 'project_id': 'fuzz',
            'resource_type': 'network'}),
        'job': ('/v1.0/jobs', {'type': 'noop', 'resource_id': 'fuzz-job'}),
    }
    # Body shape garbage on every write.
    writes = [(key, 'POST', path) for key, (path, _) in samples.items()]
    writes.append(('routing', 'PUT', '/v1.0/routings/{routing_id}'))
    for key, method, path in writes:
        for name, raw in BODY_GARBAGE:
            if isinstance(raw, str) and '%(key)s' in raw:
                raw = raw % {'key': key}
            cases.append(Case('%s-%s-%s' % (method, key, name), 'admin',
                              method, path, raw))
        # A valid body under a wrong content type must not be applied.
        body = dict(samples[key][1])
        for ctype in WRONG_CONTENT_TYPES:
            cases.append(Case('%s-%s-ctype-%s' % (method, key, ctype),
                              'admin', method, path, {key: body},
                              content_type=ctype))
        cases.append(Case('%s-%s-unknown-field' % (method, key), 'admin',
                          method, path, {key: dict(body, bogus=1)}))
        cases.append(Case('%s-%s-extra-top-key' % (method, key), 'admin',
                          method, path, {key: body, 'other': {'a': 1}}))
    # Every string attribute crossed with every wrong value.
    fields = {
        'pod': ['region_name', 'pod_name', 'az_name', 'dc_name',
                'pod_az_name'],
        'routing': ['top_id', 'bottom_id', 'pod_id', 'project_id',
                    'resource_type'],
        'job': ['type', 'resource_id', 'project_id'],
    }
    allowed_empty = {'az_name', 'dc_name', 'pod_az_name'}
    for key, names in fields.items():
        path, sample = samples[key]
        for field in names:
            for gname, value in STRING_GARBAGE:
                if field in allowed_empty and gname in ('empty', 'blank'):
                    continue
                if field == 'pod_name':
                    body = {'pod_name': value, 'az_name': 'fz'}
                else:
                    body = dict(sample, **{field: value})
                cases.append(Case('POST-%s-%s-%s' % (key, field, gname),
                                  'admin', 'POST', path, {key: body}))
    for field in fields['routing']:
        for gname, value in [('int', 7), ('list', ['x']), ('null', None),
                             ('huge', HUGE)]:
            if field in ('bottom_id', 'project_id') and gname == 'null':
                continue        # clearing these is a valid update
            cases.append(Case('PUT-routing-%s-%s' % (field, gname), 'admin',
                              'PUT', '/v1.0/routings/{routing_id}',
                              {'routing': {field: value}}))
    # Semantic garbage: values of the right type that name nothing.
    semantic = [
        ('POST-pod-names-differ', '/v1.0/pods', {'pod': {
            'region_name': 'A1', 'pod_name': 'B1', 'az_name': 'fz'}}),
        ('POST-pod-duplicate-region', '/v1.0/pods',
         {'pod': {'region_name': 'Pod1', 'az_name': 'az9'}}),
        ('POST-pod-second-central', '/v1.0/pods',
         {'pod': {'region_name': 'Central2'}}),
        ('POST-routing-unknown-pod', '/v1.0/routings', {'routing': dict(
            samples['routing'][1], pod_id=ZERO_UUID)}),
        ('POST-routing-bad-type', '/v1.0/routings', {'routing': dict(
            samples['routing'][1], resource_type='volume')}),
        ('POST-routing-long-bottom', '/v1.0/routings', {'routing': dict(
            samples['routing'][1], bottom_id='b' * 37)}),
        ('POST-job-unknown-type', '/v1.0/jobs',
         {'job': {'type': 'rm_rf', 'resource_id': 'x'}}),
        ('POST-job-router-bad-uuid', '/v1.0/jobs',
         {'job': {'type': 'router_setup', 'resource_id': BAD_UUID}}),
        ('POST-job-extra-string', '/v1.0/jobs',
         {'job': {'type': 'noop', 'resource_id': 'x', 'extra': 'str'}}),
        ('POST-job-extra-list', '/v1.0/jobs',
         {'job': {'type': 'noop', 'resource_id': 'x', 'extra': [1]}}),
        ('POST-job-extra-int', '/v1.0/jobs',
         {'job': {'type': 'noop', 'resource_id': 'x', 'extra': 5}}),
        ('POST-job-extra-huge', '/v1.0/jobs',
         {'job': {'type': 'noop', 'resource_id': 'x',
                  'extra': {'blob': 'y' * 20000}}}),
        ('PUT-routing-empty', '/v1.0/routings/{routing_id}',
         {'routing': {}}),
        ('PUT-routing-unknown-pod', '/v1.0/routings/{routing_id}',
         {'routing': {'pod_id': ZERO_UUID}}),
        ('PUT-routing-bad-type', '/v1.0/routings/{routing_id}',
         {'routing': {'resource_type': 'volume'}}),
    ]
    for cid, path, body in semantic:
        method = cid.split('-', 1)[0]
        cases.append(Case(cid, 'admin', method, path, body))
    # Ids that name nothing, on every item method.
    bad_ids = [('bad-uuid', BAD_UUID), ('zero-uuid', ZERO_UUID),
               ('negative', '-1'), ('zero', '0'), ('huge-int', '9' * 40),
               ('float', '1.5'), ('long', 'i' * 2000),
               ('quoted', '%27%3B--'), ('nul', '%00')]
    for coll in ('pods', 'routings', 'jobs'):
        for name, bad in bad_ids:
            cases.append(Case('GET-%s-id-%s' % (coll, name), 'admin', 'GET',
                              '/v1.0/%s/%s' % (coll, bad)))
            cases.append(Case('DELETE-%s-id-%s' % (coll, name), 'admin',
                              'DELETE', '/v1.0/%s/%s' % (coll, bad)))
        for name, bad in bad_ids[:3]:
            if coll == 'routings':
                body = {'routing': {'top_id': 'x'}}
            else:
                body = {}
            cases.append(Case('PUT-%s-id-%s' % (coll, name), 'admin', 'PUT',
                              '/v1.0/%s/%s' % (coll, bad), body))
    # Lists: limits, markers, filters.
    queries = [
        ('limit-negative', 'limit=-1'), ('limit-zero', 'limit=0'),
        ('limit-text', 'limit=abc'), ('limit-float', 'limit=1.5'),
        ('limit-huge', 'limit=' + '9' * 30),
        ('limit-digits', 'limit=' + '9' * 5000),
        ('limit-twice', 'limit=1&limit=2'), ('limit-empty', 'limit='),
        ('marker-garbage', 'marker=%27%20OR%201%3D1'),
        ('marker-long', 'marker=' + 'm' * 2000),
        ('filter-unknown', 'bogus=1'),
        ('filter-twice', '{filter}=a&{filter}=b'),
        ('filter-long', '{filter}=' + 'f' * 3000),
    ]
    first_filter = {'pods': 'region_name', 'routings': 'top_id',
                    'jobs': 'resource_id'}
    for coll in ('pods', 'routings', 'jobs'):
        for name, query in queries:
            query = query.replace('{filter}', first_filter[coll])
            cases.append(Case('GET-%s-%s' % (coll, name), 'admin', 'GET',
                              '/v1.0/%s?%s' % (coll, query)))
        cases.append(Case('PATCH-%s' % coll, 'admin', 'PATCH',
                          '/v1.0/%s' % coll, {}))
        cases.append(Case('DELETE-%s-collection' % coll, 'admin', 'DELETE',
                          '/v1.0/%s' % coll))
        cases.append(Case('PUT-%s-collection' % coll, 'admin', 'PUT',
                          '/v1.0/%s' % coll, {}))
    for query in ('status=bogus', 'status=new', 'type=' + 'x' * 3000):
        cases.append(Case('GET-jobs-%s' % query[:12].rstrip('=x'), 'admin',
                          'GET', '/v1.0/jobs?' + query))
    cases.append(Case('DELETE-job-succeeded', 'admin', 'DELETE',
                      '/v1.0/jobs/{job_id}'))
    cases.append(Case('DELETE-pod-in-use', 'admin', 'DELETE',
                      '/v1.0/pods/{pod_id}'))
    return cases


def _central_cases():
    cases = []
    fip = '/v2.0/floatingips/{fip_id}'
    for name, value in [('bogus', 'BOGUS'), ('lower', 'active'),
                        ('int', 1), ('list', ['ACTIVE']),
                        ('dict', {'s': 'ACTIVE'}), ('true', True),
                        ('empty', ''), ('huge', HUGE),
                        ('nested', NESTED)]:
        cases.append(Case('PUT-fip-status-%s' % name, 'central', 'PUT',
                          fip, {'floatingip': {'status': value}}))
        cases.append(Case('PUT-fip-status-%s-with-description' % name,
                          'central', 'PUT', fip, {'floatingip': {
                              'status': value, 'description': 'changed'}}))
    cases.append(Case('PUT-fip-status-as-tenant', 'tenant', 'PUT', fip,
                      {'floatingip': {'status': 'ERROR'}}))
    cases.append(Case('PUT-fip-status-unknown-fip', 'central', 'PUT',
                      '/v2.0/floatingips/' + ZERO_UUID,
                      {'floatingip': {'status': 'ERROR'}}))
    # Not json-list: stock Neutron's update answers '[]' with a 500
    # (neutron/api/v2/base.py, before any Tricircle code runs).
    for name, raw in BODY_GARBAGE[:3] + BODY_GARBAGE[5:7]:
        cases.append(Case('PUT-fip-%s' % name, 'central', 'PUT', fip, raw))
    # Availability zone hints naming no pod, or of the wrong shape.
    for name, hints in [('unknown-az', ['nowhere']),
                        ('one-unknown', ['az1', 'nowhere']),
                        ('string', 'az1'), ('int-item', [1]),
                        ('list-item', [['az1']]), ('dict', {'az': 'az1'}),
                        ('empty-item', ['']), ('null-item', [None]),
                        ('huge-item', [HUGE]), ('long-item', ['a' * 300]),
                        ('central', ['CentralRegion'])]:
        cases.append(Case('POST-net-hints-%s' % name, 'central', 'POST',
                          '/v2.0/networks', {'network': {
                              'name': 'fuzz-bad', 'availability_zone_hints':
                              hints}}))
    cases.append(Case('POST-net-two-pods-local-type', 'central', 'POST',
                      '/v2.0/networks', {'network': {
                          'name': 'fuzz-bad', 'provider:network_type': 'flat',
                          'provider:physical_network': 'extern',
                          'availability_zone_hints': ['az1', 'az2']}}))
    # External networks live in exactly one pod.
    for name, hints in [('no-hints', None), ('empty', []),
                        ('two-azs', ['az1', 'az2']),
                        ('two-regions', ['Pod1', 'Pod2']),
                        ('unknown', ['nowhere']),
                        ('central', ['CentralRegion'])]:
        body = {'name': 'fuzz-ext-bad', 'router:external': True}
        if hints is not None:
            body['availability_zone_hints'] = hints
        cases.append(Case('POST-ext-net-%s' % name, 'central', 'POST',
                          '/v2.0/networks', {'network': body}))
    cases.append(Case('PUT-net-unplaced-to-external', 'central', 'PUT',
                      '/v2.0/networks/{unplaced_net}',
                      {'network': {'router:external': True}}))
    # Router interfaces: malformed bodies (a network in no pod yet is fine
    # since issue #20: its router pieces follow it into pods).
    add = '/v2.0/routers/{router_id}/add_router_interface'
    for name, body in [
            ('unknown-subnet', {'subnet_id': ZERO_UUID}),
            ('bad-uuid', {'subnet_id': BAD_UUID}),
            ('int-subnet', {'subnet_id': 5}),
            ('list-subnet', {'subnet_id': ['{unplaced_subnet}']}),
            ('empty', {}),
            ('both', {'subnet_id': '{unplaced_subnet}',
                      'port_id': '{unplaced_port}'}),
            ('huge', {'subnet_id': HUGE})]:
        cases.append(Case('PUT-router-add-if-%s' % name, 'central', 'PUT',
                          add, body))
    cases.append(Case('PUT-router-add-if-not-json', 'central', 'PUT', add,
                      'subnet_id=1'))
    cases.append(Case('PUT-router-add-if-unknown-router', 'central', 'PUT',
                      '/v2.0/routers/%s/add_router_interface' % ZERO_UUID,
                      {'subnet_id': '{unplaced_subnet}'}))
    return cases


CASES = _admin_cases() + _central_cases()


def _client(url, headers=None):
    sess = ks_session.Session(auth=noauth.NoAuth(),
                              additional_headers=headers)
    return adapter.Adapter(sess, endpoint_override=url)


def _fill(value, world):
    """Placeholders in strings (and in dicts/lists of them)."""
    if isinstance(value, str):
        return value.format(**world) if '{' in value and '}' in value \
            and not value.startswith(('{"', '[')) else value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def _stable_jobs(admin):
    """Jobs, minus what XJob may still change on its own: a job that is
    pending or retrying is compared by identity only."""
    rows = {}
    for job in admin.get('/v1.0/jobs').json()['jobs']:
        settled = job['status'] == 'SUCCESS' or (
            job['status'] == 'FAIL' and not job['next_attempt_at'])
        rows[job['id']] = job if settled else {
            k: job[k] for k in ('type', 'resource_id', 'project_id')}
    return rows


def admin_snapshot(admin):
    return {'pods': admin.get('/v1.0/pods').json()['pods'],
            'routings': admin.get('/v1.0/routings').json()['routings'],
            'jobs': _stable_jobs(admin)}


def central_snapshot(central):
    snap = {}
    for coll in ('networks', 'subnets', 'ports', 'routers', 'floatingips'):
        items = central.get('/v2.0/' + coll).json()[coll]
        snap[coll] = sorted(items, key=lambda i: i['id'])
    return snap


def _wait_quiet(admin, timeout=90):
    """Until XJob has nothing NEW or RUNNING, so job rows hold still."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        jobs = admin.get('/v1.0/jobs').json()['jobs']
        if not [j for j in jobs if j['status'] in ('NEW', 'RUNNING')]:
            return
        time.sleep(0.3)
    pytest.fail('XJob did not go quiet: %s' % [
        j for j in jobs if j['status'] in ('NEW', 'RUNNING')])


@pytest.fixture(scope='module')
def cloud(sandbox):
    return network_conftest.Cloud(sandbox)


@pytest.fixture(scope='module')
def world(cloud, sandbox):
    """Resources the cases aim at, then the 'before' listings."""
    net = cloud.central.network
    pods = {p['region_name']: p for p in
            cloud.admin.get('/v1.0/pods').json()['pods']}
    placed = net.create_network(name='fuzz-net',
                                availability_zone_hints=['az1'])
    placed_subnet = net.create_subnet(network_id=placed.id, ip_version=4,
                                      cidr='10.77.1.0/24')
    cloud.pods['Pod1'].network.create_port(network_id=placed.id,
                                           name='fuzz-vm')
    unplaced = net.create_network(name='fuzz-unplaced')
    unplaced_subnet = net.create_subnet(network_id=unplaced.id,
                                        ip_version=4, cidr='10.77.9.0/24')
    unplaced_port = net.create_port(network_id=unplaced.id)
    ext = net.create_network(
        name='fuzz-ext', is_router_external=True,
        provider_network_type='vlan', provider_physical_network='extern',
        availability_zone_hints=['Pod2'])
    net.create_subnet(network_id=ext.id, ip_version=4,
                      cidr='172.29.0.0/24', is_dhcp_enabled=False)
    router = net.create_router(name='fuzz-router',
                               external_gateway_info={'network_id': ext.id})
    net.add_interface_to_router(router, subnet_id=placed_subnet.id)
    fip = net.create_ip(floating_network_id=ext.id)
    helpers.wait_jobs(cloud, router.id)
    job = cloud.admin.post('/v1.0/jobs', json={'job': {
        'type': 'noop', 'resource_id': 'fuzz-done'}}).json()['job']
    _wait_quiet(cloud.admin)
    routing = cloud.routings(top_id=placed.id)[0]
    world = {'pod_id': pods['Pod1']['pod_id'], 'routing_id': routing['id'],
             'job_id': job['id'], 'fip_id': fip.id, 'router_id': router.id,
             'unplaced_net': unplaced.id, 'unplaced_subnet':
             unplaced_subnet.id, 'unplaced_port': unplaced_port.id}
    central = _client(sandbox['central']['neutron'])
    tenant = _client(sandbox['central']['neutron'], {
        'X-Project-Id': 'fuzz-tenant', 'X-User-Id': 'fuzz-user',
        'X-Roles': 'member,reader'})
    admin = _client(sandbox['admin_api'])
    world_state = {
        'ids': world, 'clients': {'admin': admin, 'central': central,
                                  'tenant': tenant},
        'before': {'admin': admin_snapshot(admin),
                   'central': central_snapshot(central)}}
    yield world_state
    net.remove_interface_from_router(router, subnet_id=placed_subnet.id)
    net.delete_ip(fip)
    net.delete_router(router)
    helpers.wait_jobs(cloud, router.id)


def _send(case, world):
    client = world['clients'][case.target]
    path = _fill(case.path, world['ids'])
    headers = dict(case.headers)
    kwargs = {'raise_exc': False, 'headers': headers}
    body = case.body
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(_fill(body, world['ids']))
        elif isinstance(body, str):
            body = body.encode('utf-8')
        kwargs['data'] = body
        headers['Content-Type'] = case.content_type
    return client.request(path, case.method, **kwargs)


def test_enough_cases():
    assert len(CASES) >= 100
    assert len({c.cid for c in CASES}) == len(CASES), 'duplicate case ids'


@pytest.mark.parametrize('case', CASES, ids=[c.cid for c in CASES])
def test_bad_input_is_4xx_and_changes_nothing(case, world):
    resp = _send(case, world)
    assert 400 <= resp.status_code < 500, '%s %s -> %d %s' % (
        case.method, case.path, resp.status_code, resp.text[:500])
    side = 'admin' if case.target == 'admin' else 'central'
    client = world['clients'][side if side == 'admin' else 'central']
    snap = (admin_snapshot(client) if side == 'admin'
            else central_snapshot(client))
    assert snap == world['before'][side]


def test_nothing_changed_anywhere(world):
    """Both sides once more at the end: a central case may have queued a
    job, an Admin API case may have touched what central reads."""
    clients = world['clients']
    assert admin_snapshot(clients['admin']) == world['before']['admin']
    assert central_snapshot(clients['central']) == world['before']['central']
