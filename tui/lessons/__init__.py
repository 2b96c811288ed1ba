"""Lessons: ordered steps of configurations, each with a narrative and a question the engine
answers at run time. Pure model and runner here; files.py reads and writes the TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tui.fileio import MAX_FILE_SIZE, FileAccessError, read_bytes


def read_document(path: Path) -> object:
    """The parsed TOML of a lesson file (regular files only, through the safe reader, so a FIFO
    never blocks). Raises FileAccessError, UnicodeDecodeError, tomllib.TOMLDecodeError, or
    RecursionError for nesting deeper than tomllib's recursion allows: the caller says which."""
    raw = read_bytes(path, MAX_FILE_SIZE)
    return tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))


def is_lesson(path: Path) -> bool:
    """A TOML file with `steps` (a lesson), not a configuration. Anything unreadable is for the
    configuration loader to refuse with its own message."""
    try:
        data = read_document(path)
    except (FileAccessError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False
    return isinstance(data, dict) and "steps" in data
