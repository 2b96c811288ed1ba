"""What every panel shares: a border title, context help, and cheap in-place table updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from tui.engine.model import Config
from tui.engine.report import Report

Row = tuple[str, tuple[object, ...]]
"""(row key, cells)."""


class Panel(Vertical):
    """A titled panel; `show` re-renders it from the current config and report."""

    TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    ALLOW_MAXIMIZE: ClassVar[bool | None] = True
    """Any panel can fill the screen (m), to read a long derivation or every fix."""

    def on_mount(self) -> None:
        """Title in the border, so stacked panels stay recognisable at 80x24."""
        self.border_title = self.TITLE

    def on_resize(self) -> None:
        """A new layout (e.g. panels stacked at 80x24) may have moved the focus off-screen:
        bring it back once the layout is final."""
        focused = self.screen.focused
        if focused is not None and self.has_focus_within:
            self.call_after_refresh(self.screen.scroll_to_widget, focused, animate=False)

    def show(self, config: Config, report: Report | None) -> None:
        """Render from the app's state (override)."""

    def set_subtitle(self, text: str) -> None:
        """Border subtitle, set only when it changes: setting it repaints the whole panel."""
        if self.border_subtitle != text:
            self.border_subtitle = text

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


def update_static(static: Static, content: Content | str, *, fixed: bool = False) -> bool:
    """Update a Static only when its content changed; relayout only when its shape changed.

    A layout pass reflows the whole screen, which is most of the cost of an edit: skip it when
    the text has the same line lengths (same wrapping) or the widget has a fixed size.
    """
    new = content if isinstance(content, Content) else Content(content)
    old: Content | None = getattr(static, "_memslot_content", None)
    if old is not None and old.plain == new.plain and old.spans == new.spans:
        return False
    same_shape = old is not None and [len(x) for x in old.plain.split("\n")] == [
        len(x) for x in new.plain.split("\n")
    ]
    static._memslot_content = new  # type: ignore[attr-defined]
    static.update(new, layout=not (fixed or same_shape))
    return True


def sync_table(table: DataTable[object], rows: Sequence[Row]) -> None:
    """Update a table in place: only changed cells are touched when the keys are unchanged.

    Recomposing a 256-row table on every edit would break the 50 ms repaint budget; an edit
    usually changes a few cells. The rows last shown are kept on the table to compare with.
    """
    # DataTable reads a str cell as Rich markup: user text ("[/]", "[link=...]") must stay text
    rows = [
        (key, tuple(Text(c) if isinstance(c, str) else c for c in cells)) for key, cells in rows
    ]
    shown: dict[str, tuple[object, ...]] = getattr(table, "_memslot_rows", {})
    if list(shown) == [key for key, _ in rows] and len(shown) == table.row_count:
        columns = list(table.columns)
        for key, cells in rows:
            current = shown[key]
            for column, old, new in zip(columns, current, cells, strict=False):
                if not _same(old, new):
                    table.update_cell(key, column, new, update_width=True)
    else:
        cursor = table.cursor_row
        table.clear()
        reset = getattr(table, "reset_column_widths", None)
        if reset is not None:
            reset()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1), animate=False, scroll=False)
    table._memslot_rows = dict(rows)  # type: ignore[attr-defined]


def _plain(cell: object) -> object:
    """Markup needs a "[": only such strings pay for a Text (tables of 1,000 rows)."""
    return Text(cell) if isinstance(cell, str) and "[" in cell else cell


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
