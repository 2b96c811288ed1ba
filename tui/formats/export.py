"""`memslot-explorer export FILE --to qemu|qmp|libvirt|toml`: one entry point for every exporter.

The exporters are pure functions of the configuration; this module picks one, and the CLI part
does the only I/O: read the file, write the text to stdout or atomically to `-o OUT`. Errors are
one line naming the file, exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.units import format_size
from tui.fileio import FileAccessError, write_text

write_atomic = write_text
"""The one atomic writer (tui.fileio), under the name importers and older callers use."""

if TYPE_CHECKING:
    from tui.engine.model import Config
    from tui.engine.report import Report

__all__ = ["FORMATS", "export_text", "run_export_cli"]

FORMATS = ("qemu", "qmp", "libvirt", "toml")


def _report(config: Config) -> Report:
    """The engine's verdict, embedded by the libvirt exporter as comments (never recomputed)."""
    from tui.engine import replay

    return replay(config)


def _qmp_text(config: Config) -> str:
    """One `# event N: ...` comment line per hot event, then its QMP commands one JSON per line."""
    from tui.formats.qemu import qmp_commands

    hot = [(n, e) for n, e in enumerate(config.timeline, start=1) if e.action != "cold"]
    per_event = qmp_commands(config)
    if len(per_event) != len(hot):
        raise RuntimeError(
            f"qemu.qmp_commands gave {len(per_event)} command lists for {len(hot)} hot events"
        )
    if not hot:
        return "# no hotplug, unplug or resize events: nothing to send over QMP\n"
    lines: list[str] = []
    for (number, event), commands in zip(hot, per_event, strict=True):
        extra = ""
        if event.action == "resize" and event.requested_size is not None:
            extra = f" to requested-size {format_size(event.requested_size)}"
        lines.append(f"# event {number}: {event.action} {event.device}{extra}")
        if not commands and event.action in ("disconnect", "reconnect"):
            lines.append(
                f"# the back-end of {event.device} restarts: nothing to send, QEMU "
                "reconnects by itself"
            )
        elif not commands:
            lines.append(f"# {event.device} has no QMP form (not a QEMU device of its own)")
        for index, command in enumerate(commands):
            lines.append(json.dumps(command, separators=(", ", ": ")))
            if command.get("execute") == "device_del" and index + 1 < len(commands):
                lines.append("# wait for the DEVICE_DELETED event before the next command")
    return "\n".join(lines) + "\n"


def _libvirt_text(config: Config, name: str | None) -> str:
    """One definable domain XML; the hot events' device XML rides along in its <metadata>."""
    from tui.formats.libvirt import domain_xml

    return domain_xml(config, report=_report(config), name=name, timeline=True)


def export_text(config: Config, to: str, *, name: str | None = None) -> str:
    """The configuration in one export format (see FORMATS), as the text a user saves.

    `name` names the libvirt domain (the CLI passes the file's stem; default: the title).
    """
    if to == "qemu":
        from tui.formats.qemu import shell_command

        return shell_command(config) + "\n"
    if to == "qmp":
        return _qmp_text(config)
    if to == "libvirt":
        return _libvirt_text(config, name)
    if to == "toml":
        from tui.formats.toml import dumps

        return dumps(config)
    raise ValueError(f"unknown export format {to!r} (choose from {', '.join(FORMATS)})")


def _error(message: str) -> int:
    print(f"memslot-explorer export: error: {message}", file=sys.stderr)
    return 2


def run_export_cli(args: argparse.Namespace) -> int:
    """`export FILE --to FORMAT [-o OUT]`: 0 on success, 2 on a bad file or unwritable output.

    The named output is overwritten (the user chose it); without `-o` (or with `-o -`) the text
    goes to stdout.
    """
    from tui.formats.toml import ConfigError, load

    to = args.to
    if to not in FORMATS:
        return _error(f"unknown format {to!r} (choose from {', '.join(FORMATS)})")
    try:
        config = load(args.file)
    except ConfigError as exc:
        return _error(str(exc))
    text = export_text(config, to, name=Path(args.file).stem)
    output: Path | None = args.output
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        write_text(output, text)
    except FileAccessError as exc:
        return _error(str(exc))
    return 0
