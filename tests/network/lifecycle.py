"""Helpers of the lifecycle tests: raw Neutron requests with Neutron's own
attribute names, and waiting until the pods hold what central holds."""

import contextlib
import time

import pytest

from tests.conftest import run_tricircle

from tricircle.network import attributes

TIMEOUT = 60
PLURAL = attributes.COLLECTIONS


def request(conn, method, path, body=None):
    """(status, decoded body) of a request through an openstacksdk
    connection's network proxy."""
    resp = conn.network.request(path, method, json=body, raise_exc=False)
    return resp.status_code, (resp.json() if resp.content else None)


def get(conn, kind, resource_id):
    status, body = request(conn, 'GET', '/%s/%s' % (PLURAL[kind],
                                                    resource_id))
    assert status == 200, body
    return body[kind]


def find(conn, kind, resource_id):
    """By listing: a GET by id in a pod would pull a central copy in, and
    so would a list of networks naming the id."""
    query = '' if kind == 'network' else '?id=%s' % resource_id
    status, body = request(conn, 'GET', '/%s%s' % (PLURAL[kind], query))
    assert status == 200, body
    return next((r for r in body[PLURAL[kind]] if r['id'] == resource_id),
                None)


def put(conn, kind, resource_id, attrs):
    status, body = request(conn, 'PUT', '/%s/%s' % (PLURAL[kind],
                                                    resource_id),
                           {kind: attrs})
    assert status == 200, body
    return body[kind]


def set_tags(conn, kind, resource_id, tags):
    status, body = request(conn, 'PUT', '/%s/%s/tags' % (
        PLURAL[kind], resource_id), {'tags': tags})
    assert status == 200, body


def mismatches(cloud, kind, resource_id, regions, keys):
    top = get(cloud.central, kind, resource_id)
    wrong = {}
    for region in regions:
        here = find(cloud.pods[region], kind, resource_id)
        if here is None:
            wrong[region] = 'absent'
            continue
        for key in keys:
            if not attributes.same(key, here.get(key), top.get(key)):
                wrong['%s %s' % (region, key)] = (here.get(key),
                                                  top.get(key))
    return top, wrong


def wait_same(cloud, kind, resource_id, regions, keys, timeout=TIMEOUT):
    """Until every pod in ``regions`` shows central's value of ``keys``;
    central's resource."""
    deadline = time.time() + timeout
    while True:
        top, wrong = mismatches(cloud, kind, resource_id, regions, keys)
        if not wrong:
            return top
        if time.time() > deadline:
            pytest.fail('%s %s: pods still differ from central: %s' % (
                kind, resource_id, wrong))
        time.sleep(0.2)


def wait_no_drift(drift, what, timeout=TIMEOUT):
    """Until ``drift()`` comes back empty; fails naming ``what`` and the
    last drift seen."""
    deadline = time.time() + timeout
    while True:
        wrong = drift()
        if not wrong:
            return
        if time.time() > deadline:
            pytest.fail('%s differs from central: %s' % (what, wrong))
        time.sleep(0.2)


def wait_gone(cloud, kind, resource_id, regions, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while True:
        left = [r for r in regions
                if find(cloud.pods[r], kind, resource_id) is not None]
        if not left:
            return
        if time.time() > deadline:
            pytest.fail('%s %s still in %s' % (kind, resource_id, left))
        time.sleep(0.2)


def jobs_of(cloud, resource_id):
    return cloud.admin.get('/v1.0/jobs?resource_id=%s'
                           % resource_id).json()['jobs']


def wait_job(cloud, job_type, resource_id, status, timeout=TIMEOUT):
    """The newest job of that type and resource, once it has ``status``."""
    deadline = time.time() + timeout
    while True:
        jobs = sorted((j for j in jobs_of(cloud, resource_id)
                       if j['type'] == job_type),
                      key=lambda j: j['created_at'])
        if jobs and jobs[-1]['status'] == status:
            return jobs[-1]
        if time.time() > deadline:
            pytest.fail('%s job of %s not %s: %s' % (job_type, resource_id,
                                                     status, jobs))
        time.sleep(0.2)


def redo(cloud, job_id, timeout=TIMEOUT):
    """Run a FAIL job now (a 409 means it is already due or running), and
    return once no job of its type and resource is left to run: a run
    still to come would otherwise undo what the next test does behind
    central's back (XJob's own retry may have run the job just before the
    redo)."""
    resp = cloud.admin.put('/v1.0/jobs/%s' % job_id, raise_exc=False)
    assert resp.status_code in (200, 409), resp.text
    job = cloud.admin.get('/v1.0/jobs/%s' % job_id).json()['job']
    resource_id = job['resource_id']
    deadline = time.time() + timeout
    while True:
        jobs = [j for j in jobs_of(cloud, resource_id)
                if j['type'] == job['type']]
        # Pending: to run, running, or failed with a retry to come (a
        # failed run superseded by a newer job has none).
        if not any(j['status'] in ('NEW', 'RUNNING') or (
                j['status'] == 'FAIL' and j['next_attempt_at'])
                for j in jobs):
            return
        if time.time() > deadline:
            pytest.fail('jobs of %s not done after the redo: %s' % (
                resource_id, jobs))
        time.sleep(0.2)


def audit(cloud, tricircle_cli, project, *args):
    """``tricircle audit --project PROJECT ARGS`` on the sandbox."""
    return tricircle_cli('audit', '--dir', cloud.state['dir'], '--project',
                         project, *args)


def wait_audit_clean(cloud, tricircle_cli, project, timeout=TIMEOUT):
    """Until the audit of ``project`` finds nothing (the jobs ``--fix``
    queued have run)."""
    deadline = time.time() + timeout
    while audit(cloud, tricircle_cli, project).returncode != 0:
        assert time.time() < deadline, 'audit not clean after --fix'
        time.sleep(0.5)


def sandbox_cli(cloud, verb, region):
    done = run_tricircle('sandbox', verb, '--dir', cloud.state['dir'],
                         region)
    assert done.returncode == 0, done.stderr


@contextlib.contextmanager
def pod_stopped(cloud, region):
    """``region``'s Neutron is down for the block, and up again after."""
    sandbox_cli(cloud, 'stop-server', region)
    try:
        yield
    finally:
        sandbox_cli(cloud, 'start-server', region)
