"""URL tree of the Admin API: ``/`` (versions) and ``/v1.0/...``."""

import pecan

from tricircle.api.controllers import bindings
from tricircle.api.controllers import jobs
from tricircle.api.controllers import pods
from tricircle.api.controllers import routings

VERSION = 'v1.0'


def _version_doc():
    return {'id': VERSION, 'status': 'CURRENT',
            'links': [{'rel': 'self',
                       'href': pecan.request.host_url + '/' + VERSION + '/'}]}


class V1Controller:

    pods = pods.PodsController()
    routings = routings.RoutingsController()
    jobs = jobs.JobsController()
    bindings = bindings.BindingsController()

    @pecan.expose('json')
    def index(self):
        return {'version': _version_doc()}


class RootController:

    @pecan.expose('json')
    def index(self):
        return {'versions': [_version_doc()]}


# "v1.0" is not a Python identifier, so it is routed explicitly.
pecan.route(RootController, VERSION, V1Controller())
