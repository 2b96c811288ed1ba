"""Suggestions apply with one key; help follows focus; 80x24 stacks; the palette has actions."""

from __future__ import annotations

from textual.widgets._help_panel import HelpPanel

from tui.app.app import make_app
from tui.app.panels.machine import MachinePanel
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.suggestions import SuggestionsPanel
from tui.app.panels.timeline import TimelinePanel
from tui.app.screens.device_form import DeviceFormScreen

from .conftest import SIZE, advised, flat, order_config, settle, shown, wait_for


async def test_apply_a_suggestion_with_one_key() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await advised(pilot)
        panel = app.query_one(SuggestionsPanel)
        text = flat(shown(app, panel))
        assert "✗ event 2 hotplug fs0" in text
        assert "→ fix 1:" in text
        title = app.suggestions[0].title
        assert title in text
        panel.options.focus()
        await pilot.press("f")
        await advised(pilot)
        assert app.report is not None and app.report.ok
        timeline = shown(app, app.query_one(TimelinePanel))
        assert "✗" not in timeline
        assert f"applied fix: {title}" in shown(app, app.query_one("#status"))
        assert "QEMU accepts every event" in shown(app, panel)
        await pilot.press("ctrl+z")  # undoable
        await settle(pilot)
        assert "✗" in shown(app, app.query_one(TimelinePanel))


async def test_usable_at_80x24_panels_stack() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-narrow")
        machine = app.query_one(MachinePanel).region
        memory = app.query_one(MemoryPanel).region
        assert memory.y >= machine.bottom and memory.x == machine.x
        assert memory.width >= 76
        # the focused timeline is scrolled into view (after the first layout, which takes as
        # long as it takes on a loaded machine); so is any panel focus moves to
        timeline = app.query_one(TimelinePanel)
        await wait_for(pilot, lambda: 0 <= timeline.region.y < 24 and timeline.region.height)
        await wait_for(pilot, lambda: "vmem0" in shown(app, timeline))
        app.query_one(MemoryPanel).table.focus()
        await wait_for(pilot, lambda: 0 <= app.query_one(MemoryPanel).region.y < 24)

        # f1: help for the focused panel, following focus; f1 again closes it
        await pilot.press("f1")
        await wait_for(pilot, lambda: app.screen.query(HelpPanel))
        help_panel = app.screen.query_one(HelpPanel)
        await wait_for(
            pilot,
            lambda: (
                "Devices that live in the machine's device-memory" in flat(shown(app, help_panel))
            ),
        )
        app.query_one(TimelinePanel).table.focus()
        await wait_for(
            pilot, lambda: "cold plugs (the command line) first" in flat(shown(app, help_panel))
        )
        await pilot.press("f1")
        await settle(pilot)
        assert not app.screen.query(HelpPanel)


async def test_command_palette_opens_the_add_form_for_a_catalog_entry() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"storage-dae")
        await settle(pilot)
        await pilot.pause(0.3)  # the palette searches asynchronously
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeviceFormScreen)
        assert app.screen.template.key == "qsd-509"
        assert "qemu-storage-daemon" in shown(app, app.screen.query_one("#form-kind"))


class _FakeVerify:
    """Stands in for tui.qemu.verify so the action is tested without a QEMU."""

    class Info:
        path = "/usr/bin/qemu-system-x86_64"
        reason = None

    def __init__(self) -> None:
        self.ran: list[object] = []

    def find_qemu(self) -> object:
        return self.Info()

    def verify(self, config: object, progress=None, cancel=None) -> object:
        self.ran.append(config)
        assert cancel is not None and not cancel.is_set()
        if progress:
            progress("starting QEMU")
        return type("Result", (), {"error": None, "notes": ["fake run"]})()

    def format_table(self, result: object, width: int = 56) -> str:
        return "event 1 hotplug vmem0: engine ok, QEMU ok\nnote: fake run"


async def test_verify_in_qemu_runs_in_a_worker_and_shows_the_table(monkeypatch) -> None:
    from tui.app import integrations
    from tui.app.screens.dialogs import MessageScreen

    fake = _FakeVerify()
    monkeypatch.setattr(integrations, "verify", lambda: fake)
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert fake.ran == [app.config]
        assert isinstance(app.screen, MessageScreen)
        body = shown(app, app.screen.query_one("#message-body"))
        assert "engine ok, QEMU ok" in body
        assert body.count("note: fake run") == 1  # the table's notes, not repeated


async def test_verify_is_disabled_with_the_reason_without_qemu(monkeypatch) -> None:
    from tui.app import integrations

    class NoQemu(_FakeVerify):
        class Info:
            path = None
            reason = "qemu-system-x86_64 not found on PATH"

    monkeypatch.setattr(integrations, "verify", lambda: NoQemu())
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        status = shown(app, app.query_one("#status"))
        assert "Verify in QEMU is disabled: qemu-system-x86_64 not found" in status
