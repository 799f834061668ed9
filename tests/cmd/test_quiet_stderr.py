"""The commands print nothing on stderr when all is well: no eventlet
deprecation notice (imported through oslo.service and Neutron), no
library INFO logs."""

import os
import subprocess
import sys
import warnings

from tests import conftest
from tricircle import cmd

BIN = os.path.dirname(sys.executable)


def test_audit_stderr_is_empty(sandbox):
    result = conftest.run_tricircle('audit', '--dir', sandbox['dir'])
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert result.stderr == ''
    assert result.stdout


def test_topology_and_status_stderr_is_empty(sandbox):
    for args in (('topology', '--dir', sandbox['dir']),
                 ('sandbox', 'status', '--dir', sandbox['dir'])):
        result = conftest.run_tricircle(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == '', args


def test_db_manage_stderr_has_no_eventlet_warning(sandbox):
    result = subprocess.run(
        [os.path.join(BIN, 'tricircle-db-manage'), '--config-file',
         sandbox['tricircle_conf'], 'current'],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'Eventlet' not in result.stderr


def test_only_the_eventlet_warning_is_filtered():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        cmd.silence_eventlet_warning()
        warnings.warn('\nEventlet is deprecated. It is currently...',
                      UserWarning)
        warnings.warn('something else is deprecated', UserWarning)
    assert [str(w.message) for w in caught] == [
        'something else is deprecated']
