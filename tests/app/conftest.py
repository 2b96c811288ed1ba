"""Helpers for driving the real app: fixed configs and "what does this panel show" as text."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input

from tui.engine.model import Config

SIZE = (160, 50)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes snapshots flaky."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def _user_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Never read or write the developer's own preset directory or settings."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.delenv("MEMSLOT_EXPLORER_SETTINGS", raising=False)


async def settle(pilot: Pilot[object]) -> None:
    """Drain messages, then make tables finish their lazy column-width updates now.

    DataTable measures updated cells when it is idle; reading the screen right after an edit
    could show a cell cut at its old width for a frame. Running that step directly makes
    what the tests read deterministic.
    """
    await pilot.pause()
    busy = [
        table
        for table in pilot.app.screen.query(DataTable)
        if table._updated_cells or table._require_update_dimensions
    ]
    for table in busy:
        await table._on_idle(None)
        table.refresh()
    if busy:
        await pilot.pause()


async def wait_for(
    pilot: Pilot[object], condition: Callable[[], object], timeout: float = 10.0
) -> None:
    """Let the app run until `condition()` holds (layout, scrolling and refreshes finish when
    they finish on a loaded machine); fail with the condition's source after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"still false after {timeout} s: {inspect.getsource(condition)}")
        await settle(pilot)
        await pilot.pause(0.02)


async def advised(pilot: Pilot[object]) -> None:
    """Wait until the fixes for the current configuration are on screen (the advisor starts
    after the first frame and after each edit, in a worker)."""
    app = pilot.app
    await wait_for(pilot, lambda: app.advised is app.config)  # type: ignore[attr-defined]
    await settle(pilot)


def screen_lines(app: App[object]) -> list[str]:
    """The screen as the user sees it, one string per row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def shown(app: App[object], widget: Widget) -> str:
    """The text a widget occupies on screen (its whole region, children included)."""
    strips = app.screen._compositor.render_strips()
    region = widget.content_region
    return "\n".join(
        strips[y].crop(region.x, region.right).text
        for y in range(region.y, min(region.bottom, len(strips)))
    )


def flat(text: str) -> str:
    """Wrapped text as one line (to find a long QEMU message the panel wrapped)."""
    return re.sub(r"\s+", " ", text).strip()


def base_config(**extra: object) -> Config:
    """q35/KVM, 4G + maxmem 68G, no devices: room for anything the tests add."""
    data: dict[str, object] = {
        "title": "test",
        "machine": {"ram": "4G", "maxmem": "68G", "slots": 4},
    }
    data.update(extra)
    return Config.model_validate(data)


def order_config(vhost_first: bool = False) -> Config:
    """A dynamic virtio-mem and a 32-slot virtiofsd, both hotplugged, in either order."""
    events = [{"action": "hotplug", "device": "vmem0"}, {"action": "hotplug", "device": "fs0"}]
    if vhost_first:
        events.reverse()
    return base_config(
        memory_devices=[
            {"kind": "virtio-mem", "id": "vmem0", "size": "64G", "dynamic_memslots": True}
        ],
        vhost_devices=[
            {
                "kind": "vhost-user",
                "id": "fs0",
                "device": "fs",
                "backend_name": "virtiofsd",
                "max_mem_slots": 32,
            }
        ],
        timeline=events,
    )


AUTO_DECISION_ERROR = (
    "some memory device (like virtio-mem) decided how many memory slots to use based on the "
    "overall number of memory slots; this vhost backend would further restricts the overall "
    "number of memory slots"
)
