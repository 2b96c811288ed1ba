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
from textual.widgets._data_table import CellKey, RowKey

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

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        super()._update_column_widths(updated_cells)
        self._update_count += 1
        self.refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()
