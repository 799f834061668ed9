"""The demo's north-south steps (seed 004): gateway and floating IPs.

``ext-net`` is made on central with the last pod's region name as its hint
(seed 004's ``Pod2``), so it lives in that pod only. ``router1`` gets it as
gateway, and each VM port a floating IP, all on central. XJob then sets
the gateway on the last pod's bottom router with central's external IP,
makes the other pod reach it over the router's north-south bridge, and
maps each floating IP in the gateway pod: straight to the VM in that pod,
through the bridge-side floating IP and a shadow port for the VM in the
other pod. Everything is read back from the pods' own Neutrons.
"""

from tricircle.common import constants
from tricircle.network.sync import bridge
from tricircle.sandbox import demo_l3

EXT_NET = 'ext-net'
EXT_CIDR = '163.3.124.0/24'
TAG = 'tricircle:'


def clean_floating_ips(demo):
    """Floating IPs an earlier run left hold its router: release them."""
    for fip in demo.top.ips():
        if fip.description == demo.mark:
            demo.top.delete_ip(fip)


def create_gateway(demo):
    """On central only: ext-net in the gateway pod, router1's gateway, a
    floating IP for each VM."""
    if demo.router is None:
        return
    gw_pod = demo.state['pods'][-1]['region_name']
    ext = demo.top.create_network(
        name=EXT_NET, description=demo.mark, is_router_external=True,
        provider_network_type='vlan', provider_physical_network='extern',
        availability_zone_hints=[gw_pod])
    demo.top.create_subnet(network_id=ext.id, cidr=EXT_CIDR, ip_version=4,
                           is_dhcp_enabled=False, name=EXT_NET + '-subnet')
    demo.top.update_router(demo.router.id, external_gateway_info={
        'network_id': ext.id})
    for vm, (_pod, _name, port) in sorted(demo.ports.items()):
        demo.fips[vm] = demo.top.create_ip(
            floating_network_id=ext.id, port_id=port.id,
            description=demo.mark)
    demo.gateway = (gw_pod, ext)
    print('\nSet %s\'s gateway to %s (%s, in %s) and made floating IPs %s '
          'on central.' % (demo_l3.ROUTER, EXT_NET, EXT_CIDR, gw_pod,
                           ', '.join('%s for %s' % (f.floating_ip_address,
                                                    vm)
                                     for vm, f in demo.fips.items())))
    demo_l3.show_jobs(demo)


def compare_north_south(demo):
    """The gateway pod's gateway and floating IPs, the other pod's way
    out, against central."""
    if demo.gateway is None:
        return
    gw_pod, ext = demo.gateway
    top = demo.top.get_router(demo.router.id)
    top_ips = sorted(ip['ip_address'] for ip in
                     top.external_gateway_info['external_fixed_ips'])
    ns_nets = list(demo.top.networks(name=bridge.ns_name_of(top.id)))
    rows = []
    for region in [p['region_name'] for p in demo.state['pods']]:
        piece = demo.conn(region).network.get_router(top.id)
        gw = piece.external_gateway_info or {}
        ips = sorted(ip['ip_address'] for ip in
                     gw.get('external_fixed_ips') or ())
        if region == gw_pod:
            rows.append(('%s gateway' % region, '%s %s' % (EXT_NET, top_ips),
                         '%s %s' % (EXT_NET if gw.get('network_id') == ext.id
                                    else gw.get('network_id'), ips),
                         demo.check('%s gateway' % region, (ext.id, top_ips),
                                    (gw.get('network_id'), ips))))
        else:
            want = ns_nets[0].id if ns_nets else 'a north-south bridge'
            rows.append(('%s gateway' % region, 'north-south bridge',
                         'north-south bridge %s' % ips
                         if gw.get('network_id') == want else
                         gw.get('network_id'),
                         demo.check('%s gateway' % region, want,
                                    gw.get('network_id'))))
    gw_api = demo.conn(gw_pod).network
    for vm, fip in sorted(demo.fips.items()):
        pod, _name, port = demo.ports[vm]
        top_fip = demo.top.get_ip(fip.id)
        mapped = [f for f in gw_api.ips() if f.description == TAG + fip.id]
        bottom = mapped[0] if mapped else None
        if pod['region_name'] == gw_pod:
            want = '-> %s (the port)' % port.fixed_ips[0]['ip_address']
            got = bottom and '-> %s (%s)' % (
                bottom.fixed_ip_address, 'the port' if bottom.port_id ==
                port.id else 'another port')
        else:
            shadow = bottom and gw_api.get_port(bottom.port_id)
            side = [f for f in demo.conn(pod['region_name']).network.ips()
                    if f.description == TAG + fip.id]
            want = '-> bridge %s -> %s' % (
                side[0].floating_ip_address if side else '?',
                port.fixed_ips[0]['ip_address'])
            got = bottom and shadow and '-> bridge %s -> %s' % (
                bottom.fixed_ip_address, side[0].fixed_ip_address
                if side and shadow.device_owner ==
                constants.DEVICE_OWNER_SHADOW else '?')
        rows.append(('floating IP %s (%s, %s)' % (
            top_fip.floating_ip_address, vm, pod['region_name']), want, got,
            demo.check('%s floating IP mapping' % vm, want, got)))
        rows.append(('  status', top_fip.status, bottom and bottom.status,
                     demo.check('%s floating IP status' % vm,
                                top_fip.status, bottom and bottom.status)))
    demo.table('North-south, as the pods\' own Neutrons have it:',
               ('', 'EXPECTED (central)', 'BOTTOM', 'CHECK'), rows)


STEPS = [create_gateway, compare_north_south]
