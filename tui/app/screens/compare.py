"""Two configurations side by side: per event the outcome, limit and memslots of each side
(differences highlighted), then the counters after the last event and their difference."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from tui.compare import Comparison, Side
from tui.engine.units import human_size

from .. import view
from ..actions import bindings


def side_text(side: Side | None) -> str:
    """One side of an event in a cell."""
    if side is None:
        return "(no such event)"
    parts = [f"{side.number} {side.action}", "✓" if side.outcome == "ok" else side.outcome]
    if side.memslot_limit is not None:
        parts.append(f"limit {side.memslot_limit}")
    if side.memslots is not None:
        parts.append(f"{side.memslots} memslot{'' if side.memslots == 1 else 's'}")
    return " · ".join(parts)


class CompareScreen(ModalScreen[None]):
    """Read-only; the comparison was computed from two Reports before the screen opened."""

    AUTO_FOCUS = "#compare-events"
    BINDINGS: ClassVar = bindings("views")
    HELP = """\
## Compare
Each event on side A and side B (matched by device: a plug, an unplug or a resize), with the
outcome, the memslot limit and the memslots; rows that differ are marked ≠ and highlighted.
Below: the counters after the last event and B − A.
"""

    def __init__(self, comparison: Comparison, a: str, b: str) -> None:
        super().__init__()
        self.comparison = comparison
        self.a = a
        self.b = b

    def compose(self) -> ComposeResult:
        """Events table, budget table, verdict."""
        with Vertical(id="compare-dialog", classes="dialog"):
            yield Label("Compare", classes="dialog-title")
            sides = f"A: {view.plain(self.a)}\nB: {view.plain(self.b)}"
            yield Static(Content(sides), id="compare-sides")
            yield DataTable(id="compare-events", cursor_type="row", zebra_stripes=True)
            yield DataTable(id="compare-budget", cursor_type="row")
            yield Static(id="compare-verdict")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="compare-close")

    def _style(self, variable: str) -> str:
        return self.app.get_css_variables().get(variable, "bold")

    def on_mount(self) -> None:
        """Fill both tables; differing cells in the warning colour."""
        diff = f"bold {self._style('warning')}"
        events = self.query_one("#compare-events", DataTable)
        events.add_columns("", "event", "A", "B")
        for row in self.comparison.rows:
            differs = bool(row.differs)
            style = diff if differs else ""
            events.add_row(
                Text("≠" if differs else "", style=style),
                f"{row.action} {row.device}",
                Text(side_text(row.a), style=style),
                Text(side_text(row.b), style=style),
            )
        budget = self.query_one("#compare-budget", DataTable)
        budget.add_columns("", "after the last event", "A", "B", "B − A")
        for line in self.comparison.budget:
            differs = line.a != line.b
            style = diff if differs else ""
            size = line.name == "used_region_size"

            def show(value: int | None, size: bool = size) -> str:
                return "—" if value is None else (human_size(value) if size else str(value))

            delta = line.delta
            delta_text = "—" if delta is None else (f"{delta:+d}" if not size else f"{delta:+d} B")
            budget.add_row(
                Text("≠" if differs else "", style=style),
                line.name.replace("_", " "),
                show(line.a),
                show(line.b),
                Text(delta_text if delta != 0 else "0", style=style),
            )
        rows = sum(1 for r in self.comparison.rows if r.differs)
        counters = sum(1 for x in self.comparison.budget if x.a != x.b)
        verdict = (
            "The same decisions on both sides."
            if self.comparison.same
            else f"{rows} event(s) and {counters} counter(s) differ."
        )
        self.query_one("#compare-verdict", Static).update(Content(verdict))

    @on(Button.Pressed, "#compare-close")
    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
