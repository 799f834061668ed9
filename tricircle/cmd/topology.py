"""``tricircle topology``: where every piece of a tenant's network lives.

Why: central Neutron shows routers and networks once, but an operator
chasing a problem needs the other half, which no single API shows: in
which pods each router has a piece, which bridge networks join them, where
each network was materialised, and whether XJob's latest job for it
succeeded. This reads both halves (central Neutron through
``tricircle.common.client.get_connection`` and the Tricircle DB directly,
as XJob does) and prints them as text, Graphviz DOT, or a PNG.

Read-only: it never writes to Neutron or the DB.
"""

import os
import sys

from oslo_config import cfg

from tricircle.common import constants as c

DEFAULT_SANDBOX_DIR = './sandbox'
BRIDGE_PREFIX = c.BRIDGE_PREFIX
NS_BRIDGE_PREFIX = c.NS_BRIDGE_PREFIX
FORMATS = ('text', 'dot', 'png')


# -- configuration ----------------------------------------------------------

def load_conf(config_file):
    """A private ConfigOpts from tricircle.conf: ``[client]`` to reach
    every region, ``[database] connection`` for the Tricircle DB."""
    from oslo_db import options as db_options

    from tricircle.common import client
    conf = cfg.ConfigOpts()
    client.register_opts(conf)
    db_options.set_defaults(conf)
    conf(['--config-file', config_file], project='tricircle',
         default_config_files=[])
    return conf


def config_file_of(args):
    if args.config_file:
        return args.config_file
    return os.path.join(args.dir or DEFAULT_SANDBOX_DIR, 'tricircle.conf')


# -- collecting -------------------------------------------------------------

def _latest_job(job_type, resource_id):
    from tricircle.db import jobs
    rows = jobs.list_jobs(None, {'type': job_type,
                                 'resource_id': resource_id})
    if not rows:
        return None
    job = max(rows, key=lambda j: (j['created_at'] or '', j['id']))
    return {k: job[k] for k in ('id', 'status', 'attempts', 'last_error',
                                'updated_at', 'created_at',
                                'next_attempt_at')}


def _pods_of(top_id, resource_type, regions):
    from tricircle.db import api as db_api
    return sorted({regions.get(r['pod_id'], r['pod_id']) for r in
                   db_api.list_routings(None, {'top_id': top_id,
                                               'resource_type':
                                               resource_type})})


def _bridge_info(central, net, regions, subnets_by_net):
    if net is None:
        return None
    return {'id': net.id, 'name': net.name,
            'type': net.provider_network_type,
            'segment': net.provider_segmentation_id,
            'cidrs': [s.cidr for s in subnets_by_net.get(net.id, [])],
            'pods': _pods_of(net.id, c.RT_NETWORK, regions) or
            _pods_of(net.id, c.RT_BRIDGE_NETWORK, regions)}


