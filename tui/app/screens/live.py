"""Ask which running VM to follow: `unix:PATH` (a QMP socket) or `virsh:DOMAIN`."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ..actions import bindings
from ..fields import Input


class LiveAddressScreen(ModalScreen[str | None]):
    """The address of a running VM; the app reads it (query commands only) and follows it."""

    AUTO_FOCUS = "*"
    BINDINGS: ClassVar = bindings("dialogs")

    def compose(self) -> ComposeResult:
        """Address input and buttons."""
        with Vertical(id="live-dialog", classes="dialog"):
            yield Label("Follow a running VM (read-only)", classes="dialog-title")
            yield Label("QMP socket as unix:PATH, or a libvirt domain as virsh:DOMAIN")
            yield Input("unix:", id="live-address")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Follow", variant="primary", id="live-ok")
                yield Button("Cancel", id="live-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#live-ok")
    def _follow(self) -> None:
        text = self.query_one("#live-address", Input).value.strip()
        if text and text not in ("unix:", "virsh:"):
            self.dismiss(text)

    @on(Button.Pressed, "#live-cancel")
    def action_cancel(self) -> None:
        """Close without following anything."""
        self.dismiss(None)
