"""How a central network's segment is realised in a pod.

Central allocates segments globally; a pod's ML2 receives them as provider
attributes. ``shared_vlan`` is a central-only type: in every pod it is a
plain VLAN with the same id, the physical switches joining the pods.
"""

from neutron_lib.api.definitions import provider_net

SHARED_VLAN = 'shared_vlan'

_POD_TYPE = {SHARED_VLAN: 'vlan'}


def _segment_of(top):
    if top.get(provider_net.NETWORK_TYPE):
        return top
    segments = top.get('segments') or []
    return segments[0] if segments else {}


def bottom_provider_attrs(top):
    """Provider attributes for the pod's twin of central network ``top``."""
    seg = _segment_of(top)
    ntype = seg.get(provider_net.NETWORK_TYPE)
    if not ntype:
        return {}
    attrs = {provider_net.NETWORK_TYPE: _POD_TYPE.get(ntype, ntype)}
    if seg.get(provider_net.PHYSICAL_NETWORK):
        attrs[provider_net.PHYSICAL_NETWORK] = seg[
            provider_net.PHYSICAL_NETWORK]
    if seg.get(provider_net.SEGMENTATION_ID) is not None:
        attrs[provider_net.SEGMENTATION_ID] = seg[
            provider_net.SEGMENTATION_ID]
    return attrs


def network_type(top):
    """Central network type of ``top`` (a network dict)."""
    return _segment_of(top).get(provider_net.NETWORK_TYPE)
