"""Tag changes made on central reach the pods.

Neutron's tag API (``PUT /v2.0/networks/{id}/tags`` ...) writes tags apart
from the resource: no core plugin method runs, so the central plugin's
update hooks never see them. What the tag API always does is emit a
notification, ``tag.<action>.end``, through oslo.messaging. This
notification driver, named ``tricircle_tags`` (entry point in the
``oslo.messaging.notify.drivers`` namespace), turns each of those for a
network, subnet or port that a pod holds into that resource's sync job.

Central Neutron's config enables it beside any other driver::

    [oslo_messaging_notifications]
    driver = tricircle_tags
"""

from oslo_log import log as logging
from oslo_messaging.notify import notifier

from tricircle.network.central import follow

LOG = logging.getLogger(__name__)

_KINDS = {'networks': 'network', 'subnets': 'subnet', 'ports': 'port',
          'network': 'network', 'subnet': 'subnet', 'port': 'port'}


class TagChanges(notifier.Driver):
    """Queues network_sync / subnet_sync / port_sync on a tag change."""

    def notify(self, ctxt, message, priority, retry):
        event = message.get('event_type') or ''
        if not (event.startswith('tag.') and event.endswith('.end')):
            return
        payload = message.get('payload') or {}
        kind = _KINDS.get(payload.get('obj_resource'))
        resource_id = payload.get('obj_resource_id')
        if kind is None or not resource_id:
            return
        try:
            follow.resource_changed(kind, resource_id, None, 'tags changed')
        except Exception:
            # The tags stand on central; the audit finds the pods' copies.
            LOG.exception('Sync job for the tags of %s %s not queued', kind,
                          resource_id)
