"""``openstack multiregion networking binding create|list|show|set|delete``.

A binding names the pod of an availability zone where a project's new
servers and volumes go. The API gateway makes them on first use; operators
bind ahead of time or move a binding off a pod that is full or down, so
``set`` changes the pod only.
"""

from osc_lib.command import command

from tricircle.osc.v1 import common
from tricircle.osc.v1 import pods

FIELDS = ('id', 'project_id', 'az_name', 'pod_id', 'created_at',
          'updated_at')
LIST_FIELDS = FIELDS[:4]


class CreateBinding(command.ShowOne):
    """Bind a project to a pod (in the pod's availability zone)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--project-id', metavar='<project-id>',
                            required=True, help='Project to bind')
        parser.add_argument('--pod', metavar='<pod>', required=True,
                            help='Pod to bind it to (id or region name)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        binding = client.create('bindings', 'binding', {
            'project_id': parsed_args.project_id,
            'pod_id': pods.find_pod_id(client, parsed_args.pod)})
        return common.item_columns(binding, FIELDS)


class ListBinding(command.Lister):
    """List bindings"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_filters(parser, [
            ('project_id', 'Only bindings of this project'),
            ('az_name', 'Only bindings in this availability zone'),
        ])
        parser.add_argument('--pod', metavar='<pod>',
                            help='Only bindings to this pod (id or region '
                                 'name)')
        common.add_pagination(parser, 'bindings',
                              'List the bindings after this binding id')
        common.add_long(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        filters = {'project_id': parsed_args.project_id,
                   'az_name': parsed_args.az_name,
                   'pod_id': pods.find_pod_id(client, parsed_args.pod)}
        bindings = client.list('bindings', filters, parsed_args.limit,
                               parsed_args.marker)
        return common.list_columns(
            bindings, FIELDS if parsed_args.long else LIST_FIELDS)


class ShowBinding(command.ShowOne):
    """Show a binding"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('binding', metavar='<binding-id>',
                            help='Binding to show')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        binding = client.show('bindings', 'binding', common.item_id(
            parsed_args.binding, 'binding'))
        return common.item_columns(binding, FIELDS)


class SetBinding(command.ShowOne):
    """Move a binding to another pod of its availability zone"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('binding', metavar='<binding-id>',
                            help='Binding to move')
        parser.add_argument('--pod', metavar='<pod>', required=True,
                            help='Pod the project\'s new resources go to '
                                 '(id or region name)')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        binding = client.update(
            'bindings', 'binding',
            common.item_id(parsed_args.binding, 'binding'),
            {'pod_id': pods.find_pod_id(client, parsed_args.pod)})
        return common.item_columns(binding, FIELDS)


class DeleteBinding(command.Command):
    """Delete binding(s) (the project is bound again on its next use)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('bindings', metavar='<binding-id>', nargs='+',
                            help='Binding(s) to delete')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking

        def delete(binding):
            client.delete('bindings', common.item_id(binding, 'binding'))
        common.delete_each(parsed_args.bindings, 'binding', delete)
