"""Authentication and policy of the Admin API, on real processes."""

import os
import subprocess
import sys

from oslo_config import cfg
import pytest

from tests.api.conftest import AdminApi
from tests.api.conftest import assert_error
from tricircle.api import policy
from tricircle.common import context
from tricircle.common import exceptions as exc

BIN = os.path.dirname(sys.executable)


@pytest.fixture
def keystone_api(tmp_path):
    # keystonemiddleware refuses a request without a token before it ever
    # needs Keystone, so an unused loopback port is enough here.
    api = AdminApi(str(tmp_path), auth_strategy='keystone', extra_conf=(
        '[keystone_authtoken]\n'
        'www_authenticate_uri = http://127.0.0.1:9/v3\n'
        'auth_url = http://127.0.0.1:9/v3\n'))
    yield api
    api.stop()


def test_missing_token_is_401(keystone_api):
    resp = keystone_api.call('GET', '/pods', authenticated=False)
    assert resp.status_code == 401
    assert 'Keystone uri' in resp.headers['WWW-Authenticate']
    resp = keystone_api.call('POST', '/pods', authenticated=False,
                             json={'pod': {'region_name': 'Pod1'}})
    assert resp.status_code == 401


@pytest.mark.parametrize('method,path', [('GET', '/pods'),
                                         ('POST', '/pods'),
                                         ('GET', '/routings?bogus=1'),
                                         ('DELETE', '/jobs/x'),
                                         ('GET', '/no-such-thing')])
def test_401_has_the_error_body_of_every_error(keystone_api, method, path):
    """keystonemiddleware answers ``{"error": ...}``; the Admin API turns
    it into the one body the README promises, keeping the header that
    says where to get a token."""
    kwargs = {'json': {'pod': {'region_name': 'Pod1'}}} if (
        method == 'POST') else {}
    resp = keystone_api.call(method, path, authenticated=False, **kwargs)
    body = assert_error(resp, 401, 'Unauthorized')
    assert body['message'] == 'The request you have made requires ' \
        'authentication.'
    assert set(resp.json()) == {'NeutronError'}
    assert resp.headers['Content-Type'].startswith('application/json')
    assert 'Keystone uri' in resp.headers['WWW-Authenticate']


def test_policy_file_is_enforced(tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"tricircle:pods:create": "!"\n')
    api = AdminApi(str(tmp_path), extra_conf=(
        '[oslo_policy]\npolicy_file = %s\n' % policy_file))
    try:
        resp = api.call('POST', '/pods', json={'pod': {'region_name': 'R'}})
        assert resp.status_code == 403, resp.text
        assert resp.json()['NeutronError']['type'] == 'PolicyNotAuthorized'
        assert api.call('GET', '/pods').json()['pods'] == []
    finally:
        api.stop()


@pytest.fixture
def enforcer(monkeypatch):
    conf = cfg.ConfigOpts()
    conf([])
    monkeypatch.setattr(policy, '_ENFORCER', None)
    yield policy.get_enforcer(conf)
    policy._ENFORCER = None


@pytest.mark.parametrize('rule', [r.name for r in policy.list_rules()
                                  if r.name.startswith('tricircle:')])
def test_every_rule_is_admin_only(enforcer, rule):
    member = context.Context(project_id='p1', user_id='u1',
                             roles=['member', 'reader'])
    with pytest.raises(exc.PolicyNotAuthorized):
        policy.authorize(member, rule)
    admin = context.Context(project_id='p1', user_id='u1', roles=['admin'])
    policy.authorize(admin, rule)


def test_sample_generators_know_our_namespace():
    out = subprocess.run(
        [os.path.join(BIN, 'oslopolicy-sample-generator'), '--namespace',
         'tricircle'], capture_output=True, text=True, check=True).stdout
    assert '"tricircle:routings:update"' in out
    out = subprocess.run(
        [os.path.join(BIN, 'oslo-config-generator'), '--namespace',
         'tricircle'], capture_output=True, text=True, check=True).stdout
    assert 'pod_endpoints' in out and 'bind_port' in out
