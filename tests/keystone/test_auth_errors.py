"""Admin API authentication errors in Keystone mode, with a real Keystone:
every 401 has the ``{"NeutronError": ...}`` body of the other errors, not
keystonemiddleware's ``{"error": ...}``; and tricircle-status works with
the service catalog."""

import json
import os
import subprocess
import sys

from keystoneauth1 import session as ks_session
import pytest

BIN = os.path.dirname(sys.executable)


def _get(url, headers):
    sess = ks_session.Session(timeout=30)
    return sess.get(url, headers=headers, authenticated=False,
                    raise_exc=False)


@pytest.mark.parametrize('token', [None, 'not-a-token', 'expired'])
@pytest.mark.parametrize('path', ['/v1.0/pods', '/v1.0/routings',
                                  '/v1.0/jobs/x', '/v1.0/nothing'])
def test_401_body_is_a_neutron_error(ks_cloud, token, path):
    if token == 'expired':
        token = ks_cloud.crafted_token('admin', -1)
    headers = {'X-Auth-Token': token} if token else {}
    resp = _get(ks_cloud.state['admin_api'] + path, headers)
    assert resp.status_code == 401, resp.text
    assert resp.headers['Content-Type'].startswith('application/json')
    body = resp.json()
    assert set(body) == {'NeutronError'}, body
    err = body['NeutronError']
    assert err['type'] == 'Unauthorized'
    assert 'authentication' in err['message']
    assert err['detail'] == ''
    # Where to get a token is still said.
    assert 'Keystone uri' in resp.headers['WWW-Authenticate']


def test_valid_token_still_passes(ks_cloud):
    token = ks_cloud.crafted_token('admin', 1)
    resp = _get(ks_cloud.state['admin_api'] + '/v1.0/pods',
                {'X-Auth-Token': token})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()['pods']) == 3


def test_tenant_refusal_keeps_its_403_body(ks_cloud):
    resp = ks_cloud.admin_api('alice').get('/v1.0/pods', raise_exc=False)
    assert resp.status_code == 403, resp.text
    assert resp.json()['NeutronError']['type'] == 'PolicyNotAuthorized'


def test_status_upgrade_check_through_the_catalog(ks_cloud):
    result = subprocess.run(
        [os.path.join(BIN, 'tricircle-status'), '--config-file',
         ks_cloud.state['tricircle_conf'], 'upgrade', 'check', '--json'],
        capture_output=True, text=True, timeout=120)
    out = json.loads(result.stdout)
    assert result.returncode == 0, out
    assert [c['result'] for c in out['checks']] == [0, 0, 0], out
    assert result.stderr == ''
