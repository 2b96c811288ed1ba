"""Suggestions in a separate process: results arrive, cancelled and over-budget runs are
killed (not left running), and nothing outlives the app."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from tui.app.advisor import Advisor
from tui.app.app import make_app
from tui.engine.model import Config
from tui.formats.toml import load
from tui.presets import repo_preset_dir

from .conftest import SIZE, settle

FAILING = repo_preset_dir() / "ex07-not-enough-space.toml"


def slow_config(devices: int = 3000) -> Config:
    """Half DIMMs (on 256 slots), half dynamic virtio-mem: the fix search replays a large
    configuration (a process that has just received it is still unpickling it)."""
    dimms, vmems = (devices + 1) // 2, devices // 2
    memory = [{"kind": "pc-dimm", "id": f"dimm{i}", "size": "512M"} for i in range(dimms)]
    memory += [
        {"kind": "virtio-mem", "id": f"vmem{i}", "size": "1G", "dynamic_memslots": True}
        for i in range(vmems)
    ]
    return Config.model_validate(
        {
            "machine": {
                "ram": "4G",
                "maxmem": f"{5 + dimms // 2 + vmems}G",
                "slots": 256,
                "phys_bits": 48,
            },
            "vhost_devices": [{"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 509}],
            "memory_devices": memory,
        }
    )


def advisor_children() -> list[int]:
    """Live `tui.app.advisor` processes whose parent is this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        state = stat.rsplit(")", 1)[1].split()[0]
        if ppid == os.getpid() and b"tui.app.advisor" in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_advice_arrives_from_the_process() -> None:
    advisor = Advisor()
    try:
        result = advisor.run(load(FAILING))
        assert result is not None and result.error is None
        assert result.suggestions and all(s.config for s in result.suggestions)
    finally:
        advisor.close()
    assert advisor_children() == []


def test_a_starting_process_is_kept_and_an_idle_one_reused() -> None:
    advisor = Advisor()
    try:
        advisor.warm()
        starting = advisor._process
        advisor.cancel()  # nothing computes yet: the starting process is not killed
        assert advisor.run(load(FAILING)) is not None
        first = advisor._process
        assert first is starting
        assert advisor.run(load(FAILING)) is not None
        assert advisor._process is first and first is not None and first.poll() is None
    finally:
        advisor.close()
    assert advisor_children() == []


def test_cancel_kills_the_running_process() -> None:
    advisor = Advisor()
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(advisor.run(slow_config())))
    worker.start()
    deadline = time.monotonic() + 30
    while advisor._running is None and time.monotonic() < deadline:
        time.sleep(0.002)  # until the request is sent (after Python's start-up)
    running = advisor._running
    assert running is not None and running.poll() is None
    start = time.monotonic()
    advisor.cancel()
    worker.join(10)
    assert results == [None] and time.monotonic() - start < 3
    assert running.poll() is not None  # killed, not left to finish
    advisor.close()
    assert advisor_children() == []


def test_over_budget_run_is_stopped() -> None:
    advisor = Advisor(budget=0.05)
    try:
        result = advisor.run(slow_config())
    finally:
        advisor.close()
    assert result is not None and result.error == "suggestions stopped after 0.05 s"
    assert advisor_children() == []


async def test_no_advisor_outlives_the_app() -> None:
    app = make_app(slow_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.5)
    deadline = time.monotonic() + 5
    while advisor_children() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert advisor_children() == []
