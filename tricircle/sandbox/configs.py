"""Config files of the sandbox's servers.

Every server of a sandbox keeps its config, state and database under the
sandbox folder, so several sandboxes can run side by side and ``rm -rf`` of
the folder removes everything. The Neutron settings are parameters because
later work swaps ML2 for the Tricircle central and local plugins.
"""

import configparser
import os
import sys

from tricircle.common import constants
from tricircle.sandbox import dbserver

# VLAN and VxLAN ranges every sandbox Neutron offers; the physnet names are
# the ones the bridge networks of cross-pod L3 use.
VLAN_RANGES = 'bridge:2001:3000,extern:3001:4000'
VNI_RANGES = '1001:2000'


def api_paste_ini():
    """Neutron's api-paste.ini installed with the neutron package."""
    return os.path.join(sys.prefix, 'etc', 'neutron', 'api-paste.ini')


def write_ini(path, sections):
    """Write ``sections`` (section -> {option: value}) as an ini file."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep option names as written
    for section, options in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in options.items():
            parser.set(section, key, '' if value is None else str(value))
    with open(path, 'w') as f:
        parser.write(f)
    return path


def merge(base, extra):
    """Sections of ``extra`` on top of ``base`` (both section -> dict)."""
    merged = {section: dict(options) for section, options in base.items()}
    for section, options in (extra or {}).items():
        merged.setdefault(section, {}).update(options)
    return merged


def neutron_sections(state_dir, core_plugin='ml2', service_plugins='router',
                     extra=None):
    """The option sections of one sandbox neutron-api.

    ``extra`` maps section -> {option: value}; its options override or add to
    the defaults, e.g. ``{'tricircle': {...}}`` for a Tricircle plugin.
    """
    # Here, not at the top: both import neutron_lib, a second of CPU that
    # every ``tricircle`` command would pay for the sandbox's options.
    from tricircle.network.central import origin
    from tricircle.network.local import origin as local_origin
    from tricircle.sandbox import identity
    filters = {
        # Central learns which pod asks (tricircle.network.central.origin).
        CENTRAL_PLUGIN: [(origin.FILTER, origin.FACTORY)],
        # A pod learns which updates are XJob's pushes of central's values
        # (tricircle.network.local.origin).
        LOCAL_PLUGIN: [(local_origin.FILTER, local_origin.FACTORY)],
    }
    sections = {
        'DEFAULT': {
            'core_plugin': core_plugin,
            'service_plugins': service_plugins,
            'auth_strategy': 'noauth',
            # In-process only: the sandbox has no agents to talk to.
            'transport_url': 'fake:/',
            # Neutron's own switch for a server no agent talks to: no
            # object pushes, DHCP or security-group casts on every change
            # (a fifth to a third of a port create's CPU). A data-plane pod's
            # Neutron, which has agents, sets it back to 1.
            'rpc_workers': '0',
            'api_paste_config': identity.paste_ini(
                api_paste_ini(), os.path.join(state_dir, 'api-paste.ini'),
                filters.get(core_plugin, ())),
            'state_path': state_dir,
        },
        'database': {
            'connection': 'sqlite:///%s' % os.path.join(state_dir,
                                                        'neutron.sqlite'),
        },
        'ml2': {
            'type_drivers': 'local,flat,vlan,vxlan',
            'tenant_network_types': 'local',
            'mechanism_drivers': '',
            # As in most clouds: ports and networks carry
            # port_security_enabled, which central owns.
            'extension_drivers': 'port_security',
        },
        'ml2_type_flat': {'flat_networks': '*'},
        'ml2_type_vlan': {'network_vlan_ranges': VLAN_RANGES},
        'ml2_type_vxlan': {'vni_ranges': VNI_RANGES},
        'oslo_concurrency': {'lock_path': os.path.join(state_dir, 'lock')},
    }
    for section, options in (extra or {}).items():
        sections.setdefault(section, {}).update(options)
    return sections


def write_neutron_conf(state_dir, core_plugin='ml2', service_plugins='router',
                       extra=None):
    """Write ``state_dir/neutron.conf`` (creating the folder); return path."""
    os.makedirs(os.path.join(state_dir, 'lock'), exist_ok=True)
    sections = neutron_sections(state_dir, core_plugin, service_plugins,
                                extra)
    return write_ini(os.path.join(state_dir, 'neutron.conf'), sections)


def tricircle_db_url(sandbox_dir, database=None):
    """The Tricircle DB: on the sandbox's database server (``database``,
    the layout's section of that name), else a SQLite file."""
    if database:
        return database['urls'][dbserver.TRICIRCLE_DB]
    return 'sqlite:///%s' % os.path.join(sandbox_dir, 'tricircle.sqlite')


