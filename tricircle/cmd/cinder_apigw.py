"""``tricircle-cinder-apigw``: the Cinder API gateway."""

import sys

from tricircle.cmd import apigw


def main(argv=None):
    return apigw.serve('cinder', argv)


if __name__ == '__main__':
    sys.exit(main())
