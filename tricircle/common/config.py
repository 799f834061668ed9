"""oslo.config options of the Tricircle services and their start-up.

Each service (Admin API, XJob, the plugins inside neutron-api) calls
:func:`init` once; options live in groups so one ``tricircle.conf`` can serve
every process of a deployment.
"""

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_log import log as logging

from tricircle.common import constants

CONF = cfg.CONF

api_opts = [
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address the Admin API listens on.'),
    cfg.PortOpt('bind_port', default=constants.ADMIN_API_DEFAULT_PORT,
                help='TCP port the Admin API listens on.'),
    cfg.IntOpt('api_workers', default=1, min=1,
               help='Number of Admin API worker processes.'),
    cfg.IntOpt('api_threads', default=8, min=1,
               help='Threads per Admin API worker process.'),
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone',
                         'validate tokens with keystonemiddleware'),
                        ('noauth', 'no authentication (one-machine '
                                   'sandbox only): the Admin API takes '
                                   'every caller as an admin, the API '
                                   'gateways take the identity the '
                                   'request\'s headers name')],
               help='How the Admin API and the API gateways authenticate '
                    'their callers.'),
]

client_opts = [
    cfg.URIOpt('auth_url',
               help='Keystone URL used to reach pods through the service '
                    'catalog, as the service user below (the Admin API '
                    'also checks there that a new pod\'s region has a '
                    'network endpoint). Unset means no Keystone: pod '
                    'endpoints come from pod_endpoints.'),
    cfg.StrOpt('username', help='Service user Tricircle acts as in pods.'),
    cfg.StrOpt('password', secret=True, help='Password of the service user.'),
    cfg.StrOpt('project_name', default='service',
               help='Project of the service user.'),
    cfg.StrOpt('user_domain_name', default='Default',
               help='Domain of the service user.'),
    cfg.StrOpt('project_domain_name', default='Default',
               help='Domain of the service project.'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Which catalog endpoint of a pod to use.'),
    cfg.DictOpt('pod_endpoints', default={},
                help='Network endpoints by region name, used when auth_url '
                     'is unset, e.g. "Pod1:http://10.0.0.2:9696,'
                     'Pod2:http://10.0.0.3:9696".'),
    cfg.URIOpt('admin_api_url',
               help='Admin API URL when there is no Keystone catalog to '
                    'find it in (service type "tricircle").'),
    cfg.StrOpt('central_region_name', default=constants.CENTRAL_REGION,
               help='Region name of the central Neutron.'),
    cfg.IntOpt('timeout', default=30, min=1,
               help='Seconds to wait for a pod API call.'),
]

network_opts = [
    cfg.StrOpt('region_name',
               help='Region name of the pod this local plugin serves; it '
                    'must match the pod registered in the Admin API.'),
    cfg.StrOpt('db_connection', secret=True,
               help='SQLAlchemy URL of the Tricircle DB, for the central '
                    'plugin (kept apart from Neutron\'s own [database]).'),
]


bridge_opts = [
    cfg.StrOpt('bridge_physnet', default='bridge',
               help='Provider physical network of the per-tenant bridge '
                    'networks that join a router\'s pieces across pods; '
                    'every pod must have it in its VLAN ranges.'),
    cfg.StrOpt('bridge_network_type', default='shared_vlan',
               help='Central network type of the bridge networks: one '
                    'segment id, the same in every pod.'),
    cfg.StrOpt('bridge_cidr', default='100.64.0.0/16',
               help='Pool the bridge subnets are cut from, one per tenant, '
                    'the same CIDR in every pod.'),
    cfg.IntOpt('bridge_prefixlen', default=24, min=8, max=30,
               help='Prefix length of each tenant\'s bridge subnet.'),
    cfg.StrOpt('ns_bridge_cidr', default='100.96.0.0/11',
               help='Pool the north-south bridge subnets are cut from, one '
                    'per router whose gateway is in another pod than some '
                    'of its subnets; must not overlap bridge_cidr.'),
    cfg.IntOpt('ns_bridge_prefixlen', default=24, min=8, max=29,
               help='Prefix length of each north-south bridge subnet: it '
                    'holds one IP per pod the router reaches and one per '
                    'floating IP of a port outside the gateway pod.'),
]


l2_opts = [
    cfg.ListOpt('cross_pod_network_types', default=['shared_vlan', 'vxlan'],
                help='Central network types whose segment reaches every '
                     'pod (same VLAN id on a shared physnet, or same VNI): '
                     'only these networks may live in more than one pod; '
                     'any other network stays in the first pod that uses '
                     'it.'),
    cfg.StrOpt('default_cross_pod_network_type', default='vxlan',
               help='Type a network gets when its availability_zone_hints '
                    'name several pods and its creator gives no '
                    'provider:network_type (tenants cannot: provider '
                    'attributes are admin-only). One of '
                    'cross_pod_network_types; empty refuses such networks '
                    'with 400 unless an admin gives the type.'),
    cfg.BoolOpt('span_unhinted_networks', default=True,
                help='Whether a cross-pod type network without '
                     'availability_zone_hints may be used in several pods; '
                     'when False it stays in the first pod that uses it.'),
    cfg.StrOpt('shadow_agent_type', default='Open vSwitch agent',
               help='Agent type of the records a pod keeps for the remote '
                    'hosts of shadow ports, so that its L2 population '
                    'reaches their VTEPs; match the pods\' L2 agent.'),
]


def register_network_opts(conf=CONF):
    """Options of the plugins that run inside neutron-api."""
    conf.register_opts(network_opts, group='tricircle')
    conf.register_opts(bridge_opts, group='tricircle')
    conf.register_opts(l2_opts, group='tricircle')
    conf.register_opts(client_opts, group='client')


def register_opts(conf=CONF):
    conf.register_opts(api_opts)
    conf.register_opts(client_opts, group='client')
    db_options.set_defaults(conf, connection='sqlite:///tricircle.sqlite')
    try:
        logging.register_options(conf)
    except cfg.ArgsAlreadyParsedError:  # pragma: no cover - re-init in tests
        pass


def init(argv, conf=CONF, prog=None, default_config_files=None):
    """Parse the command line and config files, then set up logging."""
    register_opts(conf)
    conf(argv, project='tricircle', prog=prog,
         default_config_files=default_config_files)
    logging.setup(conf, 'tricircle')
