"""A DataTable whose cells never render at a stale column width, and draw fast.

Textual 8.2.8's DataTable measures new or updated cells when idle, but its cell render cache
is keyed without the column width: a frame drawn between an update and that measurement
caches the cell cut at the old width, and it stays cut. Bumping the update counter after
every re-measurement invalidates those cache entries.

Any update drops every cached cell, so the frame after an edit at 1,000 devices draws every
visible cell anew through Rich (padding, styling, cropping: ~40 µs a cell, 20 ms a frame for
the Timeline and the device list). A one-line cell of plain printable text that fits its
column, one terminal cell a character, is drawn here directly, segment for segment what Rich
would make of it (a test holds the two equal); anything else still goes through DataTable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import CellCacheKey, CellKey, ColumnKey, RowKey

from ..actions import bindings


class MemslotTable(DataTable[Any]):
    """DataTable with width changes that always reach the screen, and j/k like arrows."""

    BINDINGS: ClassVar = bindings("lists")

    def action_first_row(self) -> None:
        """Home: the cursor (not only the view) goes to row 1, so Explain follows."""
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        """End: the cursor goes to the last row."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def reset_column_widths(self) -> None:
        """Forget measured widths (DataTable only ever grows them): the next layout measures
        the rows now shown, so a column shrinks again after a long id goes away."""
        for column in self.columns.values():
            column.content_width = column.label.cell_len

    def update_cells(self, rows: Iterable[tuple[str, dict[ColumnKey, Any]]]) -> None:
        """Set many cells (row key → the row's new cells by column), then refresh once:
        update_cell refreshes the table and drops its render caches for each cell (an event
        removed from 1,000 renumbers 1,000 rows). The caller sets the column widths
        (sync_table knows every cell)."""
        data = self._data
        count = 0
        for row_key, cells in rows:
            data[row_key].update(cells)  # type: ignore[index]  # a RowKey is found by its str
            count += 1
        if count:
            self._update_count += 1
            self.refresh()

    def forget_new_rows(self) -> None:
        """Rows just added need not be measured when idle (a cell at a time, 40 ms for 1,000
        rows): the caller sets the column widths. Only for rows one line high."""
        self._new_rows.clear()

    def settle_dimensions(self) -> None:
        """The scrollable size for the rows and widths set now, not when idle: the layout
        the change needs then happens once, in the frame that shows it (not in a second)."""
        if self._require_update_dimensions and not self._new_rows and not self._updated_cells:
            self._require_update_dimensions = False
            self._update_dimensions(())

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        super()._update_column_widths(updated_cells)
        self._update_count += 1
        self.refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()

    _frame_style: Style | None = None
    """The table's style while render_lines draws a frame (see rich_style)."""

    def render_lines(self, crop: Region) -> list[Strip]:
        """One frame: every line reads the same style, worked out once for the frame."""
        self._frame_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    @property
    def rich_style(self) -> Style:
        """DataTable asks for it once per line, and it walks every ancestor's styles each
        time (~60 times a frame): within a frame, the one worked out for the frame."""
        if self._frame_style is not None:
            return self._frame_style
        return super().rich_style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """DataTable's cell, from its cache or drawn directly when it is plain (see above)."""
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None or row_index < self.fixed_rows:
            # the header, row labels, fixed rows
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        key: CellCacheKey = (  # DataTable's own key: its cache stays one cache
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        if key in cache:
            return cache[key]
        row = self.rows[row_key]
        lines = None
        if row.height == 1 and not row.auto_height and column_index >= self.fixed_columns:
            component, post = self._get_styles_to_render_cell(
                False,
                False,
                False,
                hover,
                cursor,
                self.show_cursor,
                self._show_hover_cursor,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            )
            pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
            lines = plain_cell(
                self._data[row_key][column_key], width, self.cell_padding, pre + component, post
            )
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache[key] = lines
        return lines


def reads_as_markup(text: str) -> bool:
    """DataTable reads a str cell as Rich markup and emoji codes; without "[" or ":" it reads
    the same either way."""
    return "[" in text or ":" in text


def plain_cell(
    value: object, width: int, padding: int, pre_style: Style, post_style: Style
) -> list[list[Segment]] | None:
    """The one line Rich renders for a plain cell padded into `width` columns (styled
    pre + own + post), or None when the cell is not plain: markup, spans, wide, zero-width
    or control characters, justification, or too wide for its column."""
    if not pre_style:
        return None  # Rich then leaves unstyled segments unstyled (a table always has meta)
    if type(value) is str:
        text, own = value, None
        if reads_as_markup(text):
            return None
    elif type(value) is Text and not value.spans and value.justify in (None, "default", "left"):
        text = value.plain
        own = value.style if isinstance(value.style, Style) else None
        if own is None and value.style != "":
            return None  # a style by name: Rich parses it
    else:
        return None
    inner = width - 2 * padding
    if len(text) > inner or not text.isprintable():
        return None
    if not text.isascii() and cell_len(text) != len(text):
        return None  # wide or zero-width characters: Rich measures and may crop them
    if not text and (not padding or type(value) is Text):
        return None  # whether Rich keeps an empty segment depends on how it was made
    around = pre_style + post_style
    line = [Segment(text, pre_style + own + post_style if own else around)]
    if padding:
        side = Segment(" " * padding, around)
        line.insert(0, side)
    if inner > len(text):
        line.append(Segment(" " * (inner - len(text)), around))
    if padding:
        line.append(side)
    return [line]
