"""Benchmark: a 200-point sweep of a 10-device configuration (issue 10: under one second).

Run: python bench/sweep.py   (median of 5 runs per parameter)
Baseline, in the same run: 200 plain replay() calls of the unchanged configuration — the
engine's own cost, which a sweep cannot go below; the rest is changing the parameter through
the model (tui.params) and reading the headroom.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui.engine import Config, replay
from tui.engine.units import GiB
from tui.params import is_size
from tui.sweep import run_sweep, values

POINTS = 200
TARGET_S = 1.0


def build() -> Config:
    """q35/KVM, vhost-net at 64, four 1G DIMMs, four dynamic virtio-mem, one virtio-pmem:
    10 devices, every event a real decision."""
    memory = [{"kind": "pc-dimm", "id": f"dimm{i}", "size": "1G"} for i in range(4)]
    memory += [
        {"kind": "virtio-mem", "id": f"vmem{i}", "size": "16G", "dynamic_memslots": True}
        for i in range(4)
    ]
    memory.append({"kind": "virtio-pmem", "id": "pmem0", "size": "4G", "backend": "file"})
    return Config.model_validate(
        {
            "machine": {"ram": "4G", "maxmem": "200G", "slots": 8, "phys_bits": 46},
            "vhost_devices": [{"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 64}],
            "memory_devices": memory,
        }
    )


def seconds(action: object, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    config = build()
    baseline = seconds(lambda: [replay(config) for _ in range(POINTS)])
    print(f"baseline: {POINTS} x replay() of the unchanged config: {baseline * 1000:7.1f} ms")
    cases = [  # ranges with 200 distinct values (sizes move in 1G steps from an odd GiB)
        ("net0.max_mem_regions", 8, 1024),
        ("machine.maxmem", 101 * GiB, 300 * GiB),
        ("vmem0.size", 1 * GiB, 200 * GiB),
        ("machine.kvm_memslots", 32, 32764),
        ("dimms", 1, 8),  # the configuration's own 8 slots: 8 distinct values
    ]
    worst = 0.0
    for param, start, stop in cases:
        points = values(start, stop, POINTS, is_size(param))
        took = seconds(lambda p=param, v=points: run_sweep(config, p, v))
        worst = max(worst, took)
        print(
            f"sweep {param:<22} {len(points):>3} points: {took * 1000:7.1f} ms "
            f"({took / baseline * POINTS / len(points):4.2f} x the baseline per point)"
        )
    verdict = "OK" if worst < TARGET_S else "TOO SLOW"
    print(f"worst {worst * 1000:.1f} ms vs target {TARGET_S * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
