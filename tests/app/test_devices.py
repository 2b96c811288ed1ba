"""Add, edit, duplicate and remove devices through the real forms; assert what the panels show."""

from __future__ import annotations

import re

from textual.widgets import Input, Select

from tui.app.app import make_app
from tui.app.catalog import CONSUMER_TEMPLATES, MEMORY_TEMPLATES, VHOST_TEMPLATES
from tui.app.panels.consumers import ConsumersPanel
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.timeline import TimelinePanel
from tui.app.panels.vhost import VhostPanel
from tui.app.screens.device_form import DeviceFormScreen

from .conftest import SIZE, base_config, settle, shown


async def choose(pilot, selector: str, index: int) -> None:
    """Pick the index-th option of a Select with the keyboard, as a user would."""
    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter")
    current = select._options.index(next(o for o in select._options if o[1] == select.value))
    for _ in range(index - current):
        await pilot.press("down")
    for _ in range(current - index):
        await pilot.press("up")
    await pilot.press("enter")
    await pilot.pause()


async def add_with_form(
    pilot, button: str, index: int, keyboard: bool = False, click: bool = False
) -> DeviceFormScreen:
    """Open the add form (click the panel's Add button, or press "a" in its list) and pick
    the kind (with the keyboard, or by setting the Select: opening the overlay for every
    kind would make the suite slow)."""
    if click:
        await pilot.click(button)
    else:
        pilot.app.query_one(button.replace("-add", "-table")).focus()
        await pilot.press("a")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, DeviceFormScreen)
    if keyboard:
        await choose(pilot, "#form-kind", index)
    else:
        form.query_one("#form-kind", Select).value = form.templates[index].key
        await pilot.pause()
    return form


LOOP_SIZE = (120, 40)
"""The per-kind loops open a form a dozen times: a smaller screen keeps them quick."""


def row_of(text: str, device_id: str) -> str:
    return next(line for line in text.splitlines() if f" {device_id} " in line)


async def test_add_and_remove_each_memory_device_kind() -> None:
    app = make_app(base_config(machine={"ram": "4G", "maxmem": "68G", "slots": 4, "nvdimm": True}))
    async with app.run_test(size=LOOP_SIZE) as pilot:
        added = []
        for index, item in enumerate(MEMORY_TEMPLATES):
            form = await add_with_form(pilot, "#memory-add", index, keyboard=index == 3)
            assert form.template.key == item.key
            form.query_one("#f-id", Input).focus()
            await pilot.press("enter")  # submit with the defaults
            await settle(pilot)
            assert not isinstance(app.screen, DeviceFormScreen), shown(
                app, app.screen.query_one("#form-error")
            )
            new_id = f"{item.id_base}0"
            added.append(new_id)
            assert item.kind in row_of(shown(app, app.query_one(MemoryPanel)), new_id)
            event = row_of(shown(app, app.query_one(TimelinePanel)), new_id)
            assert re.search(rf"\bcold\s+{new_id}\s+[✓✗]", event), event
        assert [d.kind for d in app.config.memory_devices] == [t.kind for t in MEMORY_TEMPLATES]
        # the engine's decision is what the list shows: virtio-mem decided 64 memslots
        assert re.search(
            r"vmem0\s+virtio-mem\s+16G\s+\d+\s+\d+", shown(app, app.query_one(MemoryPanel))
        )

        # remove them all again: rows and events disappear
        app.query_one(MemoryPanel).table.focus()
        for new_id in added:
            app.query_one(MemoryPanel).select(new_id)
            await pilot.press("d")
            await settle(pilot)
            assert f" {new_id} " not in shown(app, app.query_one(MemoryPanel))
            assert f" {new_id} " not in shown(app, app.query_one(TimelinePanel))
        assert app.config.memory_devices == ()
        assert app.config.timeline == ()


LIMITS = {
    "vhost-net-64": "64",
    "vhost-net-509": "509",
    "vhost-user-8": "8 no CMS",
    "virtiofsd-32": "32",
    "virtiofsd-509": "509",
    "qsd-509": "509",
    "vhost-vdpa": "none",
}


