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

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        super()._update_column_widths(updated_cells)
        self._update_count += 1
        self.refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._update_count += 1
        self.refresh()
