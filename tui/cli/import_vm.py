"""`memslot-explorer import SOURCE [-o FILE.toml] [--format qemu|libvirt] [--pid N]`.

Only I/O lives here: read SOURCE (a regular file, `-` for stdin, or /proc/N/cmdline), hand the
text to the pure importers in tui.formats, print what was not understood and what was assumed
to stderr, and write the TOML to stdout or atomically to `-o`. Bad input: one line per
problem naming the source, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui.cli.common import EXIT_BAD_INPUT, EXIT_OK, PROG, guard, path_arg
from tui.formats.registry import IMPORTABLE

SUMMARY = "import SOURCE              a QEMU command line or libvirt XML as a configuration"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} import",
        description="Read a QEMU command line (shell text, one argument per line, a libvirt "
        "per-domain log, or a running QEMU's /proc/PID/cmdline) or a libvirt domain XML and "
        "write it as a configuration (TOML). What the source cannot say is assumed and listed.",
    )
    parser.add_argument(
        "source", nargs="?", metavar="SOURCE", help="file to read, or - for standard input"
    )
    parser.add_argument("--format", choices=IMPORTABLE, help="default: guessed from the text")
    parser.add_argument(
        "--pid", type=int, metavar="N", help="read /proc/N/cmdline (a running QEMU)"
    )
    parser.add_argument(
        "--host",
        action="store_true",
        help="fill what the source cannot say (KVM slots, THP size, max_mem_regions, CPU vendor "
        "under KVM, QEMU version) with this machine's facts: for a VM running here",
    )
    parser.add_argument(
        "-o", "--output", type=path_arg, metavar="FILE.toml", help="write here instead of stdout"
    )
    return parser


def _read(args: argparse.Namespace) -> tuple[str, str]:
    """(text, name of the source) — raises ConfigError for anything unreadable."""
    from tui.formats.importing import decode, read_source
    from tui.formats.toml import ConfigError

    if args.pid is not None:
        if args.source is not None:
            raise ConfigError(f"--pid {args.pid}", "", "give SOURCE or --pid, not both")
        path = Path(f"/proc/{args.pid}/cmdline")
        text = read_source(path)
        if not text:
            raise ConfigError(str(path), "", "empty: no such process, or a kernel thread")
        return text, f"pid {args.pid}"
    if args.source is None:
        raise ConfigError(PROG + " import", "", "give SOURCE (a file or -) or --pid N")
    if args.source == "-":
        from tui.formats.importing import MAX_IMPORT_SIZE

        raw = sys.stdin.buffer.read(MAX_IMPORT_SIZE + 1)
        return decode(raw, "<stdin>"), "<stdin>"
    return read_source(Path(args.source)), args.source


def _run(args: argparse.Namespace) -> int:
    from tui.formats.export import write_atomic
    from tui.formats.importing import import_text, to_toml

    if args.output is not None and args.source not in (None, "-") and str(args.output) != "-":
        if Path(args.output).exists() and Path(args.output).samefile(args.source):
            print(
                f"{args.output}: is the source; write the configuration to another file",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
    text, source = _read(args)
    fmt = args.format or ("qemu" if args.pid is not None else None)
    result = import_text(text, source, fmt)
    if args.host:
        from tui.formats.importing import with_host_facts
        from tui.qemu.host import read_host

        result = with_host_facts(result, read_host())
        for fact in result.from_host:
            print(f"{source}: this host: {fact.field} = {fact.value}", file=sys.stderr)
    for warning in result.warnings:
        print(f"{source}: warning: {warning}", file=sys.stderr)
    for assumption in result.assumed:
        print(
            f"{source}: assumed: {assumption.field} = {assumption.value} ({assumption.why})",
            file=sys.stderr,
        )
    toml = to_toml(result, source)
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(toml)
        sys.stdout.flush()
        return EXIT_OK
    try:
        write_atomic(args.output, toml)
    except OSError as exc:
        print(f"{args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return guard(lambda: _run(args))
