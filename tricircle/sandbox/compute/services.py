"""``sandbox up --compute``: Nova, Placement and Cinder in every pod, one
Glance and one RabbitMQ, so servers boot through a pod's own Nova on the
networks Tricircle places there (issue #14).

Per pod: Placement, nova-api (gunicorn), nova-conductor, nova-scheduler, one
nova-compute host with Nova's fake virt driver in the pod's AZ
(``default_availability_zone``), cinder-api, cinder-scheduler and
cinder-volume with Cinder's fake driver in the pod's AZ. Shared: Glance (in
CentralRegion, a tiny image uploaded once) and a RabbitMQ broker with a
vhost per pod. Config in ``configs.py``; every process runs
through ``runner.py`` (SQLite made safe for concurrent writers).

Boot time matters (CI starts this): each component's database set-up runs
in a thread of its own while the Neutron servers boot, and each service
starts as soon as what it needs is there. A database set up once is not set
up again (a stamp beside it names the package version), so a second ``up``
of a folder skips the ``*-manage`` runs.
"""

import os
import subprocess
import sys
import threading
import time

from tricircle.sandbox.compute import catalog
from tricircle.sandbox.compute import clients
from tricircle.sandbox.compute import configs as cc
from tricircle.sandbox import rabbitmq
from tricircle.sandbox.dataplane import agents
from tricircle.sandbox import keystone
from tricircle.sandbox import processes

RUNNER = 'tricircle.sandbox.compute.runner'
MANAGE_TIMEOUT = 300
# The cell mapping names the broker by template, filled from each service's
# own transport_url: a later "up" on new ports needs no mapping update.
CELL_TRANSPORT = '{scheme}://{username}:{password}@{hostname}:{port}/{path}'
IMAGE_BYTES = b'tricircle sandbox image\n' * 64


class ComputeError(Exception):
    """A compute service could not be set up; says which and where."""


# What "up" reports as a plain error message.
ERRORS = (ComputeError, rabbitmq.RabbitError)


def _url(host, port):
    return 'http://%s:%d' % (host, port)


def plan(layout, host):
    """Ports and URLs of every compute service, into the layout (the
    broker is the sandbox's, see cluster)."""
    glance = _url(host, processes.free_port(host))
    layout['central']['image'] = glance
    layout['compute'] = {'glance': glance, 'flavor_id': cc.FLAVOR['id'],
                         'image_name': cc.IMAGE_NAME}
    # The API gateways: CentralRegion's compute and volumev3.
    nova_apigw = _url(host, processes.free_port(host))
    cinder_apigw = _url(host, processes.free_port(host))
    layout['central'].update(compute=nova_apigw + '/v2.1',
                             volume=cinder_apigw + '/v3')
    for pod in layout['pods']:
        nova = _url(host, processes.free_port(host))
        cinder = _url(host, processes.free_port(host))
        pod.update(placement=_url(host, processes.free_port(host)),
                   compute=nova + '/v2.1', volume=cinder + '/v3',
                   compute_host=cc.compute_host(pod['region_name']))


def _root(url):
    return url.rsplit('/', 1)[0]


def _port(url):
    return int(url.split('/')[2].rsplit(':', 1)[1])


