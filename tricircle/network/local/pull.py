"""Pulling central's resources into a pod on first use.

A pod holds a central network, subnet or port only once something in the
pod needs it: a port made through the pod, or a client (Nova above all)
looking it up by id. The copy has central's UUID, segment, addresses and
owned attributes, and a routing entry so central's later updates and
deletes reach it. A list that names no id never pulls: listing a pod shows
what it holds.
"""

import contextlib

from neutron.common import ipv6_utils
from neutron.db import models_v2
from neutron.extensions import tagging
from neutron_lib import constants as n_const
from neutron_lib.db import api as db_api
from neutron_lib.db import utils as db_utils
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from neutron_lib.plugins import utils as plugin_utils
from oslo_concurrency import lockutils
from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_utils import excutils

from tricircle.common import constants
from tricircle.common import exceptions as t_common_exc
from tricircle.network import attributes
from tricircle.network import exceptions as t_exc
from tricircle.network.local import qos as local_qos
from tricircle.network.local import trunk as local_trunk
from tricircle.network import placement
from tricircle.network import segments
from tricircle.network import trunks
from tricircle.network.sync import bridge
from tricircle.network.sync import shadow_ports

LOG = logging.getLogger(__name__)

# What a pulled port takes from central besides its owned attributes and
# its addresses.
_PULLED_PORT_KEYS = ('network_id', 'project_id')
_ADDRESS_MODES = ('ipv6_address_mode', 'ipv6_ra_mode')
# A network a pod may not hold is left out of a list, not an error.
_NOT_HERE = (n_exc.NetworkNotFound, t_exc.NetworkNotInPod,
             t_exc.NetworkInAnotherPod)


def held_row(context, model, resource_id, *columns):
    """The local row of ``resource_id`` (just ``columns``, else its id), or
    None. A port create asks this for its network, subnets and groups:
    the plugin's GET would build each whole (rules, extensions) only to
    learn that the pod holds it, which it almost always does."""
    admin = context.elevated()
    with db_api.CONTEXT_READER.using(admin):
        return admin.session.query(
            *[getattr(model, c) for c in columns or ('id',)]).filter(
                model.id == resource_id).first()


def _visible(context, top):
    return (context.is_admin or top.get('shared') or
            top.get('project_id') == context.project_id)


