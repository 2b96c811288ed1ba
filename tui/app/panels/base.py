"""What every panel shares: a border title, context help, and cheap in-place table updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.widgets import DataTable

from tui.engine.model import Config
from tui.engine.report import Report

Row = tuple[str, tuple[object, ...]]
"""(row key, cells)."""


class Panel(Vertical):
    """A titled panel; `show` re-renders it from the current config and report."""

    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""

    def on_mount(self) -> None:
        """Title in the border, so stacked panels stay recognisable at 80x24."""
        self.border_title = self.TITLE

    def show(self, config: Config, report: Report | None) -> None:
        """Render from the app's state (override)."""

    def theme_style(self, variable: str) -> Style:
        """A Rich style from a theme variable, so table cells follow the current theme."""
        key = (self.app.theme, variable)
        style = _STYLES.get(key)
        if style is None:
            try:
                colour = Color.parse(self.app.get_css_variables().get(variable, ""))
                style = Style(color=colour.rich_color)
            except ColorParseError:  # e.g. "auto 60%" (muted text): dim is the same intent
                style = Style(dim=True)
            _STYLES[key] = style
        return style


_STYLES: dict[tuple[str, str], Style] = {}


def sync_table(table: DataTable[object], rows: Sequence[Row]) -> None:
    """Update a table in place: only changed cells are touched when the keys are unchanged.

    Recomposing a 256-row table on every edit would break the 50 ms repaint budget; an edit
    usually changes a few cells.
    """
    old_keys = [key.value for key in table.rows]
    new_keys = [key for key, _ in rows]
    if old_keys == new_keys:
        columns = list(table.columns)
        for key, cells in rows:
            current = table.get_row(key)
            for column, old, new in zip(columns, current, cells, strict=False):
                if not _same(old, new):
                    table.update_cell(key, column, new, update_width=True)
        return
    cursor = table.cursor_row
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if rows:
        table.move_cursor(row=min(cursor, len(rows) - 1), animate=False, scroll=False)


def _same(old: object, new: object) -> bool:
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and old.style == new.style
    return old == new


def selected_key(table: DataTable[object]) -> str | None:
    """Key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    return key.value
