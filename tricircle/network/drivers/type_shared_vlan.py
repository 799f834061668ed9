"""ML2 type driver ``shared_vlan`` for central Neutron (seed 003).

A shared VLAN network has the same VLAN id in every pod and the physical
switches connect them. Its ids come from the same per-physnet VLAN pool as
``vlan`` networks (``[ml2_type_vlan] network_vlan_ranges``): on a physnet a
VLAN id means one thing, whichever type asked for it.
"""

from neutron.plugins.ml2.drivers import type_vlan

from tricircle.network import segments


class SharedVlanTypeDriver(type_vlan.VlanTypeDriver):

    def get_type(self):
        return segments.SHARED_VLAN
