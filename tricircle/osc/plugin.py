"""The python-openstackclient plugin hooks (entry point
``openstack.cli.extension``): API name and versions, the global
``--os-multiregion-networking-api-version`` option and ``make_client``.

OSC imports this module on every run, whatever the command, so it imports
nothing of Tricircle's server side; the client is built lazily, on the
first command that asks ``client_manager.multiregion_networking``.
"""

import logging

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions
from osc_lib import utils

LOG = logging.getLogger(__name__)

API_NAME = 'multiregion_networking'
API_VERSION_OPTION = 'os_multiregion_networking_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'tricircle.osc.client.Client'}
# The Admin API's service type in the Keystone catalog (see
# tricircle/sandbox/keystone.py); also the prefix of the clouds.yaml /
# environment override ``tricircle_endpoint_override``.
SERVICE_TYPE = 'tricircle'


def _catalog_regions(instance, interface):
    """The regions holding a ``tricircle`` endpoint, or None without a
    catalog (token-less auth)."""
    auth_ref = instance.auth_ref
    if auth_ref is None:
        return None
    found = auth_ref.service_catalog.get_endpoints(
        service_type=SERVICE_TYPE, interface=interface)
    return {e.get('region_id') or e.get('region')
            for e in found.get(SERVICE_TYPE, [])}


def find_endpoint(instance):
    """The Admin API's URL: an override (``--os-endpoint`` with
    ``--os-auth-type none``, or ``tricircle_endpoint_override``), else the
    catalog's ``tricircle`` endpoint in the chosen region.

    The Admin API lives in the central region only, while an operator may
    well have ``--os-region-name Pod1`` set for Neutron: when the chosen
    region has no endpoint and the catalog has them in one region only,
    that one is used rather than failing.
    """
    interface = instance.interface or 'public'
    region = instance.region_name
    try:
        url = instance.get_endpoint_for_service_type(
            SERVICE_TYPE, region_name=region, interface=interface)
    except ks_exc.EndpointNotFound:
        url = None
    if not url and region:
        regions = _catalog_regions(instance, interface)
        if regions and len(regions) == 1:
            other = regions.pop()
            LOG.debug('No %s endpoint in region %s; using region %s',
                      SERVICE_TYPE, region, other)
            url = instance.get_endpoint_for_service_type(
                SERVICE_TYPE, region_name=other, interface=interface)
    if not url:
        raise exceptions.CommandError(
            'No %s (Tricircle Admin API) endpoint found for interface %s%s; '
            'register one in Keystone or give its URL with --os-endpoint '
            '(with --os-auth-type none) or OS_TRICIRCLE_ENDPOINT_OVERRIDE.'
            % (SERVICE_TYPE, interface,
               ' in region %s' % region if region else ''))
    return url


def make_client(instance):
    """Called by OSC's ClientManager on first use."""
    cls = utils.get_client_class(API_NAME, instance._api_version[API_NAME],
                                 API_VERSIONS)
    return cls(instance.session, find_endpoint(instance),
               interface=instance.interface,
               region_name=instance.region_name)


def build_option_parser(parser):
    parser.add_argument(
        '--os-multiregion-networking-api-version',
        metavar='<version>',
        default=utils.env('OS_MULTIREGION_NETWORKING_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='Tricircle Admin API version, default=%s '
             '(Env: OS_MULTIREGION_NETWORKING_API_VERSION)'
             % DEFAULT_API_VERSION)
    return parser
