"""The action registry is the one list of keys: bindings, palette and README agree with it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets._help_panel import HelpPanel

import tui.app
from tui.app import actions
from tui.app.app import MemslotApp, make_app
from tui.app.panels.device_list import DeviceListPanel
from tui.app.panels.suggestions import SuggestionsPanel
from tui.app.panels.table import MemslotTable
from tui.app.panels.timeline import TimelinePanel
from tui.app.screens.compare import CompareScreen
from tui.app.screens.device_form import DeviceFormScreen
from tui.app.screens.dialogs import ConfirmScreen, MessageScreen
from tui.app.screens.event_form import EventFormScreen
from tui.app.screens.export import ExportScreen
from tui.app.screens.lesson import LessonScreen
from tui.app.screens.lesson_author import AddStepScreen, SaveLessonScreen
from tui.app.screens.live import LiveAddressScreen
from tui.app.screens.open_file import OpenScreen, SaveAsScreen
from tui.app.screens.paste import PasteScreen
from tui.app.screens.save_preset import SavePresetScreen
from tui.app.screens.sweep import SweepScreen

from .conftest import SIZE, flat, order_config, settle, shown

README = Path(__file__).resolve().parents[2] / "README.md"

OWNERS: dict[str, tuple[type[DOMNode], ...]] = {
    "app": (MemslotApp,),
    "devices": (DeviceListPanel,),
    "timeline": (TimelinePanel,),
    "suggestions": (SuggestionsPanel,),
    "lists": (MemslotTable,),
    "form": (DeviceFormScreen,),
    "dialogs": (
        DeviceFormScreen,
        EventFormScreen,
        OpenScreen,
        SaveAsScreen,
        AddStepScreen,
        SaveLessonScreen,
        PasteScreen,
        LiveAddressScreen,
        SavePresetScreen,
    ),
    "paste": (PasteScreen,),
    "views": (CompareScreen, SweepScreen),
    "lesson": (LessonScreen,),
    "export": (ExportScreen,),
    "confirm": (ConfirmScreen,),
    "message": (MessageScreen,),
}


def test_ids_are_unique_and_every_scope_has_a_where() -> None:
    ids = [a.id for a in actions.ACTIONS]
    assert len(ids) == len(set(ids))
    assert {a.scope for a in actions.ACTIONS} <= set(actions.WHERE)


def test_readme_key_table_is_the_registry() -> None:
    assert actions.key_table() in README.read_text(encoding="utf-8"), (
        "README key table differs from tui/app/actions.py: paste `python -m tui.app.actions`"
    )


def test_every_binding_comes_from_the_registry_and_runs_an_existing_action() -> None:
    for scope, owners in OWNERS.items():
        expected = {a.id for a in actions.ACTIONS if a.scope == scope and a.bound and a.keys}
        for owner in owners:
            own = [b for b in owner.BINDINGS if isinstance(b, Binding)]
            ids = {b.id for b in own}
            assert expected <= ids, (owner.__name__, expected - ids)
            assert ids <= set(actions.BY_ID), (owner.__name__, ids - set(actions.BY_ID))
            for binding in own:
                name = binding.action.split("(", 1)[0]
                assert hasattr(owner, f"action_{name}"), (owner.__name__, binding.action)
    for action in actions.ACTIONS:
        if action.bound and action.keys:
            assert action.scope in OWNERS, action.id


def test_no_widget_or_screen_binds_a_key_outside_the_registry() -> None:
    """Every class of the app that declares BINDINGS is an owner above, and each of its
    bindings carries a registry id: a key bound by hand is caught even in a new module."""
    owners = {owner for group in OWNERS.values() for owner in group}
    for module in pkgutil.walk_packages(tui.app.__path__, "tui.app."):
        loaded = importlib.import_module(module.name)
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if cls.__module__ != loaded.__name__ or "BINDINGS" not in vars(cls):
                continue
            assert issubclass(cls, DOMNode), cls
            assert cls in owners, f"{cls.__qualname__} binds keys but is not in OWNERS"
            for binding in vars(cls)["BINDINGS"]:
                assert isinstance(binding, Binding) and binding.id in actions.BY_ID, (
                    cls.__qualname__,
                    binding,
                )


async def test_palette_offers_every_palette_action() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for action in actions.ACTIONS:
            if action.palette is None:
                continue
            if action.scope == "devices":
                for what in ("memory device", "vhost back-end", "consumer"):
                    assert action.palette.format(what=what) in titles
            else:
                assert any(t.startswith(action.palette) for t in titles), action.palette
        assert titles.count("Screenshot") == 1  # ours replaces Textual's

        # F1 lists the focused panel's keys with the registry's help lines
        app.query_one(TimelinePanel).table.focus()
        await pilot.press("f1")
        await settle(pilot)
        keys = flat(shown(app, app.screen.query_one(HelpPanel)))
        for action_id in ("event_up", "event_toggle", "event_remove", "maximize"):
            assert actions.BY_ID[action_id].help in keys, action_id
