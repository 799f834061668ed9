"""A router's floating IPs, made real in the pods (part of router_setup).

A top floating IP associated with a port becomes, in the gateway pod, a
bottom floating IP with the same external address:

- port in the gateway pod: it maps the address straight to the port;
- port in another pod A: two DNATs over the router's north-south bridge.
  In A, a bottom floating IP on the bridge (an external network there)
  maps a bridge address, allocated by central, to the port's fixed IP. In
  the gateway pod, a shadow port stands for that address (same id, IP and
  MAC as A's floating IP port) and the bottom floating IP maps the external
  address to it. Replies retrace the chain through A's default route,
  which is the gateway pod's end of the bridge.

Bottom floating IPs carry ``tricircle:<top id>`` as their description: that
is how a later run finds them. The top floating IP's status is copied from
the gateway pod's bottom one; ERROR when it cannot be made (the port is in
no pod yet).
"""

import openstack.exceptions as os_exc
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network.sync import bridge

LOG = logging.getLogger(__name__)

TAG = 'tricircle:'
DOWN = 'DOWN'
ERROR = 'ERROR'


def _port_pod(port_id):
    routings = db_api.list_routings(None, {
        'top_id': port_id, 'resource_type': constants.RT_PORT})
    return routings[0]['pod_id'] if routings else None


def tagged(conn, router_id):
    """``{top id: bottom floating IP}`` that Tricircle made in a pod for
    ``router_id``, with those left unassociated."""
    found = {}
    for fip in conn.ips():
        desc = fip.description or ''
        if desc.startswith(TAG) and fip.router_id in (router_id, None):
            found[desc[len(TAG):]] = fip
    return found


def _fip_port(conn, fip):
    return next(iter(conn.ports(device_id=fip.id,
                                device_owner=constants.DEVICE_OWNER_FLOATINGIP
                                )), None)