def write_tricircle_conf(sandbox_dir, api_port, pod_endpoints, extra=None,
                         database=None):
    """Write ``sandbox_dir/tricircle.conf`` for the Admin API and clients.

    ``pod_endpoints`` is a list of (region_name, neutron URL).
    """
    sections = {
        'DEFAULT': {
            'bind_host': '127.0.0.1',
            'bind_port': api_port,
            'auth_strategy': 'noauth',
        },
        'database': {'connection': tricircle_db_url(sandbox_dir,
                                                    database)},
        'client': {
            'central_region_name': constants.CENTRAL_REGION,
            'pod_endpoints': ','.join('%s:%s' % (region, url)
                                      for region, url in pod_endpoints),
        },
    }
    for section, options in (extra or {}).items():
        sections.setdefault(section, {}).update(options)
    return write_ini(os.path.join(sandbox_dir, 'tricircle.conf'), sections)


CENTRAL_PLUGIN = 'tricircle.network.central.plugin.TricircleCentralPlugin'
LOCAL_PLUGIN = 'tricircle.network.local.plugin.TricircleLocalPlugin'
CENTRAL_L3_PLUGIN = 'tricircle.network.central.l3.TricircleCentralL3Plugin'
LOCAL_L3_PLUGIN = 'tricircle.network.local.l3.TricircleLocalL3Plugin'
CENTRAL_QOS_PLUGIN = 'tricircle.network.central.qos.TricircleCentralQosPlugin'
LOCAL_QOS_PLUGIN = 'tricircle.network.local.qos.TricircleLocalQosPlugin'
CENTRAL_TRUNK_PLUGIN = (
    'tricircle.network.central.trunk.TricircleCentralTrunkPlugin')
LOCAL_TRUNK_PLUGIN = 'tricircle.network.local.trunk.TricircleLocalTrunkPlugin'
# networking-sfc's two plugins, each side's; their drivers stay
# networking-sfc's default, ``dummy`` (the pods' agentless ports have no
# OVS agent to program).
CENTRAL_SFC_PLUGINS = (
    'tricircle.network.central.sfc.TricircleCentralSfcPlugin',
    'tricircle.network.central.sfc.TricircleCentralFlowClassifierPlugin')
LOCAL_SFC_PLUGINS = (
    'tricircle.network.local.sfc.TricircleLocalSfcPlugin',
    'tricircle.network.local.sfc.TricircleLocalFlowClassifierPlugin')
# Networks and ports carry qos_policy_id (central owns it).
TRICIRCLE_EXTENSION_DRIVERS = 'port_security,qos'
POD_QUOTA_DRIVER = 'neutron.db.quota.driver_null.DbQuotaDriverNull'
# Neutron's reference IPAM, reading columns (tricircle.network.drivers.ipam).
IPAM_DRIVER = 'tricircle'


def plain_ml2(region_name, az_name, layout):
    """Every Neutron on stock ML2: the baseline benchmarks compare with."""
    return {}


def tricircle_plugins(region_name, az_name, layout):
    """Central runs the central plugin, each pod the local plugin."""
    if region_name == constants.CENTRAL_REGION:
        return {'core_plugin': CENTRAL_PLUGIN,
                'service_plugins': ','.join((CENTRAL_L3_PLUGIN,
                                             CENTRAL_QOS_PLUGIN,
                                             CENTRAL_TRUNK_PLUGIN) +
                                            CENTRAL_SFC_PLUGINS),
                'extra': {
                    # Central wires nothing: no DHCP agent to tell.
                    'DEFAULT': {'dhcp_agent_notification': 'False',
                                'ipam_driver': IPAM_DRIVER},
                    'ml2': {'type_drivers': 'local,flat,vlan,vxlan,'
                                            'shared_vlan',
                            # A network made with no type reaches every
                            # pod the tenant's VMs land in (README,
                            # "Tenant network type").
                            'tenant_network_types': 'vxlan',
                            'mechanism_drivers': 'tricircle_central',
                            'extension_drivers':
                                TRICIRCLE_EXTENSION_DRIVERS},
                    # Tag changes reach the pods (tricircle.network.
                    # central.tags).
                    'oslo_messaging_notifications': {
                        'driver': 'tricircle_tags'},
                    'tricircle': {
                        'db_connection': tricircle_db_url(
                            layout['dir'], layout.get('database'))},
                }}
    return {'core_plugin': LOCAL_PLUGIN,
            'service_plugins': ','.join((LOCAL_L3_PLUGIN, LOCAL_QOS_PLUGIN,
                                         LOCAL_TRUNK_PLUGIN) +
                                        LOCAL_SFC_PLUGINS),
            'extra': {
                'DEFAULT': {'ipam_driver': IPAM_DRIVER},
                'tricircle': {'region_name': region_name},
                'ml2': {'extension_drivers': TRICIRCLE_EXTENSION_DRIVERS},
                # Central holds the quota: a tenant's port, network or
                # rule is counted there. A pod counting its copies again
                # (and a group's copy holds an IP rule per member in other
                # pods) would refuse what central's quota allows.
                'quotas': {'quota_driver': POD_QUOTA_DRIVER},
                'client': {
                    'central_region_name': constants.CENTRAL_REGION,
                    'pod_endpoints': '%s:%s' % (
                        constants.CENTRAL_REGION,
                        layout['central']['neutron']),
                    'admin_api_url': layout['admin_api']},
            }}
