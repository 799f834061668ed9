"""``openstack multiregion networking job create|list|show|redo|delete``.

The XJob queue as operators steer it: queue a job (the answer may be the
job already pending for that type and resource), watch it, redo it, drop
one no longer wanted. ``extra``, ``result`` and ``logs`` are structured:
compact JSON in a table, the value itself with ``-f json|yaml``.
"""

import json

from osc_lib.command import command
from osc_lib import exceptions

from tricircle.osc.v1 import common

FIELDS = ('id', 'type', 'resource_id', 'project_id', 'status', 'attempts',
          'extra', 'result', 'last_error', 'lease_owner',
          'lease_expires_at', 'next_attempt_at', 'created_at', 'updated_at',
          'logs')
JSON_FIELDS = ('extra', 'result', 'logs')
LIST_FIELDS = ('id', 'type', 'resource_id', 'project_id', 'status',
               'attempts', 'created_at')
LONG_FIELDS = LIST_FIELDS + ('updated_at', 'next_attempt_at', 'lease_owner',
                             'lease_expires_at', 'last_error')


class LogsColumn(common.JSONColumn):
    """A job's runs, one line each (``timestamp status message``) in a
    table; the list of log dicts with ``-f json|yaml``."""

    def human_readable(self):
        return '\n'.join(
            ' '.join(str(x) for x in (log.get('timestamp'), log.get('status'),
                                      log.get('message')) if x)
            for log in self._value or ())


def _show(job):
    names, values = common.item_columns(job, FIELDS, JSON_FIELDS)
    if 'logs' in names:
        i = names.index('logs')
        values[i] = LogsColumn(job.get('logs'))
    return names, values


def _job_id(value):
    return common.item_id(value, 'job')


class CreateJob(command.ShowOne):
    """Queue a job for XJob"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--type', metavar='<type>', required=True,
                            help='Job type: router_setup, network_sync, '
                                 'subnet_sync, port_sync, qos_sync, '
                                 'trunk_sync, sfc_sync, seg_rule_setup, '
                                 'shadow_port_setup, audit, noop, ...')
        parser.add_argument('--resource-id', metavar='<resource-id>',
                            required=True,
                            help='Resource the job works on (e.g. a router '
                                 'id; for audit a project id or "all")')
        parser.add_argument('--project-id', metavar='<project-id>',
                            help='Project the job works for')
        parser.add_argument('--extra', metavar='<json-object>',
                            help='Extra arguments of the job, a JSON object')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        values = {'type': parsed_args.type,
                  'resource_id': parsed_args.resource_id}
        if parsed_args.project_id is not None:
            values['project_id'] = parsed_args.project_id
        if parsed_args.extra is not None:
            try:
                values['extra'] = json.loads(parsed_args.extra)
            except ValueError as e:
                raise exceptions.CommandError(
                    '--extra is not valid JSON: %s' % e)
        return _show(client.create('jobs', 'job', values))


class ListJob(command.Lister):
    """List jobs"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_filters(parser, [
            ('status', 'Only jobs in this status (NEW, RUNNING, SUCCESS, '
                       'FAIL)'),
            ('type', 'Only jobs of this type'),
            ('project_id', 'Only jobs of this project'),
            ('resource_id', 'Only jobs on this resource'),
        ])
        common.add_pagination(parser, 'jobs',
                              'List the jobs after the job of this id')
        common.add_long(parser)
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        filters = {k: getattr(parsed_args, k) for k in
                   ('status', 'type', 'project_id', 'resource_id')}
        jobs = client.list('jobs', filters, parsed_args.limit,
                           parsed_args.marker)
        return common.list_columns(
            jobs, LONG_FIELDS if parsed_args.long else LIST_FIELDS)


class ShowJob(command.ShowOne):
    """Show a job, with its result and one log entry per run"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('job', metavar='<job-id>', help='Job to show')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        return _show(client.show('jobs', 'job', _job_id(parsed_args.job)))


class RedoJob(command.ShowOne):
    """Run a job again, now, with a fresh attempt count"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('job', metavar='<job-id>', help='Job to redo')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        return _show(client.update('jobs', 'job', _job_id(parsed_args.job)))


class DeleteJob(command.Command):
    """Delete job(s) not wanted any more (only NEW or FAIL ones)"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('jobs', metavar='<job-id>', nargs='+',
                            help='Job(s) to delete')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client_manager.multiregion_networking
        common.delete_each(parsed_args.jobs, 'job',
                           lambda j: client.delete('jobs', _job_id(j)))
