"""`python -m tui` is the same as the `memslot-explorer` console script."""

import os
import signal

# First thing: a Ctrl-C (or SIGTERM / SIGHUP) while modules load ends quietly, no traceback.
for _signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_signum, lambda signum, _frame: os._exit(128 + signum))

import sys  # noqa: E402

from tui.cli import main  # noqa: E402

sys.exit(main())
