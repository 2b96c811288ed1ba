"""The derivation of the selected event's decision, step by step with the numbers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui.engine.model import Config
from tui.engine.report import EventResult, Report

from .. import view
from .base import Panel, update_static


def render_event(result: EventResult) -> Content:
    """Verdict, QEMU's message verbatim, hint, warnings, derivation steps and counters."""
    head = f"Event {result.index + 1}: {result.action} {result.device} ({result.kind})"
    lines: list[Content] = [Content.styled(head, "bold")]
    if result.skipped:
        lines.append(Content.styled("skipped: QEMU had already exited", "$text-muted"))
    elif not result.ok:
        lines.append(
            Content.assemble(("✗ QEMU: ", "bold $error"), (result.error or "failed", "$error"))
        )
        if result.hint:
            lines.append(Content.assemble(("  hint: ", "$text-muted"), result.hint))
    else:
        lines.append(Content.styled(view.outcome(result), "$success"))
    for warning in result.warnings:
        lines.append(Content.styled(f"⚠ {warning}", "$warning"))
    if result.derivation:
        lines.append(Content(""))
        for number, step in enumerate(result.derivation, 1):
            shown = step.value is None or str(step.value) in step.text
            value = "" if shown else f"  → {step.value}"
            lines.append(
                Content.assemble(
                    (f"{number:>2}. ", "$text-muted"),
                    (f"[{step.rule}] ", "$accent"),
                    step.text,
                    (value, "bold"),
                )
            )
    budget = result.budget
    lines.append(Content(""))
    lines.append(
        Content.styled(
            f"after: KVM used {view.number(budget.kvm_used)} free {view.number(budget.kvm_free)}"
            f" · vhost free {view.number(budget.vhost_free)} · required {budget.required_memslots}"
            f" used {budget.used_memslots} reserved {budget.reserved_memslots}",
            "$text-muted",
        )
    )
    return Content("\n").join(lines)


class ExplainPanel(Panel):
    """Follows the timeline cursor; for training, this panel is the lesson."""

    TITLE = "Explain"
    HELP = """\
## Explain
For the highlighted timeline event (or device): QEMU's verdict, its message verbatim, and the
derivation of the memslot decision limit and the memslots the device decided, each step with
its numbers, then the counters after the event.
"""

    def compose(self) -> ComposeResult:
        """Scrollable text."""
        with VerticalScroll():
            yield Static(id="explain-body")

    def show_event(self, report: Report | None, index: int | None) -> None:
        """Render one event, or a prompt when there is none."""
        body = self.query_one("#explain-body", Static)
        if report is None or index is None or not 0 <= index < len(report.events):
            update_static(
                body,
                Content.styled(
                    "Highlight a timeline event to see how QEMU decided.", "$text-muted"
                ),
            )
            return
        update_static(body, render_event(report.events[index]))
        self.set_subtitle(f"event {index + 1}")

    def show(self, config: Config, report: Report | None) -> None:
        """Nothing: the app calls `show_event` with the selection."""
