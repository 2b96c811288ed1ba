"""Machine fields are validated in place: a bad value is marked with its reason, never applied."""

from __future__ import annotations

from textual.widgets import Input, Select

from tui.app.app import make_app
from tui.app.panels.budget import BudgetPanel
from tui.app.panels.machine import MachinePanel
from tui.app.panels.memory import MemoryPanel

from .conftest import SIZE, flat, order_config, settle, shown


async def type_into(pilot, selector: str, text: str) -> Input:
    """Focus, clear, and type the last character for real (the rest is pasted in: typing
    every character would replay the configuration once per key and slow the suite)."""
    field = pilot.app.query_one(selector, Input)
    field.focus()
    await pilot.press("end", "ctrl+u")
    field.insert_text_at_cursor(text[:-1])
    await pilot.press(text[-1])
    return field


async def test_bad_machine_input_is_marked_and_never_applied() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(MachinePanel)
        before = app.config

        field = await type_into(pilot, "#m-ram", "lots")
        await pilot.press("enter")
        await settle(pilot)
        assert field.has_class("-rejected")
        assert "✗ ram:" in shown(app, panel) and "'lots'" in flat(shown(app, panel))
        assert app.config is before

        # maxmem smaller than ram is QEMU's start-up refusal, not an input error
        await type_into(pilot, "#m-ram", "4G")
        field = await type_into(pilot, "#m-maxmem", "2G")
        await pilot.press("enter")
        await settle(pilot)
        assert not field.has_class("-rejected")
        assert app.report is not None and (app.report.startup_error or "").startswith(
            "invalid value of maxmem: maximum memory size (0x80000000) must be at least"
        )

        # a valid value applies, recomputes, and clears the mark
        field = await type_into(pilot, "#m-maxmem", "132G")
        await pilot.press("enter")
        await settle(pilot)
        assert not field.has_class("-rejected")
        assert "✗" not in shown(app, panel)
        assert app.config.machine.maxmem == 132 << 30
        # the engine's new decision shows (example 2 of the domain notes: limit 128)
        assert "128" in shown(app, app.query_one(MemoryPanel))
        assert "modified" in app.sub_title

        # a KVM below 509 memslots: the budget shows the limit and the 509 rule
        await type_into(pilot, "#m-kvm_memslots", "508")
        await pilot.press("enter")
        await settle(pilot)
        budget = flat(shown(app, app.query_one(BudgetPanel)))
        assert "free" in budget and "/ 508" in budget
        assert "< 509 → deciders get limit 1" in budget
        assert "soft limit 256" in budget
        # undo restores 32764 everywhere
        app.query_one(MemoryPanel).table.focus()
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.query_one("#m-kvm_memslots", Input).value == "32764"
        assert "/ 32764" in flat(shown(app, app.query_one(BudgetPanel)))

        # a Select edit: accel=tcg, so KVM is not consulted at all
        accel = app.query_one("#m-accel", Select)
        accel.focus()
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert app.config.machine.accel == "tcg"
        assert "not consulted (accel=tcg)" in flat(shown(app, app.query_one(BudgetPanel)))
