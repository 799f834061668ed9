"""A real ``tricircle-api`` process on a loopback port, per test module."""

import os
import signal
import socket
import subprocess
import sys
import time

from keystoneauth1 import adapter
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
import pytest

from tricircle.db import migration
from tricircle.sandbox import processes

BIN = os.path.dirname(sys.executable)


class AdminApi:
    """Handle on a running Admin API: its URL, DB and an HTTP client."""

    def __init__(self, workdir, auth_strategy='noauth', extra_conf=''):
        self.db_url = 'sqlite:///%s/tricircle.sqlite' % workdir
        migration.upgrade(self.db_url)
        self.port = processes.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        conf = os.path.join(workdir, 'tricircle.conf')
        with open(conf, 'w') as f:
            f.write('[DEFAULT]\nbind_port = %d\nauth_strategy = %s\n'
                    '[database]\nconnection = %s\n%s'
                    % (self.port, auth_strategy, self.db_url, extra_conf))
        self.log = open(os.path.join(workdir, 'api.log'), 'wb')
        self.proc = subprocess.Popen(
            [os.path.join(BIN, 'tricircle-api'), '--config-file', conf],
            stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        sess = ks_session.Session(auth=noauth.NoAuth(endpoint=self.url))
        self.client = adapter.Adapter(sess, endpoint_override=self.url)
        self._wait()

    def _wait(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('tricircle-api exited; see %s'
                                   % self.log.name)
            try:
                with socket.create_connection(('127.0.0.1', self.port), 1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError('tricircle-api did not answer; see %s'
                           % self.log.name)

    def call(self, method, path, **kwargs):
        """An HTTP call that returns the response whatever its status."""
        kwargs.setdefault('raise_exc', False)
        return self.client.request('/v1.0' + path, method, **kwargs)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=20)
        self.log.close()


def assert_error(resp, status, err_type=None):
    """The response is a Neutron-style error of that status (and type)."""
    assert resp.status_code == status, resp.text
    body = resp.json()['NeutronError']
    assert body['message']
    if err_type:
        assert body['type'] == err_type
    return body


@pytest.fixture(scope='module')
def admin_api(tmp_path_factory):
    api = AdminApi(str(tmp_path_factory.mktemp('admin-api')))
    yield api
    api.stop()
