"""Lesson mode: the narrative, the trainee's answer, and the reveal — the engine's answer, the
outcome and Explain's derivation — step by step, with progress, previous/next and restart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.engine.model import Config
from tui.engine.units import format_size
from tui.lessons.runner import Asked, PreparedStep

from .. import view
from ..actions import bindings, key_hints
from ..fields import Input
from ..panels.explain import render_event
from ..view import reflow

ExportMarkdown = Callable[[], None]
KEYS = Content.assemble(
    *(
        part
        for key, what in key_hints("lesson", "help")
        for part in ((f" {key} ", "bold $accent"), f"{what} ")
    )
)


T = TypeVar("T")


def runs(items: Sequence[T], key: Callable[[T], object]) -> list[list[T]]:
    """Consecutive items with the same key, grouped: 70 DIMMs hotplugged alike are one line."""
    groups: list[list[T]] = []
    for item in items:
        if groups and key(groups[-1][-1]) == key(item):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _span(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}–{last}"


def _ids(group: Sequence[Any]) -> str:
    ids = [getattr(x, "id", None) or x.device for x in group]
    return ids[0] if len(ids) == 1 else f"{ids[0]} … {ids[-1]} ({len(ids)})"


def _device_text(device: Any) -> str:
    extra = ""
    size = getattr(device, "size", None)
    if size:
        extra += f" {format_size(size)}"
    for name in ("max_mem_regions", "max_mem_slots"):
        value = getattr(device, name, None)
        if value is not None:
            extra += f" {name}={value}"
    if getattr(device, "dynamic_memslots", False):
        extra += " dynamic-memslots=on"
    return f"{device.kind}{extra}"


def describe_config(config: Config) -> Content:
    """What the trainee sees before answering: the machine, devices and the timeline (without
    the outcomes, which would give the answer away); runs of alike devices and events are one
    line each."""
    m = config.machine
    maxmem = format_size(m.maxmem) if m.maxmem is not None else "-"
    lines = [
        Content.styled("Configuration", "bold"),
        Content(
            f"{m.type}, {m.accel}, -m {format_size(m.ram)},maxmem={maxmem},slots={m.slots}, "
            f"KVM memslots {m.kvm_memslots}, QEMU {m.qemu_version}, phys-bits {m.phys_bits}"
        ),
    ]
    for group in runs(list(config.all_devices()), _device_text):
        lines.append(Content(f"  {_ids(group)}: {_device_text(group[0])}"))
    lines.append(Content.styled("Timeline", "bold"))
    numbered = list(enumerate(config.timeline, 1))
    kinds = {d.id: d.kind for d in config.all_devices()}
    for alike in runs(numbered, lambda x: (x[1].action, kinds[x[1].device], x[1].requested_size)):
        first, event = alike[0]
        size = f" → {format_size(event.requested_size)}" if event.requested_size else ""
        names = _ids([e for _, e in alike])
        lines.append(Content(f"  {_span(first, alike[-1][0])}. {event.action} {names}{size}"))
    return Content("\n").join(lines)


class LessonScreen(Screen[Config | None]):
    """One lesson, step by step. Answers are kept per step until restart. It closes with the
    step's configuration when the trainee wants to explore it, else with None."""

    BINDINGS: ClassVar = bindings("lesson")
    HELP = """\
## Lesson
Read the narrative, answer the question (type a number and press enter, or pick a choice),
then **Check**: the reveal shows the engine's answer, QEMU's verdict and the derivation.
ctrl+n / ctrl+b: next / previous step; ctrl+r: restart; ctrl+t: save as Markdown;
ctrl+g: explore this step's configuration in the explorer (unsaved; undo brings back yours).
"""

    def __init__(
        self, title: str, steps: tuple[PreparedStep, ...], markdown: ExportMarkdown | None = None
    ) -> None:
        super().__init__()
        self.lesson_title = title
        self.steps = steps
        self.index = 0
        self.answers: dict[int, tuple[str, bool]] = {}
        """step index → (the trainee's answer, right?)."""
        self.export_markdown = markdown

    def compose(self) -> ComposeResult:
        """Narrative on the left; question, answer and reveal on the right."""
        yield Label(id="lesson-progress")
        with Horizontal(id="lesson-main"):
            with VerticalScroll(id="lesson-narrative", classes="panel"):
                yield Static(id="lesson-story")
                yield Static(id="lesson-config")
            with Vertical(id="lesson-side"):
                with Vertical(id="lesson-question", classes="panel"):
                    yield Static(id="lesson-prompt")
                    yield Input(placeholder="your answer (a number)", id="lesson-answer")
                    yield OptionList(id="lesson-choices")
                    with Horizontal(classes="buttons"):
                        yield Button("Check", variant="primary", id="lesson-check", compact=True)
                with VerticalScroll(id="lesson-reveal", classes="panel"):
                    yield Static(id="lesson-result")
        with Horizontal(id="lesson-nav", classes="buttons"):
            yield Button("◀ Previous", id="lesson-previous", compact=True)
            yield Button("Next ▶", id="lesson-next", compact=True)
            yield Button("Restart", id="lesson-restart", compact=True)
            yield Button("Markdown…", id="lesson-markdown", compact=True)
            yield Button("Explore", id="lesson-explore", compact=True)
            yield Button("Close", id="lesson-close", compact=True)
        # A fixed key line, not a Footer: a Footer rebuilds itself on every focus change
        # (answer box ⇄ choices), which made each step three times slower to show.
        yield Static(KEYS, id="lesson-keys")

    def on_mount(self) -> None:
        """Titles, then the first step."""
        self.query_one("#lesson-narrative").border_title = "Narrative"
        self.query_one("#lesson-question").border_title = "Your prediction"
        self.query_one("#lesson-reveal").border_title = "Reveal"
        self.show_step(0)

    @property
    def step(self) -> PreparedStep:
        """The step on screen."""
        return self.steps[self.index]

    @property
    def score(self) -> tuple[int, int]:
        """(right answers, answered questions)."""
        return sum(1 for _, ok in self.answers.values() if ok), len(self.answers)

    def _progress(self) -> None:
        right, answered = self.score
        asked = sum(1 for s in self.steps if s.asked is not None)
        self.query_one("#lesson-progress", Label).update(
            Content.assemble(
                (f"Lesson: {view.plain(self.lesson_title)}", "bold"),
                f"   step {self.index + 1} of {len(self.steps)}",
                f"   ·   {right} of {answered} answered right ({asked} questions)",
            )
        )

    def show_step(self, index: int) -> None:
        """Show a step: narrative and configuration; the question, or at once the reveal when
        the step asks nothing (or was answered already). One repaint for all of it."""
        with self.app.batch_update():
            self._show_step(index)

    def _show_step(self, index: int) -> None:
        self.index = max(0, min(index, len(self.steps) - 1))
        step = self.step
        title = view.plain(step.title)
        head = Content.styled(f"Step {step.number}: {title}".rstrip(": "), "bold")
        narrative = Content(view.plain_lines(reflow(step.narrative)))
        self.query_one("#lesson-story", Static).update(
            Content("\n").join([head, Content(""), narrative, Content("")])
        )
        self.query_one("#lesson-config", Static).update(describe_config(step.config))
        answer_box = self.query_one("#lesson-answer", Input)
        choices = self.query_one("#lesson-choices", OptionList)
        asked = step.asked
        prompt = self.query_one("#lesson-prompt", Static)
        choices.clear_options()
        answer_box.value = ""
        if asked is None:
            prompt.update(Content.styled("No question here: read the outcome.", "$text-muted"))
            answer_box.display = False
            choices.display = False
        else:
            prompt.update(Content.styled(asked.prompt, "bold"))
            answer_box.display = not asked.choices
            choices.display = bool(asked.choices)
            choices.add_options(
                [
                    Option(Content(view.plain(c.label)), id=f"choice-{i}")
                    for i, c in enumerate(asked.choices)
                ]
            )
            if asked.choices:
                choices.highlighted = 0
        self.query_one("#lesson-check", Button).display = asked is not None
        self.query_one("#lesson-previous", Button).disabled = self.index == 0
        self.query_one("#lesson-next", Button).disabled = self.index == len(self.steps) - 1
        self._progress()
        if asked is None or self.index in self.answers:
            self._reveal()
        else:
            self.query_one("#lesson-result", Static).update(
                Content.styled("Answer, then Check to see what QEMU does.", "$text-muted")
            )
            (choices if asked.choices else answer_box).focus()

    @on(Input.Submitted, "#lesson-answer")
    @on(Button.Pressed, "#lesson-check")
    def action_check(self) -> None:
        """Grade the answer with the engine's, then reveal."""
        asked = self.step.asked
        if asked is None:
            return
        if asked.choices:
            highlighted = self.query_one("#lesson-choices", OptionList).highlighted
            if highlighted is None:
                return
            answer = asked.choices[highlighted].label
        else:
            answer = self.query_one("#lesson-answer", Input).value.strip()
            if not answer:
                return
        self.answer(answer)

    @on(OptionList.OptionSelected, "#lesson-choices")
    def _chosen(self) -> None:
        self.action_check()

    def answer(self, text: str) -> bool:
        """Record the trainee's answer for this step and reveal; True when right."""
        asked = self.step.asked
        assert asked is not None
        right = asked.grade(text)
        self.answers[self.index] = (text, right)
        self._progress()
        self._reveal()
        return right

    def _reveal(self) -> None:
        step = self.step
        asked = step.asked
        parts: list[Content] = []
        if asked is not None and self.index in self.answers:
            given, right = self.answers[self.index]
            if right:
                parts.append(Content.styled(f"✓ Right: {given}", "bold $success"))
            else:
                parts.append(Content.styled(f"✗ Not quite: you said {given}", "bold $error"))
            parts.append(Content.assemble(("The engine: ", "bold"), asked.answer))
            parts += _choice_lines(asked)
            parts.append(Content(""))
        if step.report.startup_error:
            parts.append(
                Content.assemble(
                    ("✗ QEMU does not start: ", "bold $error"),
                    (step.report.startup_error, "$error"),
                )
            )
        for group in runs(list(step.report.events), lambda r: (r.action, r.kind, view.outcome(r))):
            result = group[0]
            mark = "$error" if not result.ok and not result.skipped else ""
            span = _span(result.index + 1, group[-1].index + 1)
            parts.append(
                Content.assemble(
                    f"{span:>2}. {result.action} {_ids(group)}: ", (view.outcome(result), mark)
                )
            )
        event = asked.event if asked is not None else None
        if event is None:
            event = next((e.index for e in step.report.events if not e.ok), None)
        if event is not None and event < len(step.report.events):
            parts += [Content(""), render_event(step.report.events[event])]
        self.query_one("#lesson-result", Static).update(Content("\n").join(parts))

    @on(Button.Pressed, "#lesson-next")
    def action_next(self) -> None:
        """The next step."""
        if self.index < len(self.steps) - 1:
            self.show_step(self.index + 1)

    @on(Button.Pressed, "#lesson-previous")
    def action_previous(self) -> None:
        """The previous step (its answer is kept)."""
        if self.index > 0:
            self.show_step(self.index - 1)

    @on(Button.Pressed, "#lesson-restart")
    def action_restart(self) -> None:
        """Forget every answer; back to step 1."""
        self.answers.clear()
        self.show_step(0)

    @on(Button.Pressed, "#lesson-markdown")
    def action_markdown(self) -> None:
        """Save the lesson as Markdown (the app asks for the path)."""
        if self.export_markdown is not None:
            self.export_markdown()

    @on(Button.Pressed, "#lesson-explore")
    def action_explore(self) -> None:
        """Back to the explorer, with this step's configuration to play what-ifs on."""
        self.dismiss(self.step.config)

    @on(Button.Pressed, "#lesson-close")
    def action_close(self) -> None:
        """Back to the explorer, as it was."""
        self.dismiss(None)


def _choice_lines(asked: Asked) -> list[Content]:
    """For choice questions with more than yes/no: every choice with the engine's verdict."""
    if len(asked.choices) <= 2:
        return []
    lines = []
    for choice in asked.choices:
        mark, style = ("✓", "$success") if choice.correct else ("✗", "$text-muted")
        lines.append(Content.assemble((f"  {mark} ", style), choice.label))
        if choice.detail and choice.correct:
            lines.append(Content.styled(f"      {choice.detail}", "$text-muted"))
    return lines
