"""The `memslot-explorer` command: the app, or one headless verb.

Every verb lives in its own module of this package and is listed once in VERBS; a verb module
has SUMMARY (one line for the top-level help), build_parser() and run(args) -> exit code.
Verb modules are imported only when their verb is used, so the CLI starts fast and never
imports the app unless the user asks for it. Exit codes: see tui.cli.common.
"""

from __future__ import annotations

import os as _os
import signal as _signal
import sys

if _os.path.basename(sys.argv[0]) in ("memslot-explorer", "__main__.py"):
    # Running as the program: until a verb starts its work, a Ctrl-C (or SIGTERM / SIGHUP)
    # while modules load ends quietly instead of printing a traceback.
    for _signum in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP):
        _signal.signal(_signum, lambda signum, _frame: _os._exit(128 + signum))

import argparse
import gc
import importlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from tui import __version__
from tui.cli.check import JSON_SCHEMA
from tui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    PROG,
    default_signals,
    guard,
    handle_termination,
    interrupted_exit,
    path_arg,
)

_SIGNALS = (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP)

# verb -> module under tui.cli; one line per verb.
VERBS: dict[str, str] = {
    "check": "tui.cli.check",
    "export": "tui.cli.export",
    "host": "tui.cli.host",
    "import": "tui.cli.import_vm",
    "verify": "tui.cli.verify",
    "inspect": "tui.cli.inspect",
    "compare": "tui.cli.compare",
    "sweep": "tui.cli.sweep",
    "lesson": "tui.cli.lesson",
}

__all__ = ["JSON_SCHEMA", "VERBS", "main"]


def _verb_module(verb: str) -> ModuleType:
    return importlib.import_module(VERBS[verb])


def _top_parser() -> argparse.ArgumentParser:
    summaries = "\n".join(f"  {_verb_module(verb).SUMMARY}" for verb in VERBS)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="See how QEMU hands out KVM and vhost memslots to memory devices, before "
        "you touch a real VM. Without a verb, opens the app (on FILE, or on the "
        "built-in default configuration).",
        epilog=f"verbs:\n{summaries}\n"
        f"Run '{PROG} VERB --help' for a verb's options. "
        "Exit codes: 0 ok, 1 QEMU would fail, 2 bad input, 3 unavailable, "
        "4 a file's [expect] disagrees with the engine (check).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "file",
        nargs="?",
        type=path_arg,
        metavar="FILE.toml",
        help="configuration to open in the app (a path that does not exist yet starts a new "
        "configuration saved there), or a lesson file (lesson mode)",
    )
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective settings and where each comes from, then exit",
    )
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    """argparse exits on --help/--version/errors; turn that into a return code."""
    try:
        return parser.parse_args(list(argv))
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_BAD_INPUT)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script and of `python -m tui`; returns the exit code.

    A verb stopped by Ctrl-C, SIGTERM or SIGHUP cleans up and exits 128 + the signal, without a
    traceback, however early the signal comes."""
    args = list(sys.argv[1:] if argv is None else argv)
    saved = {signum: _signal.getsignal(signum) for signum in _SIGNALS}
    try:
        if not (args and args[0] in VERBS):
            default_signals()
            return _main(args)
        return _main(args)
    except KeyboardInterrupt as exc:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return interrupted_exit(exc)
    finally:
        if argv is not None:  # called in-process (tests): give the caller its handlers back
            for signum, handler in saved.items():
                _signal.signal(signum, handler)


def _main(args: list[str]) -> int:
    if args and args[0] in VERBS:
        verb = args[0]
        module = _verb_module(verb)
        parsed = _parse(module.build_parser(), args[1:])
        if isinstance(parsed, int):
            return parsed
        parsed.verb = verb
        handle_termination()  # from here on a signal cleans up (processes, temp files) first
        return int(module.run(parsed))
    parsed = _parse(_top_parser(), args)
    if isinstance(parsed, int):
        return parsed
    if parsed.print_config:
        return _print_config()
    return _open_app(parsed.file)


def _print_config() -> int:
    """Effective settings on stdout, problems on stderr (exit 2 when the file has any)."""
    from textual.theme import BUILTIN_THEMES

    from tui.app.actions import binding_ids, key_clashes  # the key registry only, not the app
    from tui.settings import checked, describe, load_settings

    settings = checked(load_settings(), BUILTIN_THEMES, binding_ids(), key_clashes)
    sys.stdout.write(describe(settings))
    for problem in settings.problems:
        print(problem, file=sys.stderr)
    return EXIT_BAD_INPUT if settings.problems else EXIT_OK


def _open_app(path: Path | None) -> int:
    if path is not None:
        from tui.lessons import is_lesson

        if is_lesson(path):  # `memslot-explorer LESSON.toml`: lesson mode, as `lesson F --app`
            from tui.cli.lesson import open_in_app

            return guard(lambda: open_in_app(str(path)))
    # Start-up creates objects that live as long as the app (modules, models, the first
    # screen's widgets); the cyclic collector would scan them again and again before the first
    # frame (~70 ms). It is paused here and resumed by the app once the first frame is shown,
    # with those objects frozen (MemslotApp.on_ready); at the latest when the app ends.
    gc.disable()
    try:
        try:
            module = importlib.import_module("tui.app.app")
            run_app = module.run_app
        except (ModuleNotFoundError, AttributeError):
            print(
                f"{PROG}: the app is not available in this installation (tui.app.app.run_app "
                f"is missing); '{PROG} check FILE' works without it",
                file=sys.stderr,
            )
            return EXIT_UNAVAILABLE
        return guard(lambda: int(run_app(path)))
    finally:
        gc.enable()
