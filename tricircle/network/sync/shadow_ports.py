"""Shadow ports of a VxLAN network spanning pods (the shadow_port_setup job).

A VxLAN network has the same VNI in every pod, but a pod's L2 population
only reaches the tunnel endpoints it knows. So for each bound port of the
network in one pod, every other pod holding the network gets a shadow port:
same id, IPs and MAC (taken from central), bound to the remote host, with
the remote VTEP in its binding profile; the pod's local plugin records a
shadow agent for that host and VTEP. The job reads the pods as they are and
converges, so a bind, a rebind, a delete or a pod newly reached all end the
same way.

VTEP of a port: ``binding:profile['vtep_ip']`` if the port carries one,
else the tunneling IP of its pod's agent on that host.
"""

from oslo_config import cfg
import openstack.exceptions as os_exc
from oslo_log import log as logging

from tricircle.common import constants
from tricircle.db import api as db_api
from tricircle.network import regions

LOG = logging.getLogger(__name__)

SHADOW = constants.DEVICE_OWNER_SHADOW
VXLAN = 'vxlan'


def _network_type(net):
    if net.provider_network_type:
        return net.provider_network_type
    segments = net.segments or []
    return segments[0].get('provider:network_type') if segments else None


def _vtep(conn, port):
    profile = port.binding_profile or {}
    if profile.get('vtep_ip'):
        return profile['vtep_ip']
    for agent in conn.agents(host=port.binding_host_id):
        ip = (agent.configuration or {}).get('tunneling_ip')
        if ip:
            return ip
    return None


def _bound_ports(conn, network_id):
    """The network's own bound ports in a pod (shadows excluded)."""
    return [p for p in conn.ports(network_id=network_id)
            if p.device_owner != SHADOW and p.binding_host_id]


def setup(network_id):
    """Converge the shadow ports of central network ``network_id``."""
    central = regions.central()
    try:
        net = central.get_network(network_id)
    except os_exc.NotFoundException:
        LOG.info('Network %s is gone from central; no shadows to keep',
                 network_id)
        return
    if _network_type(net) != VXLAN:
        LOG.info('Network %s is %s, not vxlan: its pods share the segment '
                 'without shadow ports', network_id, _network_type(net))
        return
    pods = {p['pod_id']: p for p in db_api.list_pods(None)}
    holding = sorted({r['pod_id'] for r in db_api.list_routings(None, {
        'top_id': network_id, 'resource_type': constants.RT_NETWORK})
        if r['pod_id'] in pods})
    conns = {pod_id: regions.pod(pods[pod_id]) for pod_id in holding}
    bound = regions.each_pod(
        holding, lambda pod_id: _bound_ports(conns[pod_id], network_id))
    sources = {}
    for pod_id, ports in bound.items():
        for port in ports:
            sources[port.id] = (pod_id, port, _vtep(conns[pod_id], port))
    regions.each_pod(holding, lambda pod_id: _converge(
        conns[pod_id], pods[pod_id], network_id, sources, pods))


def _converge(conn, pod, network_id, sources, pods):
    wanted = {port_id: src for port_id, src in sources.items()
              if src[0] != pod['pod_id']}
    for shadow in conn.ports(network_id=network_id, device_owner=SHADOW):
        src = wanted.get(shadow.id)
        if src is not None and shadow.binding_host_id == \
                src[1].binding_host_id and \
                (shadow.binding_profile or {}).get('vtep_ip') == src[2]:
            del wanted[shadow.id]
            continue
        conn.delete_port(shadow.id)
        LOG.info('Removed shadow port %s of network %s from pod %s',
                 shadow.id, network_id, pod['region_name'])
    for port_id, (src_pod, port, vtep) in wanted.items():
        profile = {'tricircle_source': pods[src_pod]['region_name']}
        if vtep:
            profile['vtep_ip'] = vtep
        else:
            LOG.warning('Port %s on host %s has no VTEP known (no vtep_ip in '
                        'its binding profile, no agent with a tunneling IP '
                        'there); its shadow in pod %s cannot be reached',
                        port_id, port.binding_host_id, pod['region_name'])
        conn.create_port(network_id=network_id, name=port_id,
                         project_id=port.project_id,
                         device_owner=SHADOW,
                         binding_host_id=port.binding_host_id,
                         binding_profile=profile)
        LOG.info('Shadow of port %s (host %s, VTEP %s) made in pod %s',
                 port_id, port.binding_host_id, vtep, pod['region_name'])


def shadow_agent_state(host, vtep):
    """The agent record a pod keeps for a remote host's tunnel endpoint."""
    return {'agent_type': cfg.CONF.tricircle.shadow_agent_type,
            'binary': 'tricircle-shadow-agent', 'host': host,
            'topic': 'N/A', 'start_flag': True,
            'configurations': {'tunneling_ip': vtep,
                               'tunnel_types': [VXLAN],
                               'tricircle_shadow': True}}
