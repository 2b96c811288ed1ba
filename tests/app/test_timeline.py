"""Plug order decides: reorder the timeline so a vhost back-end is rejected, then accepted."""

from __future__ import annotations

import re

from tui.app.app import make_app
from tui.app.panels.explain import ExplainPanel
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.suggestions import SuggestionsPanel
from tui.app.panels.timeline import TimelinePanel
from tui.app.panels.vhost import VhostPanel
from tui.app.screens.event_form import EventFormScreen

from .conftest import AUTO_DECISION_ERROR, SIZE, flat, order_config, screen_lines, settle, shown


async def test_reorder_rejects_then_accepts_the_vhost_backend() -> None:
    app = make_app(order_config(vhost_first=True))
    async with app.run_test(size=SIZE) as pilot:
        timeline = app.query_one(TimelinePanel)
        explain = app.query_one(ExplainPanel)
        text = shown(app, timeline)
        # virtiofsd (32 < 509) first: accepted, and the virtio-mem then gets limit 1
        assert re.search(r"1\s+hotplug\s+fs0\s+✓", text), text
        assert re.search(r"2\s+hotplug\s+vmem0\s+✓ limit 1 · 1 ", text), text

        # move the virtiofsd after the virtio-mem: QEMU refuses it
        timeline.table.focus()
        await pilot.press("J")
        await settle(pilot)
        text = shown(app, timeline)
        assert re.search(r"1\s+hotplug\s+vmem0\s+✓ limit 256 · 64", text), text
        assert re.search(r"2\s+hotplug\s+fs0\s+✗ some memory", text), text
        assert "1 rejected" in str(timeline.border_subtitle)
        assert timeline.cursor == 1  # the cursor followed the moved event
        assert AUTO_DECISION_ERROR in flat(shown(app, explain))
        assert "Try plugging this vhost backend before" in flat(shown(app, explain))
        assert "✗ rejected" in shown(app, app.query_one(VhostPanel)), "\n".join(screen_lines(app))
        assert AUTO_DECISION_ERROR in flat(shown(app, app.query_one(SuggestionsPanel)))
        await app.workers.wait_for_complete()
        await settle(pilot)
        fixes = flat(shown(app, app.query_one(SuggestionsPanel)))
        # each fix says which event it fixes, what else it changes and the memslots then
        assert "→ fix 1: Plug fs0 before vmem0 (fixes event 2)" in fixes, fixes
        assert "changes: plug order: fs0 → vmem0; vmem0: 64 → 1 memslot(s)" in fixes, fixes
        assert "then: vmem0 1 memslot(s) (limit 1)" in fixes, fixes

        # and back up again with shift+up: accepted
        await pilot.press("shift+up")
        await settle(pilot)
        text = shown(app, timeline)
        assert re.search(r"1\s+hotplug\s+fs0\s+✓", text), text
        assert "✗" not in text
        assert "✓" in shown(app, explain)

        # entering a device list explains the highlighted device's plug event
        app.query_one(MemoryPanel).table.focus()
        await settle(pilot)
        assert "Event 2: hotplug vmem0 (virtio-mem)" in shown(app, explain)
        assert app.query_one(TimelinePanel).cursor == 1

        # undo brings the rejected order back, redo the accepted one
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "✗ some memory" in shown(app, timeline)
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "✗" not in shown(app, timeline)


async def test_invalid_move_keeps_the_config_and_says_why() -> None:
    app = make_app(
        order_config().model_validate(
            order_config().model_dump()
            | {
                "timeline": [
                    {"action": "cold", "device": "vmem0"},
                    {"action": "hotplug", "device": "fs0"},
                ]
            }
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        before = app.config
        timeline = app.query_one(TimelinePanel)
        timeline.table.focus()
        await pilot.press("down", "K")  # a hotplug cannot go before a cold plug
        await settle(pilot)
        assert app.config is before
        assert "cold plugs (the command line) must come before" in app.status_text
        assert "must come before" in shown(app, app.query_one("#status"))
        # "t" turns the cold plug into a hotplug at the boundary instead
        await pilot.press("up", "t")
        await settle(pilot)
        assert [e.action for e in app.config.timeline] == ["hotplug", "hotplug"]


async def test_insert_unplug_and_resize_events() -> None:
    app = make_app(order_config(vhost_first=True))
    async with app.run_test(size=SIZE) as pilot:
        timeline = app.query_one(TimelinePanel)
        timeline.table.focus()
        await pilot.press("down", "i")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, EventFormScreen)
        form.query_one("#ev-action").value = "resize"
        form.query_one("#ev-device").value = "vmem0"
        form.query_one("#ev-size").focus()
        await pilot.press(*"3G", "enter")  # not a multiple of the block size? 3G is fine
        await settle(pilot)
        assert not isinstance(app.screen, EventFormScreen)
        assert re.search(r"3\s+resize→3G\s+vmem0", shown(app, timeline))

        # an unplug is inserted after the highlighted (new) event
        await pilot.press("i")
        await settle(pilot)
        form = app.screen
        form.query_one("#ev-action").value = "unplug"
        form.query_one("#ev-device").value = "fs0"
        await pilot.click("#ev-ok")
        await settle(pilot)
        assert not isinstance(app.screen, EventFormScreen)
        assert re.search(r"4\s+unplug\s+fs0\s+[✓✗]", shown(app, timeline))

        # an impossible event is refused in the form, with the reason, and changes nothing
        before = app.config
        await pilot.press("i")
        await settle(pilot)
        app.screen.query_one("#ev-action").value = "resize"
        app.screen.query_one("#ev-device").value = "fs0"
        app.screen.query_one("#ev-size").value = "1G"
        await pilot.click("#ev-ok")
        await settle(pilot)
        assert isinstance(app.screen, EventFormScreen)
        assert "only virtio-mem devices can be resized" in shown(
            app, app.screen.query_one("#event-error")
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.config is before
