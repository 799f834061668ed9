"""How a central network's segment is realised in a pod.

Central allocates segments globally; a pod's ML2 receives them as provider
attributes. ``shared_vlan`` is a central-only type: in every pod it is a
plain VLAN with the same id, the physical switches joining the pods.
"""

from tricircle.common import constants

SHARED_VLAN = 'shared_vlan'

_POD_TYPE = {SHARED_VLAN: 'vlan'}


def _segment_of(top):
    if top.get(constants.NETWORK_TYPE):
        return top
    segments = top.get('segments') or []
    return segments[0] if segments else {}


def bottom_provider_attrs(top):
    """Provider attributes for the pod's twin of central network ``top``."""
    seg = _segment_of(top)
    ntype = seg.get(constants.NETWORK_TYPE)
    if not ntype:
        return {}
    attrs = {constants.NETWORK_TYPE: _POD_TYPE.get(ntype, ntype)}
    if seg.get(constants.PHYSICAL_NETWORK):
        attrs[constants.PHYSICAL_NETWORK] = seg[
            constants.PHYSICAL_NETWORK]
    if seg.get(constants.SEGMENTATION_ID) is not None:
        attrs[constants.SEGMENTATION_ID] = seg[
            constants.SEGMENTATION_ID]
    return attrs


def network_type(top):
    """Central network type of ``top`` (a network dict)."""
    return _segment_of(top).get(constants.NETWORK_TYPE)
