"""`memslot-explorer export FILE --to FORMAT [-o OUT]`: the verb's options; the work is in
tui.formats.export."""

from __future__ import annotations

import argparse

from tui.cli.common import PROG, delegate, path_arg
from tui.formats.registry import FORMATS, NAMES

SUMMARY = "export FILE --to FORMAT    as QEMU, QMP, libvirt, Kata, KubeVirt or TOML"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} export",
        description="Write a configuration in another format, with the engine's verdicts as "
        "comments.",
    )
    parser.add_argument("file", type=path_arg, metavar="FILE")
    formats = "; ".join(f"{f.name}: {f.title}" for f in FORMATS)
    parser.add_argument("--to", required=True, choices=NAMES, help=f"output format ({formats})")
    parser.add_argument(
        "-o",
        "--output",
        type=path_arg,
        metavar="OUT",
        default=None,
        help="write to OUT instead of standard output",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return delegate("tui.formats.export", "run_export_cli", args, "export")