class Plan:
    """What a router's floating IPs ask of each pod."""

    def __init__(self, central, top, gateway, router_pods):
        self.central = central
        self.top = top
        self.gateway = gateway
        self.fips = {}
        self.pod_of = {}
        self.released = set()
        if gateway is None:
            return
        for fip in central.ips(router_id=top.id):
            if not fip.port_id:
                continue
            self.fips[fip.id] = fip
            pod_id = _port_pod(fip.port_id)
            if pod_id in router_pods:
                self.pod_of[fip.id] = pod_id
            else:
                LOG.warning('Floating IP %s: port %s is in no pod of router '
                            '%s yet; nothing to map it to', fip.id,
                            fip.port_id, top.id)

    def remote(self, pod_id):
        """Top ids whose port is in ``pod_id``, not the gateway pod."""
        return [k for k, p in self.pod_of.items()
                if p == pod_id and p != self.gateway.pod_id]

    # -- pods other than the gateway pod: the bridge-side DNAT -----------

    def prune_remote(self, conn, pod_id):
        """Delete what is not wanted; ``{top id: (port id, address)}`` of
        the bottom floating IPs kept."""
        wanted = set(self.remote(pod_id)) if self.gateway else set()
        kept = {}
        for key, fip in tagged(conn, self.top.id).items():
            top = self.fips.get(key)
            if (key in wanted and fip.port_id == top.port_id and
                    fip.fixed_ip_address == top.fixed_ip_address):
                port = _fip_port(conn, fip)
                if port is not None:
                    kept[key] = (port.id, fip.floating_ip_address)
                    continue
            if self._owned_elsewhere(key, fip):
                continue
            conn.delete_ip(fip.id)
            self.released.add(key)
            LOG.info('Removed bridge-side floating IP %s (%s) of %s in pod '
                     '%s', fip.id, fip.floating_ip_address, key, pod_id)
        return kept

    def ensure_remote(self, conn, pod_id, ns_net, kept):
        made = dict(kept)
        for key in self.remote(pod_id):
            if key in made:
                continue
            top = self.fips[key]
            fip = conn.create_ip(
                floating_network_id=ns_net.id, port_id=top.port_id,
                fixed_ip_address=top.fixed_ip_address,
                project_id=top.project_id, description=TAG + key)
            made[key] = (_fip_port(conn, fip).id, fip.floating_ip_address)
            LOG.info('Bridge-side floating IP %s -> %s for %s in pod %s',
                     fip.floating_ip_address, top.fixed_ip_address, key,
                     pod_id)
        return made

    # -- the gateway pod: the external address ----------------------------

    def _target(self, key, remote):
        """(port id, fixed IP) the gateway pod's floating IP must map to."""
        top = self.fips[key]
        if self.pod_of.get(key) == self.gateway.pod_id:
            return top.port_id, top.fixed_ip_address
        return remote.get(key, (None, None))

    def prune_gateway(self, conn, ns_net, remote):
        kept = {}
        for key, fip in tagged(conn, self.top.id).items():
            if key in self.pod_of and key in self.fips:
                port_id, address = self._target(key, remote)
                top = self.fips[key]
                if (port_id and fip.port_id == port_id and
                        fip.fixed_ip_address == address and
                        fip.floating_ip_address ==
                        top.floating_ip_address):
                    kept[key] = fip
                    continue
            if self._owned_elsewhere(key, fip):
                continue
            conn.delete_ip(fip.id)
            self.released.add(key)
            LOG.info('Removed floating IP %s (%s) of %s from the gateway '
                     'pod', fip.id, fip.floating_ip_address, key)
        if ns_net is not None:
            remove_shadows(conn, ns_net.id,
                           keep={f.port_id for f in kept.values()})
        return kept

    def ensure_gateway(self, conn, ns_net, remote, kept):
        made = dict(kept)
        for key in self.pod_of:
            if key in made:
                continue
            top = self.fips[key]
            port_id, address = self._target(key, remote)
            if port_id is None:
                continue
            if port_id != top.port_id:
                if not list(conn.ports(id=port_id)):
                    conn.create_port(
                        network_id=ns_net.id, name=port_id,
                        project_id=top.project_id,
                        device_owner=constants.DEVICE_OWNER_SHADOW)
            made[key] = conn.create_ip(
                floating_network_id=self.gateway.network.id,
                floating_ip_address=top.floating_ip_address,
                port_id=port_id, fixed_ip_address=address,
                project_id=top.project_id, description=TAG + key)
            LOG.info('Floating IP %s -> %s (%s) in the gateway pod for %s',
                     top.floating_ip_address, address,
                     'local port' if port_id == top.port_id else
                     'bridge, port in another pod', key)
        return made

    # -- top status ---------------------------------------------------------

    def copy_status(self, made):
        """Top status from the gateway pod's bottom floating IP; DOWN for
        the ones let go of."""
        for key, top in self.fips.items():
            status = made[key].status if key in made else ERROR
            self._set_status(top, status)
        for key in self.released - set(self.fips):
            try:
                top = self.central.get_ip(key)
            except os_exc.NotFoundException:
                continue
            if not top.port_id:
                self._set_status(top, DOWN)

    def _set_status(self, top, status):
        if top.status != status:
            self.central.update_ip(top.id, status=status)
            LOG.info('Floating IP %s status %s -> %s', top.id, top.status,
                     status)

    def _owned_elsewhere(self, key, fip):
        """An unassociated bottom floating IP whose top one now belongs to
        another router: that router's job will use or drop it."""
        if fip.router_id is not None:
            return False
        try:
            top = self.central.get_ip(key)
        except os_exc.NotFoundException:
            return False
        return bool(top.router_id) and top.router_id != self.top.id


def remove_shadows(conn, network_id, keep=()):
    """Shadow ports on a router's north-south bridge that no floating IP
    maps to any more."""
    for port in conn.ports(network_id=network_id,
                           device_owner=constants.DEVICE_OWNER_SHADOW):
        if port.id not in keep:
            conn.delete_port(port.id)
            LOG.info('Removed shadow port %s', port.id)


def remove_all(conn, router_id):
    """Everything a router's floating IPs made in a pod it leaves."""
    for fip in tagged(conn, router_id).values():
        if fip.router_id == router_id:
            conn.delete_ip(fip.id)
            LOG.info('Removed floating IP %s of router %s', fip.id,
                     router_id)
    for net in conn.networks(name=bridge.ns_name_of(router_id)):
        remove_shadows(conn, net.id)
