"""Turn a lesson step's question into a prompt, choices and the answer — all from the engine.

Nothing here knows an answer in advance: `ask_question` replays nothing itself but reads the
step's Report (and, for "which fix?", the engine's proven suggestions and the replays of the
author's distractors), so a lesson stays right when the engine or a preset changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui.compare import compare
from tui.engine import replay
from tui.engine.advice import Bounds, suggest
from tui.engine.model import Config
from tui.engine.report import EventResult, Report
from tui.lessons.model import Question
from tui.params import ParamError, apply, parse_value

NOTHING = "Change nothing"
NO_START = "QEMU does not start"


class QuestionError(ValueError):
    """A question the step's configuration cannot answer (unknown device, no failing event…)."""


@dataclass(frozen=True)
class Choice:
    """One answer offered; `correct` is the engine's verdict."""

    label: str
    correct: bool
    detail: str = ""
    config: Config | None = None
    """The configuration this choice leads to (fix questions), for the reveal."""


@dataclass(frozen=True)
class Asked:
    """A question ready to show: its wording, choices (if any) and the engine's answer."""

    prompt: str
    answer: str
    """The right answer as text ("64", "yes", "3: hotplug fs0", a fix's title)."""
    choices: tuple[Choice, ...] = ()
    """Empty: the trainee types a number."""
    event: int | None = None
    """0-based event the reveal explains (None: the whole timeline)."""
    number: int | None = None
    """The right number of a numeric question."""

    def grade(self, answer: str) -> bool:
        """Whether the trainee's answer (a number as text, or a choice's label) is right."""
        text = answer.strip()
        if self.choices:
            return any(c.correct and c.label == text for c in self.choices)
        try:
            return int(text, 0) == self.number
        except ValueError:
            return False


def event_label(result: EventResult) -> str:
    """ "3: hotplug fs0" — how a question names an event."""
    return f"{result.index + 1}: {result.action} {result.device}"


def _plug_of(config: Config, report: Report, device: str) -> EventResult:
    if device not in {d.id for d in config.memory_devices}:
        raise QuestionError(f"device: no memory device {device!r} in this step's configuration")
    plugs = [e for e in report.events if e.device == device and e.action in ("cold", "hotplug")]
    if not plugs:
        raise QuestionError(f"device: {device!r} is never plugged in this step's timeline")
    return plugs[-1]


def ask_question(question: Question, config: Config, report: Report) -> Asked:
    """Word the question and take its answer from the engine's report."""
    if question.ask in ("memslots", "limit"):
        assert question.device is not None
        result = _plug_of(config, report, question.device)
        field = "memslots" if question.ask == "memslots" else "memslot_limit"
        value = getattr(result, field)
        prompt = (
            f"How many memslots will {question.device} decide?"
            if question.ask == "memslots"
            else f"What memslot limit will {question.device} get?"
        )
        if value is None:
            why = "its plug fails" if not result.ok else "it decides nothing"
            value, answer = 0, f"0 — {why}: {result.error or 'no memslot decision'}"
        else:
            answer = str(value)
        return Asked(question.prompt or prompt, answer, event=result.index, number=value)
    if question.ask == "succeeds":
        assert question.event is not None
        if question.event > len(report.events):
            raise QuestionError(
                f"event: the timeline has {len(report.events)} events, not {question.event}"
            )
        result = report.events[question.event - 1]
        right = "yes" if result.ok else "no"
        choices = tuple(Choice(label, label == right) for label in ("yes", "no"))
        prompt = f"Will event {event_label(result)} succeed?"
        return Asked(question.prompt or prompt, right, choices, event=result.index)
    failure = next((e for e in report.events if not e.ok and not e.skipped), None)
    if question.ask == "first-failure":
        none = "none: every event succeeds"
        labels = [event_label(e) for e in report.events]
        if report.startup_error is not None and failure is None:
            right = NO_START
        else:
            right = event_label(failure) if failure else none
        choices = tuple(Choice(label, label == right) for label in [NO_START, *labels, none])
        prompt = "Which event does QEMU refuse first?"
        event = failure.index if failure else None
        return Asked(question.prompt or prompt, right, choices, event=event)
    return _ask_fix(question, config, report, failure)


def _ask_fix(
    question: Question, config: Config, report: Report, failure: EventResult | None
) -> Asked:
    """Choices: the engine's fixes (each proven by advice.suggest's replay), the author's
    distractors, and changing nothing; a distractor is right when its replay makes the first
    failing event succeed (or removes it) and breaks no event that succeeded — advice's test."""
    if failure is None and report.startup_error is None:
        raise QuestionError("ask: 'fix' needs a failing event, and every event succeeds")
    choices: list[Choice] = []
    # Each proven by the engine's own replay. Bounded by replays only, never by wall time: the
    # same lesson offers the same choices on every machine.
    for suggestion in suggest(config, report, Bounds(max_seconds=math.inf)):
        detail = suggestion.detail
        remaining = getattr(suggestion, "remaining", ())
        if remaining:
            events = ", ".join(str(i + 1) for i in remaining)
            detail += f" (partial: event {events} still fails)"
        choices.append(Choice(suggestion.title, True, detail, suggestion.config))
    for distractor in question.distractors:
        changed = config
        try:
            for path, value in distractor.set.items():
                given = parse_value(path, value) if isinstance(value, str) else value
                changed = apply(changed, path, given)
        except ParamError as exc:
            raise QuestionError(f"distractors: {distractor.label!r}: {exc}") from None
        right = _fixes(report, replay(changed), failure)
        choices.append(Choice(distractor.label, right, "", changed))
    choices.append(Choice(NOTHING, False, "QEMU refuses the same event again.", config))
    right_labels = [c.label for c in choices if c.correct]
    answer = " / ".join(right_labels) if right_labels else "none of these"
    return Asked(
        question.prompt or "Which fix makes it work?",
        answer,
        tuple(choices),
        event=failure.index if failure else None,
    )


def _fixes(before: Report, after: Report, failure: EventResult | None) -> bool:
    """The failing event now succeeds and no event that succeeded fails (events matched as
    compare() matches them); for a QEMU that did not start: it starts and nothing fails."""
    if after.startup_error is not None:
        return False
    if failure is None:
        return not after.failures
    fixed = False
    for row in compare(before, after).rows:
        if row.a is None:
            continue
        if row.a.number == failure.index + 1:  # gone (device removed) or now accepted
            fixed = row.b is None or row.b.outcome in ("ok", "pending")
        elif row.a.outcome == "ok" and row.b is not None and row.b.outcome == "FAILED":
            return False
    return fixed


@dataclass(frozen=True)
class PreparedStep:
    """A step ready to teach: its configuration, the engine's report, the question asked."""

    number: int
    """1-based."""
    title: str
    narrative: str
    source: str
    config: Config
    report: Report
    asked: Asked | None


def prepare(
    steps: tuple[object, ...], configs: tuple[Config, ...], sources: tuple[str, ...]
) -> tuple[PreparedStep, ...]:
    """Replay every step's configuration and ask its question (QuestionError names the step
    as `steps[N].question.FIELD`)."""
    from tui.lessons.model import LessonStep

    prepared = []
    for index, (step, config, source) in enumerate(zip(steps, configs, sources, strict=True)):
        assert isinstance(step, LessonStep)
        report = replay(config)
        asked = None
        if step.question is not None:
            try:
                asked = ask_question(step.question, config, report)
            except QuestionError as exc:
                raise QuestionError(f"steps[{index}].question.{exc}") from None
        prepared.append(
            PreparedStep(index + 1, step.title, step.narrative, source, config, report, asked)
        )
    return tuple(prepared)
