"""`memslot-explorer export FILE --to FORMAT`: one entry point for every exporter.

The exporters are pure functions of the configuration, listed in tui.formats.registry; this
module picks one, and the CLI part does the only I/O: read the file, write the text to stdout
or atomically to `-o OUT`. Errors are one line naming the file, exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.fileio import FileAccessError, write_text
from tui.formats.registry import NAMES, get

write_atomic = write_text
"""The one atomic writer (tui.fileio), under the name importers and older callers use."""

if TYPE_CHECKING:
    from tui.engine.model import Config

__all__ = ["FORMATS", "export_text", "run_export_cli"]

FORMATS = NAMES
"""The `--to` choices, from the one format registry."""


def export_text(config: Config, to: str, *, name: str | None = None) -> str:
    """The configuration in one export format (see tui.formats.registry), as the text a user
    saves. `name` names the VM (the CLI passes the file's stem; default: the title)."""
    return get(to).render(config, name)


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
