"""The committed samples in etc/ are what the generators make of the code
(``make config-sample``, ``make policy-sample``), and every option the
config sample lists is documented."""

import difflib
import os
import subprocess
import sys

import pytest

from tricircle.common import config
from tricircle.common import opts
from tricircle.gateway import opts as gateway_opts
from tricircle.xjob import opts as xjob_opts

BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ETC = os.path.join(ROOT, 'etc')
GENERATOR_CONF = os.path.join(ETC, 'oslo-config-generator', 'tricircle.conf')


def _same(committed, generated, remake):
    with open(committed) as f:
        old = f.read()
    with open(generated) as f:
        new = f.read()
    if old != new:
        diff = ''.join(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), committed,
            'regenerated', n=1))
        pytest.fail('%s is stale; run `%s`:\n%s' % (
            os.path.relpath(committed, ROOT), remake, diff[:4000]))


def test_config_sample_is_current(tmp_path):
    out = tmp_path / 'tricircle.conf.sample'
    subprocess.run([os.path.join(BIN, 'oslo-config-generator'),
                    '--config-file', GENERATOR_CONF, '--output-file',
                    str(out)], capture_output=True, text=True, check=True,
                   cwd=ROOT)
    _same(os.path.join(ETC, 'tricircle.conf.sample'), out,
          'make config-sample')


@pytest.mark.parametrize('namespace,name', [
    ('tricircle', 'tricircle-api-policy.yaml.sample'),
    ('tricircle-neutron', 'tricircle-neutron-policy.yaml.sample'),
])
def test_policy_samples_are_current(tmp_path, namespace, name):
    out = tmp_path / name
    subprocess.run([os.path.join(BIN, 'oslopolicy-sample-generator'),
                    '--namespace', namespace, '--output-file', str(out)],
                   capture_output=True, text=True, check=True)
    _same(os.path.join(ETC, name), out, 'make policy-sample')


def test_generator_conf_points_at_the_sample():
    with open(GENERATOR_CONF) as f:
        lines = [line.strip() for line in f]
    assert 'output_file = etc/tricircle.conf.sample' in lines
    assert 'namespace = tricircle' in lines


def _listed():
    return {(str(group), opt.dest): opt
            for group, group_opts in opts.list_opts()
            for opt in group_opts}


def test_every_option_is_listed_with_help():
    listed = _listed()
    for group, module_opts in [
            ('DEFAULT', config.api_opts), ('client', config.client_opts),
            ('tricircle', config.network_opts + config.bridge_opts +
             config.l2_opts),
            ('xjob', xjob_opts.xjob_opts),
            ('nova_apigw', gateway_opts.nova_apigw_opts),
            ('cinder_apigw', gateway_opts.cinder_apigw_opts),
            ('gateway', gateway_opts.gateway_opts)]:
        for opt in module_opts:
            assert (group, opt.dest) in listed, (group, opt.dest)
    for (group, name), opt in listed.items():
        assert opt.help and opt.help.strip().endswith('.'), (group, name)


def test_every_option_list_of_the_modules_is_covered():
    """A new ``*_opts`` list in the modules must reach list_opts too."""
    listed = {id(o) for o in _listed().values()}
    for module in (config, xjob_opts):
        for attr, value in vars(module).items():
            if attr.endswith('_opts') and isinstance(value, list):
                for opt in value:
                    assert id(opt) in listed, (module.__name__, attr,
                                               opt.dest)


def test_groups_say_where_they_belong():
    groups = {str(g): g for g, _ in opts.list_opts()}
    assert 'neutron.conf' in groups['tricircle'].help
    assert 'neutron.conf' in groups['client'].help