class _Starter:
    """Starts the compute services from several threads into one list of
    records; the first failure is kept and re-raised by ``join``."""

    def __init__(self, layout, records, on_start):
        self.layout = layout
        self.records = records
        self.on_start = on_start
        self.logs = os.path.join(layout['dir'], 'logs')
        self.lock = threading.Lock()
        self.threads = []
        self.errors = []
        self.stopping = threading.Event()

    def spawn(self, func, *args):
        def run():
            try:
                func(*args)
            except BaseException as e:  # noqa: B902 - re-raised in join
                self.errors.append(e)
                self.stopping.set()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self):
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]

    def start(self, name, argv, env=None, url=None):
        if self.stopping.is_set():
            raise ComputeError('not starting %s: another service failed'
                               % name)
        with self.lock:
            record = processes.start(name, argv,
                                     os.path.join(self.logs, name + '.log'),
                                     extra_env=env)
            if url:
                record['url'] = url
            self.records.append(record)
            self.on_start()
        return record

    def manage(self, name, package, stamp, commands, ok_codes=(0,)):
        """Run a service's set-up commands once per database and
        version of ``package``; output in ``logs/<name>.log``."""
        version = _version(package)
        if _read(stamp) == version:
            return
        log = os.path.join(self.logs, name + '.log')
        for argv in commands:
            if self.stopping.is_set():
                raise ComputeError('not running %s: another service failed'
                                   % name)
            with open(log, 'ab') as out:
                rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    timeout=MANAGE_TIMEOUT).returncode
            if rc not in ok_codes:
                raise ComputeError('%s failed (exit %d); see its log file %s'
                                   % (' '.join(argv[:4]), rc, log))
        with open(stamp, 'w') as f:
            f.write(version)


# The compute extra of pyproject.toml (tools/install-deps.sh installs it).
PACKAGES = ('nova', 'openstack-placement', 'glance', 'cinder')


