"""The ordered plug / unplug / resize events and QEMU's verdict on each."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable

from tui.engine.model import Config
from tui.engine.report import Report
from tui.engine.units import format_size

from .. import edits, view
from ..actions import bindings
from ..messages import EditRequested, EventFormRequested, EventSelected
from .base import Panel, Row, Styled, sync_table
from .table import MemslotTable


class TimelinePanel(Panel):
    """Events in order; moving one changes what QEMU decides, which is the lesson."""

    TITLE = "Timeline"
    BINDING_GROUP_TITLE = "Timeline"
    BINDINGS: ClassVar = bindings("timeline")
    HELP = """\
## Timeline
The events QEMU sees, in order: **cold** plugs (the command line) first, then **hotplug**,
**unplug** and **resize** (`qom-set requested-size`). Each row shows QEMU's verdict: the
memslot limit and memslots decided, or QEMU's error verbatim.
Move an event with **K/J** (shift+↑/↓) — e.g. a vhost back-end with a limit below 509 is
rejected after a dynamic virtio-mem decided, and accepted when plugged before it.
"""

    def compose(self) -> ComposeResult:
        """The event table and buttons for mouse users."""
        table = MemslotTable(cursor_type="row", id="timeline-table")
        table.add_columns("#", "action", "device", "outcome")
        yield table
        with Horizontal(classes="buttons"):
            yield Button("▲ Up", id="timeline-up", compact=True)
            yield Button("▼ Down", id="timeline-down", compact=True)
            yield Button("Insert", id="timeline-insert", compact=True)
            yield Button("Cold⇄hot", id="timeline-toggle", compact=True)
            yield Button("Remove", id="timeline-remove", compact=True)

    @property
    def table(self) -> DataTable[object]:
        """The event table."""
        return self.query_one(DataTable)

    @property
    def cursor(self) -> int:
        """Index of the highlighted event."""
        return self.table.cursor_row

    def rows(self, config: Config, report: Report | None) -> list[Row]:
        """One row per event; errors in the theme's error colour."""
        results = {e.index: e for e in report.events} if report else {}
        error = self.theme_style("error")
        muted = self.theme_style("text-muted")
        rows: list[Row] = []
        for index, event in enumerate(config.timeline):
            result = results.get(index)
            action: str = event.action
            if event.requested_size is not None:
                action = f"resize→{format_size(event.requested_size)}"
            text = view.outcome(result)
            if result is not None and not result.ok and not result.skipped:
                cell: object = Styled(text, error)
            elif result is not None and result.skipped:
                cell = Styled(text, muted)
            else:
                cell = text
            rows.append((f"e{index}", (str(index + 1), action, event.device, cell)))
        return rows

    def show(self, config: Config, report: Report | None) -> None:
        """Update in place."""
        sync_table(self.table, self.rows(config, report))
        failed = len(report.failures) if report else 0
        self.set_subtitle(
            view.plural(len(config.timeline), "event") + (f" · {failed} rejected" if failed else "")
        )

    def select(self, index: int) -> None:
        """Highlight an event (from a device list or after a move)."""
        if 0 <= index < self.table.row_count and index != self.table.cursor_row:
            self.table.move_cursor(row=index)

    def action_move(self, delta: int) -> None:
        """Move the highlighted event up or down."""
        index = self.cursor
        if self.table.row_count:
            self.post_message(
                EditRequested(
                    f"move event {index + 1}",
                    lambda c: (edits.move_event(c, index, delta), index + delta),
                )
            )

    def action_insert(self) -> None:
        """Insert an event after the highlighted one."""
        self.post_message(EventFormRequested(self.cursor + 1 if self.table.row_count else 0))

    def action_toggle_plug(self) -> None:
        """Cold plug ⇄ hotplug."""
        index = self.cursor
        if self.table.row_count:
            self.post_message(
                EditRequested(f"cold/hot event {index + 1}", lambda c: edits.toggle_cold(c, index))
            )

    def action_remove(self) -> None:
        """Remove the highlighted event."""
        index = self.cursor
        if self.table.row_count:
            self.post_message(
                EditRequested(f"remove event {index + 1}", lambda c: edits.remove_event(c, index))
            )

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").rsplit("-", 1)[-1]
        self.table.focus()
        {
            "up": lambda: self.action_move(-1),
            "down": lambda: self.action_move(1),
            "insert": self.action_insert,
            "toggle": self.action_toggle_plug,
            "remove": self.action_remove,
        }[action]()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(EventSelected(event.cursor_row))
