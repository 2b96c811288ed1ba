"""The undo/redo history on its own (no app): bounded, branch-dropping, rewritable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.history import Document, History, saved_as
from tui.engine.model import Config


def test_undo_redo_order_and_branching() -> None:
    history: History[int] = History()
    assert history.undo(0) is None and history.redo(0) is None
    history.record(1)
    history.record(2)  # states 1 → 2 → current 3
    assert history.undo(3) == 2
    assert history.undo(2) == 1
    assert history.redo(1) == 2
    history.record(2)  # a new edit from 2 drops the redo branch (3)
    assert not history.can_redo and history.redo(9) is None
    assert history.undo(7) == 2 and history.undo(2) == 1 and history.undo(1) is None


def test_bounded() -> None:
    history: History[int] = History(limit=3)
    for state in range(10):
        history.record(state)
    assert [history.undo(0), history.undo(0), history.undo(0), history.undo(0)] == [9, 8, 7, None]
    with pytest.raises(ValueError):
        History(limit=0)


def test_saved_as_rewrites_entries_of_that_file(tmp_path: Path) -> None:
    a, b = Config(title="a"), Config(title="b")
    history: History[Document] = History()
    history.record(Document(a, tmp_path / "x.toml", None, read_only=True))
    history.record(Document(b, tmp_path / "y.toml", b))
    history.rewrite(saved_as(tmp_path / "x.toml", a))
    y = history.undo(Document(b, None, None))
    x = history.undo(y)  # type: ignore[arg-type]
    assert y == Document(b, tmp_path / "y.toml", b)
    assert x == Document(a, tmp_path / "x.toml", a, read_only=False)
    assert not x.modified and Document(a, None, None).modified
