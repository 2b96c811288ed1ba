"""Small dialogs: yes/no confirmation and a message (load errors, verify results)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ..actions import bindings


class ConfirmScreen(ModalScreen[bool]):
    """Ask before something that loses work (overwrite a file, quit unsaved)."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("confirm")

    def __init__(self, question: str, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        """Question and two buttons; the safe one has focus."""
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Content(self.question), id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="warning", id="confirm-yes")
                yield Button(self.no, id="confirm-no")

    def on_mount(self) -> None:
        """The safe answer is the default."""
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        """y / n / escape."""
        self.dismiss(value)


class MessageScreen(ModalScreen[None]):
    """A titled message (error in the error colour) the user closes."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("message")

    def __init__(
        self, title: str, body: str | Content, error: bool = False, wide: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.error = error
        self.wide = wide
        """Tables (verify results): the dialog takes the terminal's width, rows do not wrap."""

    def compose(self) -> ComposeResult:
        """Title, scrollable body, close button."""
        with Vertical(id="message-dialog", classes="dialog -wide" if self.wide else "dialog"):
            yield Label(
                Content(self.title_text), classes="dialog-title" + (" -error" if self.error else "")
            )
            with VerticalScroll():
                yield Static(
                    Content(self.body) if isinstance(self.body, str) else self.body,
                    id="message-body",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="message-close")

    @on(Button.Pressed)
    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
