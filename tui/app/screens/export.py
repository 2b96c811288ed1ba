"""Read-only preview of the configuration in every export format of tui.formats.registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from tui.formats.registry import FORMATS, get

from ..actions import bindings
from ..view import CLIPBOARD_NOTE
from .text_area import TextArea

Render = Callable[[str], str]
"""format → text (raises with the reason when a format is unavailable)."""


class ExportScreen(ModalScreen[None]):
    """Preview (never editable here), copy to the clipboard, or save to a file."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("export")
    HELP = (
        "## Export / preview\n"
        "The current configuration in any export format, with the engine's verdicts as "
        "comments: "
        + "; ".join(f"**{f.name}**: {f.title}" for f in FORMATS)
        + ". **c** sends it to the clipboard (OSC 52: works over SSH when the terminal allows "
        "it; the app cannot tell, so check by pasting), **s** saves it to a file.\n"
    )

    def __init__(
        self, render: Render, fmt: str = "toml", on_save: Callable[[str, str], None] | None = None
    ) -> None:
        super().__init__()
        self.renderer = render
        self.fmt = fmt
        self.on_save = on_save

    def compose(self) -> ComposeResult:
        """Format picker, read-only text, buttons."""
        with Vertical(id="export-dialog", classes="dialog"):
            with Horizontal(classes="field-row"):
                yield Label("Export as", classes="field-label")
                yield Select(
                    [(f.title, f.name) for f in FORMATS],
                    value=self.fmt,
                    allow_blank=False,
                    id="export-format",
                    compact=True,
                )
            yield TextArea(read_only=True, id="export-text", show_line_numbers=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy", variant="primary", id="export-copy")
                yield Button("Save to file…", id="export-save")
                yield Button("Close", id="export-close")

    def on_mount(self) -> None:
        """Show the first format."""
        self._show(self.fmt)

    def _show(self, fmt: str) -> None:
        self.fmt = fmt
        area = self.query_one("#export-text", TextArea)
        try:
            text = self.renderer(fmt)
        except Exception as exc:  # an exporter bug must not take the app down
            text = f"# {fmt} export is not available: {exc}"
        area.load_text(text)
        try:
            area.language = get(fmt).language
        except Exception:
            area.language = None

    @property
    def text(self) -> str:
        """What is shown (and what copy / save use)."""
        return self.query_one("#export-text", TextArea).text

    @on(Select.Changed, "#export-format")
    def _format(self, event: Select.Changed) -> None:
        self._show(str(event.value))

    @on(Button.Pressed, "#export-copy")
    def action_copy(self) -> None:
        """Send to the terminal's clipboard; whether the terminal took it cannot be known."""
        self.app.copy_to_clipboard(self.text)
        self.notify(f"{self.fmt} {CLIPBOARD_NOTE}", markup=False, timeout=8)

    @on(Button.Pressed, "#export-save")
    def action_save(self) -> None:
        """Hand the text to the app's save-as flow."""
        if self.on_save is not None:
            self.on_save(self.fmt, self.text)

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
