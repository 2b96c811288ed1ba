"""A lesson as data: ordered steps, each a configuration, a narrative and maybe a question.

The question names what to ask (`ask`) and about what (a device, an event); it never holds the
answer — the runner asks the engine for it. Schema: docs/lessons.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from tui.engine.model import Config

Ask = Literal["memslots", "limit", "succeeds", "first-failure", "fix"]
ASKS: tuple[Ask, ...] = ("memslots", "limit", "succeeds", "first-failure", "fix")
"""What a question can ask; the runner words each one and asks the engine for its answer."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Distractor(_Frozen):
    """A change offered next to the engine's fixes in a "which fix?" question.

    Whether it works is decided by replaying it, like every other choice."""

    label: str = Field(min_length=1)
    set: dict[str, int | str] = Field(min_length=1)
    """Parameter path (tui.params: machine.maxmem, vmem0.size, net0.max_mem_regions, dimms)
    → new value."""


class Question(_Frozen):
    """What to ask about the step's configuration."""

    ask: Ask
    device: str | None = None
    """memslots / limit: the memory device (its last cold plug or hotplug is asked about)."""
    event: Annotated[StrictInt, Field(ge=1)] | None = None
    """succeeds: the 1-based timeline event."""
    prompt: str = ""
    """Optional wording; the default is generated from `ask`."""
    distractors: tuple[Distractor, ...] = ()
    """fix: changes to offer beside the engine's own suggestions."""

    @model_validator(mode="after")
    def _targets(self) -> Question:
        if self.ask in ("memslots", "limit") and not self.device:
            raise ValueError(f"device: a {self.ask!r} question names the memory device")
        if self.ask == "succeeds" and self.event is None:
            raise ValueError("event: a 'succeeds' question names the event (1-based)")
        if self.distractors and self.ask != "fix":
            raise ValueError("distractors: only a 'fix' question offers distractors")
        return self


class LessonStep(_Frozen):
    """One step: a configuration (a preset or inline), a narrative, maybe a question."""

    title: str = ""
    preset: str | None = None
    """A preset file: relative to the lesson's directory, else a name in the preset library."""
    config: Config | None = None
    """An inline configuration (the schema of a configuration file)."""
    narrative: str = ""
    question: Question | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if isinstance(data, dict):
            has_preset = data.get("preset") is not None
            has_config = data.get("config") is not None
            if has_preset == has_config:
                raise ValueError("a step names either a preset or an inline [steps.config]")
        return data


class Lesson(_Frozen):
    """A titled, ordered list of steps."""

    schema_version: Literal[1] = 1
    title: str = ""
    description: str = ""
    steps: tuple[LessonStep, ...] = Field(min_length=1)
