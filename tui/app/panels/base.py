"""What every panel shares: a border title, context help, and cheap in-place table updates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, NamedTuple, cast

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.content import Content
from textual.css.styles import RulesMap
from textual.widgets import DataTable, Static
from textual.widgets._data_table import ColumnKey

from tui.engine.model import Config
from tui.engine.report import Report

from .table import reads_as_markup

Row = tuple[str, tuple[object, ...]]
"""(row key, cells): a cell is a str (shown as text, never markup), a Styled, or any Rich
renderable."""


class Styled(NamedTuple):
    """Text in a style: compared as a plain tuple (cheap for 1,000 rows), made a Rich Text
    only when the table shows it."""

    text: str
    style: Style


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
    the text has the same line lengths, wraps to the same height, or the widget has a fixed
    size.
    """
    new = content if isinstance(content, Content) else Content(content)
    old: Content | None = getattr(static, "_memslot_content", None)
    if old is not None and old.plain == new.plain and old.spans == new.spans:
        return False
    same_shape = old is not None and (
        [len(x) for x in old.plain.split("\n")] == [len(x) for x in new.plain.split("\n")]
        or _same_height(static, old, new)
    )
    static._memslot_content = new  # type: ignore[attr-defined]
    static.update(new, layout=not (fixed or same_shape))
    return True


def _same_height(static: Static, old: Content, new: Content) -> bool:
    """Both take as many lines at the widget's width (a width not set by its content): a
    new text that wraps to the same height needs a repaint, not a layout of the screen."""
    width = static.size.width
    rule = static.styles.width
    if width <= 0 or (rule is not None and rule.is_auto):
        return False
    rules = cast(RulesMap, static.styles)  # what Textual itself measures with
    return old.get_height(rules, width) == new.get_height(rules, width)


REBUILD_AFTER = 16
"""More rows gone than this: build the table anew (DataTable removes a row in O(rows))."""


def sync_table(table: DataTable[object], rows: Sequence[Row]) -> None:
    """Make row i of the table show rows[i], touching only the cells that changed.

    The table's own row keys are positions ("0", "1", …): a removed, inserted or moved row
    shifts the cells of the rows after it, and rows are added or removed at the end only, so
    an edit at 1,000 devices never clears and refills the table (a device's key, its id, is
    kept beside: `row_key`, `row_index`). The raw cells last shown are kept on the table to
    compare with; column widths are set from them (exact, so a column shrinks again when its
    widest cell goes away).
    """
    shown: list[Row] = list(getattr(table, "_memslot_rows", ()))
    if len(shown) != table.row_count or len(shown) - len(rows) > REBUILD_AFTER:
        _rebuild(table, rows)
        return
    columns = list(table.columns)
    changed: set[int] = set()
    if len(shown) != len(rows):
        changed.update(range(len(columns)))
    for index in range(len(shown) - 1, len(rows) - 1, -1):
        table.remove_row(str(index))
    for index in range(len(shown), len(rows)):
        table.add_row(*map(_cell, rows[index][1]), key=str(index))
    _forget_new_rows(table)
    updates: list[tuple[str, dict[ColumnKey, object]]] = []
    for index in range(min(len(shown), len(rows))):
        current, cells = shown[index][1], rows[index][1]
        if current == cells and not any(isinstance(c, Text) for c in cells):
            continue  # Text's own == ignores the style: those rows are compared cell by cell
        # equal cells of one type (not Text) are skipped without a call: after a row is
        # removed from 1,000, every row after it is compared here
        numbers = [
            number
            for number, (old, new) in enumerate(zip(current, cells, strict=False))
            if old is not new
            and (
                type(old) is not type(new)
                or (not _same(old, new) if type(new) is Text else old != new)
            )
        ]
        if numbers:
            updates.append((str(index), {columns[n]: _cell(cells[n]) for n in numbers}))
            changed.update(numbers)
    many = getattr(table, "update_cells", None)
    if many is not None:
        many(updates)
    else:
        for key, values in updates:
            for column, value in values.items():
                table.update_cell(key, column, value)
    table._memslot_rows = list(rows)  # type: ignore[attr-defined]
    if changed:
        _fit_columns(table, rows, changed)
    _settle(table)


