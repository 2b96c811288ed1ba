"""App latency: edit → recompute → repaint at 10 and 256 devices; at 1,000 devices (failing
and not) a machine edit, a device edit, removing a device and undoing that, key presses in
the Timeline while suggestions are computed, and keys typed in a machine field, each to the
first frame that shows its effect, with the suggestions in a process (the app) against the
old way, a thread of the app's own process (baseline), in the same run. Cold start:
app_startup.py.

Not a test (timings depend on the machine); prints medians, and p90/max where a few slow
frames matter. Run from the repo root:
    python bench/app_latency.py [--repeat 15] [--only-1000]
Edits go through the real path: a message from a panel → the app builds and validates a new
Config → replay → every panel renders → the screen is composited. The advisor (suggestions)
runs afterwards in a worker and is timed separately.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.widgets import Input

from tui.app.advisor import Advisor
from tui.app.app import make_app
from tui.app.edits import remove_device, replace_device
from tui.app.messages import EditRequested, MachineFieldEdited
from tui.app.panels.machine import MachinePanel
from tui.app.panels.timeline import TimelinePanel
from tui.engine import replay
from tui.engine.model import Config


def config_with(devices: int) -> Config:
    """`devices` memory devices (pc-dimms and dynamic virtio-mem, alternating) + 2 vhost."""
    dimms = (devices + 1) // 2
    vmems = devices // 2
    memory = [{"kind": "pc-dimm", "id": f"dimm{i}", "size": "512M"} for i in range(dimms)]
    memory += [
        {"kind": "virtio-mem", "id": f"vmem{i}", "size": "1G", "dynamic_memslots": True}
        for i in range(vmems)
    ]
    total_gib = dimms // 2 + vmems + 1
    return Config.model_validate(
        {
            "title": f"bench {devices}",
            "machine": {"ram": "4G", "maxmem": f"{4 + total_gib}G", "slots": min(256, dimms)},
            "vhost_devices": [
                {"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 509},
                {"kind": "vhost-user", "id": "fs0", "max_mem_slots": 509},
            ],
            "memory_devices": memory,
        }
    )


async def edit_latency(devices: int, repeat: int) -> dict[str, float]:
    """Median ms of edit → repaint, of replay alone, and of edit → suggestions shown."""
    config = config_with(devices)
    app = make_app(config)
    repaint: list[float] = []
    advice: list[float] = []
    engine: list[float] = []
    painted: list[tuple[float, float]] = []
    expected = [-1]
    cpu: list[float] = []
    display = app._display

    def timed_display(*args: object, **kwargs: object) -> None:
        display(*args, **kwargs)  # type: ignore[arg-type]
        if app.config.machine.kvm_memslots == expected[0]:  # a frame of the edited config
            painted.append((time.perf_counter(), time.thread_time()))

    app._display = timed_display  # type: ignore[method-assign]

    async def advised() -> None:
        """Until the fixes for the current configuration are shown (a worker after the edit)."""
        while app.advised is not app.config:
            await asyncio.sleep(0.001)

    async with app.run_test(size=(160, 50)) as pilot:
        await advised()
        await pilot.pause()
        panel = app.query_one(MachinePanel)
        for i in range(repeat):
            value = str(32000 + i)  # always a new value: a real edit, not an undo
            expected[0] = int(value)
            painted.clear()
            start = time.perf_counter()
            start_cpu = time.thread_time()
            panel.post_message(MachineFieldEdited("kvm_memslots", value, True))
            # the repaint is the first frame sent with the edited config (an earlier frame,
            # e.g. a pending refresh, does not count); the advisor's result is timed below
            while not painted:
                await asyncio.sleep(0.001)
            repaint.append(painted[0][0] - start)
            cpu.append(painted[0][1] - start_cpu)
            await advised()
            advice.append(time.perf_counter() - start)
            await pilot.pause()
            assert app.config.machine.kvm_memslots == int(value)
            t = time.perf_counter()
            replay(app.config)
            engine.append(time.perf_counter() - t)
    return {
        "repaint": statistics.median(repaint) * 1000,
        "cpu": statistics.median(cpu) * 1000,
        "replay": statistics.median(engine) * 1000,
        "advice": statistics.median(advice) * 1000,
    }


def ok_config(devices: int, vhost_regions: int = 2048) -> Config:
    """`devices` virtio-mem devices and a vhost-net whose module allows `vhost_regions`
    regions: with 2048 every device plugs (QEMU accepts it); with the usual 509 the 508th
    device's cold plug is refused (vhost-net out of memory slots) and QEMU exits there."""
    memory = [{"kind": "virtio-mem", "id": f"vmem{i}", "size": "1G"} for i in range(devices)]
    return Config.model_validate(
        {
            "title": f"bench ok {devices}",
            "machine": {"ram": "4G", "maxmem": f"{4 + devices}G", "slots": 0, "phys_bits": 46},
            "vhost_devices": [
                {"kind": "vhost-kernel", "id": "net0", "max_mem_regions": vhost_regions}
            ],
            "memory_devices": memory,
        }
    )


