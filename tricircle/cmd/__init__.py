"""Entry points of the Tricircle commands.

Importing this package (which every console script does first) silences
eventlet's deprecation notice: oslo.service and Neutron import eventlet,
which warns on stderr at import time although no command of ours runs on
it. Only that one warning is filtered; any other still shows.
"""

import warnings

# Matched against the start of the message (which begins with a newline);
# the category is eventlet's own, which cannot be named without importing
# eventlet, hence ``Warning``.
EVENTLET_WARNING = r'\s*Eventlet is deprecated'


def silence_eventlet_warning():
    warnings.filterwarnings('ignore', message=EVENTLET_WARNING,
                            category=Warning)


silence_eventlet_warning()
