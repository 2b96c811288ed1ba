"""Benchmark: replay() on 10, 256 and 1,024 memory devices with 64 vhost devices.

Run from the repository root:

    python bench/engine_replay.py [--baseline REV] [--rounds N]

Side by side in the same run, interleaved round by round so that the machine's load hits both
alike: this tree's engine and a baseline engine — `tui/engine` at git revision REV (default:
the engine before the kinds/refusals restructuring), extracted to a temporary directory that is
removed afterwards. Prints medians, the ratio, and the load average before and after.

Targets (issue 9): 10 + 64 ≤ 0.5 ms, 256 + 64 ≤ 8 ms, 1,024 + 64 ≤ 30 ms on a quiet machine.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE = "e78d510"
"""The last commit before the engine kept raw counters per event and refusals as codes."""
SIZES = ((10, 400), (256, 30), (1024, 8))
"""(memory devices, replays per round)."""
GiB = 1 << 30
MiB = 1 << 20


def build(devices: int, vhost: int = 64) -> dict[str, Any]:
    """A q35 KVM machine: half DIMMs (up to 256 slots), the rest virtio-mem, vhost-net 4096."""
    dimms = min(devices // 2, 256)
    memory: list[dict[str, Any]] = [
        {"kind": "pc-dimm", "id": f"d{i}", "size": 128 * MiB} for i in range(dimms)
    ]
    memory += [
        {
            "kind": "virtio-mem",
            "id": f"vm{i}",
            "size": 1 * GiB,
            "dynamic_memslots": True,
            "requested_size": 512 * MiB,
        }
        for i in range(devices - dimms)
    ]
    vhosts = [
        {"kind": "vhost-kernel", "id": f"net{i}", "max_mem_regions": 4096} for i in range(vhost)
    ]
    timeline = [{"action": "cold", "device": v["id"]} for v in vhosts]
    timeline += [{"action": "hotplug", "device": m["id"]} for m in memory]
    return {
        "machine": {
            "ram": 4 * GiB,
            "maxmem": 4 * GiB + devices * GiB,
            "slots": dimms,
            "phys_bits": 52,
        },
        "memory_devices": memory,
        "vhost_devices": vhosts,
        "timeline": timeline,
    }


def load_baseline(rev: str, into: Path) -> Any:
    """`tui/engine` at `rev` as an importable package (its imports are all relative)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "tui/engine"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "tui" / "engine").rename(into / "baseline_engine")
    sys.path.insert(0, str(into))
    return importlib.import_module("baseline_engine")


def outcomes(report: Any) -> list[tuple[object, ...]]:
    """Per event what both engines must agree on: QEMU's verdict and message, the decision, and
    the counters after it (read through the report API both revisions share). Not the address:
    the default CPU vendor changed since the default baseline (Intel now, so 1,024 devices no
    longer move RAM above AMD's 1 TiB hole)."""
    rows = []
    for e in report.events:
        b = e.budget
        decision = (e.ok, e.error, e.memslot_limit, e.memslots)
        counters = (b.kvm_free, b.vhost_max, b.vhost_free, b.required_memslots, b.used_memslots)
        rows.append((*decision, *counters))
    return rows


def time_ms(run: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run (CPU time suffers less from a busy host)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the baseline engine")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import tui.engine as current

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mse-bench-") as tmp:
        baseline = load_baseline(args.baseline, Path(tmp))
        print(f"baseline: tui/engine at {args.baseline}; {os.cpu_count()} CPUs")
        for devices, repeat in SIZES:
            data = build(devices)
            new_config = current.Config.model_validate(data)
            old_config = baseline.Config.model_validate(data)
            new_report = current.replay(new_config)
            old_report = baseline.replay(old_config)
            assert outcomes(new_report) == outcomes(old_report)
            new: list[float] = []
            old: list[float] = []
            new_cpu: list[float] = []
            old_cpu: list[float] = []
            for _ in range(args.rounds):
                wall, cpu = time_ms(lambda c=old_config: baseline.replay(c), repeat)
                old += wall
                old_cpu += cpu
                wall, cpu = time_ms(lambda c=new_config: current.replay(c), repeat)
                new += wall
                new_cpu += cpu
            new_ms, old_ms = statistics.median(new), statistics.median(old)
            ok = sum(e.ok for e in new_report.events)
            print(
                f"{devices:5d} memory devices + 64 vhost: median {new_ms:8.3f} ms  "
                f"(baseline {old_ms:8.3f} ms, {new_ms / old_ms:4.2f}×); CPU "
                f"{statistics.median(new_cpu):8.3f} ms (baseline "
                f"{statistics.median(old_cpu):8.3f} ms); "
                f"{ok}/{len(new_report.events)} events ok; verdicts, messages, decisions and "
                "counters as the baseline's"
            )
        sys.path.remove(tmp)
    load_after = os.getloadavg()
    print(
        "load average (1/5/15 min) before: "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after: "
        + " ".join(f"{x:.2f}" for x in load_after)
    )


if __name__ == "__main__":
    main()
