"""``openstack multiregion networking routing create|list|show|set|delete``.

A routing records where a central ("top") resource lives in a pod
("bottom"). Operators edit them by hand only to repair drift, so every
attribute is an explicit option and ``set`` sends only what is given.
"""

from osc_lib.command import command
from osc_lib import exceptions

from tricircle.osc.v1 import common
from tricircle.osc.v1 import pods

FIELDS = ('id', 'top_id', 'bottom_id', 'pod_id', 'project_id',
          'resource_type', 'created_at', 'updated_at')
LIST_FIELDS = FIELDS[:6]
# What ``--no-<field>`` may clear; the others can never be null.
NULLABLE = ('bottom_id', 'project_id')


def _add_attributes(parser, required):
    parser.add_argument('--top-id', metavar='<top-id>', required=required,
                        help='Id of the resource on central')
    parser.add_argument('--bottom-id', metavar='<bottom-id>',
                        help='Id of the resource in the pod')
    parser.add_argument('--pod', metavar='<pod>', required=required,
                        help='Pod the resource lives in (id or region '
                             'name)')
    parser.add_argument('--project-id', metavar='<project-id>',
                        required=required,
                        help='Project owning the resource')
    parser.add_argument('--resource-type', metavar='<resource-type>',
                        required=required,
                        help='network, subnet, port, router, '
                             'security_group, floatingip, ...')


def _values(client, parsed_args):
    values = {}
    for key in ('top_id', 'bottom_id', 'project_id', 'resource_type'):
        if getattr(parsed_args, key) is not None:
            values[key] = getattr(parsed_args, key)
    if parsed_args.pod is not None:
        values['pod_id'] = pods.find_pod_id(client, parsed_args.pod)
    return values


class CreateRouting(command.ShowOne):
    """Create a routing (where a central resource lives in a pod)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_attributes(parser, required=True)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        routing = client.create('routings', 'routing',
                                _values(client, parsed_args))
        return common.item_columns(routing, FIELDS)


class ListRouting(command.Lister):
    """List routings"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_filters(parser, [
            ('top_id', 'Only routings of this central resource'),
            ('bottom_id', 'Only routings of this pod resource'),
            ('project_id', 'Only routings of this project'),
            ('resource_type', 'Only routings of this resource type'),
        ])
        parser.add_argument('--pod', metavar='<pod>',
                            help='Only routings in this pod (id or region '
                                 'name)')
        common.add_pagination(parser, 'routings',
                              'List the routings after this routing id')
        common.add_long(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        filters = {k: getattr(parsed_args, k) for k in
                   ('top_id', 'bottom_id', 'project_id', 'resource_type')}
        filters['pod_id'] = pods.find_pod_id(client, parsed_args.pod)
        routings = client.list('routings', filters, parsed_args.limit,
                               parsed_args.marker)
        return common.list_columns(
            routings, FIELDS if parsed_args.long else LIST_FIELDS)


class ShowRouting(command.ShowOne):
    """Show a routing"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('routing', metavar='<routing-id>',
                            help='Routing to show')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        routing = client.show('routings', 'routing', common.item_id(
            parsed_args.routing, 'routing'))
        return common.item_columns(routing, FIELDS)


class SetRouting(command.ShowOne):
    """Set routing attributes (only those given change)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('routing', metavar='<routing-id>',
                            help='Routing to modify')
        _add_attributes(parser, required=False)
        for key in NULLABLE:
            parser.add_argument(
                '--no-' + key.replace('_', '-'), dest='no_' + key,
                action='store_true', default=False,
                help='Clear the %s' % key.replace('_', ' '))
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        values = _values(client, parsed_args)
        for key in NULLABLE:
            if getattr(parsed_args, 'no_' + key):
                if key in values:
                    raise exceptions.CommandError(
                        '--%s and --no-%s contradict each other' % (
                            (key.replace('_', '-'),) * 2))
                values[key] = None
        if not values:
            raise exceptions.CommandError(
                'Nothing to set: give at least one attribute option')
        routing = client.update('routings', 'routing', common.item_id(
            parsed_args.routing, 'routing'), values)
        return common.item_columns(routing, FIELDS)


class DeleteRouting(command.Command):
    """Delete routing(s)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('routings', metavar='<routing-id>', nargs='+',
                            help='Routing(s) to delete')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        common.delete_each(
            parsed_args.routings, 'routing',
            lambda r: client.delete('routings', common.item_id(r, 'routing')))
