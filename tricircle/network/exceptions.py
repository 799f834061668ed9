"""Neutron errors a pod returns when central (or the Admin API) fails.

They subclass neutron-lib's exceptions, so Neutron's API layer answers with
the same status central gave (or 503 when central cannot be reached) and
the pod's caller sees why.
"""

from neutron_lib import exceptions as n_exc


class CentralUnavailable(n_exc.ServiceUnavailable):
    message = ('Central Neutron (%(url)s) cannot be reached: %(reason)s. '
               'Nothing was created in this pod.')


class CentralBadRequest(n_exc.BadRequest):
    message = 'Central Neutron refused the request: %(msg)s'


class CentralNotFound(n_exc.NotFound):
    message = 'Central Neutron: %(msg)s'


class CentralConflict(n_exc.Conflict):
    message = 'Central Neutron: %(msg)s'


class CentralError(n_exc.NeutronException):
    message = 'Central Neutron failed (HTTP %(status)s): %(msg)s'


class CentralFailed(n_exc.ServiceUnavailable):
    """Central or the Admin API answered 5xx (its database restarting,
    say): the pod's caller may retry, as after a 503."""
    message = ('Central Neutron or the Admin API failed (HTTP %(status)s): '
               '%(msg)s. Nothing was created in this pod; retry later.')


class ManagedByCentral(n_exc.BadRequest):
    message = ('%(resource)s %(id)s belongs to central Neutron; create and '
               'change it there, the pods follow.')


class NetworkNotInPod(n_exc.BadRequest):
    message = ('Network %(net_id)s is bound by availability_zone_hints to '
               '%(hints)s; pod %(region)s (AZ %(az)s) is not one of them.')


class BridgeReadOnly(n_exc.NotAuthorized):
    message = ('Network %(net_id)s is a Tricircle bridge network: it '
               'carries traffic between the pods of your routers, is '
               'managed by Tricircle, and is read-only to tenants.')


class NetworkInAnotherPod(n_exc.Conflict):
    message = ('Network %(net_id)s already lives in another pod and its '
               'type %(type)s does not span pods (cross-pod types: '
               '%(types)s; a network without availability_zone_hints spans '
               'pods only if span_unhinted_networks is set)')


class ChainLayoutNotSupported(n_exc.BadRequest):
    message = ('%(what)s: %(reason)s. Tricircle chains the ports of one '
               'network, which is VxLAN (it reaches every pod) or hinted '
               'to a single pod.')


class PortUsedByServiceChain(n_exc.InUse):
    message = ('Port %(port_id)s is a port of %(users)s; delete or change '
               'those first.')


def from_response(status, body_message):
    """The neutron-lib exception matching central's HTTP status."""
    if status == 400:
        return CentralBadRequest(resource='central', msg=body_message)
    if status == 404:
        return CentralNotFound(msg=body_message)
    if status == 409:
        return CentralConflict(msg=body_message)
    if status >= 500:
        return CentralFailed(status=status, msg=body_message)
    return CentralError(status=status, msg=body_message)