class PullMixin:
    """Mixed into the local plugin (before ML2).

    Expects the plugin's ``central``, ``admin`` and ``region_name``.
    """

    def _pull_listed_networks(self, context, filters):
        """A list naming ids or names pulls those the pod may hold and
        lacks: Nova checks a server's networks with ``GET
        /networks?id=...``, and ``openstack --os-region-name Pod1 server
        create --network NAME`` finds one with ``GET /networks?name=...``.
        """
        filters = filters or {}
        ids = filters.get('id') or ()
        tops = {}
        if not ids and filters.get('name'):
            tops = self._central_by_name(context, filters['name'])
            ids = list(tops)
        if not ids:
            return
        held, with_subnets = self._held_networks(context, ids)
        missing = set(ids) - held
        for net_id in missing:
            try:
                top = tops.get(net_id) or self.central.get_network(net_id)
            except t_exc.CentralNotFound:
                continue
            if not _visible(context, top):
                continue
            try:
                self._ensure_network(context, net_id, top)
            except _NOT_HERE as e:
                LOG.debug('Listed network %s not pulled into pod %s: %s',
                          net_id, self.region_name, e)
        if missing:
            held, with_subnets = self._held_networks(context, ids)
        # One that another API worker is pulling right now can be here
        # before its subnets: whoever sees it must see them.
        bare = held - with_subnets
        for net_id in bare:
            for subnet in self.central.list_subnets(net_id):
                self._ensure_subnet(context, subnet['id'], subnet)
        if missing or bare:
            # Pulling loaded networks into the request's session, maybe
            # before their subnets came: the list that follows must read
            # them afresh.
            context.session.expire_all()

    def _central_by_name(self, context, names):
        """Central's networks of those names the request may see, by id.
        A list is a list: with central out of reach it answers with what
        the pod holds (and says so in the log) rather than failing."""
        try:
            found = self.central.find_networks(names)
        except (t_exc.CentralUnavailable, t_exc.CentralFailed) as e:
            LOG.warning('Networks named %s not looked up on central: %s',
                        ', '.join(names), e)
            return {}
        # The requester's own or shared networks, even for an admin (a
        # name is no promise of which project's network is meant), and
        # never Tricircle's bridges, which XJob alone places.
        return {top['id']: top for top in found
                if (top.get('shared') or
                    top.get('project_id') == context.project_id) and
                not bridge.is_bridge(top.get('name'))}

    @staticmethod
    def _held_networks(context, ids):
        """(ids of ``ids`` held here, those of them with a subnet), read
        as columns so that no network object is cached in the session."""
        with db_api.CONTEXT_READER.using(context):
            held = {row[0] for row in context.session.query(
                models_v2.Network.id).filter(models_v2.Network.id.in_(ids))}
            with_subnets = {row[0] for row in context.session.query(
                models_v2.Subnet.network_id).filter(
                    models_v2.Subnet.network_id.in_(held))} if held else set()
        return held, with_subnets

    def _pullable_port(self, context, port_id):
        """Central's record of a port this pod may take by id, or 404.

        Only a VM's port (no owner, ``compute:*``, or a trunk's subport)
        that no other pod holds: a router's, DHCP's or Tricircle's port
        reaches a pod through its own path, and a port is in one pod at a
        time.
        """
        try:
            top = self.central.get_port(port_id)
        except t_exc.CentralNotFound:
            raise n_exc.PortNotFound(port_id=port_id)
        owner = top.get('device_owner') or ''
        if not _visible(context, top) or not (
                owner in ('', trunks.SUBPORT_OWNER) or owner.startswith(
                    n_const.DEVICE_OWNER_COMPUTE_PREFIX)):
            raise n_exc.PortNotFound(port_id=port_id)
        if any(r['pod_id'] != self.admin.pod_id for r in
               self.admin.routings(port_id, constants.RT_PORT)):
            raise n_exc.PortNotFound(port_id=port_id)
        return top

    def _ensure_port(self, context, port_id):
        """The local twin of a port made on central, pulled by id
        (``openstack server create --port``: Nova's first call is a
        GET)."""
        top = self._pullable_port(context, port_id)
        admin = context.elevated()
        with lockutils.lock('tricircle-port-%s' % port_id):
            try:
                return super().get_port(admin, port_id)
            except n_exc.PortNotFound:
                pass
            self._ensure_network(context, top['network_id'])
            attrs = dict(attributes.wanted('port', top),
                         **{k: top[k] for k in _PULLED_PORT_KEYS})
            self._adopt_top_addresses(context, attrs, top)
            sg_jobs = self._adopt_top_security_groups(context, attrs, top)
            self._ensure_qos(context, attrs)
            try:
                # With an id, the plugin's create_port is ML2's own.
                port = plugin_utils.create_port(self, admin, {'port': attrs},
                                                check_allow_post=False)
            except (db_exc.DBDuplicateEntry, n_exc.MacAddressInUse,
                    n_exc.IpAddressInUse) as e:
                try:  # another API worker's pull of the same port won
                    return super().get_port(admin, port_id)
                except n_exc.PortNotFound:
                    raise e
            LOG.info('Pulled central port %s (%s) into pod %s', port_id,
                     ', '.join(ip['ip_address'] for ip in top['fixed_ips']),
                     self.region_name)
            with self._undone_on_error('port', port_id, super().delete_port,
                                       admin):
                self._copy_tags(admin, 'ports', port_id, top)
                self._record(port_id, top['project_id'], constants.RT_PORT)
        self._queue_sg_jobs(sg_jobs, top['project_id'])
        self._pull_trunk_of(context, top)
        return port

    def _pull_trunk_of(self, context, top):
        """A parent port pulled here (Nova booting on a trunk's parent)
        brings its trunk: the agent binding the parent wires the subports
        it finds. A trunk that cannot come now is left to its job."""
        details = top.get('trunk_details')
        trunk = local_trunk.plugin()
        if not details or trunk is None:
            return
        try:
            trunk.ensure_trunk(context.elevated(), details['trunk_id'])
        except Exception as e:
            LOG.warning('Trunk %s of port %s not copied into pod %s (%s); '
                        'queueing its job', details['trunk_id'], top['id'],
                        self.region_name, e)
            self.admin.add_job(constants.JOB_TRUNK_SYNC, details['trunk_id'],
                               top['project_id'])

    def _adopt_top_addresses(self, context, attrs, top):
        """Make the local port carry central's id, MAC and IPs.

        An address on an IPv6 SLAAC or DHCPv6-stateless subnet is left
        out: Neutron adds it to every port but a router's by itself,
        from the MAC (the same as central's), and refuses it asked for
        twice."""
        attrs['id'] = top['id']
        attrs['mac_address'] = top['mac_address']
        implicit = (attrs.get('device_owner') or top.get('device_owner')
                    ) not in n_const.ROUTER_INTERFACE_OWNERS_SNAT
        fixed = []
        for ip in top['fixed_ips']:
            row = held_row(context, models_v2.Subnet, ip['subnet_id'],
                           *_ADDRESS_MODES)
            subnet = (dict(row._mapping) if row is not None else
                      self._ensure_subnet(context, ip['subnet_id']))
            if not (implicit and ipv6_utils.is_auto_address_subnet(subnet)):
                fixed.append({'subnet_id': ip['subnet_id'],
                              'ip_address': ip['ip_address']})
        attrs['fixed_ips'] = fixed

    def _central_view(self, context, net_id, fields):
        """A central network that cannot live here, shown as central has
        it and not materialised: clients resolving its id (openstack
        ``--network``) then hear why from the request that needs it here
        (a port create: 400 NetworkNotInPod), not "No Network found"."""
        top = self.central.get_network(net_id)
        if not _visible(context, top):
            raise n_exc.NetworkNotFound(net_id=net_id)
        return db_utils.resource_fields(top, fields)

    def _ensure_network(self, context, net_id, top=None, light=False):
        """The local twin of central network ``net_id``, pulled if absent.
        ``light``: of a network the pod holds, only its id and name."""
        admin = context.elevated()
        # Across API workers too: no request may see the network before
        # its subnets (Nova refuses a network without one).
        with lockutils.lock('tricircle-network-%s' % net_id, external=True):
            row = light and held_row(admin, models_v2.Network, net_id,
                                     'name')
            if row:
                return {'id': net_id, 'name': row.name}
            try:
                return super().get_network(admin, net_id)
            except n_exc.NetworkNotFound:
                pass
            if top is None:
                try:
                    top = self.central.get_network(net_id)
                except t_exc.CentralNotFound:
                    raise n_exc.NetworkNotFound(net_id=net_id)
            self._check_placement(top)
            body = dict(attributes.wanted('network', top), id=net_id,
                        project_id=top['project_id'])
            if 'router:external' in top:
                body['router:external'] = top['router:external']
            body.update(segments.bottom_provider_attrs(top))
            self._ensure_qos(context, body)
            try:
                net = plugin_utils.create_network(
                    self, admin, {'network': body}, check_allow_post=False)
                LOG.info('Materialised central network %s in pod %s (%s)',
                         net_id, self.region_name,
                         body.get('provider:network_type'))
            except db_exc.DBDuplicateEntry:
                # Another API worker, on another host, pulled it first.
                net = super().get_network(admin, net_id)
                self._pull_subnets(context, net)
                return net
            # A pulled network is whole (routing, jobs, subnets) or gone:
            # the next request finds no half and pulls it again.
            with self._undone_on_error('network', net_id,
                                       super().delete_network, admin):
                self._copy_tags(admin, 'networks', net_id, top)
                self._record(net_id, top['project_id'], constants.RT_NETWORK)
                self._extend_routers(net_id, top['project_id'])
                if body.get('provider:network_type') == shadow_ports.VXLAN:
                    self._queue_shadows(net_id, top['project_id'])
                self._pull_subnets(context, net)
        return net

    def _pull_subnets(self, context, net):
        """Every central subnet of ``net`` into this pod."""
        for subnet in self.central.list_subnets(net['id']):
            self._ensure_subnet(context, subnet['id'], subnet, net)

    @contextlib.contextmanager
    def _undone_on_error(self, kind, resource_id, delete, admin):
        """Delete what a pull just made in this pod when a later step of
        the pull fails (central or the Admin API unavailable): a
        half-pulled resource would be found by the next request and never
        completed. The error goes on to the caller."""
        try:
            yield
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.warning('Pulling %s %s into pod %s failed half-way; '
                            'removing it so that the next request pulls it '
                            'again', kind, resource_id, self.region_name)
                try:
                    delete(admin, resource_id)
                except Exception:
                    LOG.exception('Could not remove the half-pulled %s %s',
                                  kind, resource_id)

    def _ensure_subnet(self, context, subnet_id, top=None, net=None):
        """The local twin of a central subnet; its gateway IP is the one
        central reserved for the pods, so no port can ever take it."""
        admin = context.elevated()
        try:
            return super().get_subnet(admin, subnet_id)
        except n_exc.SubnetNotFound:
            pass
        if top is None:
            try:
                top = self.central.get_subnet(subnet_id)
            except t_exc.CentralNotFound:
                raise n_exc.SubnetNotFound(subnet_id=subnet_id)
        if net is None:
            net = self._ensure_network(context, top['network_id'])
        # Across API workers too (as networks): Neutron refuses the second
        # copy as an overlapping CIDR (400), not as a duplicate.
        with lockutils.lock('tricircle-subnet-%s' % subnet_id,
                            external=True):
            try:
                return super().get_subnet(admin, subnet_id)
            except n_exc.SubnetNotFound:
                pass
            gateway_ip = None
            if net.get('router:external') or not attributes.held_gateway(top):
                # The upstream router's, off the subnet, or one no port
                # but a router's may take: nothing to reserve.
                gateway_ip = top.get('gateway_ip')
            else:
                gateway = self.central.gateway_port(top)
                gateway_ip = next(ip['ip_address'] for ip in
                                  gateway['fixed_ips']
                                  if ip['subnet_id'] == subnet_id)
            body = dict(attributes.wanted('subnet', top),
                        gateway_ip=gateway_ip, **{key: top[key] for key in (
                            'id', 'network_id', 'project_id', 'cidr',
                            'ip_version') if key in top})
            for key in ('ipv6_ra_mode', 'ipv6_address_mode'):
                if top.get(key):
                    body[key] = top[key]
            try:
                subnet = plugin_utils.create_subnet(
                    self, admin, {'subnet': body}, check_allow_post=False)
            except (db_exc.DBDuplicateEntry, n_exc.InvalidInput) as e:
                # An API worker on another host (no lock reaches it)
                # pulled it first; else the refusal stands.
                try:
                    return super().get_subnet(admin, subnet_id)
                except n_exc.SubnetNotFound:
                    raise e from None
            LOG.info('Materialised central subnet %s (%s, gateway %s) in '
                     'pod %s', subnet_id, top['cidr'], gateway_ip,
                     self.region_name)
            with self._undone_on_error('subnet', subnet_id,
                                       super().delete_subnet, admin):
                self._copy_tags(admin, 'subnets', subnet_id, top)
                self._record(subnet_id, top['project_id'],
                             constants.RT_SUBNET)
        return subnet

    @staticmethod
    def _ensure_qos(context, attrs):
        """A network or port stored here with central's QoS policy needs
        the policy here first (Neutron's QoS extension refuses an unknown
        one); a pod running no QoS plugin holds copies without it."""
        if 'qos_policy_id' not in attrs:
            return
        qos = local_qos.plugin()
        if qos is None:
            attrs.pop('qos_policy_id')
        elif attrs['qos_policy_id'] not in (None,
                                            n_const.ATTR_NOT_SPECIFIED):
            # Central checked the requester may use it.
            qos.ensure_policy(context.elevated(), attrs['qos_policy_id'])

    @staticmethod
    def _copy_tags(context, collection, resource_id, top):
        """A copy carries central's tags (the tag API writes them apart
        from the resource, so a create cannot)."""
        plugin = directory.get_plugin(tagging.TAG_PLUGIN_TYPE)
        if plugin is not None and top.get('tags'):
            plugin.update_tags(context, collection, resource_id,
                               {'tags': top['tags']})

    def _check_placement(self, top):
        """A network hinted to some AZs or pods lives only there, and only
        a network whose segment reaches every pod (shared VLAN, VxLAN) may
        live in a second pod; others stay where first used."""
        elsewhere = any(r['pod_id'] != self.admin.pod_id for r in
                        self.admin.routings(top['id'], constants.RT_NETWORK))
        placement.check_pod(top, self.admin.pod, elsewhere)

    def _queue_shadows(self, net_id, project_id):
        try:
            job = self.admin.add_job(constants.JOB_SHADOW_PORT_SETUP,
                                     net_id, project_id)
            LOG.info('Queued job %s for the shadow ports of network %s',
                     job['id'], net_id)
        except (n_exc.NeutronException, t_common_exc.TricircleError) as e:
            LOG.warning('Shadow ports of network %s not queued (%s); an '
                        'audit or a redo of the job will converge them',
                        net_id, e)

    def _extend_routers(self, net_id, project_id):
        """A network new to this pod may be on central routers: their
        pieces must now reach this pod too."""
        for router_id in self.central.router_ids_on_network(net_id):
            job = self.admin.add_job(constants.JOB_ROUTER_SETUP, router_id,
                                     project_id)
            LOG.info('Network %s reached pod %s: queued job %s for router '
                     '%s', net_id, self.region_name, job['id'], router_id)

    def _record(self, top_id, project_id, resource_type):
        self.admin.add_routing(top_id, top_id, project_id, resource_type)
