"""The list panels (memory devices, vhost back-ends, other consumers) share one behaviour."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable

from tui.engine.model import Config
from tui.engine.report import Report

from .. import edits
from ..actions import bindings
from ..catalog import Group
from ..messages import DeviceSelected, EditRequested, FormRequested
from .base import Panel, Row, row_index, row_key, selected_key, sync_table
from .table import MemslotTable


class DeviceListPanel(Panel):
    """A table of devices with add / edit / duplicate / remove by key or button."""

    GROUP: ClassVar[Group] = "memory"
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    BINDINGS: ClassVar = bindings("devices")

    def compose(self) -> ComposeResult:
        """The table and mouse buttons for every key action."""
        table = MemslotTable(cursor_type="row", id=f"{self.GROUP}-table")
        table.add_columns(*self.COLUMNS)
        yield table
        with Horizontal(classes="buttons"):
            yield Button("Add", id=f"{self.GROUP}-add", compact=True)
            yield Button("Edit", id=f"{self.GROUP}-edit", compact=True)
            yield Button("Duplicate", id=f"{self.GROUP}-duplicate", compact=True)
            yield Button("Remove", id=f"{self.GROUP}-remove", compact=True)

    @property
    def table(self) -> DataTable[object]:
        """The list itself."""
        return self.query_one(DataTable)

    @property
    def selected(self) -> str | None:
        """Id of the highlighted device."""
        return selected_key(self.table)

    def rows(self, config: Config, report: Report | None) -> list[Row]:
        """The rows to show (override)."""
        return []

    def show(self, config: Config, report: Report | None) -> None:
        """Update the table in place."""
        sync_table(self.table, self.rows(config, report))
        self.set_subtitle(str(self.table.row_count))

    def select(self, device_id: str) -> None:
        """Move the cursor to a device (after add / duplicate)."""
        table = self.table
        index = row_index(table, device_id)
        if index is not None:
            table.move_cursor(row=index)

    def action_add(self) -> None:
        """Open the add form."""
        self.post_message(FormRequested(self.GROUP))

    def action_edit(self) -> None:
        """Open the edit form for the highlighted device."""
        if self.selected is not None:
            self.post_message(FormRequested(self.GROUP, self.selected))

    def action_duplicate(self) -> None:
        """Copy the highlighted device."""
        device_id = self.selected
        if device_id is not None:
            self.post_message(
                EditRequested(
                    f"duplicate {device_id}", lambda c: edits.duplicate_device(c, device_id)[0]
                )
            )

    def action_remove(self) -> None:
        """Remove the highlighted device and its events (undo brings it back)."""
        device_id = self.selected
        if device_id is not None:
            self.post_message(
                EditRequested(f"remove {device_id}", lambda c: edits.remove_device(c, device_id))
            )

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").rsplit("-", 1)[-1]
        self.table.focus()
        getattr(self, f"action_{action}")()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def on_descendant_focus(self) -> None:
        """Entering the list explains the highlighted device's plug event."""
        if self.table.has_focus and self.selected is not None:
            self.post_message(DeviceSelected(self.selected))

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        device_id = row_key(self.table, event.cursor_row)
        if device_id is not None and self.table.has_focus:
            self.post_message(DeviceSelected(device_id))
