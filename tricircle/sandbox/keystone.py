"""A real Keystone for ``tricircle sandbox up --keystone``.

Keystone runs from its own virtualenv (``.venv-keystone``, made by
``tools/install-deps.sh``), because its pins differ from Neutron's and the
two must not fight in one environment; the sandbox only runs its
``keystone-manage`` and ``gunicorn`` scripts. Everything Keystone writes
(config, SQLite DB, fernet and credential keys, passwords) stays under
``<sandbox>/keystone/``, and every ``keystone-manage`` call names that
config, so nothing lands in ``/etc``.

Once Keystone answers, :func:`register` makes the cloud the seeds describe:
one Keystone region per pod (``CentralRegion``, ``Pod1``...), a ``network``
endpoint per region, the Admin API as service type ``tricircle``, a
``service`` project whose ``tricircle`` user is what central, the pods and
XJob authenticate as, and two tenant projects with a user each.
"""

import grp
import json
import os
import pwd
import secrets
import subprocess
import sys

from keystoneauth1 import adapter
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

from tricircle.common import constants
from tricircle.sandbox import processes

VENV_ENV = 'TRICIRCLE_KEYSTONE_VENV'
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONFIG_ENV = 'OS_KEYSTONE_CONFIG_FILES'
READY_PATH = '/v3'
DOMAIN = 'Default'
SERVICE_PROJECT = 'service'
SERVICE_USER = 'tricircle'
ADMIN_USER = 'admin'
# Tenants of the sandbox: (project, user); each user is a member there.
TENANTS = (('tenant-a', 'alice'), ('tenant-b', 'bob'))
INTERFACES = ('public', 'internal')
NETWORK = 'network'
ADMIN_API = 'tricircle'
# keystone-manage runs a few seconds each; db_sync is the slowest.
MANAGE_TIMEOUT = 300


class KeystoneError(Exception):
    """Keystone cannot be set up; the message says what to do."""


def venv_bin():
    """The bin folder holding ``keystone-manage`` and ``gunicorn``:
    ``$TRICIRCLE_KEYSTONE_VENV``, else ``.venv-keystone`` of this clone,
    else the running interpreter's (keystone installed alongside)."""
    candidates = []
    if os.environ.get(VENV_ENV):
        candidates.append(os.path.join(os.environ[VENV_ENV], 'bin'))
    candidates += [os.path.join(REPO_ROOT, '.venv-keystone', 'bin'),
                   os.path.dirname(sys.executable)]
    for folder in candidates:
        if all(os.access(os.path.join(folder, name), os.X_OK)
               for name in ('keystone-manage', 'gunicorn', 'python')):
            return folder
    raise KeystoneError(
        'no Keystone found (looked in %s); run tools/install-deps.sh, which '
        'makes .venv-keystone, or set %s to a virtualenv with keystone and '
        'gunicorn' % (', '.join(candidates), VENV_ENV))


def _dir(sandbox_dir):
    return os.path.join(sandbox_dir, 'keystone')


def passwords(sandbox_dir, extra=()):
    """The sandbox's passwords, made once: the Keystone DB outlives
    ``down``, so the next ``up`` must log in with the same ones.
    ``extra`` names more users (the compute services'): those missing
    are added to the file."""
    path = os.path.join(_dir(sandbox_dir), 'passwords.json')
    try:
        with open(path) as f:
            known = json.load(f)
    except FileNotFoundError:
        known = {}
    names = [ADMIN_USER, SERVICE_USER] + [user for _p, user in TENANTS]
    missing = [name for name in names + list(extra) if name not in known]
    if not missing:
        return known
    known.update({name: secrets.token_hex(16) for name in missing})
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(known, f)
    os.replace(tmp, path)
    return known


