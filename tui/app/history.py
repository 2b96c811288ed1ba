"""Undo and redo for the app, outside the App class (as Textual's EditHistory is for TextArea).

An entry is a whole `Document`: the immutable configuration *and* the file it belongs to, the
file's content as last loaded or saved, and whether that file is a read-only shipped preset.
Undoing an "open" therefore also brings back the previous save target: ctrl+s after an undo
never writes one file's configuration into another file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

from tui.engine.model import Config

T = TypeVar("T")

DEFAULT_LIMIT = 200
"""Enough for a session; each entry is an immutable Config (shared structure, small)."""


@dataclass(frozen=True, slots=True)
class Document:
    """What the app is editing: a configuration and where it would be saved."""

    config: Config
    path: Path | None = None
    saved: Config | None = None
    """The content of `path` as last loaded or saved (None: never saved anywhere)."""
    read_only: bool = False
    """A shipped preset: saving asks for a new name instead of overwriting it."""

    @property
    def modified(self) -> bool:
        """Different from the file on disk (an unsaved configuration is always modified,
        unless it is the unchanged starting configuration, see `saved`)."""
        return self.config != self.saved

    @property
    def name(self) -> str:
        """The file name shown in the title."""
        return self.path.name if self.path is not None else "untitled"


class History(Generic[T]):
    """Two bounded stacks of states; the oldest undo entries fall off past `limit`."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("a history holds at least one entry")
        self.limit = limit
        self._undo: deque[T] = deque(maxlen=limit)
        self._redo: deque[T] = deque(maxlen=limit)

    def record(self, current: T) -> None:
        """`current` is about to be replaced by a new state: remember it; a new branch drops
        what could have been redone."""
        self._undo.append(current)
        self._redo.clear()

    def undo(self, current: T) -> T | None:
        """The previous state (None when there is none); `current` becomes redoable."""
        if not self._undo:
            return None
        self._redo.append(current)
        return self._undo.pop()

    def redo(self, current: T) -> T | None:
        """The state undone last (None when there is none); `current` becomes undoable."""
        if not self._redo:
            return None
        self._undo.append(current)
        return self._redo.pop()

    def rewrite(self, change: Callable[[T], T]) -> None:
        """Apply `change` to every entry (e.g. a file was saved: its entries are saved too)."""
        self._undo = deque((change(s) for s in self._undo), maxlen=self.limit)
        self._redo = deque((change(s) for s in self._redo), maxlen=self.limit)

    def clear(self) -> None:
        """Forget everything."""
        self._undo.clear()
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        """Whether undo has something to restore."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether redo has something to restore."""
        return bool(self._redo)

    def __len__(self) -> int:
        return len(self._undo) + len(self._redo)


def saved_as(path: Path, config: Config) -> Callable[[Document], Document]:
    """The history rewrite after saving `config` to `path`: entries on that file now compare
    against what is on disk."""
    resolved = path.resolve()

    def change(document: Document) -> Document:
        if document.path is not None and document.path.resolve() == resolved:
            return replace(document, saved=config, read_only=False)
        return document

    return change
