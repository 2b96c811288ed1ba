"""Insert a hotplug, unplug, resize or vhost-user back-end restart event into the timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from tui.engine.model import Config

from ..actions import bindings
from ..edits import EditError
from ..fields import Input

ACTIONS = ("hotplug", "unplug", "resize", "cold", "disconnect", "reconnect")


class EventFormScreen(ModalScreen[Config | None]):
    """Action, device and (for resize) the new requested-size; validated by the app."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("dialogs")
    HELP = """\
## Insert event
**hotplug** (device_add / netdev_add), **unplug** (device_del), **resize** (qom-set
`requested-size` of a virtio-mem) or **cold** (command line, before every hot event);
**disconnect** / **reconnect**: a vhost-user back-end restarts, maybe with another
`max-mem-slots` (what it answers to GET_MAX_MEM_SLOTS when it comes back).
"""

    def __init__(
        self,
        *,
        position: int,
        devices: list[str],
        action: str,
        validate: Callable[[dict[str, object]], Config],
    ) -> None:
        super().__init__()
        self.position = position
        self.devices = devices
        self.action = action
        self.validate = validate

    def compose(self) -> ComposeResult:
        """The three fields and buttons."""
        with Vertical(id="event-dialog", classes="dialog"):
            yield Label(f"Insert event at position {self.position + 1}", classes="dialog-title")
            with Horizontal(classes="field-row"):
                yield Label("action", classes="field-label")
                yield Select(
                    [(a, a) for a in ACTIONS],
                    value=self.action,
                    allow_blank=False,
                    id="ev-action",
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label("device", classes="field-label")
                yield Select(
                    [(d, d) for d in self.devices],
                    id="ev-device",
                    compact=True,
                    value=self.devices[0] if self.devices else Select.NULL,
                )
            with Horizontal(classes="field-row"):
                yield Label("requested-size", classes="field-label")
                yield Input(placeholder="resize only, e.g. 8G", id="ev-size", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("max-mem-slots", classes="field-label")
                yield Input(placeholder="reconnect only, e.g. 32", id="ev-slots", compact=True)
            yield Static(id="event-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Insert", variant="primary", id="ev-ok")
                yield Button("Cancel", id="ev-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ev-ok")
    def action_ok(self) -> None:
        """Validate the new timeline; dismiss with it or show the reason."""
        device = self.query_one("#ev-device", Select).value
        slots = self.query_one("#ev-slots", Input).value.strip()
        event = {
            "action": self.query_one("#ev-action", Select).value,
            "device": None if device is Select.NULL else device,
            "requested_size": self.query_one("#ev-size", Input).value.strip() or None,
            "max_mem_slots": int(slots) if slots.isascii() and slots.isdigit() else slots or None,
        }
        try:
            config = self.validate(event)
        except (EditError, ValueError) as exc:
            self.query_one("#event-error", Static).update(Content(f"✗ {exc}"))
            return
        self.dismiss(config)

    @on(Button.Pressed, "#ev-cancel")
    def action_cancel(self) -> None:
        """Close without changes."""
        self.dismiss(None)
