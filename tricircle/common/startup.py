"""Cheaper process start-up: no cyclic garbage collection while a server
imports its code.

Importing Neutron makes some 450,000 objects, and the cyclic collector
walks the growing heap again and again on the way: a fifth of the import's
CPU (2.8 s with it, 2.2 s without, for what a sandbox neutron-api imports).
Nothing a server imports is garbage, so collection waits until the imports
are done; ``gc.freeze()`` then moves what they made out of the collector's
sight for the life of the process (what CPython's documentation suggests
for pre-fork servers), so later collections do not walk it either.
"""

import contextlib
import gc


@contextlib.contextmanager
def importing():
    """Run the block (a server's imports) without cyclic collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
