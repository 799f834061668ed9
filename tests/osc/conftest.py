"""Run the real ``openstack`` CLI against the session's noauth sandbox.

Every command goes through a subprocess, so what is tested is what an
operator types: OSC's option parsing, the plugin's entry points, the
endpoint override and the output formatters. An ``openstack`` run costs
seconds of start-up (OSC imports every installed plugin), so commands
that do not depend on each other run side by side (``osc.parallel``).
"""

import json
import os
import subprocess
import sys
import time

import pytest

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
PREFIX = ('multiregion', 'networking')
TIMEOUT = 180


def clean_env(**extra):
    """The environment without the caller's OS_* settings, which would
    otherwise pick a cloud or a region behind the test's back."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(extra)
    return env


class Call:
    """One ``openstack`` command line, not yet run."""

    def __init__(self, argv, env):
        self.argv = argv
        self.env = env

    def start(self):
        return subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=self.env)


def _finish(call, proc):
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return subprocess.CompletedProcess(call.argv, proc.returncode, out, err)


def ok(result):
    assert result.returncode == 0, (result.args, result.stdout,
                                    result.stderr)
    return result


def failed(result, status=None, err_type=None):
    """Check a command failed cleanly; return its stderr."""
    assert result.returncode == 1, (result.args, result.stdout,
                                    result.stderr)
    assert not result.stdout.strip(), result.stdout
    assert 'Traceback' not in result.stderr, result.stderr
    if status is not None:
        assert '(HTTP %d, %s)' % (status, err_type) in result.stderr, (
            result.stderr)
    return result.stderr


class Osc:
    """``osc(*args)``: ``openstack --os-auth-type none --os-endpoint <Admin
    API> multiregion networking ARGS``; the CompletedProcess."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def call(self, *args, global_args=None, env=None):
        if global_args is None:
            global_args = ('--os-auth-type', 'none',
                           '--os-endpoint', self.endpoint)
        return Call([OPENSTACK, *global_args, *PREFIX, *args],
                    env or clean_env())

    def parallel(self, *calls):
        """Run the commands (Calls, or argument tuples) side by side; their
        CompletedProcesses, in order."""
        calls = [c if isinstance(c, Call) else self.call(*c) for c in calls]
        procs = [c.start() for c in calls]
        return [_finish(c, p) for c, p in zip(calls, procs)]

    def __call__(self, *args, check=True, **kwargs):
        result = self.parallel(self.call(*args, **kwargs))[0]
        return ok(result) if check else result

    def json(self, *args):
        return json.loads(self(*args, '-f', 'json').stdout)

    def value(self, *args):
        return self(*args, '-f', 'value').stdout.splitlines()

    def fails(self, *args, status=None, err_type=None):
        return failed(self(*args, check=False), status, err_type)

    def wait_job(self, job_id, statuses, timeout=90):
        deadline = time.time() + timeout
        job = None
        while time.time() < deadline:
            job = self.json('job', 'show', job_id)
            if job['status'] in statuses:
                return job
            time.sleep(0.5)
        pytest.fail('job %s never reached %s: %s' % (job_id, statuses, job))


@pytest.fixture(scope='session')
def osc(sandbox):
    return Osc(sandbox['admin_api'])