def collect(conf, project=None):
    """The topology as plain data: ``{'pods', 'routers', 'networks'}``."""
    from tricircle.common import client
    from tricircle.db import api as db_api
    from tricircle.db import core
    from tricircle.network import placement

    core.configure(conf.database.connection)
    pods = db_api.list_pods(None)
    regions = {p['pod_id']: p['region_name'] for p in pods}
    central = client.get_connection(conf.client.central_region_name,
                                    conf).network
    query = {'project_id': project} if project else {}
    networks = list(central.networks(**query))
    all_nets = {n.id: n for n in central.networks()}
    subnets_by_net = {}
    for subnet in central.subnets():
        subnets_by_net.setdefault(subnet.network_id, []).append(subnet)
    by_name = {n.name: n for n in all_nets.values()}

    routers = []
    for router in central.routers(**query):
        interfaces = []
        for port in central.ports(device_id=router.id,
                                  device_owner=c.DEVICE_OWNER_ROUTER_INTF):
            net = all_nets.get(port.network_id)
            interfaces.append({
                'network_id': port.network_id,
                'network': net.name if net else port.network_id,
                'ips': [ip['ip_address'] for ip in port.fixed_ips],
                'pods': _pods_of(port.network_id, c.RT_NETWORK, regions)})
        gateway = None
        gw_info = router.external_gateway_info or {}
        if gw_info.get('network_id'):
            ext = all_nets.get(gw_info['network_id'])
            gateway = {
                'network_id': gw_info['network_id'],
                'network': ext.name if ext else gw_info['network_id'],
                'ips': [ip.get('ip_address') for ip in
                        gw_info.get('external_fixed_ips') or []],
                'pods': _pods_of(gw_info['network_id'], c.RT_NETWORK,
                                 regions)}
        fips = [{'id': f.id, 'address': f.floating_ip_address,
                 'fixed_ip': f.fixed_ip_address, 'port_id': f.port_id,
                 'status': f.status}
                for f in central.ips(router_id=router.id)]
        hints = list(router.availability_zone_hints or [])
        # Kept to one pod by its hints: never on the tenant's bridge, which
        # the tenant's spanning routers may still use.
        local = len(placement.hinted_pods(hints, pods)) == 1
        routers.append({
            'id': router.id, 'name': router.name,
            'project_id': router.project_id,
            'hints': hints, 'local': local,
            'pods': _pods_of(router.id, c.RT_ROUTER, regions),
            'interfaces': sorted(interfaces, key=lambda i: i['network']),
            'gateway': gateway,
            'bridge': None if local else _bridge_info(central, by_name.get(
                BRIDGE_PREFIX + (router.project_id or '')), regions,
                subnets_by_net),
            'ns_bridge': _bridge_info(central, by_name.get(
                NS_BRIDGE_PREFIX + router.id), regions, subnets_by_net),
            'floatingips': sorted(fips, key=lambda f: f['address'] or ''),
            'job': _latest_job(c.JOB_ROUTER_SETUP, router.id)})

    tops = []
    for net in networks:
        if (net.name or '').startswith((BRIDGE_PREFIX, NS_BRIDGE_PREFIX)):
            continue        # shown with their routers
        tops.append({
            'id': net.id, 'name': net.name, 'project_id': net.project_id,
            'external': bool(net.is_router_external),
            'type': net.provider_network_type,
            'segment': net.provider_segmentation_id,
            'hints': list(net.availability_zone_hints or []),
            'cidrs': sorted(s.cidr for s in subnets_by_net.get(net.id, [])),
            'pods': _pods_of(net.id, c.RT_NETWORK, regions),
            'job': _latest_job(c.JOB_SHADOW_PORT_SETUP, net.id)})
    return {'pods': [{'region_name': p['region_name'],
                      'az_name': p['az_name'], 'pod_id': p['pod_id']}
                     for p in pods],
            'routers': sorted(routers, key=lambda r: (r['name'] or '',
                                                      r['id'])),
            'networks': sorted(tops, key=lambda n: (n['name'] or '',
                                                    n['id']))}


# -- rendering --------------------------------------------------------------

def _job_text(job):
    if job is None:
        return 'none'
    text = '%s (job %s, %d attempt(s), %s)' % (
        job['status'], job['id'], job['attempts'] or 0,
        job['updated_at'] or job['created_at'])
    if job['status'] == c.JS_FAIL and job['last_error']:
        text += ': ' + job['last_error'].strip().splitlines()[-1][:200]
    return text


def _pods_text(pods):
    return ', '.join(pods) if pods else '(no pod)'


def _bridge_text(bridge):
    return '%s %s %s %s in %s' % (
        bridge['name'], bridge['type'], bridge['segment'],
        ','.join(bridge['cidrs']) or '-', _pods_text(bridge['pods']))