def write_conf(sandbox_dir):
    """Write ``keystone/keystone.conf``; return its path."""
    kdir = _dir(sandbox_dir)
    keys = os.path.join(kdir, 'fernet-keys')
    text = '\n'.join([
        '[database]',
        'connection = sqlite:///%s' % os.path.join(kdir, 'keystone.sqlite'),
        '[token]',
        'provider = fernet',
        '[fernet_tokens]',
        'key_repository = %s' % keys,
        '[fernet_receipts]',
        'key_repository = %s' % keys,
        '[credential]',
        'key_repository = %s' % os.path.join(kdir, 'credential-keys'),
        '[identity]',
        # bcrypt's cheapest cost: every password login of the sandbox's
        # services and tests is fast, and these are throw-away passwords.
        'password_hash_rounds = 4',
        '[oslo_concurrency]',
        'lock_path = %s' % os.path.join(kdir, 'lock'),
        ''])
    path = os.path.join(kdir, 'keystone.conf')
    with open(path, 'w') as f:
        f.write(text)
    return path


def _manage(bindir, conf, log, *args):
    argv = [os.path.join(bindir, 'keystone-manage'), '--config-file', conf,
            *args]
    with open(log, 'ab') as out:
        rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT,
                            timeout=MANAGE_TIMEOUT).returncode
    if rc:
        raise KeystoneError('keystone-manage %s failed (%d); see %s'
                            % (args[0], rc, log))


def url(layout):
    return layout['keystone']['url']


def prepare(layout):
    """Config, schema and keys (first ``up`` of the folder only), then
    ``bootstrap``: admin user and project, roles, the identity endpoint
    in ``CentralRegion`` at this ``up``'s port (bootstrap updates it)."""
    sandbox_dir = layout['dir']
    bindir = venv_bin()
    os.makedirs(os.path.join(_dir(sandbox_dir), 'lock'), exist_ok=True)
    conf = write_conf(sandbox_dir)
    layout['keystone']['config'] = conf
    log = os.path.join(sandbox_dir, 'logs', 'keystone-manage.log')
    os.makedirs(os.path.dirname(log), exist_ok=True)
    marker = os.path.join(_dir(sandbox_dir), '.initialized')
    if not os.path.exists(marker):
        _manage(bindir, conf, log, 'db_sync')
        # The key folders belong to whoever runs the sandbox.
        owner = ('--keystone-user', pwd.getpwuid(os.getuid()).pw_name,
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name)
        _manage(bindir, conf, log, 'fernet_setup', *owner)
        _manage(bindir, conf, log, 'credential_setup', *owner)
        open(marker, 'w').close()
    identity = url(layout) + '/v3'
    _manage(bindir, conf, log, 'bootstrap',
            '--bootstrap-username', ADMIN_USER,
            '--bootstrap-password', passwords(sandbox_dir)[ADMIN_USER],
            '--bootstrap-project-name', 'admin',
            '--bootstrap-role-name', 'admin',
            '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', constants.CENTRAL_REGION,
            '--bootstrap-admin-url', identity,
            '--bootstrap-internal-url', identity,
            '--bootstrap-public-url', identity)


# Keystone's WSGI factory parses sys.argv with oslo.config, so gunicorn is
# driven from Python (as tricircle.common.wsgi does for our servers) with
# the command line emptied before the app loads. Keystone's venv has no
# Tricircle, hence this self-contained launcher.
LAUNCHER = """
import json, sys
from gunicorn.app import base

class Keystone(base.BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        sys.argv = sys.argv[:1]
        from keystone.server import wsgi
        return wsgi.initialize_public_application()

Keystone(json.loads(sys.argv[1])).run()
"""


def start(layout, records):
    """Start Keystone under gunicorn; append its record (with ``url``)."""
    bindir = venv_bin()
    port = int(url(layout).rsplit(':', 1)[1])
    options = {'bind': '127.0.0.1:%d' % port, 'workers': 1, 'threads': 4,
               'worker_class': 'gthread', 'timeout': 120,
               'graceful_timeout': 5, 'accesslog': '-',
               'proc_name': 'keystone', 'control_socket_disable': True}
    record = processes.start(
        'keystone',
        [os.path.join(bindir, 'python'), '-c', LAUNCHER,
         json.dumps(options)],
        os.path.join(layout['dir'], 'logs', 'keystone.log'),
        extra_env={CONFIG_ENV: layout['keystone']['config']})
    record['url'] = url(layout) + READY_PATH
    records.append(record)
    layout['keystone']['pid'] = record['pid']
    return record


