"""``openstack multiregion networking pod create|list|show|delete``.

A pod is a region Tricircle manages (the one without an AZ is central).
Operators think in region names, so wherever a pod is named, its region
name works as well as its id.
"""

from osc_lib.command import command
from osc_lib import exceptions
from oslo_utils import uuidutils

from tricircle.osc.v1 import common

FIELDS = ('pod_id', 'region_name', 'az_name', 'pod_az_name', 'dc_name')


def find_pod(client, name_or_id):
    """The pod whose id or region name is ``name_or_id``."""
    value = common.item_id(name_or_id, 'pod')
    if uuidutils.is_uuid_like(value):
        return client.show('pods', 'pod', value)
    pods = client.list('pods', {'region_name': value})
    if not pods:
        raise exceptions.CommandError(
            'No pod with id or region name %s.' % value)
    return pods[0]


def find_pod_id(client, name_or_id):
    """A pod id for a filter or a routing: a UUID is passed on as is (the
    API judges it), a region name is looked up."""
    if name_or_id is None or uuidutils.is_uuid_like(name_or_id):
        return name_or_id
    return find_pod(client, name_or_id)['pod_id']


class CreatePod(command.ShowOne):
    """Register a region as a pod (without --az-name: the central pod)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('region_name', metavar='<region-name>',
                            help='Region name of the pod (its Keystone '
                                 'region and [tricircle] region_name)')
        parser.add_argument('--az-name', metavar='<az-name>',
                            help='Availability zone of the pod; omit it '
                                 'for the central pod')
        parser.add_argument('--pod-az-name', metavar='<pod-az-name>',
                            help='Availability zone inside the pod')
        parser.add_argument('--dc-name', metavar='<dc-name>',
                            help='Data center of the pod')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        values = {'region_name': parsed_args.region_name}
        for key in ('az_name', 'pod_az_name', 'dc_name'):
            if getattr(parsed_args, key) is not None:
                values[key] = getattr(parsed_args, key)
        return common.item_columns(client.create('pods', 'pod', values),
                                   FIELDS)


class ListPod(command.Lister):
    """List pods"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_filters(parser, [
            ('region_name', 'Only the pod of this region'),
            ('az_name', 'Only pods in this availability zone'),
            ('pod_az_name', 'Only pods with this pod AZ name'),
            ('dc_name', 'Only pods in this data center'),
            ('pod_id', 'Only the pod with this id'),
        ])
        common.add_pagination(parser, 'pods',
                              'List the pods after the pod of this id')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        filters = {k: getattr(parsed_args, k) for k in
                   ('region_name', 'az_name', 'pod_az_name', 'dc_name',
                    'pod_id')}
        pods = client.list('pods', filters, parsed_args.limit,
                           parsed_args.marker)
        return common.list_columns(pods, FIELDS)


class ShowPod(command.ShowOne):
    """Show a pod"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('pod', metavar='<pod>',
                            help='Pod to show (id or region name)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        return common.item_columns(find_pod(client, parsed_args.pod), FIELDS)


class DeletePod(command.Command):
    """Delete pod(s) (refused while routings point at one)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('pods', metavar='<pod>', nargs='+',
                            help='Pod(s) to delete (id or region name)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        common.delete_each(
            parsed_args.pods, 'pod',
            lambda p: client.delete('pods', find_pod_id(client, p)))