async def test_add_and_remove_each_vhost_backend_from_the_catalog() -> None:
    app = make_app(base_config())
    async with app.run_test(size=LOOP_SIZE) as pilot:
        added = []
        for index, item in enumerate(VHOST_TEMPLATES):
            await add_with_form(pilot, "#vhost-add", index)
            app.screen.query_one("#f-id", Input).focus()
            await pilot.press("enter")
            await settle(pilot)
            new_id = app.config.vhost_devices[-1].id
            assert new_id.startswith(item.id_base)
            added.append(new_id)
            row = row_of(shown(app, app.query_one(VhostPanel)), new_id)
            assert item.kind in row and f" {LIMITS[item.key]} " in row, row
            assert "✓" in row and "✗" not in row, row
        assert len(app.config.vhost_devices) == len(VHOST_TEMPLATES)

        app.query_one(VhostPanel).table.focus()
        for new_id in added:
            app.query_one(VhostPanel).select(new_id)
            await pilot.press("delete")
            await settle(pilot)
            assert f" {new_id} " not in shown(app, app.query_one(VhostPanel))
        assert app.config.vhost_devices == ()


async def test_add_consumer_and_duplicate_it() -> None:
    app = make_app(base_config())
    index = [t.key for t in CONSUMER_TEMPLATES].index("vfio-bar")
    async with app.run_test(size=SIZE) as pilot:
        await add_with_form(pilot, "#consumer-add", index, click=True)
        app.screen.query_one("#f-id", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        panel = app.query_one(ConsumersPanel)
        assert "vfio0" in shown(app, panel) and "vfio-bar" in shown(app, panel)
        panel.table.focus()
        await pilot.press("c")
        await settle(pilot)
        text = shown(app, panel)
        assert "vfio0" in text and "vfio1" in text
        assert [c.id for c in app.config.consumers] == ["vfio0", "vfio1"]
        assert [e.device for e in app.config.timeline] == ["vfio0", "vfio1"]


async def test_edit_device_and_bad_value_in_the_form() -> None:
    app = make_app(base_config(memory_devices=[{"kind": "pc-dimm", "id": "dimm0", "size": "1G"}]))
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(MemoryPanel)
        panel.table.focus()
        await pilot.press("enter")  # edit the highlighted row
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DeviceFormScreen)
        size = form.query_one("#f-size", Input)
        size.focus()
        size.value = ""
        await pilot.press(*"12Q", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DeviceFormScreen)  # still open: nothing applied
        error = shown(app, form.query_one("#form-error"))
        assert "size" in error and "12Q" in error
        assert size.has_class("-rejected")
        assert app.config.memory_devices[0].size == 1 << 30
        size.value = ""
        await pilot.press(*"2G", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, DeviceFormScreen)
        assert "2G" in shown(app, panel)
        assert app.config.memory_devices[0].size == 2 << 30

        # escape closes a form without changing anything
        before = app.config
        await pilot.click("#memory-add")
        await settle(pilot)
        assert isinstance(app.screen, DeviceFormScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.config is before
        assert not isinstance(app.screen, DeviceFormScreen)


async def test_the_kind_line_follows_an_edited_limit() -> None:
    """Issue 8: a vhost-net edited from 64 to 509 regions no longer reads "kernel default 64"."""
    app = make_app(
        base_config(vhost_devices=[{"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 64}])
    )
    async with app.run_test(size=LOOP_SIZE) as pilot:
        app.query_one(VhostPanel).table.focus()
        await pilot.press("enter")  # edit the highlighted back-end
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DeviceFormScreen)
        kind = form.query_one("#form-kind", Select)
        assert "kernel default max_mem_regions=64" in shown(app, kind)
        regions = form.query_one("#f-max_mem_regions", Input)
        regions.focus()
        regions.value = ""
        await pilot.press(*"509")
        await settle(pilot)
        assert "max_mem_regions=509 (Fedora/RHEL)" in shown(app, kind)
        assert regions.value == "509"  # the typed value stays
        await pilot.press("enter")
        await settle(pilot)
        assert app.config.vhost_devices[0].max_mem_regions == 509  # type: ignore[union-attr]
