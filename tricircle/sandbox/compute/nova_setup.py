"""Set up a sandbox pod's Nova databases in one process.

``nova-manage api_db sync``, ``cell_v2 map_cell0``, ``cell_v2 create_cell``
and ``db sync`` as four commands cost four imports of Nova, about 5 CPU
seconds each on the CI machine, where the migrations themselves take one.
Booting a compute sandbox is CPU-bound on 2 cores, so this runs the same
nova-manage command methods one after the other in one interpreter,
exactly as ``nova-manage`` would (same parsed config, same objects).

``python -m tricircle.sandbox.compute.nova_setup --config-file nova.conf
--cell0 URL --cell1 URL --transport-url URL``; exit 0 when every step
succeeded or had nothing to do.
"""

import argparse
import sys

# create_cell's answer when the cell exists already (a set-up cut short).
CELL_EXISTS = 2


def main(argv=None):
    parser = argparse.ArgumentParser(prog='tricircle-sandbox-nova-setup')
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--cell0', required=True,
                        help='Database URL of cell0.')
    parser.add_argument('--cell1', required=True,
                        help='Database URL of cell1 (the pod\'s cell).')
    parser.add_argument('--transport-url', required=True,
                        help='Broker URL (or template) of cell1.')
    args = parser.parse_args(argv)

    # Nova's commands read the concurrency backend from argv at import.
    sys.argv = ['nova-manage', '--config-file', args.config_file]
    from nova.cmd import manage
    from nova import config
    from nova import objects
    from oslo_log import log as logging

    config.parse_args(sys.argv)
    logging.setup(manage.CONF, 'nova')
    objects.register_all()
    steps = [
        ('api_db sync', lambda: manage.ApiDbCommands().sync()),
        ('cell_v2 map_cell0', lambda: manage.CellV2Commands().map_cell0(
            database_connection=args.cell0)),
        ('cell_v2 create_cell', lambda: manage.CellV2Commands().create_cell(
            name='cell1', database_connection=args.cell1,
            transport_url=args.transport_url)),
        ('db sync', lambda: manage.DbCommands().sync()),
    ]
    for name, step in steps:
        rc = step() or 0
        print('nova-manage %s: exit %d' % (name, rc), flush=True)
        if rc not in (0, CELL_EXISTS):
            return rc
    return 0


if __name__ == '__main__':
    sys.exit(main())
