"""Benchmark: replay() on 10, 256 and 1,024 memory devices with 64 vhost devices.

Run: python bench/engine_replay.py   (prints the median of repeated runs per size)
Targets (issue 2): ≤ 1 ms for 10 devices, ≤ 16 ms for 256.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui.engine import Config, replay
from tui.engine.units import GiB, MiB


def build(devices: int, vhost: int = 64) -> Config:
    """A q35 KVM machine: half DIMMs (up to 256 slots), the rest virtio-mem, vhost-net 509."""
    dimms = min(devices // 2, 256)
    memory = [{"kind": "pc-dimm", "id": f"d{i}", "size": 128 * MiB} for i in range(dimms)]
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
    return Config.model_validate(
        {
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
    )


def median_ms(config: Config, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        replay(config)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    for devices, repeat in ((10, 200), (256, 20), (1024, 5)):
        config = build(devices)
        report = replay(config)
        ok = sum(e.ok for e in report.events)
        print(
            f"{devices:5d} memory devices + 64 vhost: median {median_ms(config, repeat):9.3f} ms"
            f"  ({ok}/{len(report.events)} events ok)"
        )


if __name__ == "__main__":
    main()
