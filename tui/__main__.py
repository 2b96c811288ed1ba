"""`python -m tui` is the same as the `memslot-explorer` console script."""

import sys

from tui.cli import main

sys.exit(main())