def _version(package):
    from importlib import metadata
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        raise ComputeError('%s is not installed here: install Tricircle\'s '
                           'compute extra (tools/install-deps.sh does, or '
                           'pip install -e ".[compute]")' % package) from None


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def _script(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def _run_argv(target, *args):
    return [sys.executable, '-m', RUNNER, 'run', target] + list(args)


def _wsgi_argv(module, port, name, *app_args, threads=8):
    return [sys.executable, '-m', RUNNER, 'wsgi', module, '--port',
            str(port), '--name', name, '--threads', str(threads),
            '--'] + list(app_args)


def _glance(starter, folder):
    layout = starter.layout
    conf = os.path.join(folder, 'glance-api.conf')
    starter.manage('glance-manage', 'glance',
                   os.path.join(folder, '.synced'), [
                       [_script('glance-manage'), '--config-file', conf,
                        'db_sync']])
    starter.start('glance-api', _wsgi_argv(
        'glance.wsgi.api', _port(layout['compute']['glance']), 'glance-api'),
        env={'OS_GLANCE_CONFIG_DIR': folder},
        url=layout['compute']['glance'] + '/v2/images')


def _placement(starter, pod, folder):
    name = '%s-placement' % pod['region_name']
    conf = os.path.join(folder, 'placement.conf')
    starter.manage(name + '-manage', 'openstack-placement',
                   os.path.join(folder, '.synced'), [
                       [_script('placement-manage'), '--config-file', conf,
                        'db', 'sync']])
    # One request at a time: ten parallel boots' allocation writes made
    # SQLite answer "database is locked" to Placement's BEGIN IMMEDIATE
    # despite the busy timeout (and Nova then gave up on the server).
    return starter.start(name, _wsgi_argv('placement.wsgi.api',
                                          _port(pod['placement']), name,
                                          threads=1),
                         env={'OS_PLACEMENT_CONFIG_DIR': folder},
                         url=pod['placement'] + '/')


def _nova(starter, pod, folder):
    region = pod['region_name']
    conf = os.path.join(folder, 'nova.conf')
    # nova-manage's four set-up steps, run in one process (nova_setup.py).
    starter.manage('%s-nova-manage' % region, 'nova',
                   os.path.join(folder, '.synced'), [[
                       sys.executable, '-m',
                       'tricircle.sandbox.compute.nova_setup',
                       '--config-file', conf,
                       '--cell0', cc.sqlite_url(os.path.join(
                           folder, 'nova_cell0.sqlite')),
                       '--cell1', cc.sqlite_url(os.path.join(
                           folder, 'nova_cell1.sqlite')),
                       '--transport-url', CELL_TRANSPORT]])
    env = {'OS_NOVA_CONFIG_DIR': folder}
    starter.start('%s-nova-api' % region, _wsgi_argv(
        'nova.wsgi.osapi_compute', _port(pod['compute']),
        '%s-nova-api' % region), env=env, url=_root(pod['compute']) + '/')
    # nova-compute waits for the conductor; Placement, which it reports
    # its resources to, is up by then (else it retries, see the config).
    for service in ('conductor', 'scheduler', 'compute'):
        starter.start('%s-nova-%s' % (region, service), _run_argv(
            'nova.cmd.%s:main' % service, '--config-file', conf),
            env=agents.nova_env() if service == 'compute' and
            starter.layout.get('dataplane') else None)


def _cinder(starter, pod, folder):
    region = pod['region_name']
    conf = os.path.join(folder, 'cinder.conf')
    starter.manage('%s-cinder-manage' % region, 'cinder',
                   os.path.join(folder, '.synced'), [
                       [_script('cinder-manage'), '--config-file', conf,
                        'db', 'sync']])
    starter.start('%s-cinder-api' % region, _wsgi_argv(
        'cinder.wsgi.api', _port(pod['volume']), '%s-cinder-api' % region,
        '--config-file', conf), url=_root(pod['volume']) + '/')
    for service in ('scheduler', 'volume'):
        starter.start('%s-cinder-%s' % (region, service), _run_argv(
            'cinder.cmd.%s:main' % service, '--config-file', conf))


def tricircle_sections(layout):
    """What the gateways read from tricircle.conf: their ports, and the
    pods' Nova and Cinder when there is no catalog to find them in."""
    central = layout['central']
    return {
        'nova_apigw': {'bind_port': _port(central['compute'])},
        'cinder_apigw': {'bind_port': _port(central['volume'])},
        'gateway': {
            'compute_endpoints': ','.join(
                '%s:%s' % (p['region_name'], p['compute'])
                for p in layout['pods']),
            'volume_endpoints': ','.join(
                '%s:%s' % (p['region_name'], p['volume'])
                for p in layout['pods'])},
    }


def _gateways(starter):
    conf = starter.layout['tricircle_conf']
    for kind, url in (('nova', starter.layout['central']['compute']),
                      ('cinder', starter.layout['central']['volume'])):
        name = 'tricircle-%s-apigw' % kind
        starter.start(name, processes.console_script(
            name, 'tricircle.cmd.%s_apigw' % kind, '--config-file', conf),
            url=_root(url) + '/healthcheck')


def _auth(layout):
    """The services' auth sections in Keystone mode, else None."""
    if keystone.enabled(layout):
        return catalog.ServiceAuth(layout)
    return None


def _pod(starter, pod):
    layout = starter.layout
    dirs = cc.pod_dirs(layout['dir'], pod['region_name'])
    transport = rabbitmq.transport_url(layout, pod['region_name'])
    glance = layout['compute']['glance']
    auth = _auth(layout)
    cc.write_placement(dirs['placement'], auth)
    cc.write_nova(dirs['nova'], pod, {
        'placement': pod['placement'], 'neutron': pod['neutron'],
        'glance': glance, 'cinder': _root(pod['volume'])}, transport, auth,
        extra=agents.nova_extra(layout, pod['region_name'])
        if layout.get('dataplane') else None)
    cc.write_cinder(dirs['cinder'], pod, glance, transport, auth)
    starter.spawn(_placement, starter, pod, dirs['placement'])
    starter.spawn(_nova, starter, pod, dirs['nova'])
    starter.spawn(_cinder, starter, pod, dirs['cinder'])


def start(layout, records, on_start=lambda: None):
    """Set up the databases and start every compute process; return once
    all are started (not yet answering). Records go to ``records`` as they
    start, so the caller can stop them all if anything fails, and
    ``on_start()`` is called after each (to record it in sandbox.json: a
    first ``up`` spends a minute or more here)."""
    for package in PACKAGES:
        _version(package)
    starter = _Starter(layout, records, on_start)
    _gateways(starter)
    glance_dir = os.path.join(layout['dir'], 'glance')
    os.makedirs(glance_dir, exist_ok=True)
    cc.write_glance(glance_dir, _auth(layout))
    starter.spawn(_glance, starter, glance_dir)
    for pod in layout['pods']:
        _pod(starter, pod)
    try:
        starter.join()
    except BaseException:
        # Interrupted (or failed): no thread may start anything more once
        # the caller stops what is in ``records``.
        starter.stopping.set()
        for thread in starter.threads:
            thread.join(MANAGE_TIMEOUT)
        raise


def _poll(what, check, timeout, log=None):
    """Call ``check()`` until it is true; ComputeError after ``timeout``
    naming the last error it raised, if any."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            if check():
                return
        except Exception as e:  # noqa: B902 - not answering yet
            last = e
        if time.monotonic() > deadline:
            raise ComputeError('%s not ready after %ds%s%s' % (
                what, timeout, ' (last error: %s)' % last if last else '',
                '; see %s' % log if log else ''))
        time.sleep(0.25)


def _finish_pod(layout, pod, timeout):
    """The pod's compute host mapped to its cell, its resources in
    Placement, flavor 1, and Cinder's scheduler and volume up, the
    scheduler knowing the volume backend."""
    region = pod['region_name']
    logs = os.path.join(layout['dir'], 'logs')
    nova = clients.nova_admin(layout, pod)
    host = pod['compute_host']

    # The scheduler maps the new host into the cell (see the config);
    # only then does Nova list it and schedule to it.
    def hypervisor():
        body = nova.get('/os-hypervisors/detail').json()
        return any(h.get('service', {}).get('host') == host and
                   h.get('state') == 'up' for h in body['hypervisors'])
    _poll('%s nova-compute' % region, hypervisor, timeout,
          os.path.join(logs, '%s-nova-compute.log' % region))
    placement = clients.placement_admin(layout, pod)
    _poll('%s resource provider' % region, lambda: any(
        rp['name'] == host for rp in placement.get(
            '/resource_providers').json()['resource_providers']), timeout)
    if nova.get('/flavors/%s' % cc.FLAVOR['id'],
                raise_exc=False).status_code == 404:
        nova.post('/flavors', json={'flavor': cc.FLAVOR})
    cinder = clients.cinder_admin(layout, pod)

    def volume_services():
        services = cinder.get('/os-services').json()['services']
        return {s['binary'] for s in services if s['state'] == 'up'} >= {
            'cinder-scheduler', 'cinder-volume'}
    _poll('%s cinder scheduler and volume' % region, volume_services,
          timeout, os.path.join(logs, '%s-cinder-volume.log' % region))
    # Up is not enough: until cinder-volume's first capabilities report
    # reaches the scheduler, a volume create fails "No valid backend".
    _poll('%s cinder scheduler knowing the backend' % region,
          lambda: cinder.get('/scheduler-stats/get_pools').json()['pools'],
          timeout, os.path.join(logs, '%s-cinder-scheduler.log' % region))


def _image(layout):
    """The tiny public image, uploaded on the folder's first ``up``."""
    glance = clients.glance_admin(layout)
    images = glance.get('/v2/images?name=%s' % cc.IMAGE_NAME).json()
    active = [i for i in images['images'] if i['status'] == 'active']
    if active:
        return active[0]['id']
    image = glance.post('/v2/images', json={
        'name': cc.IMAGE_NAME, 'disk_format': 'raw',
        'container_format': 'bare', 'visibility': 'public'}).json()
    glance.put('/v2/images/%s/file' % image['id'], data=IMAGE_BYTES,
               headers={'Content-Type': 'application/octet-stream'})
    return image['id']


def finish(layout, records, timeout):
    """Wait for the broker and every pod's compute host, then make the
    flavor and the image; record the image id in the layout."""
    broker = next(r for r in records if r['name'] == 'rabbitmq')
    rabbitmq.wait(layout, broker, timeout)
    errors = []

    def one(pod):
        try:
            _finish_pod(layout, pod, timeout)
        except Exception as e:  # noqa: B902 - re-raised below
            errors.append(e)
    threads = [threading.Thread(target=one, args=(pod,), daemon=True)
               for pod in layout['pods']]
    for thread in threads:
        thread.start()
    layout['compute']['image_id'] = _image(layout)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
