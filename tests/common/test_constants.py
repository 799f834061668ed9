"""The Neutron names tricircle.common.constants spells out (so that XJob,
the audit and the CLI need not import neutron_lib) are neutron_lib's."""

import subprocess
import sys

from neutron_lib.api.definitions import portbindings
from neutron_lib.api.definitions import provider_net
from neutron_lib import constants as n_const
from neutron_lib.services.trunk import constants as trunk_consts

from tricircle.common import constants


def test_neutron_names_match_neutron_lib():
    assert {
        'NETWORK_TYPE': provider_net.NETWORK_TYPE,
        'PHYSICAL_NETWORK': provider_net.PHYSICAL_NETWORK,
        'SEGMENTATION_ID': provider_net.SEGMENTATION_ID,
        'HOST_ID': portbindings.HOST_ID,
        'VIF_TYPE': portbindings.VIF_TYPE,
        'VIF_TYPE_UNBOUND': portbindings.VIF_TYPE_UNBOUND,
        'VIF_TYPE_BINDING_FAILED': portbindings.VIF_TYPE_BINDING_FAILED,
        'TRUNK_ACTIVE': trunk_consts.TRUNK_ACTIVE_STATUS,
        'TRUNK_DOWN': trunk_consts.TRUNK_DOWN_STATUS,
        'TRUNK_BUILD': trunk_consts.TRUNK_BUILD_STATUS,
        'TRUNK_DEGRADED': trunk_consts.TRUNK_DEGRADED_STATUS,
        'TRUNK_ERROR': trunk_consts.TRUNK_ERROR_STATUS,
        'DEVICE_OWNER_TRUNK_SUBPORT': trunk_consts.TRUNK_SUBPORT_OWNER,
        'DEVICE_OWNER_ROUTER_INTF': n_const.DEVICE_OWNER_ROUTER_INTF,
        'DEVICE_OWNER_ROUTER_GW': n_const.DEVICE_OWNER_ROUTER_GW,
        'DEVICE_OWNER_FLOATINGIP': n_const.DEVICE_OWNER_FLOATINGIP,
    } == {name: getattr(constants, name) for name in (
        'NETWORK_TYPE', 'PHYSICAL_NETWORK', 'SEGMENTATION_ID', 'HOST_ID',
        'VIF_TYPE', 'VIF_TYPE_UNBOUND', 'VIF_TYPE_BINDING_FAILED',
        'TRUNK_ACTIVE', 'TRUNK_DOWN', 'TRUNK_BUILD', 'TRUNK_DEGRADED',
        'TRUNK_ERROR', 'DEVICE_OWNER_TRUNK_SUBPORT',
        'DEVICE_OWNER_ROUTER_INTF', 'DEVICE_OWNER_ROUTER_GW',
        'DEVICE_OWNER_FLOATINGIP')}


def test_the_cli_and_xjob_modules_stay_light():
    """What the audit, XJob's handlers and the sandbox CLI import, in a
    fresh interpreter (this one has them all): none of Neutron itself, of
    neutron_lib's API definitions, alembic or oslo.messaging."""
    code = (
        'import importlib, pkgutil, sys\n'
        'import tricircle.network.sync.audit\n'
        'import tricircle.sandbox.cluster\n'
        'import tricircle.xjob.handlers as h\n'
        'for m in pkgutil.iter_modules(h.__path__):\n'
        '    importlib.import_module(h.__name__ + "." + m.name)\n'
        'print(sorted(m for m in sys.modules if m.split(".")[0] in '
        '("neutron", "alembic", "oslo_messaging") or '
        'm.startswith("neutron_lib.api.definitions")))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'
