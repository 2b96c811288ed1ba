"""What every verb shares: exit codes, the program name, and the guard against tracebacks.

Exit codes are part of the interface so that scripts and CI can gate on them:
0 every event succeeds, 1 QEMU would refuse something (or not start), 2 bad input (usage,
unreadable or invalid file), 3 a feature missing from this installation or an internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
PROG = "memslot-explorer"


def guard(action: Callable[[], int]) -> int:
    """Bad input never ends in a traceback: ConfigError and OSError become one stderr line."""
    from tui.formats.toml import ConfigError

    try:
        return action()
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = exc.filename if exc.filename else PROG
        print(f"{where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an engine bug must still not look like the user's fault
        if os.environ.get("MEMSLOT_EXPLORER_DEBUG"):
            raise
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (set "
            "MEMSLOT_EXPLORER_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE


def delegate(module_name: str, function: str, args: argparse.Namespace, verb: str) -> int:
    """Run a verb whose work lives elsewhere; a missing piece of the installation is exit 3."""
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, function)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        what = (
            f"{module_name} is missing"
            if not missing or module_name.startswith(missing)
            else f"it needs {missing}: {exc}"
        )
        print(f"{PROG} {verb}: not available in this installation ({what})", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except AttributeError:
        print(
            f"{PROG} {verb}: not available in this installation "
            f"({module_name}.{function} is missing)",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    return guard(lambda: int(handler(args)))
