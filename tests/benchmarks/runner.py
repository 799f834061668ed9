"""Run a benchmark script as a user would, and read the JSON it wrote."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def run_benchmark(script, output, *args, timeout=300):
    """``python benchmarks/<script> *args --output output``; its report."""
    path = os.path.join(ROOT, 'benchmarks', script)
    try:
        result = subprocess.run(
            [sys.executable, path, '--output', str(output)] + list(args),
            cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail('%s did not finish in %ds' % (script, e.timeout))
    assert result.returncode == 0, '%s exited %d:\n%s\n%s' % (
        script, result.returncode, result.stdout[-3000:],
        result.stderr[-5000:])
    with open(output) as f:
        return json.load(f)
