"""Messages panels post upward; only the app turns them into a new Config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from tui.engine.model import Config

from .catalog import Group

EditResult = Config | tuple[Config, int]
"""A new config, or a new config and the timeline index to select afterwards."""


@dataclass
class EditRequested(Message):
    """Apply a pure edit to the current config (undoable); errors are reported, not raised."""

    label: str
    edit: Callable[[Config], EditResult]


@dataclass
class FormRequested(Message):
    """Open the add form (device_id None) or the edit form of a device, back-end or consumer."""

    group: Group
    device_id: str | None = None
    template: str | None = None


@dataclass
class EventFormRequested(Message):
    """Open the insert-event form; the new event goes at `index`."""

    index: int


@dataclass
class EventSelected(Message):
    """A timeline event is highlighted: the Explain panel follows it."""

    index: int


@dataclass
class DeviceSelected(Message):
    """A device row is highlighted: select its plug event."""

    device_id: str


@dataclass
class MachineFieldEdited(Message):
    """A machine field changed; commit=False only validates (live feedback while typing)."""

    name: str
    value: str | bool
    commit: bool


@dataclass
class SuggestionApplied(Message):
    """Replace the config with the suggestion's (replay-proven) config."""

    index: int