async def _first_frame(painted: list[float], limit: float = 60.0) -> None:
    """Wait for the first frame after an input (a bench must not hang: give up after limit)."""
    start = time.perf_counter()
    while not painted:
        if time.perf_counter() - start > limit:
            raise SystemExit(f"no frame within {limit:g} s")
        await asyncio.sleep(0.001)


async def typing_latency(config: Config, repeat: int, in_process: bool) -> dict[str, float]:
    """Median ms of edit → repaint, and of key press → repaint for key presses sent while the
    suggestions of that edit are still being computed (the case that took 3 s per key)."""
    app = make_app(config)
    app.advisor = Advisor(in_process=in_process)
    painted: list[float] = []
    shown: list[Callable[[], bool]] = [lambda: True]
    """Whether the input being timed is in the app's state: only frames after it count."""
    display = app._display

    def timed_display(*args: object, **kwargs: object) -> None:
        display(*args, **kwargs)  # type: ignore[arg-type]
        if shown[0]():
            painted.append(time.perf_counter())

    app._display = timed_display  # type: ignore[method-assign]
    edits: list[float] = []
    keys: list[float] = []
    typed: list[float] = []
    device_edits: list[float] = []
    structural: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        panel = app.query_one(MachinePanel)
        table = app.query_one(TimelinePanel).table
        for i in range(repeat):
            table.focus()
            await pilot.pause()
            painted.clear()
            value = 32000 + i
            shown[0] = lambda v=value: app.config.machine.kvm_memslots == v
            start = time.perf_counter()
            panel.post_message(MachineFieldEdited("kvm_memslots", str(value), True))
            await _first_frame(painted)
            edits.append(painted[0] - start)
            for key in ("down", "up", "down"):
                await asyncio.sleep(0.05)  # the advisor is busy now (it takes seconds)
                painted.clear()
                row = table.cursor_row
                shown[0] = lambda r=row: table.cursor_row != r
                start = time.perf_counter()
                app.simulate_key(key)
                await _first_frame(painted)
                keys.append(painted[0] - start)
        # a device edit (the edit form's path): one device of 1,000 changes size
        device = app.config.memory_devices[len(app.config.memory_devices) // 2]
        for i in range(repeat):
            size = device.size * (2 if i % 2 == 0 else 1)
            fields = device.model_dump() | {"size": size}
            shown[0] = lambda s=size: app.config.device(device.id).size == s  # type: ignore[union-attr]
            painted.clear()
            start = time.perf_counter()
            app.post_message(
                EditRequested(
                    f"edit {device.id}",
                    lambda c, f=fields: replace_device(c, "memory", device.id, f),
                )
            )
            await _first_frame(painted)
            device_edits.append(painted[0] - start)
            await asyncio.sleep(0.2)
        # remove a device (its row goes, the Timeline renumbers), then undo (it comes back)
        for i in range(repeat):
            gone = app.config.memory_devices[10 + i].id
            count = len(app.config.memory_devices)
            shown[0] = lambda n=count: len(app.config.memory_devices) == n - 1
            painted.clear()
            start = time.perf_counter()
            app.post_message(EditRequested(f"remove {gone}", lambda c, d=gone: remove_device(c, d)))
            await _first_frame(painted)
            structural.append(painted[0] - start)
            await asyncio.sleep(0.2)
            shown[0] = lambda n=count: len(app.config.memory_devices) == n
            painted.clear()
            start = time.perf_counter()
            app.action_undo()
            await _first_frame(painted)
            structural.append(painted[0] - start)
            await asyncio.sleep(0.2)
        # typing in a machine field: every key press validates the edited configuration
        field = app.query_one("#m-kvm_memslots", Input)
        field.focus()
        await pilot.pause()
        await pilot.press("end")
        for i in range(3 * repeat):
            await asyncio.sleep(0.05)
            painted.clear()
            shown[0] = lambda before=field.value: field.value != before
            start = time.perf_counter()
            app.simulate_key("1" if i % 2 == 0 else "backspace")
            await _first_frame(painted)
            typed.append(painted[0] - start)
        app.advisor.cancel()
    return {
        "device": statistics.median(device_edits) * 1000,
        "device_max": max(device_edits) * 1000,
        "remove": statistics.median(structural) * 1000,
        "remove_max": max(structural) * 1000,
        "type": statistics.median(typed) * 1000,
        "type_max": max(typed) * 1000,
        "edit": statistics.median(edits) * 1000,
        "edit_max": max(edits) * 1000,
        "key": statistics.median(keys) * 1000,
        "key_p90": statistics.quantiles(keys, n=10)[-1] * 1000,
        "key_max": max(keys) * 1000,
    }


def report_1000(repeat: int) -> None:
    """Process advisor (the app) vs thread advisor (baseline), 1,000 devices."""
    print(
        "1,000 devices: edit → repaint and key press → repaint during suggestions "
        f"(median/p90/max of {repeat} machine edits, {repeat} device edits, {repeat} device "
        f"removals and their undo, {3 * repeat} timeline keys, {3 * repeat} keys typed in the KVM "
        "memslots field; the verdict is on medians)"
    )
    configs = (
        ("failing", config_with(1000)),  # QEMU does not start (phys-bits): all events skipped
        ("late", ok_config(1000, vhost_regions=509)),  # refused at the 508th device
        ("ok", ok_config(1000)),  # QEMU accepts every event
    )
    for name, config in configs:
        for label, in_process in (("process (app)", False), ("thread (baseline)", True)):
            r = asyncio.run(typing_latency(config, repeat, in_process))
            edit = max(r["edit"], r["device"], r["remove"])
            verdict = "ok" if max(r["key"], r["type"]) <= 50 and edit <= 100 else "OVER target"
            print(
                f"  {name:7} {label:17}: edit {r['edit']:6.1f} ms (max {r['edit_max']:6.1f}), "
                f"device edit {r['device']:6.1f} ms (max {r['device_max']:6.1f}), "
                f"remove/undo {r['remove']:6.1f} ms (max {r['remove_max']:6.1f}), "
                f"key {r['key']:5.1f} ms (p90 {r['key_p90']:5.1f}, max {r['key_max']:5.1f}), "
                f"typing {r['type']:5.1f} ms (max {r['type_max']:5.1f})  {verdict}"
            )


def main() -> int:
    """Print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only-1000", action="store_true", help="only the 1,000-device part")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    report_1000(max(3, args.repeat // 3))
    if args.only_1000:
        return 0
    print(f"edit → recompute → repaint (median of {args.repeat}, 160x50, headless)")
    for devices in (10, 256):
        result = asyncio.run(edit_latency(devices, args.repeat))
        verdict = "ok" if devices != 256 or result["repaint"] <= 50 else "OVER the 50 ms target"
        print(
            f"  {devices:>3} devices: repaint {result['repaint']:6.1f} ms wall, "
            f"{result['cpu']:6.1f} ms CPU of the UI thread (replay alone "
            f"{result['replay']:5.1f} ms; suggestions shown after {result['advice']:6.1f} ms)"
            f"  {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
