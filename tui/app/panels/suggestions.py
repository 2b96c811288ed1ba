"""QEMU's errors and warnings, then the engine's replay-verified fixes, applied with one key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.engine.model import Config
from tui.engine.report import Report

from .. import view
from ..actions import bindings
from ..messages import SuggestionApplied
from .base import Panel, update_static

MAX_FAILURES = 20
"""Failing events listed here; the Timeline shows them all."""
MAX_WARNINGS = 20
"""Warnings listed here; the Timeline marks every event with one (⚠) and Explain shows it."""


class SuggestionsPanel(Panel):
    """Errors first (what QEMU says), warnings, then fixes (each proven by a replay)."""

    TITLE = "Suggestions"
    BINDING_GROUP_TITLE = "Suggestions"
    BINDINGS: ClassVar = bindings("suggestions")
    HELP = """\
## Suggestions
**✗** QEMU's errors, **⚠** warnings, then **fixes**: each fix is a changed configuration the
engine replayed and found to work. Highlight a fix and press **enter** or **f** to apply it
(undo with ctrl+z). *Headroom* says how much more memory you can still plug.
"""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suggestions: Sequence[Any] = ()
        self._fix_offset = 0
        self._findings: list[Option] = []
        self._shown: list[tuple[str | None, bool, str]] = []

    def compose(self) -> ComposeResult:
        """Findings list and a headroom line."""
        yield OptionList(id="suggestions-list")
        yield Static(id="headroom")

    @property
    def options(self) -> OptionList:
        """The list widget."""
        return self.query_one(OptionList)

    def show(self, config: Config, report: Report | None) -> None:
        """Keep the report's errors and warnings; they are drawn with the fixes (show_advice),
        so an edit redraws this list once, not twice."""
        self._findings = self._report_findings(report)

    def _report_findings(self, report: Report | None) -> list[Option]:
        found: list[Option] = []
        if report is None:
            return found
        if report.startup_error:
            found.append(
                Option(
                    Content.assemble(
                        ("✗ start-up: ", "bold $error"), (report.startup_error, "$error")
                    ),
                    disabled=True,
                )
            )
        failures = list(report.failures)
        for event in failures[:MAX_FAILURES]:
            text = Content.assemble(
                (f"✗ event {event.index + 1} {event.action} {event.device}: ", "bold $error"),
                (event.error or "failed", "$error"),
            )
            if event.hint:
                text = Content.assemble(text, ("\n  hint: ", "$text-muted"), event.hint)
            found.append(Option(text, disabled=True))
        if len(failures) > MAX_FAILURES:  # 1,000 rows would cost an edit 100s of ms to draw
            more = len(failures) - MAX_FAILURES
            found.append(
                Option(
                    Content.styled(
                        f"… and {more} more failing events (see the Timeline)", "$error"
                    ),
                    disabled=True,
                )
            )
        warnings = list(report.warnings)
        for event in report.events:
            warnings.extend(f"event {event.index + 1} {event.device}: {w}" for w in event.warnings)
        unique = list(dict.fromkeys(warnings))
        for warning in unique[:MAX_WARNINGS]:
            found.append(
                Option(
                    Content.assemble(("⚠ ", "bold $warning"), (warning, "$warning")), disabled=True
                )
            )
        if len(unique) > MAX_WARNINGS:  # e.g. every event after a failed start: "never reached"
            more = len(unique) - MAX_WARNINGS
            found.append(
                Option(
                    Content.styled(
                        f"… and {view.plural(more, 'more warning')} (see the Timeline)",
                        "$warning",
                    ),
                    disabled=True,
                )
            )
        return found

    def show_advice(
        self, suggestions: Sequence[Any], headroom: str | None, pending: bool = False
    ) -> None:
        """Fixes and headroom from the advisor (computed off the UI thread). `pending`: they
        are being computed for a new configuration; the old headroom goes, its lines stay
        reserved, so the screen is not laid out twice per edit (at 1,000 devices a layout
        repaints every panel)."""
        self.suggestions = tuple(suggestions)
        static = self.query_one("#headroom", Static)
        if headroom:
            text: Content | str = Content.styled(f"Headroom: {headroom}", "$text-muted")
        elif pending and static.size.height:
            text = Content.styled("Headroom: …" + "\n" * (static.size.height - 1), "$text-muted")
        else:
            text = ""
        update_static(static, text)
        self._render_list()

    def _render_list(self) -> None:
        options = self.options
        highlighted = options.highlighted
        items = list(self._findings)
        self._fix_offset = len(items)
        for number, suggestion in enumerate(self.suggestions, 1):
            items.append(Option(_fix_text(number, suggestion), id=f"fix-{number - 1}"))
        if not items:
            items.append(
                Option(Content.styled("✓ QEMU accepts every event", "$success"), disabled=True)
            )
        key = [(o.id, o.disabled, str(o.prompt)) for o in items]
        if key == self._shown:
            return  # same findings and fixes: no redraw
        self._shown = key
        options.set_options(items)
        if highlighted is not None and highlighted < len(items):
            options.highlighted = highlighted
        elif self.suggestions:
            options.highlighted = self._fix_offset
        self.set_subtitle(
            view.plural(len(self.suggestions), "fix", "fixes") if self.suggestions else ""
        )

    def highlighted_fix(self) -> int | None:
        """Index of the highlighted fix (or the first one); None when there is none."""
        index = self.options.highlighted
        fix = (index - self._fix_offset) if index is not None else -1
        if not 0 <= fix < len(self.suggestions):
            fix = 0 if self.suggestions else -1
        return fix if fix >= 0 else None

    def action_apply(self) -> None:
        """Apply the highlighted fix (or the first one)."""
        fix = self.highlighted_fix()
        if fix is not None:
            self.post_message(SuggestionApplied(fix))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("fix-"):
            self.post_message(SuggestionApplied(int(event.option.id.removeprefix("fix-"))))


def _fix_text(number: int, suggestion: Any) -> Content:
    """A fix as the CLI prints it: title, fixed events, why, other changes, what results."""
    from tui.engine.report import event_numbers

    fixes = event_numbers(getattr(suggestion, "fixes", ()))
    remaining = tuple(getattr(suggestion, "remaining", ()))
    head = f" (fixes event {fixes})" if fixes else ""
    text = Content.assemble(
        (f"→ fix {number}: ", "bold $success"), (str(suggestion.title), "bold"), head
    )
    if remaining:
        shown = event_numbers(remaining)
        text = Content.assemble(text, (f" — partial: event {shown} still failing", "$warning"))
    lines = []
    if getattr(suggestion, "detail", ""):
        lines.append(str(suggestion.detail))
    changes = list(getattr(suggestion, "changes", ()))
    if changes:
        lines.append("changes: " + "; ".join(changes[:6]) + (" …" if len(changes) > 6 else ""))
    then = [
        f"{m.device} {m.memslots} memslot(s)"
        + (f" (limit {m.memslot_limit})" if m.memslot_limit is not None else "")
        for m in getattr(suggestion, "memslots", ())
    ][:6]
    required = getattr(suggestion, "required_memslots", None)
    if required is not None:
        then.append(f"memory devices require {required} memslot(s) in all")
    if then:
        lines.append("then: " + "; ".join(then))
    for line in lines:
        text = Content.assemble(text, "\n  ", (line, "$text-muted"))
    return text
