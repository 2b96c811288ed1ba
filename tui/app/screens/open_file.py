"""Open a configuration: a preset (shipped or the user's) or any TOML path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from ..actions import bindings


class OpenScreen(ModalScreen[Path | None]):
    """Pick a preset from the list or type a path; loading (and its errors) is the app's job."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, presets: list[Any]) -> None:
        super().__init__()
        self.presets = presets

    def compose(self) -> ComposeResult:
        """Preset list, path input, buttons."""
        with Vertical(id="open-dialog", classes="dialog"):
            yield Label("Open a preset or a TOML file", classes="dialog-title")
            options = []
            for index, preset in enumerate(self.presets):
                title = getattr(preset, "title", "") or Path(preset.path).stem
                error = getattr(preset, "error", None)
                description = getattr(preset, "description", "") or ""
                text = Content.assemble(
                    (title, "bold"), "  ", (str(Path(preset.path).name), "$text-muted")
                )
                if error:
                    text = Content.assemble(text, "\n  ", (f"✗ {error}", "$error"))
                elif description:
                    text = Content.assemble(
                        text, "\n  ", (description.splitlines()[0], "$text-muted")
                    )
                options.append(Option(text, id=f"preset-{index}", disabled=bool(error)))
            if not options:
                options.append(Option("no presets found", disabled=True))
            yield OptionList(*options, id="open-presets")
            yield Input(placeholder="or a path: ~/vm.toml", id="open-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open", variant="primary", id="open-ok")
                yield Button("Cancel", id="open-cancel")

    @on(OptionList.OptionSelected)
    def _preset(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(Path(self.presets[int(event.option.id.removeprefix("preset-"))].path))

    @on(Input.Submitted)
    @on(Button.Pressed, "#open-ok")
    def _open(self) -> None:
        text = self.query_one("#open-path", Input).value.strip()
        if text:
            self.dismiss(Path(text).expanduser())
            return
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            options.action_select()

    @on(Button.Pressed, "#open-cancel")
    def action_cancel(self) -> None:
        """Close without opening."""
        self.dismiss(None)


class SaveAsScreen(ModalScreen[Path | None]):
    """Ask for a path; the app confirms before overwriting."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, suggested: str) -> None:
        super().__init__()
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        """Path input and buttons."""
        with Vertical(id="saveas-dialog", classes="dialog"):
            yield Label("Save the configuration as TOML", classes="dialog-title")
            yield Input(self.suggested, id="saveas-path")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="saveas-ok")
                yield Button("Cancel", id="saveas-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#saveas-ok")
    def _save(self) -> None:
        text = self.query_one("#saveas-path", Input).value.strip()
        if text:
            self.dismiss(Path(text).expanduser())

    @on(Button.Pressed, "#saveas-cancel")
    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
