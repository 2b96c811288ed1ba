"""A DataTable whose cells never render at a stale column width.

Textual 8.2.8's DataTable measures new or updated cells when idle, but its cell render cache
is keyed without the column width: a frame drawn between an update and that measurement
caches the cell cut at the old width, and it stays cut. Bumping the update counter after
every re-measurement invalidates those cache entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.widgets import DataTable
from textual.widgets._data_table import CellKey, ColumnKey, RowKey

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

    def update_cells(self, cells: Iterable[tuple[str, ColumnKey, Any]]) -> None:
        """Set many cells, then refresh once: update_cell refreshes the table and drops its
        render caches for each cell (an event removed from 1,000 renumbers 1,000 rows). The
        caller sets the column widths (sync_table knows every cell)."""
        data = self._data
        count = 0
        for row_key, column_key, value in cells:
            data[RowKey(row_key)][column_key] = value
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
