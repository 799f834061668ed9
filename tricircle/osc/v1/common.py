"""What the pod, routing, job and binding commands share: output columns,
the JSON-valued fields, id checks, pagination options and multi-id
deletes.

OSC's conventions are followed so the commands read like the rest of the
CLI: list headings are titles (``Region Name``), show keys the API's own
attribute names, and a delete of several ids tries each and fails (exit 1)
when any failed, saying which.
"""

import json
import logging

from cliff import columns
from osc_lib import exceptions

LOG = logging.getLogger(__name__)

ABBREVIATIONS = {'id': 'ID', 'az': 'AZ', 'dc': 'DC'}


def title(field):
    """``pod_az_name`` -> ``Pod AZ Name``: the heading of a list column."""
    return ' '.join(ABBREVIATIONS.get(w, w.capitalize())
                    for w in field.split('_'))


class JSONColumn(columns.FormattableColumn):
    """A structured value (a job's ``extra``, ``result``, ``logs``):
    compact JSON in a table or ``-f value``, the value itself in
    ``-f json|yaml``."""

    def human_readable(self):
        if self._value is None:
            return 'None'       # as OSC shows any other null field
        return json.dumps(self._value, sort_keys=True)

    def machine_readable(self):
        return self._value


def item_columns(item, fields, json_fields=()):
    """``(names, values)`` of one item for a ShowOne, in ``fields`` order,
    then any attribute a newer API adds."""
    names = list(fields) + sorted(k for k in item if k not in fields)
    values = [JSONColumn(item.get(n)) if n in json_fields else item.get(n)
              for n in names]
    return names, values


def list_columns(items, fields, json_fields=()):
    """``(headings, rows)`` for a Lister."""
    rows = [[JSONColumn(i.get(f)) if f in json_fields else i.get(f)
             for f in fields] for i in items]
    return [title(f) for f in fields], rows


def item_id(value, what):
    """Refuse an empty id here: ``GET /v1.0/pods/`` would be the list."""
    value = (value or '').strip()
    if not value:
        raise exceptions.CommandError('%s id must not be empty' % what)
    return value


def add_pagination(parser, what, marker_help):
    parser.add_argument(
        '--limit', metavar='<num>', type=int,
        help='Show at most <num> %s (the API caps a page at 1000)' % what)
    parser.add_argument('--marker', metavar='<id>', help=marker_help)


def add_long(parser):
    parser.add_argument('--long', action='store_true', default=False,
                        help='List more fields in the output')


def add_filters(parser, filters):
    """``--region-name`` etc.: equality filters the API applies."""
    for field, help_text in filters:
        parser.add_argument('--' + field.replace('_', '-'), dest=field,
                            metavar='<%s>' % field.replace('_', '-'),
                            help=help_text)


def delete_each(ids, what, delete):
    """Call ``delete(id)`` for every id; report each failure, then fail
    as a whole if any did."""
    failed = 0
    for value in ids:
        try:
            delete(value)
        except exceptions.CommandError as e:
            failed += 1
            LOG.error('Failed to delete %s %s: %s', what, value, e)
    if failed:
        raise exceptions.CommandError(
            '%d of %d %ss failed to delete.' % (failed, len(ids), what))
