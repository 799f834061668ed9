"""ML2 mechanism driver of central Neutron.

Central never wires a port: the pod that reports a port's binding host has
done that. Binding here only records that the port is bound somewhere, so
ML2 does not mark central's ports ``binding_failed``. It brings central's
trunk driver, as an agent's mechanism driver brings its own.
"""

from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

from tricircle.network.central import trunk


class CentralMechanismDriver(api.MechanismDriver):

    def initialize(self):
        # Registered with the trunk plugin when that starts (after ML2).
        self._trunk_driver = trunk.CentralTrunkDriver()

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER,
                                {}, status='ACTIVE')
            return
