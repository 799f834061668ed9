"""The local L3 plugin: Neutron's router plugin, with seed 000's naming.

XJob creates a pod's bottom router with the top router's UUID as its name;
like networks and subnets in the local plugin, that UUID becomes the
router's id, so a router has one id in every region.
"""

from neutron.services.l3_router import l3_router_plugin
from oslo_utils import uuidutils

from tricircle.network import router_reads


class TricircleLocalL3Plugin(router_reads.LightRouterReads,
                             l3_router_plugin.L3RouterPlugin):

    def create_router(self, context, router):
        attrs = router['router']
        if 'id' not in attrs and uuidutils.is_uuid_like(attrs.get('name')):
            attrs['id'] = attrs['name']
        return super().create_router(context, router)
