"""`memslot-explorer export FILE --to FORMAT [-o OUT]`: the verb's options; the work is in
tui.formats.export."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.cli.common import PROG, delegate

SUMMARY = "export FILE --to FORMAT    as a QEMU command line, QMP, libvirt XML or TOML"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} export",
        description="Write a configuration as a QEMU command line, QMP commands, libvirt "
        "XML or normalised TOML.",
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument(
        "--to", required=True, choices=("qemu", "qmp", "libvirt", "toml"), help="output format"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        default=None,
        help="write to OUT instead of standard output",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return delegate("tui.formats.export", "run_export_cli", args, "export")
