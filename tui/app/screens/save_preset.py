"""Save a shipped (read-only) preset under a new name: path, title, description and [expect]."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet

from ..actions import bindings
from ..fields import Input
from .text_area import TextArea

ExpectChoice = Literal["record", "keep", "drop"]


@dataclass(frozen=True)
class PresetSaveRequest:
    """What the user chose; the app builds the configuration and writes it."""

    path: Path
    title: str
    description: str
    expect: ExpectChoice


class SavePresetScreen(ModalScreen[PresetSaveRequest | None]):
    """Shipped presets are read-only: this asks for a new file in the user preset directory,
    and since a changed preset no longer shows what its title, description and `[expect]`
    promised, lets the user rewrite them."""

    AUTO_FOCUS = "#preset-path"
    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, path: str, title: str, description: str, has_expect: bool) -> None:
        super().__init__()
        self.path = path
        self.title_text = title
        self.description = description
        self.has_expect = has_expect

    def compose(self) -> ComposeResult:
        """Path, title, description, the [expect] choice, buttons."""
        with Vertical(id="preset-dialog", classes="dialog"):
            yield Label(
                Content("This is a shipped preset (read-only): save a copy as your preset"),
                classes="dialog-title",
            )
            yield Label(Content("File"))
            yield Input(self.path, id="preset-path")
            yield Label(Content("Title"))
            yield Input(self.title_text, id="preset-title")
            yield Label(Content("Description"))
            yield TextArea(self.description, id="preset-description", soft_wrap=True)
            yield Label(Content("[expect] (the outcomes `check` verifies)"))
            with RadioSet(id="preset-expect"):
                yield RadioButton(
                    Content("record the current outcomes (computed by the engine)"),
                    value=True,
                    id="expect-record",
                )
                if self.has_expect:
                    yield RadioButton(Content("keep the preset's [expect] as is"), id="expect-keep")
                yield RadioButton(Content("drop [expect]"), id="expect-drop")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="preset-ok")
                yield Button("Cancel", id="preset-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#preset-ok")
    def _save(self) -> None:
        path = self.query_one("#preset-path", Input).value.strip()
        if not path:
            self.query_one("#preset-path", Input).focus()
            return
        pressed = self.query_one(RadioSet).pressed_button
        choice = (pressed.id or "expect-record").removeprefix("expect-") if pressed else "record"
        self.dismiss(
            PresetSaveRequest(
                path=Path(path).expanduser(),
                title=self.query_one("#preset-title", Input).value,
                description=self.query_one("#preset-description", TextArea).text,
                expect=choice,  # type: ignore[arg-type]
            )
        )

    @on(Button.Pressed, "#preset-cancel")
    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
