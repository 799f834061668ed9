"""What central, the pods, XJob and the audit agree on about trunks.

A trunk is central's: its id, its owned attributes and its subports (port
id, segmentation type and id). A pod holds a copy once it holds the trunk's
parent port (tricircle.network.local.trunk); the ``trunk_sync`` job
(tricircle.network.sync.trunks) makes the copy match central again after a
change, and brings the copy's status back to central: the pod whose agent
wired the parent knows whether the trunk is ACTIVE.
"""

from tricircle.common import constants

# A trunk's attributes central owns.
TRUNK = ('name', 'description', 'admin_state_up')
# Statuses a pod may report; BUILD is on its way to one of the others.
STATUSES = (constants.TRUNK_ACTIVE, constants.TRUNK_DOWN,
            constants.TRUNK_BUILD, constants.TRUNK_DEGRADED,
            constants.TRUNK_ERROR)
SUBPORT_OWNER = constants.DEVICE_OWNER_TRUNK_SUBPORT
BUILD = constants.TRUNK_BUILD


def bound_host(port):
    """The host a (parent) port is bound to, '' while no agent bound it."""
    if port.get(constants.VIF_TYPE) in (
            None, '', constants.VIF_TYPE_UNBOUND,
            constants.VIF_TYPE_BINDING_FAILED):
        return ''
    return port.get(constants.HOST_ID) or ''


def subport(sub):
    """The three values that make a subport."""
    return {'port_id': sub['port_id'],
            'segmentation_type': sub['segmentation_type'],
            'segmentation_id': sub['segmentation_id']}


def differences(top, bottom):
    """What a pod's copy lacks of central's trunk: ``{'trunk': {attr:
    (pod's, central's)}, 'missing': [subport], 'extra': [subport]}``; a
    subport whose segmentation differs is both extra (as the pod has it)
    and missing (as central has it)."""
    trunk = {k: (bottom.get(k), top[k]) for k in TRUNK
             if k in top and (bottom.get(k) or None) != (top[k] or None)}
    here = {s['port_id']: subport(s) for s in bottom.get('sub_ports') or ()}
    there = {s['port_id']: subport(s) for s in top.get('sub_ports') or ()}
    return {
        'trunk': trunk,
        'missing': [s for pid, s in sorted(there.items())
                    if here.get(pid) != s],
        'extra': [s for pid, s in sorted(here.items())
                  if there.get(pid) != s],
    }


def in_step(diff):
    return not any(diff.values())