def render_text(topo):
    lines = ['Pods: ' + ', '.join(
        '%s (%s)' % (p['region_name'], p['az_name'] or 'central')
        for p in topo['pods'])]
    for r in topo['routers']:
        lines.append('')
        lines.append('Router %s (%s) project %s' % (r['name'] or '-',
                                                    r['id'],
                                                    r['project_id']))
        lines.append('  pieces:       %s%s' % (_pods_text(r['pods']), (
            ' (%s router, availability_zone_hints %s)' % (
                'local' if r['local'] else 'hinted', ', '.join(r['hints']))
            if r['hints'] else '')))
        for i in r['interfaces']:
            lines.append('  interface:    %s %s in %s' % (
                i['network'], ','.join(i['ips']), _pods_text(i['pods'])))
        if r['gateway']:
            g = r['gateway']
            lines.append('  gateway:      %s %s in %s' % (
                g['network'], ','.join(i for i in g['ips'] if i),
                _pods_text(g['pods'])))
        for key, label in (('bridge', 'bridge'), ('ns_bridge', 'ns-bridge')):
            if r[key]:
                lines.append('  %-13s %s' % (label + ':',
                                             _bridge_text(r[key])))
        for f in r['floatingips']:
            lines.append('  floating IP:  %s -> %s (port %s) %s' % (
                f['address'], f['fixed_ip'] or '-', f['port_id'] or '-',
                f['status']))
        lines.append('  router_setup: %s' % _job_text(r['job']))
    for n in topo['networks']:
        lines.append('')
        lines.append('Network %s (%s) project %s%s' % (
            n['name'] or '-', n['id'], n['project_id'],
            ' external' if n['external'] else ''))
        lines.append('  pods:         %s (hints: %s)' % (
            _pods_text(n['pods']), ', '.join(n['hints']) or '-'))
        lines.append('  segment:      %s %s; subnets %s' % (
            n['type'], n['segment'] if n['segment'] is not None else '-',
            ', '.join(n['cidrs']) or '-'))
        lines.append('  shadow_port_setup: %s' % _job_text(n['job']))
    return '\n'.join(lines) + '\n'


def _q(text):
    """A DOT string: quotes and backslashes escaped, line breaks as DOT's
    own ``\\n`` (written once, so labels show lines, not backslashes)."""
    return '"%s"' % str(text).replace('\\', '\\\\').replace(
        '"', '\\"').replace('\n', '\\n')


_JOB_COLORS = {c.JS_SUCCESS: 'darkgreen', c.JS_FAIL: 'red',
               c.JS_RUNNING: 'orange', c.JS_NEW: 'blue'}


