"""The memslot-explorer app: one Config, replayed by the engine on every change.

Data flows one way: a panel posts a message → the app builds a new, validated Config → the
engine's `replay` → every panel renders the Report. Panels never compute memslots. Undo and
redo (history.py) restore whole documents: configuration, save target and saved state. File
flows live in files.py.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError
from pydantic_core import PydanticUndefined
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.reactive import Reactive, var
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tui.engine import replay
from tui.engine.kinds import CONSUMER_KINDS
from tui.engine.model import MEMORY_DEVICE_KINDS, VHOST_DEVICE_KINDS, Config
from tui.engine.report import Report
from tui.settings import Settings, checked, load_settings

from . import actions, edits, files, integrations, view
from .advisor import Advice, Advisor
from .catalog import TEMPLATES, Group, Template, template, template_for
from .history import Document, History
from .main_screen import MainScreen
from .messages import (
    DeviceSelected,
    EditRequested,
    EventFormRequested,
    EventSelected,
    FormRequested,
    MachineFieldEdited,
    SuggestionApplied,
)
from .panels.base import Panel, update_static
from .panels.budget import BudgetPanel
from .panels.consumers import ConsumersPanel
from .panels.device_list import DeviceListPanel
from .panels.explain import ExplainPanel
from .panels.machine import MachinePanel
from .panels.memory import MemoryPanel
from .panels.suggestions import SuggestionsPanel
from .panels.table import MemslotTable
from .panels.timeline import TimelinePanel
from .panels.vhost import VhostPanel

GROUP_NAMES: dict[Group, str] = {
    "memory": "memory device",
    "vhost": "vhost back-end",
    "consumer": "consumer",
}


def default_config(settings: Settings | None = None) -> Config:
    """The presets module's instructive default, with the settings file's machine defaults
    (QEMU version, host facts); a default the model refuses is reported, not applied."""
    config: Config = integrations.presets().default_config()
    machine = settings.machine if settings is not None else {}
    if not machine:
        return config
    try:
        return config.model_validate(
            config.model_dump() | {"machine": config.machine.model_dump() | machine}
        )
    except ValidationError as exc:
        settings.problems.append(  # type: ignore[union-attr]
            f"{settings.path}: machine: {exc.errors()[0]['msg']} (defaults used)"  # type: ignore[union-attr]
        )
        return config


class MemslotApp(App[int]):
    """Holds the current Config and its Report; every panel renders from those two."""

    CSS_PATH: ClassVar = ["app.tcss"]
    TITLE = "memslot-explorer"
    AUTO_FOCUS = "#timeline-table"
    # an instance attribute in App (ClassVar would contradict it for mypy)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-medium"), (160, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar = actions.bindings("app")

    sub_title: Reactive[str] = Reactive("", compute=False, repaint=False)
    """The Header watches it and repaints itself; App's own would repaint the whole screen
    whenever the title's "modified" mark comes or goes (undo to the saved state, save)."""

    config: var[Config] = var[Config](Config, init=False)
    """The one source of truth; replaced (never mutated) on every edit. A `var`: a plain
    reactive would repaint the whole screen on every edit; the panels repaint what changed."""

    def __init__(
        self,
        config: Config | None = None,
        path: Path | None = None,
        load_error: Any = None,
        live: Callable[[], Any] | None = None,
        *,
        new_file: bool = False,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        self._live_factory = live
        """Live mode: makes the tui.qemu.inspect.LiveSession the app follows."""
        self._live: Any = None
        self._live_base: Config | None = None
        self.settings = settings if settings is not None else load_settings()
        if self.settings.layout != "auto":  # a fixed layout whatever the terminal width
            self.HORIZONTAL_BREAKPOINTS = [(0, f"-{self.settings.layout}")]  # type: ignore[misc]
        self._initial = config if config is not None else default_config(self.settings)
        if new_file and config is None and path is not None:
            self._initial = _new_document(self._initial, path)
        self.path = path
        self.saved: Config | None = None if new_file else self._initial
        """The configuration as last loaded or saved: "modified" means different from it
        (None: a new file, never saved)."""
        self.read_only = path is not None and files.is_shipped(path)
        """A shipped preset: ctrl+s asks for a new name in the user preset directory."""
        self.history: History[Document] = History()
        """Undo/redo of whole documents: configuration, save target, saved state."""
        self.files = files.FileFlows(self)
        self.load_error = load_error
        self.report: Report | None = None
        self.engine_error: str | None = None
        self.suggestions: tuple[Any, ...] = ()
        self.headroom: Any = None
        self.selected_event: int | None = None
        self.status_text = ""
        self._qemu_reason: str | None = None
        self.advised: Config | None = None
        """The configuration whose fixes the Suggestions panel shows (None: none yet)."""
        self._first_frame_shown = False
        """Until the first frame is on screen the advisor waits: its replays would delay it."""
        self._verify_cancel = threading.Event()
        self.advisor = Advisor()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        """Three columns at ≥ 160 columns, two columns over budget+suggestions at ≥ 120,
        stacked (scrolling) below."""
        # the layout class for the terminal's width, before the panels are styled: applying it
        # later (on the first Resize) would restyle every widget once more before the first paint
        width = self.size.width
        for breakpoint, name in sorted(self.HORIZONTAL_BREAKPOINTS, reverse=True):
            if width >= breakpoint:
                self.screen.add_class(name)
                break
        yield Header(show_clock=False, icon="▦")
        with Horizontal(id="main"):
            with Vertical(id="col-left", classes="column"):
                yield MachinePanel(self._initial.machine, id="machine", classes="panel")
                yield MemoryPanel(id="memory", classes="panel")
                yield VhostPanel(id="vhost", classes="panel")
                yield ConsumersPanel(id="consumers", classes="panel")
            with Vertical(id="col-center", classes="column"):
                yield TimelinePanel(id="timeline", classes="panel")
                yield ExplainPanel(id="explain", classes="panel")
            with Vertical(id="col-right", classes="column"):
                yield BudgetPanel(id="budget", classes="panel")
                yield SuggestionsPanel(id="suggestions", classes="panel")
        yield Static(id="status")
        yield Footer(compact=True)  # room for every app key at 120 columns

    def on_mount(self) -> None:
        """Replay the starting config; show a load error from the command line, if any."""
        self.config = self._initial
        if self.path is not None and self.saved is None:
            self.set_status(f"new file {self.path}: ctrl+s saves it there")
        else:
            self.set_status(self._initial.title or "new configuration")
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        table = self.query_one(TimelinePanel).table
        table.focus()
        # stacked panels (narrow terminal): bring the timeline into view once laid out
        self.call_after_refresh(self.screen.scroll_to_widget, table, animate=False)
        self.apply_settings()
        if self.load_error is not None:
            self.show_load_error(self.load_error)
        if self._live_factory is not None:
            self.follow_live(self._live_factory)

    def apply_settings(self) -> None:
        """Theme and key remapping from the settings file; every problem is reported (file,
        field, reason) and its default kept — bad settings never stop the app."""
        self.settings = checked(
            self.settings,
            self.available_themes,
            self.binding_ids() | actions.binding_ids(),
            actions.key_clashes,
        )
        problems = self.settings.problems
        self.theme = self.settings.theme
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if problems:
            self.set_status(f"✗ settings: {problems[0]}", error=True)
            for problem in problems[1:]:
                self.notify(problem, severity="error", timeout=8, markup=False)

    def get_default_screen(self) -> Screen[Any]:
        """The screen the panels are composed into (styled once when first shown)."""
        return MainScreen()

    def update_styles(self, node: DOMNode, animate: bool = True) -> None:
        """Restyle only nodes in the DOM. Textual restyles a node and its children on every
        class change, even in the constructor (compact=True, ...) of a widget not mounted yet,
        which mounting styles anyway (App._register): ~60 such restyles before the first
        paint, ~35 ms."""
        if node.is_attached:
            super().update_styles(node, animate)

    def binding_ids(self) -> set[str]:
        """Every binding id of the app and its widgets (what [keys] in settings can remap)."""
        ids = {b.id for _, b in self._bindings if b.id}
        for node in self.screen.walk_children(with_self=True):
            ids.update(b.id for _, b in node._bindings if b.id)
        return ids

    def on_unmount(self) -> None:
        """No advisor process outlives the app; what on_ready froze is collectable again (a
        process that runs apps one after another, as the tests do, must not keep them)."""
        self.advisor.close()
        gc.unfreeze()

    def on_resize(self) -> None:
        """After a resize keep the focused widget in view (a panel whose size changed does the
        same once its new layout is known: Panel.on_resize)."""
        focused = self.screen.focused
        if focused is not None:
            self.call_after_refresh(self.screen.scroll_to_widget, focused, animate=False)

    def _theme_changed(self, _theme: object) -> None:
        """Table cells carry theme colours (errors): redraw them in the new theme."""
        for table in self.query(MemslotTable):
            table._memslot_rows = []  # type: ignore[attr-defined]
        self.render_panels()

    # ------------------------------------------------------------------ state

    def watch_config(self, config: Config) -> None:
        """Replay and render; every panel reads the same report."""
        self.recompute(config)

    def recompute(self, config: Config) -> None:
        """The engine decides; the panels only show."""
        try:
            self.report = replay(config)
            self.engine_error = None
        except Exception as exc:  # an engine bug must not take the explorer down
            self.report = None
            self.engine_error = f"engine error: {type(exc).__name__}: {exc}"
            self.set_status(f"✗ {self.engine_error}", error=True)
        self.render_panels()
        self.update_title()
        self.start_advice(config, self.report)

    def render_panels(self) -> None:
        """Push the config and report down to every panel."""
        config, report = self.config, self.report
        for panel in (
            MachinePanel,
            MemoryPanel,
            VhostPanel,
            ConsumersPanel,
            TimelinePanel,
            BudgetPanel,
            SuggestionsPanel,
        ):
            self.query_one(panel).show(config, report)
        count = len(config.timeline)
        if self.selected_event is None or self.selected_event >= count:
            self.selected_event = self.query_one(TimelinePanel).cursor if count else None
        self.query_one(ExplainPanel).show_event(report, self.selected_event)

    @property
    def dirty(self) -> bool:
        """Changed since the last save or load."""
        return self.document().modified

    def document(self) -> Document:
        """The current document: what undo records and restores."""
        return Document(self.config, self.path, self.saved, self.read_only)

    def record(self) -> None:
        """The current document is about to change: make the change undoable."""
        self.history.record(self.document())

    def restore(self, document: Document) -> None:
        """Make `document` current: configuration, save target and saved state together."""
        self.path = document.path
        self.saved = document.saved
        self.read_only = document.read_only
        if document.config == self.config:
            self.update_title()  # same configuration (another file): the title still changes
        self.config = document.config

    def update_title(self) -> None:
        """File name, modified / new / read-only marker, modelled QEMU rules."""
        name = (
            view.plain(self.path.name) if self.path else ("live VM" if self._live else "untitled")
        )
        marker = " • modified" if self.dirty else ""
        if self.path is not None and self.saved is None:
            marker = " • new file"
        elif self.read_only:
            marker += " • read-only preset"
        report = self.report
        rules = f" — QEMU {report.qemu_version} rules {report.rules}" if report else ""
        self.sub_title = f"{name}{marker}{rules}"

    def commit(self, config: Config, label: str) -> bool:
        """Make `config` current (undoable). False if nothing changed."""
        if config == self.config:
            return False
        self.record()
        self.config = config
        self.set_status(f"✓ {label}")
        return True

    def set_status(self, text: str, error: bool = False) -> None:
        """The one-line status above the footer (also what tests read)."""
        self.status_text = view.plain(text)
        status = self.query_one("#status", Static)
        update_static(status, Content(self.status_text), fixed=True)
        status.set_class(error, "-error")
        if error:
            self.notify(view.plain_lines(text), severity="error", timeout=6, markup=False)

    def action_undo(self) -> None:
        """Back to the previous configuration."""
        previous = self.history.undo(self.document())
        if previous is None:
            self.set_status("nothing to undo")
            return
        self.restore(previous)
        self.set_status("✓ undo")

    def action_redo(self) -> None:
        """Forward again."""
        following = self.history.redo(self.document())
        if following is None:
            self.set_status("nothing to redo")
            return
        self.restore(following)
        self.set_status("✓ redo")

    # ------------------------------------------------------------------ panel messages

    @on(EditRequested)
    def _edit(self, message: EditRequested) -> None:
        try:
            result = message.edit(self.config)
        except (edits.EditError, ValidationError, ValueError, KeyError) as exc:
            self.set_status(f"✗ {message.label}: {edits.describe(exc)}", error=True)
            return
        select = None
        if isinstance(result, tuple):
            result, select = result
        before = {d.id for d in self.config.all_devices()}
        if not self.commit(result, message.label):
            return
        if select is not None:
            self.select_event(select)
        added = [d.id for d in result.all_devices() if d.id not in before]
        if len(added) == 1:  # a duplicate: the copy is highlighted, so d removes the copy
            self.panel_for(edits.group_of(result, added[0])).select(added[0])

    @on(MachineFieldEdited)
    def _machine(self, message: MachineFieldEdited) -> None:
        panel = self.query_one(MachinePanel)
        try:
            config = edits.set_machine(self.config, message.name, message.value)
        except edits.EditError as exc:
            panel.mark(message.name, str(exc).removeprefix(f"{message.name}: "))
            return
        panel.mark(message.name, None)
        if message.commit:
            self.commit(config, f"machine {message.name} = {message.value}")

    @on(EventSelected)
    def _event_selected(self, message: EventSelected) -> None:
        self.selected_event = message.index
        self.query_one(ExplainPanel).show_event(self.report, message.index)

    @on(DeviceSelected)
    def _device_selected(self, message: DeviceSelected) -> None:
        index = view.first_event(self.report, message.device_id)
        if index is not None:
            self.select_event(index)

    def select_event(self, index: int) -> None:
        """Highlight an event in the timeline and explain it."""
        self.selected_event = index
        self.query_one(TimelinePanel).select(index)
        self.query_one(ExplainPanel).show_event(self.report, index)

    @on(SuggestionApplied)
    def _apply(self, message: SuggestionApplied) -> None:
        self.apply_suggestion(message.index)

    def apply_suggestion(self, index: int) -> None:
        """Replace the config with a fix's config (proven by the engine's replay)."""
        if not 0 <= index < len(self.suggestions):
            self.set_status("no fix to apply")
            return
        fix = self.suggestions[index]
        self.commit(fix.config, f"applied fix: {fix.title}")

    # ------------------------------------------------------------------ forms

    def template_defaults(self, item: Template) -> dict[str, object]:
        """A fresh id, the template's defaults, then the model's own defaults."""
        if item.group == "memory":
            model: Any = MEMORY_DEVICE_KINDS[item.kind]
        elif item.group == "vhost":
            model = VHOST_DEVICE_KINDS[item.kind]
        else:
            model = None
        values: dict[str, object] = {"id": edits.unique_id(self.config, item.id_base)}
        for spec in item.fields:
            if spec.name == "id":
                continue
            if spec.name in item.defaults:
                values[spec.name] = item.defaults[spec.name]
            elif model is not None and spec.name in model.model_fields:
                default = model.model_fields[spec.name].default
                if default is PydanticUndefined:
                    continue
                values[spec.name] = (
                    default if isinstance(default, bool | str | None) else str(default)
                )
        if item.group == "consumer":
            values |= dict(CONSUMER_KINDS[item.kind].catalog[0].defaults)
        return values

    @on(FormRequested)
    def _form(self, message: FormRequested) -> None:
        self.open_form(message.group, message.device_id, message.template)

    def open_form(
        self, group: Group, device_id: str | None = None, template_key: str | None = None
    ) -> None:
        """The add form (device_id None) or the edit form of one device."""
        from .screens.device_form import DeviceFormScreen

        templates = TEMPLATES[group]
        if device_id is None:
            item = template(template_key) if template_key else templates[0]
            values = self.template_defaults(item)
            hot = any(e.action != "cold" for e in self.config.timeline)
            plug: edits.Plug | None = "hotplug" if hot else "cold"

            def validate(t: Template, raw: dict[str, str | bool], plug: edits.Plug) -> Config:
                return edits.add_device(self.config, group, edits.form_values(t, raw), plug)

            title = f"Add a {GROUP_NAMES[group]}"
            label = "add {}"
            fixed = False
        else:
            device = self.config.device(device_id)
            current = device.model_dump()
            values = device.model_dump(mode="json")
            item = template_for(group, values)
            plug = None

            def validate(t: Template, raw: dict[str, str | bool], plug: edits.Plug) -> Config:
                return edits.replace_device(
                    self.config, group, device_id, current | edits.form_values(t, raw)
                )

            title = f"Edit {device_id} ({device.kind})"
            label = "edit {}"
            fixed = True

        def done(config: Config | None) -> None:
            if config is not None:
                old_ids = {d.id for d in self.config.all_devices()}  # once, not per device
                changed = next(
                    (d.id for d in config.all_devices() if d.id not in old_ids), device_id
                )
                self.commit(config, label.format(changed))
                if changed:
                    self.panel_for(group).select(changed)

        self.push_screen(
            DeviceFormScreen(
                title=title,
                templates=templates,
                template=item,
                values=values,
                validate=validate,
                defaults=self.template_defaults,
                plug=plug,
                kind_fixed=fixed,
            ),
            done,
        )

    def panel_for(self, group: Group) -> DeviceListPanel:
        """The list panel of a group."""
        return {
            "memory": self.query_one(MemoryPanel),
            "vhost": self.query_one(VhostPanel),
            "consumer": self.query_one(ConsumersPanel),
        }[group]

    @on(EventFormRequested)
    def _event_form(self, message: EventFormRequested) -> None:
        self.open_event_form(message.index)

    def open_event_form(self, index: int | None = None, action: str = "hotplug") -> None:
        """Insert a hotplug / unplug / resize (after the highlighted event by default)."""
        from .screens.event_form import EventFormScreen

        if index is None:
            index = (self.query_one(TimelinePanel).cursor + 1) if self.config.timeline else 0
        devices = [d.id for d in self.config.all_devices()]
        position = index

        def validate(event: dict[str, object]) -> Config:
            return edits.insert_event(self.config, position, event)

        def done(config: Config | None) -> None:
            if config is not None and self.commit(config, f"insert event {position + 1}"):
                self.select_event(position)

        self.push_screen(
            EventFormScreen(position=position, devices=devices, action=action, validate=validate),
            done,
        )

    # ------------------------------------------------------------------ advice

    def start_advice(self, config: Config, report: Report | None) -> None:
        """Fixes are proven by replays, which can take seconds: they run in another process
        (advisor.py), so typing never waits for them; a newer edit kills the running run.
        The report's errors and warnings are shown at once; the fixes join them when ready."""
        panel = self.query_one(SuggestionsPanel)
        self.suggestions = ()  # nothing to apply until the fixes for this config arrive
        self.advisor.cancel()
        panel.show_advice((), None, pending=report is not None)
        if report is None:
            self.advised = config
            return
        # at start-up: after the first frame (see on_ready); the process runs the search
        if self._first_frame_shown:
            self._advise(config)

    def on_ready(self) -> None:
        """The first frame is on screen: now start the suggestions process (a second Python
        starting beside the first paint would compete for the CPU) and compute the fixes for
        the starting config."""
        self._first_frame_shown = True
        # What start-up made (widgets, the configuration, 1,000-row tables) lives as long as the
        # app: out of the collector's sight, a full collection no longer rescans it (250 ms at
        # 1,000 devices, at a random key press or edit); garbage is still freed by refcount,
        # and on_unmount gives it all back to the collector. The few thousand start-up objects
        # that are already garbage (~0.6 MB measured) stay with them: cheaper than the ~40 ms
        # full collection that would find them.
        gc.freeze()
        if not gc.isenabled():  # paused for the start-up by the launcher (tui.cli._open_app)
            gc.enable()
        if self.report is not None:
            self._advise(self.config)
        else:  # nothing to advise yet: still take its start-up off the first edit's path
            self.run_worker(self.advisor.warm, thread=True, group="advisor-start")

    @work(thread=True, exclusive=True, group="advice", description="suggestions")
    def _advise(self, config: Config) -> None:
        result = self.advisor.run(
            config, cancelled=lambda: config is not self.config or not self.is_running
        )
        if result is not None and self.is_running:
            self.call_from_thread(self._show_advice, config, result)

    def _show_advice(self, config: Config, result: Advice) -> None:
        if config is not self.config or not self.is_running:
            return  # a newer edit superseded this computation, or the app is closing
        suggestions, headroom = result.suggestions, result.error or result.headroom
        text = headroom if isinstance(headroom, str) else getattr(headroom, "text", None)
        try:
            self.query_one(SuggestionsPanel).show_advice(suggestions, text)
        except NoMatches:
            return  # the app is closing: the panel (or its children) is already gone
        self.suggestions = suggestions
        self.headroom = headroom
        self.advised = config

    # ------------------------------------------------------------------ files

    def show_load_error(self, error: Any) -> None:
        """File, field and reason of a TOML that did not load; the current config stays."""
        self.files.show_load_error(error)

    def load(self, path: Path) -> bool:
        """Open a TOML file now, or import any other file as a QEMU command line / libvirt
        XML (tests, scripts); the UI opens files off its thread."""
        return self.files.load(path)

    def open_import(self, text: str, source: str) -> bool:
        """Import a QEMU command line or libvirt XML as a new, unsaved configuration (saving
        asks for a TOML path: the source is never overwritten); report what was not
        understood and what was assumed."""
        from .screens.dialogs import MessageScreen

        toml = integrations.toml()
        try:
            result = integrations.importing().import_text(text, source)
        except toml.ConfigError as exc:
            self.show_load_error(exc)
            return False
        self.open_unsaved(result.config, f"✓ imported {source} ({result.format})")
        what = "libvirt domain XML" if result.format == "libvirt" else "QEMU command line"
        lines = [f"Imported {source} as a {what}."]
        if result.assumed:
            lines += ["", "Assumed (not in the source; check and edit):"]
            lines += [f"  {a.field} = {a.value}: {a.why}" for a in result.assumed]
        if result.warnings:
            lines += ["", "Not imported:"]
            lines += [f"  {w}" for w in result.warnings]
        self.push_screen(MessageScreen("Imported", Content("\n".join(lines))))
        return True

    def open_unsaved(self, config: Config, status: str) -> None:
        """Open a configuration from elsewhere (an import, a lesson's step) as a new, unsaved
        one; undo brings back the previous configuration and its file."""
        self.record()
        self.selected_event = None
        self.restore(Document(config, None, None))  # not saved anywhere yet: modified
        self.set_status(status)

    def action_paste_import(self) -> None:
        """Paste a command line or XML and import it (asks first when there are unsaved
        changes)."""
        from .screens.dialogs import ConfirmScreen
        from .screens.paste import PasteScreen

        def pasted(text: str | None) -> None:
            if text is not None:
                self.open_import(text, "pasted text")

        def paste_screen(ok: bool | None = True) -> None:
            if ok:
                self.push_screen(PasteScreen(), pasted)

        if self.dirty:
            self.push_screen(
                ConfirmScreen("Discard unsaved changes and import?", yes="Discard"), paste_screen
            )
        else:
            paste_screen()

    def action_open(self) -> None:
        """Pick a preset or a path (asks first when there are unsaved changes)."""
        self.files.open()

    def action_save(self) -> None:
        """Save to the current file, or ask for one (always for a shipped preset)."""
        self.files.save()

    def action_save_as(self) -> None:
        """Ask for a path; confirm before overwriting another file."""
        self.files.save_as()

    def export_text(self, fmt: str) -> str:
        """The config as toml / qemu / qmp / libvirt text."""
        return str(integrations.export().export_text(self.config, fmt))

    def action_export(self, fmt: str = "toml") -> None:
        """Read-only preview with copy and save."""
        from tui.formats import registry as export_formats

        from .screens.export import ExportScreen

        def save(fmt: str, text: str) -> None:
            if fmt == "toml":
                self.action_save_as()
                return
            stem = self.path.stem if self.path else "memslots"
            self.files.ask_path(
                export_formats.suggested_name(stem, fmt),
                lambda path: self.files.write_export(path, text),
                what=f"the {export_formats.get(fmt).title}",
            )

        self.push_screen(ExportScreen(self.export_text, fmt, save))

    def action_copy_toml(self) -> None:
        """Send the TOML to the terminal's clipboard (OSC 52: works over SSH where allowed)."""
        try:
            text = self.export_text("toml")
        except RuntimeError as exc:
            self.set_status(f"✗ {exc}", error=True)
            return
        self.copy_to_clipboard(text)
        self.set_status(f"TOML {view.CLIPBOARD_NOTE}")

    # ------------------------------------------------------------------ verify

    def qemu_unavailable(self) -> str | None:
        """Why "Verify in QEMU" is disabled, or None when it can run (looked up once)."""
        if self._qemu_reason is not None:
            return self._qemu_reason or None
        try:
            found = integrations.verify().find_qemu()
            reason = getattr(found, "reason", None) or (
                "" if getattr(found, "path", None) else "no QEMU >= 8.2 found"
            )
        except Exception as exc:
            reason = f"no QEMU: {exc}"
        self._qemu_reason = reason or ""
        return reason or None

    def action_verify(self) -> None:
        """Run the configuration in a real QEMU (worker thread), or say why not."""
        reason = self.qemu_unavailable()
        if reason:
            self.set_status(f"✗ Verify in QEMU is disabled: {reason}", error=True)
            return
        self.set_status("verifying in QEMU…")
        self._verify_cancel.set()  # a previous run stops at its next event
        self._verify_cancel = threading.Event()
        self._verify(self.config, self._verify_cancel)

    @work(thread=True, exclusive=True, group="verify", description="verify in QEMU")
    def _verify(self, config: Config, cancel: threading.Event) -> None:
        verify = integrations.verify()

        def progress(*args: Any) -> None:
            self.call_from_thread(self.set_status, "verifying: " + " ".join(map(str, args)))

        try:
            result = verify.verify(config, progress=progress, cancel=cancel)
            text = _describe_result(result, verify, self.verify_table_width())
        except Exception as exc:
            text = f"verification failed: {type(exc).__name__}: {exc}"
        self.call_from_thread(self._show_verify_result, text)

    def verify_table_width(self) -> int:
        """Columns the wide result dialog has for text (see `.dialog.-wide` in app.tcss)."""
        return min(self.size.width * 96 // 100, 200) - 8

    def _show_verify_result(self, text: str) -> None:
        """The result in a wide dialog; the progress line goes when the dialog closes."""
        from .screens.dialogs import MessageScreen

        self.set_status("verify in QEMU: finished")
        self.push_screen(
            MessageScreen("Verify in QEMU", text, wide=True), lambda _: self.set_status("")
        )

    # ------------------------------------------------------------------ host facts

    def action_use_host(self) -> None:
        """Put this machine's facts into the configuration as one undoable edit (read in a
        thread: it runs `qemu-system-x86_64 --version`)."""
        self.set_status("reading this host's facts…")
        self._read_host()

    @work(thread=True, exclusive=True, group="host", description="read this host's facts")
    def _read_host(self) -> None:
        try:
            facts = integrations.host().read_host()
        except Exception as exc:
            self.call_from_thread(
                self.set_status, f"✗ this host's facts: {type(exc).__name__}: {exc}", True
            )
            return
        self.call_from_thread(self._use_host, facts)

    def _use_host(self, facts: Any) -> None:
        from tui.engine.host import apply_host

        new, changes = apply_host(self.config, facts)
        if not changes:
            self.set_status("✓ the configuration already states this host's facts")
            return
        text = ", ".join(change.shown().removeprefix("machine.") for change in changes)
        self.commit(new, f"this host's facts: {text}")

    # ------------------------------------------------------------------ live mode

    def follow_live(self, session_factory: Callable[[], Any]) -> None:
        """Follow a running VM (tui.app.live): read it now, again on ctrl+r and on QMP events."""
        from tui.app.live import LiveFollower

        self._live = LiveFollower(session_factory, self.show_live, self._live_failed)
        self._live_base = None
        self.set_status("live: reading the VM…")
        self.run_worker(self._live.run(), group="live", exclusive=True, description="live VM")

    def show_live(self, state: Any, reason: str) -> None:
        """A new reading: the VM's configuration, the user's what-ifs kept after it."""
        from tui.app.live import merge_what_ifs

        config, dropped = merge_what_ifs(state.config, self._live_base, self.config)
        self._live_base = state.config
        self.path = None
        self.saved = state.config
        changed = self.commit(config, f"live: {reason}")
        differs = (
            f"engine differs: {'; '.join(state.disagreements)}"
            if state.disagreements
            else "engine agrees with QEMU"
        )
        extra = f"; {dropped} what-if event(s) no longer apply" if dropped else ""
        self.set_status(
            f"✓ live {state.source} ({reason}{'' if changed else ', unchanged'}): {differs}{extra}"
        )
        self.update_title()

    def action_live_open(self) -> None:
        """Ask for a VM's address (unix:PATH or virsh:DOMAIN) and follow it."""
        from tui.app.screens.live import LiveAddressScreen

        def chosen(address: str | None) -> None:
            if address is None:
                return
            from tui.qemu.inspect import InspectError, LiveSession, parse_address

            try:
                if address.startswith("virsh:"):
                    session = LiveSession.virsh(address[len("virsh:") :])
                else:
                    session = LiveSession.qmp(parse_address(address))
            except InspectError as exc:
                self.set_status(f"✗ live: {exc}", error=True)
                return
            self.follow_live(lambda: session)

        self.push_screen(LiveAddressScreen(), chosen)

    def stop_live(self) -> None:
        """Stop following the VM (its connection is closed; the VM is untouched)."""
        if self._live is None:
            return
        self._live = None
        self._live_base = None
        self.workers.cancel_group(self, "live")

    def _live_failed(self, text: str) -> None:
        self.set_status(f"✗ live: {text} (ctrl+r to try again)", error=True)

    def action_live_refresh(self) -> None:
        """Read the running VM again (live mode only)."""
        if self._live is None:
            self.set_status(
                "not following a VM: use the palette's 'Live: follow a running VM…' or "
                "memslot-explorer inspect --qmp unix:PATH --app"
            )
            return
        self.set_status("live: reading the VM…")
        self._live.refresh()

    # ------------------------------------------------------------------ help, quit, palette

    def action_help(self) -> None:
        """Toggle the help for the focused panel (its HELP text and keys)."""
        # imported here: the help panel's Markdown costs ~80 ms of start-up the first screen
        # does not need
        from textual.widgets._help_panel import HelpPanel

        if self.screen.query(HelpPanel):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def _leave(self) -> None:
        """Exit; a running QEMU verification stops at its next event."""
        self._verify_cancel.set()
        self.advisor.close()
        self.exit(0)

    async def action_quit(self) -> None:
        """Quit; ask first when there are unsaved changes."""
        from .screens.dialogs import ConfirmScreen

        if not self.dirty:
            self._leave()
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self._leave()

        self.push_screen(
            ConfirmScreen("There are unsaved changes. Quit anyway?", yes="Quit without saving"),
            answer,
        )

    def action_insert_event(self, action: str = "hotplug") -> None:
        """Insert an event of this kind after the highlighted one (palette)."""
        self.open_event_form(action=action)

    def action_maximize(self) -> None:
        """Maximize the panel that has focus, or restore it (escape restores too)."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        focused = screen.focused
        panel = (
            next((w for w in focused.ancestors_with_self if isinstance(w, Panel)), None)
            if focused
            else None
        )
        if panel is not None:
            screen.maximize(panel, container=False)
        elif focused is not None and not screen.maximize(focused):  # in a dialog: the widget
            self.set_status("nothing to maximize here: focus a panel first")

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen in the current directory and say where (or why not)."""
        directory = Path(path or ".")
        try:
            saved = self.save_screenshot(filename, str(directory))
        except OSError as exc:
            self.set_status(
                f"✗ screenshot not saved in {directory.resolve()}: {exc.strerror or exc}",
                error=True,
            )
            return
        self.set_status(f"✓ screenshot saved to {Path(saved).resolve()}")

    def action_focus_panel(self, panel_id: str) -> None:
        """Focus a panel's main widget (palette)."""
        panel = self.query_one(f"#{panel_id}")
        focusable = [w for w in panel.query("*") if w.focusable]
        (focusable[0] if focusable else panel).focus()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every action of the registry, add-by-kind, the exports and the panels."""
        from tui.formats import registry as export_formats

        for command in super().get_system_commands(screen):
            if command.title not in ("Screenshot", "Maximize", "Minimize"):
                yield command  # ours say where the file went, and maximize whole panels
        for group in ("memory", "vhost", "consumer"):
            for item in TEMPLATES[group]:  # type: ignore[index]
                yield SystemCommand(
                    f"Add {GROUP_NAMES[group]}: {item.label}",
                    f"Open the add form for {item.key}",
                    lambda g=group, k=item.key: self.open_form(g, None, k),
                )
        lists: tuple[tuple[Group, type[Panel]], ...] = (
            ("memory", MemoryPanel),
            ("vhost", VhostPanel),
            ("consumer", ConsumersPanel),
        )
        for action in actions.in_palette("devices"):
            for group, panel_type in lists:
                yield self._command(action, self.query_one(panel_type), what=GROUP_NAMES[group])
        for action in actions.in_palette("timeline"):
            yield self._command(action, self.query_one(TimelinePanel))
        for action in actions.in_palette("suggestions"):
            yield self._command(action, self.query_one(SuggestionsPanel))
        for action in actions.in_palette("app"):
            yield self._command(action, self)
        for fmt in export_formats.FORMATS:
            if fmt.name == "toml":
                continue  # the registry's "Preview TOML (read-only)" (ctrl+e)
            yield SystemCommand(
                f"Export: {fmt.title}",
                "Preview, copy or save",
                lambda f=fmt.name: self.action_export(f),
            )
        from . import training

        yield from training.commands(self)
        for panel_id in (
            "machine",
            "memory",
            "vhost",
            "consumers",
            "timeline",
            "explain",
            "budget",
            "suggestions",
        ):
            yield SystemCommand(
                f"Focus panel: {panel_id}",
                "Jump to the panel",
                lambda p=panel_id: self.action_focus_panel(p),
            )

    def _command(self, action: actions.Action, target: Any, what: str = "") -> SystemCommand:
        """A palette entry that runs a registry action on its widget."""
        title = (action.palette or action.description).format(what=what)
        help_text = action.help
        if action.keys:
            help_text = f"{actions.key_label(action.keys)}: {help_text}"
        if action.id == "verify":
            reason = self.qemu_unavailable()
            if reason:
                title += f" (disabled: {reason})"

        async def run() -> None:
            await self.run_action(action.action, target)

        return SystemCommand(title, help_text, run)


def _describe_result(result: Any, verify: Any, available: int = 80) -> str:
    """The verifier's own table (it includes its error and notes), with its cells as wide as
    fits `available` columns so each row stays on one line; the bare error and notes only if
    the table cannot be drawn."""
    try:
        return _fit_table(lambda width: str(verify.format_table(result, width=width)), available)
    except Exception:  # an unexpected result shape still shows something useful
        parts = [f"✗ {result.error}"] if getattr(result, "error", None) else [str(result)]
        parts.extend(f"note: {note}" for note in getattr(result, "notes", ()) or ())
        return "\n".join(parts)


def _fit_table(render: Callable[[int], str], available: int) -> str:
    """The widest rendering whose table rows (header to the first blank line) fit."""
    text = ""
    for width in range(max(available // 2, 16), 15, -4):
        text = render(width)
        lines = text.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith("#")), 0)
        end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        if all(len(line) <= available for line in lines[start:end]):
            return text
    return text


def _new_document(default: Config, path: Path) -> Config:
    """A new file starts from the default's machine and devices, not from its title and
    description (they describe the default, and saving would put them in the new file): the
    file's name is the title."""
    fresh = default.model_dump() | {"title": path.stem, "description": "", "group": ""}
    try:
        return Config.model_validate(fresh)
    except ValidationError:  # a name the title may not hold (e.g. a control character)
        return Config.model_validate(fresh | {"title": ""})


def make_app(
    config: Config | None = None,
    path: Path | None = None,
    live: Callable[[], Any] | None = None,
) -> MemslotApp:
    """The app on `config`, or on the file at `path`, or on the built-in default.

    A file that fails to load does not stop the app: it opens on the default configuration
    and shows the file, field and reason. A .toml path that does not exist yet starts a new
    configuration (the default's machine and devices, titled after the file) whose save
    target is that path.
    """
    load_error = None
    new_file = False
    if path is not None and config is None:
        toml = integrations.toml()
        if not os.path.lexists(path) and path.suffix.lower() == ".toml":
            new_file = True  # `memslot-explorer new.toml`: a new configuration saved there
        else:
            try:
                config = toml.load(path)
            except toml.ConfigError as exc:
                load_error = exc
                path = None
    return MemslotApp(config=config, path=path, load_error=load_error, live=live, new_file=new_file)


def run_app(path: Path | None = None, live: Callable[[], Any] | None = None) -> int:
    """`memslot-explorer [FILE]`: run the app; the exit code for the shell. `live`: follow a
    running VM (`inspect ... --app`)."""
    app = make_app(path=path, live=live)
    result = app.run()
    return int(result or 0)
