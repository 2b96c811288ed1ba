"""Paste a QEMU command line or a libvirt domain XML to open it as a configuration."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ..actions import bindings
from .text_area import TextArea


class PasteScreen(ModalScreen[str | None]):
    """A text box for `ps` output, a libvirt log line or `virsh dumpxml`; importing is the
    app's job (it reports what was not understood and what was assumed)."""

    AUTO_FOCUS = "#paste-text"

    BINDINGS: ClassVar = [*bindings("dialogs"), *bindings("paste")]
    HELP = """\
## Paste a command line
Paste a QEMU command line (shell text with `\\` continuations, one argument per line, or a
libvirt per-domain log) or a libvirt domain XML, then **Import** (ctrl+j). The format is
guessed from the text.
"""

    def compose(self) -> ComposeResult:
        """Title, text box, buttons."""
        with Vertical(id="paste-dialog", classes="dialog"):
            yield Label("Paste a QEMU command line or libvirt XML", classes="dialog-title")
            yield TextArea(id="paste-text", soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import", variant="primary", id="paste-ok")
                yield Button("Cancel", id="paste-cancel")

    @on(Button.Pressed, "#paste-ok")
    def action_import(self) -> None:
        """Hand the text to the app (nothing happens while it is empty)."""
        text = self.query_one("#paste-text", TextArea).text
        if text.strip():
            self.dismiss(text)

    @on(Button.Pressed, "#paste-cancel")
    def action_cancel(self) -> None:
        """Close without importing."""
        self.dismiss(None)
