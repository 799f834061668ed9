"""Names shared by every Tricircle process.

Keeping them in one place lets the Admin API validate what XJob and the
plugins will later look up, without either importing the other.
"""

# Resource types a routing entry may record. The set is closed on purpose:
# a typo in a routing would otherwise create a row nothing ever reads.
RT_NETWORK = 'network'
RT_SUBNET = 'subnet'
RT_PORT = 'port'
RT_ROUTER = 'router'
RT_SG = 'security_group'
RT_FIP = 'floatingip'
RT_BRIDGE_NETWORK = 'bridge_network'
RT_BRIDGE_SUBNET = 'bridge_subnet'
RT_BRIDGE_PORT = 'bridge_port'
RT_SHADOW_PORT = 'shadow_port'
RT_GATEWAY_PORT = 'gateway_port'
RT_QOS_POLICY = 'qos_policy'
RT_TRUNK = 'trunk'
# A service function chain and its pieces (tricircle.network.sfc).
RT_PORT_CHAIN = 'port_chain'
RT_PORT_PAIR_GROUP = 'port_pair_group'
RT_PORT_PAIR = 'port_pair'
RT_FLOW_CLASSIFIER = 'flow_classifier'

RESOURCE_TYPES = (
    RT_NETWORK, RT_SUBNET, RT_PORT, RT_ROUTER, RT_SG, RT_FIP,
    RT_BRIDGE_NETWORK, RT_BRIDGE_SUBNET, RT_BRIDGE_PORT, RT_SHADOW_PORT,
    RT_GATEWAY_PORT, RT_QOS_POLICY, RT_TRUNK, RT_PORT_CHAIN,
    RT_PORT_PAIR_GROUP, RT_PORT_PAIR, RT_FLOW_CLASSIFIER,
)

# XJob job types.
JOB_ROUTER_SETUP = 'router_setup'
JOB_SEG_RULE_SETUP = 'seg_rule_setup'
JOB_SHADOW_PORT_SETUP = 'shadow_port_setup'
# A central network, subnet or port changed or went: its copies follow.
JOB_NETWORK_SYNC = 'network_sync'
JOB_SUBNET_SYNC = 'subnet_sync'
JOB_PORT_SYNC = 'port_sync'
# A central QoS policy or one of its rules changed, or it went.
JOB_QOS_SYNC = 'qos_sync'
# A central trunk or its subports changed, or it went; its pod's status
# comes back.
JOB_TRUNK_SYNC = 'trunk_sync'
# A central port chain, one of its pieces or the binding of one of its
# ports changed, or it went: the pods holding its ports follow.
JOB_SFC_SYNC = 'sfc_sync'

# Asynchronous job states.
JS_NEW = 'NEW'
JS_RUNNING = 'RUNNING'
JS_SUCCESS = 'SUCCESS'
JS_FAIL = 'FAIL'
JOB_STATUSES = (JS_NEW, JS_RUNNING, JS_SUCCESS, JS_FAIL)

# The region name the sandbox gives the central Neutron.
CENTRAL_REGION = 'CentralRegion'

ADMIN_API_DEFAULT_PORT = 19999

# device_owner of the central port that reserves a subnet's gateway IP for
# the pods' bottom routers.
DEVICE_OWNER_GATEWAY = 'network:tricircle_gateway'
DEVICE_OWNER_ROUTER_INTF = 'network:router_interface'
# device_owner of a bottom router's port on its tenant's bridge network.
DEVICE_OWNER_BRIDGE = 'network:tricircle_bridge'
# Names of Tricircle's own networks: a tenant's east-west bridge, a
# router's north-south bridge.
BRIDGE_PREFIX = 'tricircle-bridge-'
NS_BRIDGE_PREFIX = 'tricircle-ns-bridge-'
# device_owner of a port that stands in one pod for a central port living
# in another (same id, IPs and MAC); deleting it never touches central.
DEVICE_OWNER_SHADOW = 'network:tricircle_shadow'
# device_owner central records for the twin of a pod's router gateway or
# floating IP port: central's L3 plugin must not guard it as its own.
DEVICE_OWNER_POD_L3 = 'network:tricircle_pod_l3'
DEVICE_OWNER_ROUTER_GW = 'network:router_gateway'
DEVICE_OWNER_FLOATINGIP = 'network:floatingip'

# A pod names itself to central on port creates and deletes; central
# answers the second header when it recorded (or dropped) the port's
# routing itself (tricircle.network.central.origin).
POD_HEADER = 'X-Tricircle-Pod'
ROUTED_HEADER = 'X-Tricircle-Routed'
# XJob marks a push of central's own values to a pod, so the pod applies
# it without passing it back to central (tricircle.network.local.origin).
SYNC_HEADER = 'X-Tricircle-Sync'
SYNC_FROM_CENTRAL = 'central'

# Neutron API attributes and values that XJob, the audit and the CLI read,
# spelled out like the device owners above: the modules those processes
# load would otherwise import neutron_lib's API definitions, about a
# second of CPU in each process (tests/common/test_constants.py holds
# them to neutron_lib's).
NETWORK_TYPE = 'provider:network_type'
PHYSICAL_NETWORK = 'provider:physical_network'
SEGMENTATION_ID = 'provider:segmentation_id'
HOST_ID = 'binding:host_id'
VIF_TYPE = 'binding:vif_type'
VIF_TYPE_UNBOUND = 'unbound'
VIF_TYPE_BINDING_FAILED = 'binding_failed'
TRUNK_ACTIVE = 'ACTIVE'
TRUNK_DOWN = 'DOWN'
TRUNK_BUILD = 'BUILD'
TRUNK_DEGRADED = 'DEGRADED'
TRUNK_ERROR = 'ERROR'
DEVICE_OWNER_TRUNK_SUBPORT = 'trunk:subport'
