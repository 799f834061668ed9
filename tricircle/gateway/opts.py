"""Options of ``tricircle-nova-apigw`` and ``tricircle-cinder-apigw``."""

from oslo_config import cfg

NOVA_APIGW_DEFAULT_PORT = 19998
CINDER_APIGW_DEFAULT_PORT = 19997


def _server_opts(name, port):
    return [
        cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                           help='Address the %s gateway listens on.' % name),
        cfg.PortOpt('bind_port', default=port,
                    help='TCP port the %s gateway listens on.' % name),
        cfg.IntOpt('workers', default=1, min=1,
                   help='Worker processes of the %s gateway.' % name),
        cfg.IntOpt('threads', default=8, min=1,
                   help='Threads per worker of the %s gateway.' % name),
    ]


nova_apigw_opts = _server_opts('Nova', NOVA_APIGW_DEFAULT_PORT)
cinder_apigw_opts = _server_opts('Cinder', CINDER_APIGW_DEFAULT_PORT)

gateway_opts = [
    cfg.StrOpt('default_availability_zone',
               help='Availability zone of a server or volume created '
                    'without one. Unset: the zone the tenant is already '
                    'bound in (its oldest binding), else the first zone, '
                    'by name, that has pods.'),
    cfg.DictOpt('compute_endpoints', default={},
                help='Nova endpoints (with /v2.1) by region name, used when '
                     '[client] auth_url is unset, e.g. '
                     '"Pod1:http://10.0.0.2:8774/v2.1".'),
    cfg.DictOpt('volume_endpoints', default={},
                help='Cinder v3 endpoints (with /v3, without a project) by '
                     'region name, used when [client] auth_url is unset.'),
    cfg.IntOpt('pod_timeout', default=60, min=1,
               help='Seconds to wait for a pod\'s Nova or Cinder to answer '
                    'one forwarded request; a pod that does not answer in '
                    'time counts as down.'),
]


def register_opts(conf=cfg.CONF):
    conf.register_opts(nova_apigw_opts, group='nova_apigw')
    conf.register_opts(cinder_apigw_opts, group='cinder_apigw')
    conf.register_opts(gateway_opts, group='gateway')


def list_opts():
    return [('nova_apigw', nova_apigw_opts),
            ('cinder_apigw', cinder_apigw_opts),
            ('gateway', gateway_opts)]