def enabled(state):
    """Whether a sandbox's layout or state (sandbox.json) runs Keystone."""
    return state.get('auth', {}).get('type') == 'password'


def credentials(auth, user):
    """keystoneauth/openstacksdk password arguments of a sandbox user."""
    return dict(auth['users'][user], auth_url=auth['auth_url'],
                user_domain_name=DOMAIN, project_domain_name=DOMAIN)


def session(auth, user=ADMIN_USER, timeout=30):
    """A keystoneauth session of one of the sandbox's users."""
    return ks_session.Session(auth=v3.Password(**credentials(auth, user)),
                              timeout=timeout)


class Identity:
    """Just enough of the identity API to make the catalog idempotently
    (``up`` on an existing folder moves every endpoint to its new port)."""

    def __init__(self, sess):
        self.api = adapter.Adapter(sess, service_type='identity',
                                   interface='public',
                                   region_name=constants.CENTRAL_REGION)

    def _find(self, collection, **filters):
        query = '&'.join('%s=%s' % kv for kv in sorted(filters.items()))
        return self.api.get('/%s?%s' % (collection, query)).json()[
            collection]

    def ensure(self, collection, key, body, **filters):
        found = self._find(collection, **filters)
        if found:
            return found[0]
        return self.api.post('/' + collection,
                             json={key: body}).json()[key]

    def ensure_region(self, region_id):
        resp = self.api.get('/regions/' + region_id, raise_exc=False)
        if resp.status_code == 404:
            self.api.post('/regions', json={'region': {'id': region_id}})

    def set_endpoint(self, service_id, region_id, interface, endpoint):
        found = self._find('endpoints', service_id=service_id,
                           interface=interface, region_id=region_id)
        if found and found[0]['url'] == endpoint:
            return
        for old in found:
            self.api.delete('/endpoints/' + old['id'])
        self.api.post('/endpoints', json={'endpoint': {
            'service_id': service_id, 'region_id': region_id,
            'interface': interface, 'url': endpoint}})

    def ensure_user(self, name, password, project_id):
        user = self._find('users', name=name, domain_id='default')
        if user:
            self.api.patch('/users/' + user[0]['id'],
                           json={'user': {'password': password}})
            return user[0]
        return self.api.post('/users', json={'user': {
            'name': name, 'password': password, 'domain_id': 'default',
            'default_project_id': project_id}}).json()['user']

    def service_project(self):
        return self.ensure('projects', 'project', {
            'name': SERVICE_PROJECT, 'domain_id': 'default',
            'description': 'Service users of the sandbox'},
            name=SERVICE_PROJECT, domain_id='default')

    def ensure_service_user(self, name, password, project_id):
        """A user of the service project holding ``admin`` (central must
        accept ports with given ids, IPs and MACs in any project; Nova
        binds ports) and ``service`` (keystonemiddleware's role for
        validating tokens, and what service tokens must carry)."""
        user = self.ensure_user(name, password, project_id)
        for role in ('admin', 'service'):
            self.grant(project_id, user['id'], role)
        return user

    def grant(self, project_id, user_id, role_name):
        role = self._find('roles', name=role_name)[0]
        self.api.put('/projects/%s/users/%s/roles/%s'
                     % (project_id, user_id, role['id']))


