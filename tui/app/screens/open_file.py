"""Open a configuration: a preset or lesson from the library (shipped or the user's), any TOML
path, or a QEMU command line / libvirt XML to import (a path, or pasted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..actions import bindings
from ..fields import Input
from ..view import plain, plain_lines, reflow

Preview = Callable[[Path], str]
"""path → the engine's verdict for the preview pane (the app computes it)."""

GROUP_ORDER = (
    "Lessons",
    "Worked examples",
    "Field cases",
    "Version rules",
    "Device and machine rules",
    "Other presets",
    "Your presets",
)


def _group_rank(group: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(group), "") if group in GROUP_ORDER else (len(GROUP_ORDER), group)


PASTE: Literal["paste"] = "paste"
"""What OpenScreen returns when the user wants to paste a command line instead."""


class OpenScreen(ModalScreen[Path | Literal["paste"] | None]):
    """The preset library: grouped, searchable, with each preset's full description and the
    engine's verdict in a preview; or type any path. Loading (and its errors) is the app's job."""

    AUTO_FOCUS = "#open-search"  # the app focuses its timeline; a dialog focuses its search

    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, presets: list[Any], preview: Preview | None = None, title: str = "") -> None:
        super().__init__()
        self.presets = presets
        self.preview = preview
        self.title_text = title or "Open a preset, lesson, TOML file, command line or XML"
        self._previews: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        """Search, grouped list beside the preview, path input, buttons."""
        with Vertical(id="open-dialog", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(
                placeholder="search titles and descriptions", id="open-search", compact=True
            )
            with Horizontal(id="open-library"):
                yield OptionList(id="open-presets")
                with VerticalScroll(id="open-preview-scroll"):
                    yield Static(id="open-preview")
            yield Input(
                placeholder="or a path: ~/vm.toml, vm.xml, qemu-cmdline.sh",
                id="open-path",
                compact=True,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open", variant="primary", id="open-ok")
                yield Button("Paste a command line…", id="open-paste")
                yield Button("Cancel", id="open-cancel")

    def on_mount(self) -> None:
        """List everything."""
        self._fill("")

    @staticmethod
    def _text(preset: Any) -> str:
        return " ".join(
            str(getattr(preset, name, "") or "") for name in ("title", "description", "path")
        ).lower()

    def _fill(self, query: str) -> None:
        """The options matching every word of `query`, under their group headings."""
        words = query.lower().split()
        groups: dict[str, list[int]] = {}
        for index, preset in enumerate(self.presets):
            if all(word in self._text(preset) for word in words):
                group = str(getattr(preset, "group", "") or "Other presets")
                groups.setdefault(group, []).append(index)
        options: list[Option | None] = []
        for group in sorted(groups, key=_group_rank):
            options.append(
                Option(
                    Content.styled(f"{group} ({len(groups[group])})", "bold $accent"), disabled=True
                )
            )
            for index in groups[group]:
                preset = self.presets[index]
                title = plain(getattr(preset, "title", "") or Path(preset.path).stem)
                error = getattr(preset, "error", None)
                text = Content.assemble(("  " + title, "bold" if not error else "$error"))
                options.append(Option(text, id=f"preset-{index}", disabled=bool(error)))
        if not groups:
            options.append(
                Option("no presets found" if not words else "nothing matches", disabled=True)
            )
        listing = self.query_one("#open-presets", OptionList)
        listing.clear_options()
        listing.add_options(options)
        first = next((i for i, o in enumerate(options) if o is not None and o.id), None)
        listing.highlighted = first
        if first is None:
            self._show_preview(None)

    @on(Input.Changed, "#open-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#open-search")
    def _search_done(self) -> None:
        self.query_one("#open-presets", OptionList).focus()

    @on(OptionList.OptionHighlighted, "#open-presets")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        option_id = event.option.id
        self._show_preview(int(option_id.removeprefix("preset-")) if option_id else None)

    def _show_preview(self, index: int | None) -> None:
        """Full description, file name and the engine's verdict (computed once per preset)."""
        body = self.query_one("#open-preview", Static)
        if index is None:
            body.update("")
            return
        preset = self.presets[index]
        if index not in self._previews:
            try:
                self._previews[index] = self.preview(Path(preset.path)) if self.preview else ""
            except Exception as exc:  # a preview must never break the picker
                self._previews[index] = f"✗ no preview: {exc}"
        title = plain(getattr(preset, "title", "") or Path(preset.path).stem)
        parts = [
            Content.styled(title, "bold"),
            Content.styled(plain(Path(preset.path).name), "$text-muted"),
        ]
        error = getattr(preset, "error", None)
        if error:
            parts.append(Content.styled(f"✗ {error}", "$error"))
        description = (getattr(preset, "description", "") or "").strip()
        if description:
            parts += [Content(""), Content(plain_lines(reflow(description)))]
        verdict = self._previews[index]
        if verdict:
            style = "$error" if verdict.startswith("✗") else "$success"
            parts += [Content(""), Content.styled(verdict, style)]
        body.update(Content("\n").join(parts))

    @on(OptionList.OptionSelected, "#open-presets")
    def _preset(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(Path(self.presets[int(event.option.id.removeprefix("preset-"))].path))

    @on(Input.Submitted, "#open-path")
    @on(Button.Pressed, "#open-ok")
    def _open(self) -> None:
        text = self.query_one("#open-path", Input).value.strip()
        if text:
            self.dismiss(Path(text).expanduser())
            return
        options = self.query_one("#open-presets", OptionList)
        if options.highlighted is not None:
            options.action_select()

    @on(Button.Pressed, "#open-paste")
    def _paste(self) -> None:
        self.dismiss(PASTE)

    @on(Button.Pressed, "#open-cancel")
    def action_cancel(self) -> None:
        """Close without opening."""
        self.dismiss(None)


class SaveAsScreen(ModalScreen[Path | None]):
    """Ask for a path; the app confirms before overwriting."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = bindings("dialogs")

    def __init__(self, suggested: str, what: str = "the configuration as TOML") -> None:
        super().__init__()
        self.suggested = suggested
        self.what = what
        """What is saved, for the title ("the QEMU command line", ...)."""

    def compose(self) -> ComposeResult:
        """Path input and buttons."""
        with Vertical(id="saveas-dialog", classes="dialog"):
            yield Label(f"Save {self.what}", classes="dialog-title")
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
