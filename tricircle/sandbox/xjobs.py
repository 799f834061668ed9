"""The sandbox's XJob processes (``xjob-1``...): they share the sandbox's
Tricircle DB, as XJob processes on several hosts of a real cloud do.

XJob serves no HTTP, so a process counts as running once its log says it
dispatches jobs. Without a broker (no ``--rabbit``) it finds new jobs by
scanning the job table, often; with one, wake-ups start jobs and the scan
keeps its production default.
"""

import os
import time

from tricircle.sandbox import processes

# What tricircle-xjob logs once it dispatches jobs.
READY_MARKER = 'XJob worker '
# [xjob] options of the sandbox: a stopping XJob hands its jobs back
# before "down" would SIGKILL it; without wake-ups, jobs start within 0.2 s.
OPTIONS = {'shutdown_grace': 5}
SCAN_WITHOUT_WAKEUPS = 0.2


def options(wakeups):
    """``[xjob]`` of the sandbox's tricircle.conf."""
    return dict(OPTIONS, **({} if wakeups else
                            {'scan_interval': SCAN_WITHOUT_WAKEUPS}))


# Names of XJob records: xjob-1, xjob-2...
NAME_PREFIX = 'xjob-'


def argv(conf_file):
    return processes.console_script('tricircle-xjob', 'tricircle.cmd.xjob',
                                    '--config-file', conf_file)


def start(layout, records, count):
    """Start ``count`` XJob processes; append their records (no url)."""
    for i in range(1, count + 1):
        name = '%s%d' % (NAME_PREFIX, i)
        records.append(processes.start(
            name, argv(layout['tricircle_conf']),
            os.path.join(layout['dir'], 'logs', name + '.log')))


def wait(records, timeout):
    """Wait until each XJob process runs; StartError if one does not."""
    deadline = time.monotonic() + timeout
    for record in records:
        processes.wait_until(
            record, lambda: processes.log_contains(record, READY_MARKER),
            deadline, 'not running after %ds' % timeout)