def _rebuild(table: DataTable[object], rows: Sequence[Row]) -> None:
    """Every row anew: the cursor stays on its row number."""
    cursor = table.cursor_row
    table.clear()
    reset = getattr(table, "reset_column_widths", None)
    if reset is not None:
        reset()
    for index, (_key, cells) in enumerate(rows):
        table.add_row(*map(_cell, cells), key=str(index))
    if _forget_new_rows(table):
        _fit_columns(table, rows, set(range(len(table.columns))))
    if rows:
        table.move_cursor(row=min(cursor, len(rows) - 1), animate=False, scroll=False)
    table._memslot_rows = list(rows)  # type: ignore[attr-defined]
    _settle(table)


def row_key(table: DataTable[object], index: int) -> str | None:
    """The key (a device's id) of the row at `index` as sync_table last showed it."""
    rows: list[Row] = getattr(table, "_memslot_rows", [])
    return rows[index][0] if 0 <= index < len(rows) else None


def row_index(table: DataTable[object], key: str) -> int | None:
    """The row showing `key`, or None."""
    rows: list[Row] = getattr(table, "_memslot_rows", [])
    return next((i for i, (k, _) in enumerate(rows) if k == key), None)


def _settle(table: DataTable[object]) -> None:
    settle = getattr(table, "settle_dimensions", None)
    if settle is not None:
        settle()


def _forget_new_rows(table: DataTable[object]) -> bool:
    """Rows just added are measured by _fit_columns, not by the table when idle."""
    forget = getattr(table, "forget_new_rows", None)
    if forget is None:
        return False
    forget()
    return True


def _fit_columns(table: DataTable[object], rows: Sequence[Row], changed: set[int]) -> None:
    """Set the changed columns to the width of their widest cell (or label)."""
    columns = list(table.columns.values())
    resized = False
    for index in changed:
        if index >= len(columns):
            continue
        column = columns[index]
        width = max(column.label.cell_len, _widest([cells for _, cells in rows], index))
        if column.content_width != width:
            column.content_width = width
            resized = True
    if resized:  # the table's virtual size follows when it is next idle
        table._require_update_dimensions = True  # type: ignore[attr-defined]
        table.refresh()


def _widest(rows: list[tuple[object, ...]], index: int) -> int:
    """The widest cell of column `index`. A column of one-cell-a-character strings (the
    usual: ids, sizes, outcomes) is measured by len() in C; anything else cell by cell."""
    cells = [cells[index] for cells in rows if index < len(cells)]
    if not cells:
        return 0
    kinds = set(map(type, cells))
    strings: list[str] | None = None
    if kinds == {str}:
        strings = cells  # type: ignore[assignment]
    elif kinds == {Styled}:
        strings = [cell.text for cell in cells]  # type: ignore[attr-defined]
    if strings is not None and "".join(strings).isascii():
        return max(map(len, strings))
    return max(map(_width, cells))


def _cell(cell: object) -> object:
    """DataTable reads a str cell as Rich markup: user text ("[/]", "[link=...]", ":emoji:")
    must stay text. Without "[" or ":" a str reads the same either way and is kept as it is
    (cheaper for the 1,000 cells a renumbering changes)."""
    if isinstance(cell, Styled):
        return Text(cell.text, style=cell.style)
    if isinstance(cell, str) and reads_as_markup(cell):
        return Text(cell)
    return cell


def _width(cell: object) -> int:
    if isinstance(cell, Styled):
        return cell_len(cell.text)
    if isinstance(cell, str):
        return cell_len(cell)
    if isinstance(cell, Text):
        return cell.cell_len
    return cell_len(str(cell))


def _same(old: object, new: object) -> bool:
    if old is new:
        return True
    if isinstance(old, Text) and isinstance(new, Text):
        return old.plain == new.plain and old.style == new.style and old.spans == new.spans
    return type(old) is type(new) and old == new


def selected_key(table: DataTable[object]) -> str | None:
    """Key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    return row_key(table, table.cursor_row)
