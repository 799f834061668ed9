"""The local plugin: ML2 in a pod, kept consistent with central Neutron.

Central owns every tenant network, subnet, IP and MAC. A pod materialises a
central network and its subnets on first use, with the same UUIDs and the
segment central allocated; each port is created on central first and then
locally with the very id, IPs and MAC central handed out. Whatever fails
half-way is undone before the caller hears about it.
"""

import threading

from neutron.plugins.ml2 import plugin as ml2_plugin
from neutron_lib import constants as n_const
from neutron_lib import exceptions as n_exc
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import excutils
from oslo_utils import uuidutils

from tricircle.common import config
from tricircle.common import constants
from tricircle.common import exceptions as t_common_exc
from tricircle.network import attributes
from tricircle.network.local import central_client
from tricircle.network.local import origin
from tricircle.network.local import pull
from tricircle.network import exceptions as t_exc
from tricircle.network.local import sg as local_sg
from tricircle.network import sfc
from tricircle.network import sg_lookups
from tricircle.network import subnet_lookups
from tricircle.network.sync import bridge
from tricircle.network.sync import shadow_ports

LOG = logging.getLogger(__name__)

# What an update in the pod reports to central: every attribute central
# owns (it answers with the values that stand), and what only the pod
# knows but central must record (addresses, the host a port is bound to).
_TOP_PORT_UPDATES = attributes.PORT + ('binding:host_id', 'mac_address',
                                       'fixed_ips')
# Port attributes that central must know as well as the pod.
_TOP_PORT_ATTRS = _TOP_PORT_UPDATES + ('network_id',)


# Ports a pod's L3 plugin makes for bottom routers and floating IPs.
_POD_L3_OWNERS = (constants.DEVICE_OWNER_ROUTER_GW,
                  constants.DEVICE_OWNER_FLOATINGIP)
_HELD_OWNERS = _POD_L3_OWNERS + (constants.DEVICE_OWNER_ROUTER_INTF,)


def _given(value):
    return value is not n_const.ATTR_NOT_SPECIFIED and value is not None


