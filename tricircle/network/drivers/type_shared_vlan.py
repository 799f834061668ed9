"""ML2 type driver ``shared_vlan`` for central Neutron (seed 003).

A shared VLAN network has the same VLAN id in every pod and the physical
switches connect them. Its ids come from the same per-physnet VLAN pool as
``vlan`` networks (``[ml2_type_vlan] network_vlan_ranges``): on a physnet a
VLAN id means one thing, whichever type asked for it.
"""

from neutron.plugins.ml2.drivers import type_vlan
from neutron_lib.plugins.ml2 import api

from tricircle.network import segments


class SharedVlanTypeDriver(type_vlan.VlanTypeDriver):

    def get_type(self):
        return segments.SHARED_VLAN

    # The VLAN driver names its segments "vlan" whatever get_type() says;
    # ours must keep their own type so pods know to share the VLAN id.
    def reserve_provider_segment(self, context, segment, filters=None):
        return self._retyped(
            super().reserve_provider_segment(context, segment, filters))

    def allocate_tenant_segment(self, context, filters=None):
        segment = super().allocate_tenant_segment(context, filters)
        return self._retyped(segment)

    @staticmethod
    def _retyped(segment):
        if segment:
            segment[api.NETWORK_TYPE] = segments.SHARED_VLAN
        return segment
