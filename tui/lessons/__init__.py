"""Lessons: ordered steps of configurations, each with a narrative and a question the engine
answers at run time. Pure model and runner here; files.py reads and writes the TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tui.fileio import MAX_FILE_SIZE, FileAccessError, read_bytes


def is_lesson(path: Path) -> bool:
    """A TOML file with `steps` (a lesson), not a configuration. Only a regular file is read
    (through the safe reader, so a FIFO never blocks): anything else, and anything unreadable,
    is for the configuration loader to refuse with its own message."""
    try:
        raw = read_bytes(path, MAX_FILE_SIZE)
        data = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except (FileAccessError, OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "steps" in data
