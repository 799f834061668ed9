"""The central plugin: ML2 in the central neutron-api, pods as zones.

Central stores every top resource with Neutron's own DB layer, so Neutron's
IPAM hands out IPs and MACs and ML2's type drivers allocate segments once
for the whole cloud. What it adds: availability zones are the pods
registered in the Tricircle DB, and a network's ``availability_zones`` are
the pods it has been materialised in.
"""

from neutron.common import _constants as n_common_const
from neutron.db.models import securitygroup as sg_models
from neutron.ipam import exceptions as ipam_exc
from neutron.plugins.ml2 import plugin as ml2_plugin
from neutron_lib.api.definitions import availability_zone as az_def
from neutron_lib.api.definitions import external_net
from neutron_lib.api import validators
from neutron_lib.callbacks import events
from neutron_lib.callbacks import registry
from neutron_lib.callbacks import resources
from neutron_lib.db import api as n_db_api
from neutron_lib import constants as n_const
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory
from neutron_lib.plugins import utils as plugin_utils
from oslo_config import cfg
from oslo_log import log as logging

from tricircle.common import config
from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.db import core
from tricircle.network import attributes
from tricircle.network.central import follow
from tricircle.network.central import origin
from tricircle.network.central import port_rows
from tricircle.network import placement
from tricircle.network import exceptions as t_exc
from tricircle.network import segments
from tricircle.network import sfc
from tricircle.network import sg_lookups
from tricircle.network import subnet_lookups
from tricircle.network.sync import bridge

LOG = logging.getLogger(__name__)

_AZ_RESOURCES = ('network', 'router')
GATEWAY_OWNER = constants.DEVICE_OWNER_GATEWAY
# A fixed IP asked for is held by another port (IPAM's and Neutron's word).
IP_TAKEN = (ipam_exc.IpAddressAlreadyAllocated, n_exc.IpAddressInUse)
# Ports Neutron deletes with their network or subnet, and our reservations
# of gateway IPs, which central drops itself before such a delete.
_NOT_BLOCKING = tuple(n_common_const.AUTO_DELETE_PORT_OWNERS) + (
    GATEWAY_OWNER,)


