"""Routers read without their attached ports where nothing uses them.

Neutron loads a router with every attached port whole, each with all of
a port's eager relationships. A route update reads the router four times:
the API's read for the policy check, the update's "original", the
extra-route update and the router update. None of these touches the
ports, yet loading them was about half of each read, and reads were most
of a route update in a pod (benchmarks/README.md, L3 convergence).

Only the reads of ``get_router`` and of an update of routes, name or
description skip them, and only inside a transaction: ``get_router`` opens
a reader for itself (as Neutron's ``get_routers`` does), and the update's
reads are in its writers. A router read with its ports unloaded outside
any transaction stayed in the request's session; Neutron then walked its
``attached_ports`` when adding an interface, and the lazy load began a
transaction that held SQLite's write lock against the interface's own
port ("database is locked").
"""

import contextlib
import threading

from neutron.db.models import l3 as l3_models
from neutron_lib.db import api as db_api
from neutron_lib.db import model_query
from neutron_lib.exceptions import l3 as l3_exc
from sqlalchemy import orm
from sqlalchemy.orm import exc as orm_exc

# An update of only these: no gateway, HA, DVR or state change, whose
# handlers walk the attached ports.
LIGHT_UPDATES = frozenset(('routes', 'name', 'description'))


class LightRouterReads:
    """Mixin for an L3 plugin (before Neutron's in the bases)."""

    _light = threading.local()

    @contextlib.contextmanager
    def _light_reads(self):
        was = getattr(self._light, 'on', False)
        self._light.on = True
        try:
            yield
        finally:
            self._light.on = was

    def _get_router(self, context, router_id):
        if not getattr(self._light, 'on', False):
            return super()._get_router(context, router_id)
        query = model_query.query_with_hooks(
            context, l3_models.Router).options(
            orm.lazyload(l3_models.Router.attached_ports))
        try:
            return query.filter(l3_models.Router.id == router_id).one()
        except orm_exc.NoResultFound:
            raise l3_exc.RouterNotFound(router_id=router_id) from None

    @db_api.retry_if_session_inactive()
    @db_api.CONTEXT_READER
    def get_router(self, context, id, fields=None):
        with self._light_reads():
            return super().get_router(context, id, fields)

    def update_router(self, context, id, router):
        if set(router['router']) - LIGHT_UPDATES:
            return super().update_router(context, id, router)
        with self._light_reads():
            return super().update_router(context, id, router)
