"""Builders for engine tests: the common machine of the worked examples (§12 of the notes)."""

from __future__ import annotations

from typing import Any

from tui.engine import Config, Event
from tui.engine.units import GiB


def machine(**overrides: Any) -> dict[str, Any]:
    """q35, KVM, KVM_CAP_NR_MEMSLOTS 32764, 10 KVM slots taken by boot memory (kfree 32754)."""
    base: dict[str, Any] = {
        "type": "q35",
        "accel": "kvm",
        "kvm_memslots": 32764,
        "ram": 4 * GiB,
        "boot_kvm_slots": 10,
        "phys_bits": 48,
    }
    base.update(overrides)
    return base


def config(
    machine_: dict[str, Any],
    *,
    memory=(),
    vhost=(),
    consumers=(),
    timeline: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> Config:
    """A Config; timeline entries are (action, device id) or (resize, id, size)."""
    data: dict[str, Any] = {
        "machine": machine_,
        "memory_devices": list(memory),
        "vhost_devices": list(vhost),
        "consumers": list(consumers),
        **extra,
    }
    if timeline is not None:
        events = []
        for entry in timeline:
            if entry[0] == "resize":
                events.append(Event(action="resize", device=entry[1], requested_size=entry[2]))
            else:
                events.append(Event(action=entry[0], device=entry[1]))
        data["timeline"] = events
    return Config.model_validate(data)


def vmem(id_: str, size: int, **kw: Any) -> dict[str, Any]:
    return {"kind": "virtio-mem", "id": id_, "size": size, "dynamic_memslots": True, **kw}


def dimm(id_: str, size: int, **kw: Any) -> dict[str, Any]:
    return {"kind": "pc-dimm", "id": id_, "size": size, **kw}