class TricircleLocalPlugin(local_sg.SecurityGroupMixin, pull.PullMixin,
                           sg_lookups.SecurityGroupLookups,
                           subnet_lookups.SubnetLookups,
                           ml2_plugin.Ml2Plugin):
    """ML2 whose networks, subnets and addresses come from central."""

    def __init__(self):
        config.register_network_opts()
        super().__init__()
        self.region_name = cfg.CONF.tricircle.region_name
        if not self.region_name:
            raise cfg.RequiredOptError('region_name',
                                       cfg.OptGroup('tricircle'))
        self._clients_lock = threading.Lock()
        self._central = None
        self._admin = None
        self._deleting = set()
        LOG.info('Tricircle local plugin serving pod %s', self.region_name)

    # Clients are made on first use: the central endpoint may not answer
    # yet while this neutron-api starts.
    @property
    def central(self):
        with self._clients_lock:
            if self._central is None:
                self._central = central_client.CentralClient(
                    cfg.CONF.client.central_region_name, self.region_name)
            return self._central

    @property
    def admin(self):
        with self._clients_lock:
            if self._admin is None:
                self._admin = central_client.AdminClient(self.region_name)
            return self._admin

    # -- networks ----------------------------------------------------------

    def create_network(self, context, network):
        net = network['network']
        name = net.get('name')
        if not _given(net.get('id')) and uuidutils.is_uuid_like(name):
            # Seed behaviour: a UUID name names the central network.
            return self._ensure_network(context, name)
        return super().create_network(context, network)

    def create_network_bulk(self, context, networks):
        return self._bulk(context, networks['networks'], 'network',
                          self.create_network, self.delete_network)

    def get_network(self, context, id, fields=None, net_db=None):
        try:
            return super().get_network(context, id, fields, net_db)
        except n_exc.NetworkNotFound:
            if net_db is not None or id in self._deleting:
                raise
        try:
            self._ensure_network(context, id)
        except (t_exc.NetworkNotInPod, t_exc.NetworkInAnotherPod):
            return self._central_view(context, id, fields)
        return super().get_network(context, id, fields)

    def get_networks(self, context, filters=None, fields=None, sorts=None,
                     limit=None, marker=None, page_reverse=False):
        self._pull_listed_networks(context, filters)
        return super().get_networks(context, filters, fields, sorts, limit,
                                    marker, page_reverse)

    def update_network(self, context, id, network):
        self._through_central(context, 'network', id, network['network'])
        self._ensure_qos(context, network['network'])
        return super().update_network(context, id, network)

    def update_subnet(self, context, id, subnet):
        self._through_central(context, 'subnet', id, subnet['subnet'])
        return super().update_subnet(context, id, subnet)

    def _through_central(self, context, kind, id, attrs):
        """Central owns a copy's attributes: a change asked here is made on
        central first (which may refuse, and then nothing changes here),
        and the pod takes central's answer. A pod-local resource, or an
        attribute central does not own, is the pod's alone. XJob's push
        of central's values is not sent back (local.origin)."""
        changes = {k: attrs[k] for k in attributes.OWNED[kind]
                   if k in attrs}
        if not changes or origin.from_central(context):
            return
        try:
            top = self.central.update(kind, id, changes)
        except t_exc.CentralNotFound:
            return  # pod-local, as update_port decides for ports
        for key in changes:
            if key in top:
                attrs[key] = top[key]

    def delete_network(self, context, id):
        self._deleting.add(id)
        try:
            super().delete_network(context, id)
            self._forget(id, constants.RT_NETWORK)
        finally:
            self._deleting.discard(id)

    # -- subnets -----------------------------------------------------------

    def create_subnet(self, context, subnet):
        sub = subnet['subnet']
        if _given(sub.get('id')):
            # Only this plugin passes an id: it is materialising a subnet.
            return super().create_subnet(context, subnet)
        if uuidutils.is_uuid_like(sub.get('name')):
            return self._ensure_subnet(context, sub['name'])
        if self._central_network(sub['network_id']):
            raise t_exc.ManagedByCentral(resource='Network',
                                         id=sub['network_id'])
        return super().create_subnet(context, subnet)

    def create_subnet_bulk(self, context, subnets):
        return self._bulk(context, subnets['subnets'], 'subnet',
                          self.create_subnet, self.delete_subnet)

    def get_subnet(self, context, id, fields=None):
        try:
            return super().get_subnet(context, id, fields)
        except n_exc.SubnetNotFound:
            if id in self._deleting:
                raise
        self._ensure_subnet(context, id)
        return super().get_subnet(context, id, fields)

    def delete_subnet(self, context, id):
        self._deleting.add(id)
        try:
            super().delete_subnet(context, id)
            self._forget(id, constants.RT_SUBNET)
        finally:
            self._deleting.discard(id)

    # -- ports -------------------------------------------------------------

    def create_port(self, context, port):
        attrs = port['port']
        if _given(attrs.get('id')):
            # Only this plugin passes an id: it is pulling a central port.
            return super().create_port(context, port)
        net_id = attrs['network_id']
        net = self._ensure_network(context, net_id, light=True)
        if not context.is_admin and bridge.is_bridge(net.get('name')):
            raise t_exc.BridgeReadOnly(net_id=net_id)
        if attrs.get('device_owner') == constants.DEVICE_OWNER_SHADOW:
            return self._create_shadow(context, port)
        if self._only_gateway_ips(context, attrs):
            # The gateway IP is already held on central by the reserved
            # gateway port; the router interface is a pod-local matter.
            return super().create_port(context, port)
        held = self._held_for_l3(attrs)
        if held is not None:
            # Central's own router gateway or floating IP holds these IPs;
            # the gateway pod's bottom router carries them out.
            attrs['mac_address'] = held['mac_address']
            attrs['fixed_ips'] = [{'subnet_id': ip['subnet_id'],
                                   'ip_address': ip['ip_address']}
                                  for ip in held['fixed_ips']]
            LOG.info('Port for %s %s in pod %s takes over central port %s',
                     attrs['device_owner'], attrs.get('device_id'),
                     self.region_name, held['id'])
            return super().create_port(context, port)
        body = {k: attrs[k] for k in _TOP_PORT_ATTRS
                if _given(attrs.get(k))}
        if body.get('device_owner') in _POD_L3_OWNERS:
            # Central's L3 plugin would guard a twin owned like its own.
            body['device_owner'] = constants.DEVICE_OWNER_POD_L3
        body['project_id'] = (attrs.get('project_id') or
                              attrs.get('tenant_id') or context.project_id)
        try:
            top, routed = self.central.create_port_routed(body)
        except t_exc.CentralNotFound:
            if self._central_network(net_id):
                raise
            LOG.debug('Network %s is local to pod %s', net_id,
                      self.region_name)
            return super().create_port(context, port)
        try:
            self._adopt_top_addresses(context, attrs, top)
            # Central routed the port: it also queued the jobs of the
            # groups its membership changes.
            sg_jobs = self._adopt_top_security_groups(
                context, attrs, top, members_queued=routed)
            self._ensure_qos(context, attrs)
            result = super().create_port(context, port)
        except Exception:
            with excutils.save_and_reraise_exception():
                LOG.info('Local create of port %s failed; releasing its '
                         'central twin', top['id'])
                self.central.delete_port(top['id'])
        try:
            if not routed:  # a central without tricircle_origin
                self._record(top['id'], body['project_id'],
                             constants.RT_PORT)
        except Exception:
            with excutils.save_and_reraise_exception():
                super().delete_port(context.elevated(), top['id'],
                                    l3_port_check=False)
                self.central.delete_port(top['id'])
        if _given(attrs.get('binding:host_id')) and attrs['binding:host_id']:
            self._bound_port_changed(context, net_id, body['project_id'])
        self._queue_sg_jobs(sg_jobs, body['project_id'])
        return result

    def create_port_bulk(self, context, ports):
        return self._bulk(context, ports['ports'], 'port', self.create_port,
                          self.delete_port)

    def get_port(self, context, id, fields=None):
        try:
            return super().get_port(context, id, fields)
        except n_exc.PortNotFound:
            if id in self._deleting:
                raise
        self._ensure_port(context, id)
        return super().get_port(context, id, fields)

    def update_port(self, context, id, port):
        attrs = port['port']
        try:
            owner = super().get_port(context.elevated(), id,
                                     fields=['device_owner'])['device_owner']
        except n_exc.PortNotFound:
            owner = self._ensure_port(context, id)['device_owner']
        changes = {k: attrs[k] for k in _TOP_PORT_UPDATES if k in attrs}
        if str(attrs.get('device_owner')).startswith('network:router'):
            # A bottom router taking a port is pod-local plumbing; central
            # keeps the twin as it made it (deletable, holding the IP).
            changes.pop('device_owner')
            changes.pop('device_id', None)
        if owner == constants.DEVICE_OWNER_SHADOW:
            # A stand-in: central's port belongs to another pod.
            changes = {}
        sg_jobs = None
        if changes:
            old_sgs = (self._port_security_groups(context, id)
                       if 'security_groups' in changes else ())
            pushed = origin.from_central(context)
            if pushed:
                # XJob bringing central's values: central has them (or
                # newer ones, which sending these back would overwrite).
                top = changes
            else:
                # Central first: it may refuse (an IP taken elsewhere), and
                # then the pod must not have changed either.
                try:
                    top = self.central.update_port(id, changes)
                except t_exc.CentralNotFound:
                    top = None  # a pod-local port
            if top is not None and not pushed and (
                    'fixed_ips' in changes or 'mac_address' in changes):
                self._adopt_top_addresses(context, attrs, top)
            if top is not None and 'security_groups' in changes:
                sg_jobs = self._adopt_top_security_groups(context, attrs,
                                                          top, old_sgs)
            for key in set(changes) & set(attributes.PORT) - {
                    'security_groups'}:
                if top is not None and key in top:
                    attrs[key] = top[key]
        self._ensure_qos(context, attrs)
        result = super().update_port(context, id, port)
        self._queue_sg_jobs(sg_jobs, result['project_id'])
        if 'binding:host_id' in attrs and result.get(
                'device_owner') != constants.DEVICE_OWNER_SHADOW:
            self._bound_port_changed(context, result['network_id'],
                                     result['project_id'])
            if result.get('trunk_details'):
                self._trunk_parent_changed(result)
        return result

    def delete_port(self, context, id, l3_port_check=True):
        try:
            old = super().get_port(context.elevated(), id, fields=[
                'device_owner', 'network_id', 'project_id',
                'binding:host_id'])
        except n_exc.PortNotFound:
            # A central port this pod could take but never held: its
            # delete asked here is central's delete.
            self._pullable_port(context, id)
            self.central.delete_port(id)
            return
        sfc.check_port_free(context, id)
        self._deleting.add(id)
        try:
            super().delete_port(context, id, l3_port_check=l3_port_check)
        finally:
            self._deleting.discard(id)
        if old.get('device_owner') == constants.DEVICE_OWNER_SHADOW:
            # A stand-in: the central port belongs to another pod.
            self._forget(id, constants.RT_SHADOW_PORT)
            return
        if old.get('binding:host_id'):
            self._bound_port_changed(context, old['network_id'],
                                     old['project_id'])
        try:
            if not self.central.delete_port(id):
                self._forget(id, constants.RT_PORT)
        except (n_exc.NeutronException, t_common_exc.TricircleError) as e:
            LOG.error('Port %s is gone from pod %s but its central twin '
                      'could not be released (%s); an audit will find it.',
                      id, self.region_name, e)

    def _create_shadow(self, context, port):
        """A stand-in for central port ``name`` (same id, IPs and MAC),
        living in another pod; central is not asked to allocate anything."""
        attrs = port['port']
        top_id = attrs.get('name')
        if not uuidutils.is_uuid_like(top_id):
            raise n_exc.InvalidInput(error_message=(
                'a %s port must be named after the central port it stands '
                'in for' % constants.DEVICE_OWNER_SHADOW))
        try:
            top = self.central.get_port(top_id)
        except t_exc.CentralNotFound:
            raise n_exc.PortNotFound(port_id=top_id)
        if top['network_id'] != attrs['network_id']:
            raise n_exc.InvalidInput(error_message=(
                'central port %s is on network %s, not %s' % (
                    top_id, top['network_id'], attrs['network_id'])))
        self._adopt_top_addresses(context, attrs, top)
        profile = attrs.get('binding:profile')
        host = attrs.get('binding:host_id')
        if _given(host) and host and _given(profile) and \
                profile.get('vtep_ip'):
            # The pod's L2 population learns the remote VTEP from this.
            self.create_or_update_agent(
                context.elevated(),
                shadow_ports.shadow_agent_state(host, profile['vtep_ip']))
        result = super().create_port(context, port)
        if result.get('binding:host_id'):
            # No agent here reports the remote VM's port up; its pod's
            # agent did. ACTIVE is what makes L2 population tell this
            # pod's agents the remote VTEP (flooding and unicast entries
            # of the tunnel to the other pod).
            self.update_port_status(context.elevated(), result['id'],
                                    n_const.PORT_STATUS_ACTIVE)
            result['status'] = n_const.PORT_STATUS_ACTIVE
        self._record(top_id, top['project_id'], constants.RT_SHADOW_PORT)
        LOG.info('Shadow of central port %s (%s) made in pod %s', top_id,
                 ', '.join(ip['ip_address'] for ip in top['fixed_ips']),
                 self.region_name)
        return result

    def _held_for_l3(self, attrs):
        """The central port whose IPs a bottom router's gateway, interface
        or floating IP port asks for, when central's own L3 object holds
        them (an interface added on central by port keeps that port's IP
        and MAC in every pod)."""
        owner = attrs.get('device_owner')
        fixed = attrs.get('fixed_ips')
        if owner not in _HELD_OWNERS or not _given(fixed) or not fixed:
            return None
        held = None
        for ip in fixed:
            if not ip.get('ip_address'):
                return None
            found = [p for p in self.central.find_ports(
                attrs['network_id'], owner, ip['ip_address'])
                if owner != constants.DEVICE_OWNER_ROUTER_GW or
                p['device_id'] == attrs.get('device_id')]
            if not found or (held and found[0]['id'] != held['id']):
                return None
            held = found[0]
        return held

    def _only_gateway_ips(self, context, attrs):
        """A bottom router's interface on subnets' gateway IPs, which
        central holds for the pods (any other port asking for a gateway
        IP goes to central, which refuses it)."""
        fixed = attrs.get('fixed_ips')
        if attrs.get('device_owner') not in n_const.ROUTER_INTERFACE_OWNERS \
                or not _given(fixed) or not fixed:
            return False
        for ip in fixed:
            if not ip.get('subnet_id') or not ip.get('ip_address'):
                return False
            subnet = self._ensure_subnet(context, ip['subnet_id'])
            if subnet['gateway_ip'] != ip['ip_address']:
                return False
        return True

    # -- helpers -----------------------------------------------------------

    def _bound_port_changed(self, context, net_id, project_id):
        """A bound port of a VxLAN network came, moved or went: the other
        pods' shadows of it follow (shadow_port_setup)."""
        net = super().get_network(context.elevated(), net_id)
        if net.get('provider:network_type') == shadow_ports.VXLAN:
            self._queue_shadows(net_id, project_id)

    def _trunk_parent_changed(self, port):
        """Its agent (or the agentless driver) wires the trunk, or unwires
        it: the new status goes to central through the trunk's job."""
        trunk_id = port['trunk_details']['trunk_id']
        try:
            self.admin.add_job(constants.JOB_TRUNK_SYNC, trunk_id,
                               port['project_id'])
        except (n_exc.NeutronException, t_common_exc.TricircleError) as e:
            LOG.warning('Status of trunk %s not queued for central (%s); '
                        'the audit will find it', trunk_id, e)

    def _central_network(self, net_id):
        try:
            self.central.get_network(net_id)
            return True
        except t_exc.CentralNotFound:
            return False

    def _forget(self, top_id, resource_type):
        try:
            self.admin.remove_routing(top_id, resource_type)
        except (n_exc.NeutronException, t_common_exc.TricircleError) as e:
            LOG.warning('Routing of %s %s in pod %s not removed: %s',
                        resource_type, top_id, self.region_name, e)

    @staticmethod
    def _bulk(context, items, key, create, delete):
        """Create one by one, so each item takes the central path; undo the
        ones made if a later one fails."""
        done = []
        try:
            for item in items:
                done.append(create(context, {key: item[key]}))
        except Exception:
            with excutils.save_and_reraise_exception():
                for made in reversed(done):
                    try:
                        delete(context, made['id'])
                    except Exception:
                        LOG.exception('Undoing bulk %s create: %s', key,
                                      made['id'])
        return done