class TricircleCentralPlugin(sg_lookups.SecurityGroupLookups,
                             subnet_lookups.SubnetLookups,
                             ml2_plugin.Ml2Plugin):
    """ML2 whose availability zones are Tricircle pods."""

    def __init__(self):
        config.register_network_opts()
        if not cfg.CONF.tricircle.db_connection:
            raise cfg.RequiredOptError('db_connection',
                                       cfg.OptGroup('tricircle'))
        core.configure(cfg.CONF.tricircle.db_connection)
        super().__init__()
        for event in (events.AFTER_CREATE, events.AFTER_UPDATE,
                      events.AFTER_DELETE):
            registry.subscribe(self._sg_members_changed, resources.PORT,
                               event)
        LOG.info('Tricircle central plugin started')

    def create_network(self, context, network):
        net = network['network']
        if net.get(external_net.EXTERNAL) is True:
            self._check_external_placement(net.get(az_def.AZ_HINTS))
        self._default_span_type(net)
        result = super().create_network(context, network)
        try:
            self._check_span(result)
        except n_exc.InvalidInput:
            # Nothing half-made: the segment goes back to the pool.
            super().delete_network(context, result['id'])
            raise
        return result

    @staticmethod
    def _spans_pods(hints):
        """Whether hints name several pods: several pods, or an AZ that
        holds several."""
        pods = db_api.list_pods(None)
        return len(placement.hinted_pods(hints, pods)) > 1 or bool(
            placement.crowded_azs(hints, pods))

    def _default_span_type(self, net):
        """A network whose hints name several pods and whose creator gave
        no type (a tenant cannot) gets the configured cross-pod type."""
        given = net.get('provider:network_type')
        default = cfg.CONF.tricircle.default_cross_pod_network_type
        hints = net.get(az_def.AZ_HINTS)
        if (given in (None, n_const.ATTR_NOT_SPECIFIED) and default and
                hints not in (None, n_const.ATTR_NOT_SPECIFIED) and
                not net.get(external_net.EXTERNAL) and
                self._spans_pods(hints)):
            net['provider:network_type'] = default
            LOG.info('Network %s spans pods %s: type %s', net.get('name'),
                     ', '.join(hints), default)

    def _check_span(self, network):
        """Hints naming several pods (or an AZ holding several) ask for
        one L2 segment across them: only the cross-pod types give that."""
        hints = network.get(az_def.AZ_HINTS)
        if not self._spans_pods(hints):
            return
        types = cfg.CONF.tricircle.cross_pod_network_types
        net_type = segments.network_type(network)
        if net_type not in types:
            crowded = placement.crowded_azs(hints)
            raise n_exc.InvalidInput(error_message=(
                'availability_zone_hints %s name several pods%s, but a %s '
                'network does not span pods; use provider:network_type %s, '
                'or name one pod by its region name'
                % (', '.join(hints), ' (AZ %s holds several)' % ', '.join(
                    crowded) if crowded else '', net_type,
                   ' or '.join(types))))

    def update_network(self, context, id, network):
        net = network['network']
        old = super().get_network(context, id)
        if net.get(external_net.EXTERNAL) is True:
            hints = net.get(az_def.AZ_HINTS)
            if hints in (None, n_const.ATTR_NOT_SPECIFIED):
                hints = old.get(az_def.AZ_HINTS)
            self._check_external_placement(hints)
        self._check_bridge_write(context, old)
        result = super().update_network(context, id, network)
        self._follow('network', old, result)
        return result

    def delete_network(self, context, id):
        self._check_bridge_write(context, network_id=id)
        self._drop_reservations(context, 'network_id', id)
        super().delete_network(context, id)
        follow.resource_changed('network', id, None, 'deleted')

    def _ensure_network_not_in_use(self, context, net_id):
        """Neutron's 409, naming the pod each blocking port lives in."""
        try:
            super()._ensure_network_not_in_use(context, net_id)
        except n_exc.NetworkInUse:
            ports = [p['id'] for p in self._ports_on(context, 'network_id',
                                                     net_id)
                     if p['device_owner'] not in _NOT_BLOCKING]
            raise n_exc.NetworkInUse(net_id=net_id, reason=(
                'ports still use it: %s; delete them first (the pods '
                'follow)' % ', '.join(
                    '%s (%s)' % (p, _where(p)) for p in ports)))

    # -- subnets -----------------------------------------------------------

    def create_subnet(self, context, subnet):
        self._check_bridge_write(context,
                                 network_id=subnet['subnet']['network_id'])
        return super().create_subnet(context, subnet)

    def update_subnet(self, context, id, subnet):
        old = super().get_subnet(context, id)
        self._check_bridge_write(context, network_id=old['network_id'])
        new_gw = subnet['subnet'].get('gateway_ip', n_const.ATTR_NOT_SPECIFIED)
        moved = (new_gw is not n_const.ATTR_NOT_SPECIFIED and
                 not attributes.same('gateway_ip', new_gw,
                                     old['gateway_ip']))
        if moved and new_gw:
            self._check_ip_free(context, old, new_gw)
        result = super().update_subnet(context, id, subnet)
        if moved:
            self.reserve_gateway(context, result)
        self._follow('subnet', old, result)
        return result

    def delete_subnet(self, context, id):
        if not context.is_admin:
            self._check_bridge_write(context, network_id=super().get_subnet(
                context, id)['network_id'])
        self._drop_reservations(context, 'subnet_id', id)
        super().delete_subnet(context, id)
        follow.resource_changed('subnet', id, None, 'deleted')

    def _check_ip_free(self, context, subnet, ip_address):
        """A new gateway IP must not be a port's already: the pods' bottom
        routers will take it."""
        if self.get_ports(context.elevated(), filters={'fixed_ips': {
                'subnet_id': [subnet['id']], 'ip_address': [ip_address]}}):
            raise n_exc.IpAddressInUse(net_id=subnet['network_id'],
                                       ip_address=ip_address)

    def reserve_gateway(self, context, subnet):
        """Hold ``subnet``'s gateway IP on central whenever no router
        interface does, so no pod port can ever take it (a pod's bottom
        router uses it); drop reservations of a gateway IP that moved."""
        admin = context.elevated()
        gateway_ip = subnet.get('gateway_ip')
        holders = []
        for port in self._ports_on(context, 'subnet_id', subnet['id']):
            ips = [ip['ip_address'] for ip in port['fixed_ips']
                   if ip['subnet_id'] == subnet['id']]
            if port['device_owner'] == GATEWAY_OWNER and (
                    not gateway_ip or gateway_ip not in ips):
                super().delete_port(admin, port['id'])
                LOG.info('Dropped reservation %s of old gateway IP %s of '
                         'subnet %s', port['id'], ', '.join(ips),
                         subnet['id'])
            elif gateway_ip and gateway_ip in ips:
                holders.append(port['id'])
        net = self.get_network(admin, subnet['network_id'])
        if (holders or net.get(external_net.EXTERNAL) or
                not attributes.held_gateway(subnet)):
            return  # nothing a pod's port could take
        try:
            port = plugin_utils.create_port(self, admin, {'port': {
                'network_id': subnet['network_id'],
                'tenant_id': subnet['project_id'],
                'name': 'gateway-%s' % subnet['id'],
                'device_owner': GATEWAY_OWNER, 'device_id': '',
                'admin_state_up': False,
                'fixed_ips': [{'subnet_id': subnet['id'],
                               'ip_address': gateway_ip}]}},
                check_allow_post=False)
        except IP_TAKEN:
            # Taken since the look-up: a pod pulling the subnet reserved
            # it (CentralClient.gateway_port), or an interface took it.
            # Held either way; the caller's change stands.
            LOG.info('Gateway IP %s of subnet %s was taken while central '
                     'reserved it; it is held', gateway_ip, subnet['id'])
            return
        LOG.info('Central holds gateway IP %s of subnet %s again (port %s)',
                 gateway_ip, subnet['id'], port['id'])

    def _ports_on(self, context, key, value):
        filters = ({'network_id': [value]} if key == 'network_id' else
                   {'fixed_ips': {'subnet_id': [value]}})
        return self.get_ports(context.elevated(), filters=filters, fields=[
            'id', 'device_owner', 'fixed_ips'])

    def _drop_reservations(self, context, key, value):
        """Before a network or subnet delete: our gateway reservations go
        with it, but only when nothing else would refuse the delete
        (then Neutron's 409 stands, and so do the reservations)."""
        ports = self._ports_on(context, key, value)
        if any(p['device_owner'] not in _NOT_BLOCKING for p in ports):
            return
        for port in ports:
            if port['device_owner'] == GATEWAY_OWNER:
                super().delete_port(context.elevated(), port['id'])

    # -- ports -------------------------------------------------------------

    def create_port(self, context, port):
        self._check_bridge_write(context,
                                 network_id=port['port']['network_id'])
        taken = self._take_reservation(context, port['port'])
        if taken is not None:
            return taken
        result = super().create_port(context, port)
        if origin.pod_of(context) is None:
            return result
        try:
            pod_id = origin.record_port(context, result)
        except Exception as e:
            LOG.error('Routing of port %s to pod %s not recorded (%s); the '
                      'port is deleted again', result['id'],
                      origin.pod_of(context), e)
            try:
                super().delete_port(context.elevated(), result['id'],
                                    l3_port_check=False)
            except Exception:
                LOG.exception('Port %s not deleted; the audit reports it '
                              'as an orphan', result['id'])
            if isinstance(e, n_exc.NeutronException):
                raise
            raise n_exc.ServiceUnavailable(
                message='the Tricircle DB is unavailable: %s' % e)
        try:
            self._queue_member_jobs(
                context, set(result.get('security_groups') or ()), pod_id)
        except Exception:
            LOG.exception('Security group jobs for port %s not queued',
                          result['id'])
        return result

    def get_ports(self, context, filters=None, fields=None, sorts=None,
                  limit=None, marker=None, page_reverse=False):
        """An admin's list of a group's members, asking only for columns
        (XJob's security group jobs), is read by column."""
        if (context.is_admin and fields and filters and
                set(filters) == {'security_groups'} and
                set(fields) <= port_rows.FIELDS and
                not (sorts or limit or marker)):
            ports = port_rows.using_groups(
                context, filters['security_groups'], fields)
            if ports is not None:
                return ports
        return super().get_ports(context, filters=filters, fields=fields,
                                 sorts=sorts, limit=limit, marker=marker,
                                 page_reverse=page_reverse)

    def _take_reservation(self, context, attrs):
        """A router interface on a gateway IP that ``reserve_gateway``
        holds for the pods takes the reservation's port over: one update
        instead of a delete and a create, and no moment in which a pod
        pulling the subnet could reserve the IP again. Only a reservation
        of the router's project, so the port's owner is what Neutron
        would have given it (``add_router_interface`` releases others)."""
        ips = attrs.get('fixed_ips')
        if (attrs.get('device_owner') not in n_const.ROUTER_INTERFACE_OWNERS
                or not validators.is_attr_set(attrs.get('device_id'))
                or not validators.is_attr_set(ips) or len(ips) != 1
                or not ips[0].get('subnet_id')
                or not ips[0].get('ip_address')):
            return None
        project_id = attrs.get('project_id') or attrs.get('tenant_id')
        admin = context.elevated()
        held = [port_id for port_id, owner in port_rows.holders(
            admin, GATEWAY_OWNER, [ips[0]['subnet_id']],
            ips[0]['ip_address']) if owner == project_id]
        if not held:
            return None
        name = attrs.get('name')
        port = super().update_port(admin, held[0], {'port': {
            'device_id': attrs['device_id'],
            'device_owner': attrs['device_owner'],
            'admin_state_up': attrs.get('admin_state_up') is not False,
            'name': name if validators.is_attr_set(name) else ''}})
        LOG.info('Router %s took gateway IP %s of subnet %s over from its '
                 'reservation %s', attrs['device_id'],
                 ips[0]['ip_address'], ips[0]['subnet_id'], port['id'])
        return port

    def create_port_bulk(self, context, ports):
        for net_id in {p['port']['network_id'] for p in ports['ports']}:
            self._check_bridge_write(context, network_id=net_id)
        return super().create_port_bulk(context, ports)

    def update_port(self, context, id, port):
        old = super().get_port(context, id)
        self._check_bridge_write(context, network_id=old['network_id'])
        result = super().update_port(context, id, port)
        self._follow('port', old, result)
        if old.get('binding:host_id') != result.get('binding:host_id'):
            self._port_moved(context, id, result.get('binding:host_id'))
        return result

    @staticmethod
    def _port_moved(context, port_id, host):
        """A pod bound, moved or unbound a port: the port chains naming
        it may now belong in other pods."""
        if directory.get_plugin('sfc') is None:
            return
        from tricircle.network.central import sfc as central_sfc
        central_sfc.port_changed(context, port_id, 'bound to %s' % host
                                 if host else 'unbound')

    def delete_port(self, context, id, l3_port_check=True):
        sfc.check_port_free(context, id)
        if not context.is_admin:
            self._check_bridge_write(context, network_id=super().get_port(
                context, id)['network_id'])
        super().delete_port(context, id, l3_port_check=l3_port_check)
        if origin.pod_of(context):
            # The pod asking has dropped its copy (or never made it).
            try:
                origin.forget_port(context, id)
            except Exception as e:
                LOG.warning('Routing of port %s to pod %s not removed (%s); '
                            'its sync job removes it', id,
                            origin.pod_of(context), e)
        follow.resource_changed('port', id, None, 'deleted')

    def _check_bridge_write(self, context, network=None, network_id=None):
        """Bridge networks belong to the tenant (its routers' pods share
        them) but are Tricircle's plumbing: tenants may read them, only
        admins (XJob) change them."""
        if context.is_admin:
            return
        if network is None:
            try:
                network = super().get_network(context.elevated(), network_id)
            except n_exc.NetworkNotFound:
                return  # Neutron answers 404 itself
        if bridge.is_bridge(network.get('name')):
            raise t_exc.BridgeReadOnly(net_id=network['id'])

    @staticmethod
    def _follow(kind, old, new):
        changed = attributes.differences(kind, new, old)
        if changed:
            follow.resource_changed(kind, new['id'], new.get('project_id'),
                                    'updated: %s' % ', '.join(sorted(
                                        changed)))

    @staticmethod
    def _check_external_placement(hints):
        """An external network lives in exactly one pod (seed 004): its
        hints must name that pod, by region name or by an AZ holding only
        that pod."""
        if hints in (None, n_const.ATTR_NOT_SPECIFIED) or not hints:
            raise n_exc.InvalidInput(error_message=(
                'an external network needs availability_zone_hints naming '
                'the one pod it lives in (its region name)'))
        pods = db_api.list_pods(None)
        chosen = placement.hinted_pods(hints, pods)
        if len(chosen) != 1:
            crowded = placement.crowded_azs(hints, pods)
            raise n_exc.InvalidInput(error_message=(
                'availability_zone_hints %s of an external network must name '
                'exactly one pod, found %d%s; give the pod\'s region name'
                % (', '.join(hints), len(chosen),
                   ' (AZ %s holds several pods)' % ', '.join(crowded)
                   if crowded else '')))

    @staticmethod
    def _pod_zones():
        """Names a hint may use: AZ names, and pod region names (the form
        seed 004 uses for external networks)."""
        zones = {}
        for pod in db_api.list_pods(None):
            if pod['az_name']:
                zones.setdefault(pod['az_name'], []).append(pod)
                zones.setdefault(pod['region_name'], []).append(pod)
        return zones

    def validate_availability_zones(self, context, resource_type,
                                    availability_zones):
        if not availability_zones or resource_type not in _AZ_RESOURCES:
            return
        unknown = sorted(set(availability_zones) - set(self._pod_zones()))
        if unknown:
            raise n_exc.InvalidInput(error_message=(
                'availability_zone_hints %s name no pod; use the az_name or '
                'region_name of a pod registered in the Tricircle Admin API'
                % ', '.join(unknown)))

    def _list_availability_zones(self, context, filters=None):
        return {(name, resource): 'available'
                for name, pods in self._pod_zones().items()
                if any(p['az_name'] == name for p in pods)
                for resource in _AZ_RESOURCES}

    def get_network_availability_zones(self, network):
        """The AZs of the pods that hold this network now (its routings;
        hints alone do not count: nothing is in a pod until it is used)."""
        return sorted({pod['az_name'] for pod in db_api.routed_pods(
            None, network.id, constants.RT_NETWORK) if pod['az_name']})

    # -- security groups: pods follow through seg_rule_setup jobs ----------
    # Each hook runs after Neutron committed the change, so the job reads
    # it; a group no pod holds yet needs no job (a pod pulls it whole).

    def create_security_group_rule(self, context, security_group_rule):
        rule = super().create_security_group_rule(context,
                                                  security_group_rule)
        self._sg_sync(rule['security_group_id'], rule['project_id'])
        return rule

    def create_security_group_rule_bulk(self, context, security_group_rules):
        rules = super().create_security_group_rule_bulk(
            context, security_group_rules)
        for sg_id, project_id in sorted({(r['security_group_id'],
                                          r['project_id']) for r in rules}):
            self._sg_sync(sg_id, project_id)
        return rules

    def delete_security_group_rule(self, context, id):
        rule = self.get_security_group_rule(context, id)
        super().delete_security_group_rule(context, id)
        self._sg_sync(rule['security_group_id'], rule['project_id'])

    def update_security_group(self, context, id, security_group):
        sg = super().update_security_group(context, id, security_group)
        self._sg_sync(id, sg['project_id'])
        return sg

    def delete_security_group(self, context, id):
        # Rules naming it as remote group go with it (a cascade, without
        # rule events): what stands for them in pods must go too.
        dependants = self._sgs_referring(context, [id]) - {id}
        super().delete_security_group(context, id)
        for sg_id in sorted({id} | dependants):
            self._sg_sync(sg_id)

    def _sg_members_changed(self, resource, event, trigger, payload):
        """A port joining or leaving groups (or changing IPs) changes the
        addresses that stand for remote-group members in other pods."""
        if event == events.AFTER_CREATE and origin.pod_of(payload.context):
            return  # create_port knows the pod once it is recorded
        try:
            port = payload.states[-1]
            sg_ids = set(port.get('security_groups') or ())
            held_by = None
            if event == events.AFTER_UPDATE:
                old = payload.states[0]
                if (old.get('security_groups') == port.get('security_groups')
                        and old.get('fixed_ips') == port.get('fixed_ips')):
                    return
                sg_ids |= set(old.get('security_groups') or ())
            elif event == events.AFTER_DELETE:
                held_by = origin.pod_holding(payload.context, port['id'])
            self._queue_member_jobs(payload.context, sg_ids, held_by)
        except Exception:
            # The port change stands; an admin seg_rule_setup catches up.
            LOG.exception('Security group jobs for port %s not queued',
                          payload.resource_id)

    def _queue_member_jobs(self, context, sg_ids, pod_id=None):
        """Members of ``sg_ids`` came or went: queue the job of each group
        referring to them that a pod holds. ``pod_id``: the pod holding
        the member, which resolves its own members natively, so a group
        only that pod holds needs no job. (A pod that copies such a group
        later queues the group's job itself, and that job reads the
        members from central.) A group of a pod's member with no routing
        at all has copies whose routing was never recorded (a pod that
        pulled it before it was registered): its job finds them through
        their ports and records them."""
        for sg_id in sorted(self._sgs_referring(context, sg_ids)):
            routings = follow.routed(sg_id, constants.RT_SG)
            if any(r['pod_id'] != pod_id for r in routings) or (
                    pod_id and not routings):
                follow.queue(constants.JOB_SEG_RULE_SETUP, sg_id, None,
                             'security group')

    @staticmethod
    def _sgs_referring(context, sg_ids):
        """Groups with a rule whose remote group is one of ``sg_ids``
        (one column of the rules: every port create asks)."""
        if not sg_ids:
            return set()
        admin = context.elevated()
        rule = sg_models.SecurityGroupRule
        with n_db_api.CONTEXT_READER.using(admin):
            return {row.security_group_id for row in admin.session.query(
                rule.security_group_id).filter(
                rule.remote_group_id.in_(sorted(sg_ids))).distinct()}

    @staticmethod
    def _sg_sync(sg_id, project_id=None):
        if follow.routed(sg_id, constants.RT_SG):
            follow.queue(constants.JOB_SEG_RULE_SETUP, sg_id, project_id,
                         'security group')


def _where(port_id):
    pods = {p['pod_id']: p['region_name'] for p in db_api.list_pods(None)}
    regions = sorted(pods.get(r['pod_id'], r['pod_id']) for r in
                     follow.routed(port_id, constants.RT_PORT))
    return 'in pod %s' % ', '.join(regions) if regions else 'central only'
