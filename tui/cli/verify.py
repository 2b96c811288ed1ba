"""`memslot-explorer verify FILE`: the verb's options; the work is in tui.qemu.verify."""

from __future__ import annotations

import argparse

from tui.cli.common import PROG, delegate, path_arg

SUMMARY = "verify FILE [--qemu PATH]  run FILE on a real QEMU and compare"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} verify",
        description="Start a real QEMU with the configuration, replay its timeline over QMP and "
        "compare QEMU's verdicts with the engine's.",
    )
    parser.add_argument("file", type=path_arg, metavar="FILE")
    parser.add_argument(
        "--qemu",
        type=path_arg,
        metavar="PATH",
        default=None,
        help="qemu-system-x86_64 binary (default: from PATH)",
    )
    parser.add_argument(
        "--accel",
        choices=("kvm", "tcg"),
        default=None,
        help="accelerator to run with (default: the configuration's)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument(
        "--timeout",
        type=_timeout,
        metavar="S",
        default=None,
        help="seconds to wait for QEMU per step, 1 to 3600 (default 30)",
    )
    return parser


def _timeout(text: str) -> float:
    """argparse type: the bounds live with the process code (tui.qemu.launch.parse_timeout)."""
    from tui.qemu.launch import parse_timeout

    try:
        return parse_timeout(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return delegate("tui.qemu.verify", "run_verify_cli", args, "verify")
