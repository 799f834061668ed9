"""Which pods a router may reach: its ``availability_zone_hints``.

A router without hints spans whatever pods its networks live in, joined
over the tenant's bridge network. A router hinted to pods (an AZ or a
region name each, as a network's hints) lives in those pods only; hinted to
one pod it is a *local router*: one bottom router, no bridge network, no
pieces elsewhere (the networking guide's "local networking" and "several
north-south gateways" scenarios). Central refuses, with a 400 naming the
pods, any interface or gateway that would take such a router outside its
pods, so XJob never meets a router it cannot build.
"""

from neutron_lib import constants as n_const
from neutron_lib import exceptions as n_exc
from neutron_lib.plugins import directory

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network import placement


def router_pods(router):
    """The pods a hinted router is kept to; None: no hints, anywhere."""
    hints = router.get('availability_zone_hints')
    if not hints or hints is n_const.ATTR_NOT_SPECIFIED:
        return None
    return placement.hinted_pods(hints)


def router_zones(router_id):
    """The AZs of the pods holding a piece of the router now."""
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    return sorted({pods[r['pod_id']]['az_name'] for r in db_api.list_routings(
        None, {'top_id': router_id, 'resource_type': constants.RT_ROUTER})
        if r['pod_id'] in pods and pods[r['pod_id']]['az_name']})


def _names(pods):
    return ', '.join(sorted(p['region_name'] for p in pods)) or 'no pod'


def _check(router, network, what):
    allowed = router_pods(router)
    if allowed is None:
        return
    where = ('router %s is kept to %s by its availability_zone_hints %s'
             % (router.get('id') or router.get('name') or '(new)',
                _names(allowed), ', '.join(router['availability_zone_hints'])))
    network_pods = placement.network_pods(network)
    if not network.get('availability_zone_hints') and not network_pods:
        raise n_exc.BadRequest(resource='router', msg=(
            '%s has no availability_zone_hints and may reach any pod, but '
            '%s; give the network the hint of those pods'
            % (what, where)))
    ids = {p['pod_id'] for p in allowed}
    outside = [p for p in network_pods if p['pod_id'] not in ids]
    if outside:
        raise n_exc.BadRequest(resource='router', msg=(
            '%s lives in %s, but %s' % (what, _names(outside), where)))


def _network(context, network_id):
    return directory.get_plugin().get_network(context.elevated(), network_id)


def check_interface(context, router, interface_info):
    """An interface (by subnet or port) within the router's pods."""
    core = directory.get_plugin()
    if interface_info.get('subnet_id'):
        subnet = core.get_subnet(context.elevated(),
                                 interface_info['subnet_id'])
        network_id = subnet['network_id']
        what = 'subnet %s (network %s)' % (subnet['id'], network_id)
    elif interface_info.get('port_id'):
        port = core.get_port(context.elevated(), interface_info['port_id'])
        network_id = port['network_id']
        what = 'port %s (network %s)' % (port['id'], network_id)
    else:
        return  # Neutron answers the missing subnet_id or port_id itself.
    _check(router, _network(context, network_id), what)


def check_gateway(context, router, gateway_info):
    """An external gateway on a network within the router's pods."""
    if not gateway_info or gateway_info is n_const.ATTR_NOT_SPECIFIED or \
            not gateway_info.get('network_id'):
        return
    network_id = gateway_info['network_id']
    _check(router, _network(context, network_id),
           'external network %s' % network_id)
