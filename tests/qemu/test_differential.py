"""Random configurations, engine vs QEMU: a differential test with fixed seeds.

The generator mixes memory device kinds, shared/private backends, vhost-user limits and
device types, cold/hot order, unplugs and resizes. Fixed seeds keep CI deterministic; set
MEMSLOT_QEMU_FUZZ=N to try N more random seeds locally (the failing seed is printed).
The CPU vendor varies (with maxmem near 1 TiB it moves device memory); MEMSLOT_QEMU_OTHERS=
PATH[:PATH...] runs the same seeds on more QEMU binaries (e.g. 7.2 and 10.2 beside 10.0.2), so
each rule set meets random configurations too.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from pydantic import ValidationError

from tui.engine.model import Config
from tui.qemu.verify import format_table, verify

pytestmark = pytest.mark.qemu

G = 1 << 30
M = 1 << 20
SEEDS = [11, 23, 37, 41, 53, 67, 71, 89]
EXTRA = int(os.environ.get("MEMSLOT_QEMU_FUZZ", "0") or 0)
ACCEL = os.environ.get("MEMSLOT_QEMU_ACCEL") or None
OTHERS = [p for p in os.environ.get("MEMSLOT_QEMU_OTHERS", "").split(":") if p]


def generate(seed: int) -> dict[str, Any]:
    """One random, usually valid configuration (small enough to start in a second)."""
    rng = random.Random(seed)
    memfd = rng.random() < 0.6
    ram = rng.choice([1, 2, 4]) * G
    big = rng.random() < 0.15
    machine = {
        "type": rng.choice(["q35", "q35", "pc"]),
        "ram": ram,
        "maxmem": ram
        + (rng.choice([990, 1000, 1020]) if big else rng.choice([4, 8, 17, 33, 64])) * G,
        "cpu_vendor": rng.choice(["amd", "intel"]),
        "phys_bits": rng.choice([40, 40, 48]),
        "slots": rng.choice([0, 2, 4, 8]),
        "nvdimm": rng.random() < 0.2,
        "memory_backend": "memfd" if memfd else "ram",
    }
    memory: list[dict[str, Any]] = []
    for index in range(rng.randint(1, 6)):
        kind = rng.choice(["pc-dimm", "virtio-mem", "virtio-mem", "virtio-pmem", "nvdimm"])
        device: dict[str, Any] = {
            "kind": kind,
            "id": f"m{index}",
            "size": rng.choice([256 * M, 512 * M, G, 2 * G, 4 * G, 16 * G]),
        }
        if kind == "nvdimm":
            device.update(backend="file", share=True, size=rng.choice([256 * M, G]))
        elif memfd and rng.random() < 0.8:
            device.update(backend="memfd", share=True)
        if kind == "virtio-mem":
            device["dynamic_memslots"] = rng.random() < 0.7
            if rng.random() < 0.2:
                device["requested_size"] = rng.choice([2 * M, 64 * M, 3 * M])
            if rng.random() < 0.15:
                device["block_size"] = rng.choice([2 * M, 4 * M, 128 * M, G])
        if kind == "pc-dimm" and rng.random() < 0.15:
            device["slot"] = rng.choice([0, 1, 3])
        if kind in ("pc-dimm", "nvdimm") and rng.random() < 0.1:
            device["addr"] = rng.choice([4 * G, 5 * G, 6 * G + 2 * M])
        if kind == "nvdimm" and rng.random() < 0.3:
            device.update(readonly=True, unarmed=rng.random() < 0.7)
        memory.append(device)
    count = rng.choice([0, 0, 1, 1, 2, 3])
    vhost = [
        {
            "kind": "vhost-user",
            "id": f"v{j}",
            "device": rng.choice(["fs", "fs", "net", "blk", "scsi"]),
            "max_mem_slots": rng.choice([8, 32, 64, 508, 509, 509]),
            "configure_mem_slots": rng.random() < 0.85,
        }
        for j in range(count)
    ]
    ids = [d["id"] for d in memory] + [v["id"] for v in vhost]
    rng.shuffle(ids)
    timeline: list[dict[str, Any]] = []
    plugged: list[str] = []
    hot = False
    for ident in ids:
        if not hot and rng.random() < 0.4:
            timeline.append({"action": "cold", "device": ident})
            plugged.append(ident)
            continue
        hot = True
        timeline.append({"action": "hotplug", "device": ident})
        plugged.append(ident)
        roll = rng.random()
        vmems = [
            p for p in plugged if p.startswith("m") and memory[int(p[1:])]["kind"] == "virtio-mem"
        ]
        if roll < 0.2:
            gone = plugged.pop(rng.randrange(len(plugged)))
            timeline.append({"action": "unplug", "device": gone})
        elif roll < 0.3 and vmems:
            timeline.append(
                {
                    "action": "resize",
                    "device": rng.choice(vmems),
                    "requested_size": rng.choice([0, 2 * M, 128 * M, 5 * M]),
                }
            )
    return {
        "machine": machine,
        "memory_devices": memory,
        "vhost_devices": vhost,
        "timeline": timeline,
    }


@pytest.mark.parametrize("other", [None, *OTHERS], ids=lambda p: "installed" if p is None else p)
@pytest.mark.parametrize("seed", SEEDS + [1000 + random.randrange(10**6) for _ in range(EXTRA)])
def test_random_configuration(seed: int, other: str | None, qemu_info) -> None:
    data = generate(seed)
    try:
        config = Config.model_validate(data)
    except ValidationError:
        pytest.skip(f"seed {seed}: generated an invalid configuration")
    result = verify(config, qemu=other or qemu_info.path, accel=ACCEL, timeout=15)
    assert result.error is None, result.error
    assert not result.mismatches, f"seed {seed}\n{json.dumps(data)}\n{format_table(result)}"
