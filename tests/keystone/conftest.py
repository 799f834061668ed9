"""A Keystone sandbox (``tricircle sandbox up --keystone``) and the real
clients the tests drive it with: openstacksdk, ``openstack --os-cloud``
and keystoneauth sessions holding real tokens."""

import json
import os
import subprocess
import sys
import time

from keystoneauth1 import adapter
import openstack
import pytest

from tests import conftest
from tricircle.sandbox import keystone

BIN = os.path.dirname(sys.executable)
JOB_TIMEOUT = 90
TENANTS = {'alice': 'tenant-a', 'bob': 'tenant-b'}
REUSE_ENV = 'TRICIRCLE_TEST_KEYSTONE_SANDBOX'


class KeystoneCloud:
    """The sandbox seen by its users: ``conn(user, region)`` is an
    openstacksdk Connection made from clouds.yaml, ``admin_api(user)`` the
    Admin API found in the catalog, ``cli(cloud, ...)`` the openstack CLI."""

    def __init__(self, state):
        self.state = state
        self.auth = state['auth']
        self.clouds_yaml = self.auth['clouds_yaml']
        self._conns = {}

    def project_id(self, user):
        return self.auth['users'][user]['project_id']

    def conn(self, user='admin', region='CentralRegion'):
        key = (user, region)
        if key not in self._conns:
            cloud = self.auth['users'][user]['project_name']
            self._conns[key] = openstack.connect(
                cloud=cloud, region_name=region,
                load_yaml_config=True)
        return self._conns[key]

    def session(self, user='admin'):
        return keystone.session(self.auth, user)

    def admin_api(self, user='admin'):
        return adapter.Adapter(self.session(user), service_type='tricircle',
                               region_name='CentralRegion',
                               interface='public')

    def cli(self, cloud, *args, check=True):
        """``openstack --os-cloud CLOUD ARGS -f json``; the parsed output
        (or the CompletedProcess when ``check`` is False)."""
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=self.clouds_yaml)
        result = subprocess.run(
            [os.path.join(BIN, 'openstack'), '--os-cloud', cloud, *args],
            capture_output=True, text=True, env=env, timeout=120)
        if not check:
            return result
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    def crafted_token(self, user, hours):
        """A fernet token of ``user`` made with the sandbox's keys, ending
        ``hours`` from now (negative: already expired)."""
        script = os.path.join(os.path.dirname(__file__), 'expired_token.py')
        sess = self.session(user)
        result = subprocess.run(
            [os.path.join(keystone.venv_bin(), 'python'), script,
             self.state['keystone']['config'], sess.get_user_id(),
             sess.get_project_id(), str(hours)],
            capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def wait_jobs(self, resource_id, timeout=JOB_TIMEOUT):
        """Until the resource's newest job succeeded and none is pending."""
        api = self.admin_api()
        deadline = time.time() + timeout
        jobs = []
        while time.time() < deadline:
            jobs = sorted(api.get('/v1.0/jobs?resource_id=%s'
                                  % resource_id).json()['jobs'],
                          key=lambda j: j['created_at'])
            pending = [j for j in jobs if j['status'] in ('NEW', 'RUNNING')
                       or (j['status'] == 'FAIL' and j['next_attempt_at'])]
            if jobs and not pending and jobs[-1]['status'] == 'SUCCESS':
                return jobs
            time.sleep(0.3)
        pytest.fail('jobs of %s not done: %s' % (resource_id, jobs))


@pytest.fixture(scope='session')
def ks_cloud(tmp_path_factory):
    """One Keystone sandbox (2 pods, 1 XJob, and compute: Nova, Placement,
    Cinder, Glance) for every Keystone test, in every module: starting one
    costs two to four minutes.

    ``$TRICIRCLE_TEST_KEYSTONE_SANDBOX`` names a folder whose sandbox (up
    with --keystone --compute) the tests use as it is, neither started nor
    stopped."""
    existing = os.environ.get(REUSE_ENV)
    if existing:
        sandbox_dir = None
        with open(os.path.join(existing, 'sandbox.json')) as f:
            state = json.load(f)
    else:
        sandbox_dir = tmp_path_factory.mktemp('keystone-sandbox')
        state = conftest.start_sandbox(sandbox_dir, 2, '--keystone',
                                       '--compute', '--timeout', '480',
                                       timeout=720)
    old = os.environ.get('OS_CLIENT_CONFIG_FILE')
    os.environ['OS_CLIENT_CONFIG_FILE'] = state['auth']['clouds_yaml']
    try:
        yield KeystoneCloud(state)
    finally:
        if old is None:
            os.environ.pop('OS_CLIENT_CONFIG_FILE', None)
        else:
            os.environ['OS_CLIENT_CONFIG_FILE'] = old
        if sandbox_dir is not None:
            conftest.run_tricircle('sandbox', 'down', '--dir',
                                   str(sandbox_dir))
