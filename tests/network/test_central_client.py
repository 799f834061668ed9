"""The pod's central client trusts central's routing of a port only when
central says it routed the port to this very pod; otherwise the local
plugin records the routing through the Admin API (a central whose
api-paste.ini lacks the tricircle_origin filter)."""

import json
import threading
from wsgiref import simple_server

from oslo_config import cfg
import pytest

from tricircle.common import client
from tricircle.common import constants
from tricircle.network.local import central_client


class _Central:
    """A tiny HTTP server answering port creates as central would, with
    ``routed`` as its X-Tricircle-Routed header (None: no header)."""

    def __init__(self):
        self.routed = None
        self.seen = []
        self.server = simple_server.make_server(
            '127.0.0.1', 0, self.app,
            handler_class=type('Quiet', (simple_server.WSGIRequestHandler,),
                               {'log_message': lambda *a: None}))
        self.url = 'http://127.0.0.1:%d' % self.server.server_port
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def app(self, environ, start_response):
        self.seen.append(environ.get('HTTP_X_TRICIRCLE_POD'))
        headers = [('Content-Type', 'application/json')]
        if self.routed:
            headers.append((constants.ROUTED_HEADER, self.routed))
        if environ['REQUEST_METHOD'] == 'DELETE':
            start_response('204 No Content', headers)
            return [b'']
        start_response('201 Created', headers)
        return [json.dumps({'port': {'id': 'p1'}}).encode()]


@pytest.fixture
def central():
    fake = _Central()
    client.register_opts(cfg.CONF)
    cfg.CONF.set_override('pod_endpoints', {'CentralRegion': fake.url},
                          'client')
    yield fake
    fake.server.shutdown()
    cfg.CONF.clear_override('pod_endpoints', 'client')
    client.reset_cache()


@pytest.mark.parametrize('answer, routed', [
    ('Pod1', True), (None, False), ('Pod2', False)])
def test_routed_only_when_central_names_this_pod(central, answer, routed):
    central.routed = answer
    api = central_client.CentralClient('CentralRegion', 'Pod1')
    assert api.create_port_routed({'network_id': 'n'}) == ({'id': 'p1'},
                                                           routed)
    assert api.delete_port('p1') is routed
    assert central.seen == ['Pod1', 'Pod1']


def test_a_client_naming_no_pod_is_never_routed(central):
    central.routed = 'Pod1'
    api = central_client.CentralClient('CentralRegion')
    assert api.create_port_routed({'network_id': 'n'})[1] is False
    assert central.seen == [None]
