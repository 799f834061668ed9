"""Job types that touch nothing: for benchmarks, tests and smoke checks of
a deployment (queue one through the Admin API and watch it finish)."""

import time


def noop(ctx, job):
    """Does nothing; measures the engine's own cost per job."""


def sleep(ctx, job):
    """Keeps a job running for ``extra["seconds"]`` (default 1), e.g. to
    watch leases being renewed or a dead worker's job taken over."""
    time.sleep(float((job.get('extra') or {}).get('seconds', 1)))
