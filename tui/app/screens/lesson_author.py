"""A trainer authors a lesson from the app: the current configuration becomes a step with a
narrative and a question (whose answer the engine computes when the lesson runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from tui.engine.model import Config
from tui.lessons.model import ASKS, LessonStep, Question

from ..actions import bindings
from ..fields import Input
from .text_area import TextArea

NO_QUESTION = "none"
ASK_LABELS = {
    NO_QUESTION: "no question (show the outcome)",
    "memslots": "how many memslots will DEVICE decide?",
    "limit": "what memslot limit will DEVICE get?",
    "succeeds": "will EVENT succeed?",
    "first-failure": "which event does QEMU refuse first?",
    "fix": "which fix makes it work? (the engine's fixes)",
}

Check = Callable[[LessonStep], str | None]
"""A step → why it cannot be asked (None: fine); the app asks the engine."""


class AddStepScreen(ModalScreen[LessonStep | None]):
    """Title, narrative and question for a step built on `config` (stored inline)."""

    AUTO_FOCUS = "#step-title"
    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, config: Config, number: int, check: Check, event: int | None) -> None:
        super().__init__()
        self.config = config
        self.number = number
        self.check = check
        self.event = event

    def compose(self) -> ComposeResult:
        """The form."""
        devices = [(d.id, d.id) for d in self.config.memory_devices]
        events = [(f"{n}: {e.action} {e.device}", n) for n, e in enumerate(self.config.timeline, 1)]
        with Vertical(id="step-dialog", classes="dialog"):
            yield Label(
                f"Add the current configuration as step {self.number}", classes="dialog-title"
            )
            with Horizontal(classes="field-row"):
                yield Label("Step title", classes="field-label")
                yield Input(self.config.title, id="step-title")
            yield Label("Narrative", classes="field-label")
            yield TextArea(id="step-narrative", soft_wrap=True)
            with Horizontal(classes="field-row"):
                yield Label("Question", classes="field-label")
                yield Select(
                    [(ASK_LABELS[a], a) for a in (NO_QUESTION, *ASKS)],
                    value=NO_QUESTION,
                    allow_blank=False,
                    id="step-ask",
                )
            with Horizontal(classes="field-row"):
                yield Label("DEVICE", classes="field-label")
                yield Select(
                    devices, id="step-device", value=devices[0][1] if devices else Select.NULL
                )
            with Horizontal(classes="field-row"):
                yield Label("EVENT", classes="field-label")
                start = self.event + 1 if self.event is not None and events else Select.NULL
                yield Select(events, id="step-event", value=start)
            yield Static(id="step-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add step", variant="primary", id="step-ok")
                yield Button("Cancel", id="step-cancel")

    def built(self) -> LessonStep:
        """The step as the form describes it."""
        ask = self.query_one("#step-ask", Select).value
        question = None
        if ask != NO_QUESTION:
            device = self.query_one("#step-device", Select).value
            event = self.query_one("#step-event", Select).value
            question = Question(
                ask=ask,  # type: ignore[arg-type]
                device=str(device)
                if ask in ("memslots", "limit") and device != Select.NULL
                else None,
                event=int(event) if ask == "succeeds" and isinstance(event, int) else None,  # type: ignore[arg-type]
            )
        return LessonStep(
            title=self.query_one("#step-title", Input).value.strip(),
            narrative=self.query_one("#step-narrative", TextArea).text.strip(),
            config=self.config,
            question=question,
        )

    @on(Button.Pressed, "#step-ok")
    def _ok(self) -> None:
        error = self.query_one("#step-error", Static)
        try:
            step = self.built()
        except ValueError as exc:
            error.update(Content(f"✗ {exc}"))
            return
        reason = self.check(step)
        if reason:
            error.update(Content(f"✗ {reason}"))
            return
        self.dismiss(step)

    @on(Button.Pressed, "#step-cancel")
    def action_cancel(self) -> None:
        """Close without adding."""
        self.dismiss(None)


class SaveLessonScreen(ModalScreen[tuple[str, Path] | None]):
    """The lesson's title and where to save it."""

    AUTO_FOCUS = "#lesson-save-title"
    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, title: str, suggested: Path, steps: int) -> None:
        super().__init__()
        self.title_text = title
        self.suggested = suggested
        self.steps = steps

    def compose(self) -> ComposeResult:
        """Title and path."""
        with Vertical(id="lesson-save-dialog", classes="dialog"):
            yield Label(f"Save the lesson ({self.steps} steps)", classes="dialog-title")
            with Horizontal(classes="field-row"):
                yield Label("Lesson title", classes="field-label")
                yield Input(self.title_text, id="lesson-save-title")
            with Horizontal(classes="field-row"):
                yield Label("File", classes="field-label")
                yield Input(str(self.suggested), id="lesson-save-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="lesson-save-ok")
                yield Button("Cancel", id="lesson-save-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#lesson-save-ok")
    def _save(self) -> None:
        path = self.query_one("#lesson-save-path", Input).value.strip()
        if path:
            title = self.query_one("#lesson-save-title", Input).value.strip()
            self.dismiss((title, Path(path).expanduser()))

    @on(Button.Pressed, "#lesson-save-cancel")
    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
