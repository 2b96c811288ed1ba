"""Live mode: the real app follows a (fake) running VM read-only, refreshes on ctrl+r and on
DEVICE_DELETED, and keeps the user's what-if after the live state across refreshes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.app.conftest import SIZE, screen_lines, settle
from tests.qemu.test_inspect import FakeQemu
from tui.app.app import make_app
from tui.engine.model import Config
from tui.qemu.inspect import HANDSHAKE, QUERY_COMMANDS, LiveSession, with_hotplug


async def _until(pilot: Pilot[object], ready: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        await pilot.pause(0.02)
        if ready():
            await settle(pilot)
            return
    raise AssertionError(f"timed out waiting for {what}")


def _ids(app: object) -> list[str]:
    return [d.id for d in app.config.all_devices()]  # type: ignore[attr-defined]


async def test_live_mode_follows_the_vm(tmp_path: Path) -> None:
    fake = FakeQemu(str(tmp_path / "qmp.sock"))
    app = make_app(live=lambda: LiveSession.qmp(fake.path, timeout=5))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: "vm0" in _ids(app), "the first reading")
        assert [e.device for e in app.config.timeline] == ["d0", "vm0"]
        text = "\n".join(screen_lines(app))
        assert "live unix:" in text and "engine differs" in text  # the fake's 4 memslots
        assert not app.dirty

        # A what-if: hotplug an 8G virtio-mem after the live state (engine only, never sent).
        app.commit(
            with_hotplug(
                app.config, {"kind": "virtio-mem", "size": "8G", "dynamic_memslots": True}
            ),
            "what-if",
        )
        await settle(pilot)
        assert app.dirty and app.report is not None and app.report.events[-1].device == "whatif1"

        # The VM changes: vm0 is unplugged, QEMU says so with DEVICE_DELETED.
        fake.unplug("vm0")
        fake.emit("DEVICE_DELETED", {"device": "vm0", "path": "/machine/peripheral/vm0"})
        await _until(pilot, lambda: "vm0" not in _ids(app), "the refresh after DEVICE_DELETED")
        assert [e.device for e in app.config.timeline] == ["d0", "whatif1"]
        assert "refreshed after DEVICE_DELETED" in app.status_text

        # ctrl+r reads it again; only queries ever reach the VM.
        count = fake.commands.count("query-memory-devices")
        await pilot.press("ctrl+r")
        await _until(
            pilot,
            lambda: (
                fake.commands.count("query-memory-devices") > count
                and "refreshed" in app.status_text
            ),
            "the refresh on ctrl+r",
        )
        # A guest resizing memory (virtio-mem's plugged size) also triggers a reading.
        fake.emit("MEMORY_DEVICE_SIZE_CHANGE", {"id": "vm0", "size": 0, "qom-path": "/x"})
        await _until(
            pilot,
            lambda: "after MEMORY_DEVICE_SIZE_CHANGE" in app.status_text,
            "the refresh after MEMORY_DEVICE_SIZE_CHANGE",
        )
        assert app.sub_title.startswith("live VM")

        # Opening a file stops following: the connection to the VM is closed.
        from tui.formats.toml import save

        other = tmp_path / "other.toml"
        save(Config.model_validate({"machine": {"ram": "2G"}}), other)
        assert app.load(other)
        await _until(pilot, lambda: fake.conn is not None and fake.conn.fileno() == -1, "close")
        assert app.path == other and app.config.machine.ram == 2 << 30
        assert not app.sub_title.startswith("live VM")
    await asyncio.sleep(0)
    assert fake.commands[0] == HANDSHAKE and set(fake.commands[1:]) <= QUERY_COMMANDS
    assert "device_add" not in fake.commands


async def test_unreachable_vm_is_a_status_not_a_crash(tmp_path: Path) -> None:
    app = make_app(live=lambda: LiveSession.qmp(str(tmp_path / "none.sock"), timeout=1))
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: "✗ live" in app.status_text, "the error")
        assert "none.sock" in app.status_text and "ctrl+r" in app.status_text


def test_what_ifs_survive_a_refresh_and_gone_devices_drop_theirs() -> None:
    from tui.app.live import merge_what_ifs

    def live(*ids: str) -> Config:
        return Config.model_validate(
            {
                "machine": {"ram": "4G", "slots": 4, "maxmem": "68G"},
                "memory_devices": [{"kind": "pc-dimm", "id": i, "size": "1G"} for i in ids],
            }
        )

    before = live("d0", "d1")
    data = with_hotplug(before, {"kind": "virtio-mem", "size": "8G", "id": "w"}).model_dump()
    data["timeline"] = [*data["timeline"], {"action": "unplug", "device": "d1"}]
    mine = Config.model_validate(data)
    # First reading: nothing to keep.
    assert merge_what_ifs(before, None, before) == (before, 0)
    # The VM lost d1: the what-if hotplug stays, the unplug of d1 no longer applies.
    after = live("d0")
    merged, dropped = merge_what_ifs(after, before, mine)
    assert [(e.action, e.device) for e in merged.timeline] == [("cold", "d0"), ("hotplug", "w")]
    assert dropped == 1 and merged.device("w").size == 8 << 30
    # Unchanged VM: the what-ifs are kept as they are.
    same, dropped = merge_what_ifs(before, before, mine)
    assert same == mine and dropped == 0


async def test_follow_a_vm_from_the_app(tmp_path: Path) -> None:
    """Outside live mode ctrl+r says how to follow a VM; the palette's 'Live: follow a running
    VM…' asks for the address and follows it."""
    fake = FakeQemu(str(tmp_path / "qmp.sock"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "inspect --qmp unix:PATH --app" in app.status_text
        app.action_live_open()
        await settle(pilot)
        field = app.screen.query_one("#live-address")
        field.value = f"unix:{fake.path}"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await _until(pilot, lambda: "vm0" in _ids(app), "the VM's devices")
        assert app.path is None and "live unix:" in app.status_text
