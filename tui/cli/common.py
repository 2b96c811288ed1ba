"""What every verb shares: exit codes, the program name, and the guard against tracebacks.

Exit codes are part of the interface so that scripts and CI can gate on them:
0 every event succeeds, 1 QEMU would refuse something (or not start), 2 bad input (usage,
unreadable or invalid file), 3 a feature missing from this installation or an internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
PROG = "memslot-explorer"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled exactly like Ctrl-C (every `except KeyboardInterrupt` clean-up
    runs: processes stopped by PID, temp dirs removed); the exit code is 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def interrupted_exit(exc: BaseException) -> int:
    """Exit code of a run stopped by a signal: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


def handle_termination() -> None:
    """Verbs: SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt), Ctrl-C raises
    KeyboardInterrupt, so one clean-up path serves all three."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_terminated)


def _quiet_exit(signum: int, _frame: FrameType | None) -> None:
    os._exit(128 + signum)


def quiet_signals() -> None:
    """While modules load (nothing to clean up yet): a signal ends the program at once, without
    a traceback (an exception raised inside the import machinery can even be swallowed)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _quiet_exit)


def default_signals() -> None:
    """The app handles its own keys and signals: give it Python's defaults back."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


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
    except KeyboardInterrupt as exc:
        return interrupted_exit(exc)
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
    restore = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    try:
        if restore:
            quiet_signals()
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
    finally:
        if restore:
            handle_termination()
    return guard(lambda: int(handler(args)))


def path_arg(text: str) -> Path:
    """A file argument: argparse's type=Path turns "" into ".", the current directory, and
    `check ''` then said ".: cannot read: Is a directory"."""
    if not text:
        raise argparse.ArgumentTypeError("an empty path names no file")
    return Path(text)
