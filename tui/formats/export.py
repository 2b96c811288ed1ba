"""`memslot-explorer export FILE --to FORMAT`: one entry point for every exporter.

The exporters are pure functions of the configuration, listed in tui.formats.registry; this
module picks one, and the CLI part does the only I/O: read the file, write the text to stdout
or atomically to `-o OUT`. Errors are one line naming the file, exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tui.formats.registry import NAMES, get

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


def _new_file_mode() -> int:
    """0666 minus the umask: what a plain open() would give a new file (mkstemp gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write text to path via a temp file in the same directory and os.replace: a reader never
    sees half a file, and a failure leaves an existing file untouched. Raises OSError."""
    path = Path(os.path.realpath(path))  # through a symlink: replace its target, not the link
    directory = path.parent
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = _new_file_mode()
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


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
        write_atomic(Path(output), text)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _error(f"cannot write {output}: {reason}")
    return 0
