"""The app's "Use this host's facts": one undoable edit that says which fields change."""

from __future__ import annotations

from types import SimpleNamespace

from tests.app.conftest import SIZE, base_config, flat, settle, shown
from tui.app.app import make_app
from tui.engine.host import Fact, HostFacts
from tui.engine.units import MiB


def _fake_host(vendor: str = "amd", kvm: int | None = 509) -> SimpleNamespace:
    facts = HostFacts(
        kvm_memslots=Fact(kvm, "test", "" if kvm else "no /dev/kvm"),
        vhost_max_mem_regions=Fact(None, "test", "module not loaded"),
        thp_size=Fact(2 * MiB, "test"),
        cpu_vendor=Fact(vendor, "test"),
        cpu_vendor_id=Fact("AuthenticAMD" if vendor == "amd" else "GenuineIntel", "test"),
        phys_bits=Fact(48, "test"),
        qemu_version=Fact("10.0.2", "test"),
    )
    return SimpleNamespace(read_host=lambda: facts)


async def test_use_this_hosts_facts_from_the_palette_then_undo(monkeypatch) -> None:
    from tui.app import integrations

    monkeypatch.setattr(integrations, "host", lambda: _fake_host())
    start = base_config()
    app = make_app(start)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"this host's facts")
        await settle(pilot)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        machine = app.config.machine
        assert (machine.kvm_memslots, machine.cpu_vendor, machine.qemu_version) == (
            509,
            "amd",
            "10.0.2",
        )
        status = flat(shown(app, app.query_one("#status")))
        assert "kvm_memslots 32764 → 509" in status and "cpu_vendor intel → amd" in status
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.config == start


async def test_nothing_to_change_is_said(monkeypatch) -> None:
    from tui.app import integrations

    monkeypatch.setattr(integrations, "host", lambda: _fake_host(vendor="intel", kvm=None))
    start = base_config(machine={"ram": "4G", "qemu_version": "10.0.2"})
    app = make_app(start)
    async with app.run_test(size=SIZE) as pilot:
        app.action_use_host()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert app.config == start
        assert "already states this host's facts" in flat(shown(app, app.query_one("#status")))


async def test_ram_field_reads_a_bare_number_as_mib_like_dash_m() -> None:
    """Typing 4096 in the RAM field means `-m 4096`: 4 GiB (it used to become 4K)."""
    from textual.widgets import Input

    app = make_app(base_config())
    async with app.run_test(size=SIZE) as pilot:
        field = app.query_one("#m-ram", Input)
        field.focus()
        await pilot.press("end", "ctrl+u")
        field.insert_text_at_cursor("204")
        await pilot.press("8", "enter")
        await settle(pilot)
        assert app.config.machine.ram == 2 << 30
        field.focus()
        await pilot.press("end", "ctrl+u")
        field.insert_text_at_cursor("٤")
        await pilot.press("G", "enter")
        await settle(pilot)
        assert field.has_class("-rejected") and app.config.machine.ram == 2 << 30


async def test_a_back_end_restart_is_written_from_the_event_form() -> None:
    """disconnect then reconnect with a smaller limit: the timeline shows QEMU's refusal."""
    from textual.widgets import Input, Select

    start = base_config(
        vhost_devices=[{"kind": "vhost-user", "id": "blk0", "device": "blk", "max_mem_slots": 32}],
        timeline=[{"action": "hotplug", "device": "blk0"}],
    )
    app = make_app(start)
    async with app.run_test(size=SIZE) as pilot:
        app.open_event_form(index=1, action="disconnect")
        await settle(pilot)
        await pilot.click("#ev-ok")
        await settle(pilot)
        assert [e.action for e in app.config.timeline] == ["hotplug", "disconnect"]
        app.open_event_form(index=2, action="reconnect")
        await settle(pilot)
        app.screen.query_one("#ev-slots", Input).value = "8"
        assert app.screen.query_one("#ev-action", Select).value == "reconnect"
        await pilot.click("#ev-ok")
        await settle(pilot)
        assert app.config.timeline[-1].max_mem_slots == 8
        assert app.report is not None
        assert (app.report.events[-1].error or "").startswith(
            "The backend specified a max ram slots limit of 8"
        )
