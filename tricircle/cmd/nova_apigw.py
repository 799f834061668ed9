"""``tricircle-nova-apigw``: the Nova API gateway."""

import sys

from tricircle.cmd import apigw


def main(argv=None):
    return apigw.serve('nova', argv)


if __name__ == '__main__':
    sys.exit(main())