def render_dot(topo):
    """A Graphviz digraph: pods as boxes, routers as ellipses coloured by
    their latest job, networks as notes; edges say what lives where."""
    out = ['digraph tricircle {', '  rankdir=LR;',
           '  node [fontname="Helvetica", fontsize=10];']
    for p in topo['pods']:
        out.append('  %s [shape=box3d, label=%s];' % (
            _q('pod:' + p['region_name']),
            _q('%s\n%s' % (p['region_name'], p['az_name'] or 'central'))))

    def net_node(net_id, label, style='', jobs=None):
        color = _JOB_COLORS.get((jobs or {}).get('status'), 'black')
        out.append('  %s [shape=note, color=%s, label=%s%s];' % (
            _q('net:' + net_id), color, _q(label), style))

    for n in topo['networks']:
        label = '%s\n%s' % (n['name'] or n['id'], ' '.join(n['cidrs']))
        if n['job']:
            label += '\nshadow_port_setup %s' % n['job']['status']
        net_node(n['id'], label, ', style=bold' if n['external'] else '',
                 n['job'])
        for pod in n['pods']:
            out.append('  %s -> %s [style=dotted, arrowhead=none];' % (
                _q('net:' + n['id']), _q('pod:' + pod)))
    for r in topo['routers']:
        status = r['job']['status'] if r['job'] else 'no job'
        out.append('  %s [shape=ellipse, color=%s, label=%s];' % (
            _q('router:' + r['id']), _JOB_COLORS.get(status, 'black'),
            _q('%s\nrouter_setup %s' % (r['name'] or r['id'], status))))
        for pod in r['pods']:
            out.append('  %s -> %s [label="piece", style=dashed];' % (
                _q('router:' + r['id']), _q('pod:' + pod)))
        for i in r['interfaces']:
            out.append('  %s -> %s [label=%s];' % (
                _q('router:' + r['id']), _q('net:' + i['network_id']),
                _q(','.join(i['ips']))))
        if r['gateway']:
            out.append('  %s -> %s [label="gateway", penwidth=2];' % (
                _q('router:' + r['id']),
                _q('net:' + r['gateway']['network_id'])))
        for key in ('bridge', 'ns_bridge'):
            b = r[key]
            if not b:
                continue
            if not any(line.startswith('  %s ' % _q('net:' + b['id']))
                       for line in out):
                net_node(b['id'], '%s\n%s %s' % (
                    b['name'], b['segment'], ' '.join(b['cidrs'])),
                    ', style=dashed')
                for pod in b['pods']:
                    out.append('  %s -> %s [style=dotted, '
                               'arrowhead=none];' % (_q('net:' + b['id']),
                                                     _q('pod:' + pod)))
            out.append('  %s -> %s [label=%s, style=dashed];' % (
                _q('router:' + r['id']), _q('net:' + b['id']),
                _q(key.replace('_', '-'))))
        for f in r['floatingips']:
            node = _q('fip:' + f['id'])
            out.append('  %s [shape=diamond, label=%s];' % (
                node, _q('%s\n%s' % (f['address'], f['status']))))
            out.append('  %s -> %s [label=%s];' % (
                node, _q('router:' + r['id']), _q(f['fixed_ip'] or '-')))
    out.append('}')
    return '\n'.join(out) + '\n'


def render_png(dot_text, path):
    """PNG through the ``graphviz`` Python package and the ``dot`` binary
    (Debian's graphviz; tools/install-deps.sh installs both)."""
    try:
        import graphviz
    except ImportError:
        raise RuntimeError('--format png needs the graphviz Python package '
                           '(pip install graphviz, or tools/install-deps.sh)')
    try:
        data = graphviz.Source(dot_text).pipe(format='png')
    except graphviz.ExecutableNotFound:
        raise RuntimeError('--format png needs the Graphviz "dot" binary '
                           '(apt-get install graphviz)')
    with open(path, 'wb') as f:
        f.write(data)


# -- command line -----------------------------------------------------------

def _topology(args):
    config_file = config_file_of(args)
    if not os.path.exists(config_file):
        print('error: %s not found (give --config-file or --dir)' %
              config_file, file=sys.stderr)
        return 1
    topo = collect(load_conf(config_file), args.project)
    if args.format == 'text':
        sys.stdout.write(render_text(topo))
    elif args.format == 'dot':
        sys.stdout.write(render_dot(topo))
    else:
        try:
            render_png(render_dot(topo), args.output)
        except RuntimeError as e:
            print('error: %s' % e, file=sys.stderr)
            return 2
        print('wrote %s' % args.output)
    return 0


def add_topology(subparsers):
    parser = subparsers.add_parser(
        'topology', help='Show where each router and network lives: pods, '
                         'bridges, floating IPs, latest XJob jobs.')
    parser.add_argument('--project', help='Only this project\'s routers '
                                          'and networks.')
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--config-file', help='tricircle.conf ([client] and '
                                             '[database]).')
    where.add_argument('--dir', help='A sandbox folder; its tricircle.conf '
                                     'is read (default: %s).'
                       % DEFAULT_SANDBOX_DIR)
    parser.add_argument('--format', choices=FORMATS, default='text')
    parser.add_argument('--output', default='topology.png',
                        help='PNG file for --format png '
                             '(default: %(default)s).')
    parser.set_defaults(func=_topology)