def register(layout):
    """Regions, services, endpoints, projects and users; set and return
    ``layout['auth']`` (what ``sandbox.json`` tells clients)."""
    known = passwords(layout['dir'])
    auth = {'type': 'password', 'auth_url': url(layout) + '/v3',
            'region_name': constants.CENTRAL_REGION,
            'regions': [s['region_name']
                        for s in [layout['central']] + layout['pods']],
            'user_domain_name': DOMAIN, 'project_domain_name': DOMAIN,
            'users': {ADMIN_USER: {'username': ADMIN_USER,
                                   'password': known[ADMIN_USER],
                                   'project_name': 'admin'}}}
    ident = Identity(session(auth))
    network = ident.ensure('services', 'service', {
        'type': NETWORK, 'name': 'neutron',
        'description': 'Neutron (central, and one per pod)'}, type=NETWORK)
    tricircle = ident.ensure('services', 'service', {
        'type': ADMIN_API, 'name': 'tricircle',
        'description': 'Tricircle Admin API'}, type=ADMIN_API)
    identity = ident.ensure('services', 'service', {
        'type': 'identity', 'name': 'keystone'}, type='identity')
    for server in [layout['central']] + layout['pods']:
        ident.ensure_region(server['region_name'])
        for interface in INTERFACES:
            ident.set_endpoint(network['id'], server['region_name'],
                               interface, server['neutron'])
            # One Keystone for every region: clients that name a pod's
            # region (openstack --os-region-name Pod1) find it there too.
            ident.set_endpoint(identity['id'], server['region_name'],
                               interface, auth['auth_url'])
    for interface in INTERFACES:
        ident.set_endpoint(tricircle['id'], constants.CENTRAL_REGION,
                           interface, layout['admin_api'])
    service = ident.service_project()
    ident.ensure_service_user(SERVICE_USER, known[SERVICE_USER],
                              service['id'])
    auth['users'][SERVICE_USER] = {'username': SERVICE_USER,
                                   'password': known[SERVICE_USER],
                                   'project_name': SERVICE_PROJECT}
    for project_name, user_name in TENANTS:
        project = ident.ensure('projects', 'project', {
            'name': project_name, 'domain_id': 'default'},
            name=project_name, domain_id='default')
        user = ident.ensure_user(user_name, known[user_name],
                                 project['id'])
        ident.grant(project['id'], user['id'], 'member')
        auth['users'][user_name] = {'username': user_name,
                                    'password': known[user_name],
                                    'project_name': project_name,
                                    'project_id': project['id']}
    layout['auth'] = auth
    auth['clouds_yaml'] = write_clouds_yaml(layout)
    return auth


def _yaml_clouds(auth):
    """clouds.yaml text: one cloud per user, named after its project
    (``admin``, ``tenant-a``, ``tenant-b``) plus ``service``."""
    lines = ['# openstack --os-cloud NAME ... with OS_CLIENT_CONFIG_FILE '
             'naming this file', 'clouds:']
    for user in auth['users'].values():
        lines += ['  %s:' % user['project_name'],
                  # The first region is the default (central); the
                  # others are valid --os-region-name choices.
                  '    regions: [%s]' % ', '.join(auth['regions']),
                  '    interface: public',
                  '    identity_api_version: 3',
                  '    auth:',
                  '      auth_url: %s' % auth['auth_url'],
                  '      username: %s' % user['username'],
                  '      password: "%s"' % user['password'],
                  '      project_name: %s' % user['project_name'],
                  '      user_domain_name: %s' % DOMAIN,
                  '      project_domain_name: %s' % DOMAIN]
    return '\n'.join(lines) + '\n'


def write_clouds_yaml(layout):
    path = os.path.join(layout['dir'], 'clouds.yaml')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(_yaml_clouds(layout['auth']))
    return path


def authtoken_options(auth, user=None):
    """``[keystone_authtoken]`` of a service: validate tokens as ``user``
    (username, password, project_name; the tricircle user by default),
    finding Keystone in CentralRegion."""
    user = user or auth['users'][SERVICE_USER]
    return {'www_authenticate_uri': auth['auth_url'],
            'auth_url': auth['auth_url'], 'auth_type': 'password',
            'username': user['username'], 'password': user['password'],
            'project_name': user['project_name'],
            'user_domain_name': DOMAIN, 'project_domain_name': DOMAIN,
            'region_name': auth['region_name'], 'interface': 'public'}


def client_options(auth):
    """``[client]`` of the plugins, the Admin API and XJob: the service
    user's password; endpoints come from the catalog by region name."""
    user = auth['users'][SERVICE_USER]
    return {'auth_url': auth['auth_url'], 'username': user['username'],
            'password': user['password'],
            'project_name': user['project_name'],
            'user_domain_name': DOMAIN, 'project_domain_name': DOMAIN,
            'central_region_name': constants.CENTRAL_REGION}


def service_sections(auth):
    """The sections every keystone-mode service config gets."""
    return {'DEFAULT': {'auth_strategy': 'keystone'},
            'keystone_authtoken': authtoken_options(auth),
            'client': client_options(auth)}
