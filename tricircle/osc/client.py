"""A small client of the Admin API on the keystoneauth session OSC gives.

Requests go to the URL ``plugin.find_endpoint`` chose, with the session's
auth (a token in Keystone mode; nothing that matters in noauth mode). A
4xx/5xx becomes ``ApiError``, whose text is the API's own
``NeutronError`` message, so the operator reads what the server said.
"""

from urllib import parse

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions

API_PREFIX = '/v1.0'


class ApiError(exceptions.CommandError):
    """An error answer of the Admin API."""

    def __init__(self, status, err_type, message):
        self.status = status
        self.type = err_type
        self.message = message
        super().__init__('%s (HTTP %s, %s)' % (message, status, err_type))


def _error(resp):
    try:
        body = resp.json()['NeutronError']
        return ApiError(resp.status_code, body.get('type') or 'Error',
                        body.get('message') or resp.reason)
    except (ValueError, KeyError, TypeError):
        text = (resp.text or '').strip()[:500] or resp.reason
        return ApiError(resp.status_code, 'HTTPError', text)


class Client:
    """``get/post/put/delete`` on ``<endpoint>/v1.0``, plus the list and
    item calls the commands share."""

    def __init__(self, session, endpoint, interface=None, region_name=None):
        self.session = session
        self.endpoint = endpoint.rstrip('/')
        self.interface = interface
        self.region_name = region_name

    def request(self, method, path, body=None, params=None):
        url = self.endpoint + API_PREFIX + path
        if params:
            url += '?' + parse.urlencode(params)
        kwargs = {'raise_exc': False,
                  'headers': {'Accept': 'application/json'}}
        if body is not None:
            kwargs['json'] = body
        try:
            resp = self.session.request(url, method, **kwargs)
        except ks_exc.ConnectFailure as e:
            raise exceptions.CommandError(
                'Cannot reach the Tricircle Admin API at %s: %s'
                % (self.endpoint, e))
        if resp.status_code >= 400:
            raise _error(resp)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # -- shared by the resources -------------------------------------------

    def list(self, collection, filters=None, limit=None, marker=None):
        """One page (``limit``) or everything the API answers."""
        params = {k: v for k, v in (filters or {}).items() if v is not None}
        if limit is not None:
            params['limit'] = limit
        if marker is not None:
            params['marker'] = marker
        return self.request('GET', '/' + collection,
                            params=params)[collection]

    def create(self, collection, key, values):
        return self.request('POST', '/' + collection, {key: values})[key]

    def show(self, collection, key, item_id):
        return self.request('GET', '/%s/%s' % (
            collection, parse.quote(str(item_id), safe='')))[key]

    def update(self, collection, key, item_id, values=None):
        """PUT ``{key: values}``; without values an empty PUT (a job's
        redo)."""
        return self.request('PUT', '/%s/%s' % (
            collection, parse.quote(str(item_id), safe='')),
            None if values is None else {key: values})[key]

    def delete(self, collection, item_id):
        self.request('DELETE', '/%s/%s' % (
            collection, parse.quote(str(item_id), safe='')))
