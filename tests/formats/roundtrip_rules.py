"""What survives `export --to qemu|libvirt` then `import`: the allowlist of lost fields.

Each rule here is documented in docs/schema.md ("What an import cannot recover"); a field not
named here must come back exactly. `expected_after_*` apply the rules to the original.
"""

from __future__ import annotations

from typing import Any

from tui.engine.model import Config, Machine, VhostKernel, VhostUser
from tui.engine.units import KiB

HOST_FACTS = (
    "kvm_memslots",  # the host's KVM_CAP_NR_MEMSLOTS: not in any VM definition
    "qemu_version",  # which QEMU runs it: not in a command line or domain XML
    "host_thp_size",  # the host's THP size
    "guest_plugs_memory",  # what the guest does
    "boot_kvm_slots",  # model overrides of measured boot counts
    "boot_ram_sections",
)
VHOST_LIMITS = ("max_mem_regions", "backend_name", "configure_mem_slots", "max_mem_slots")
"""A back-end's own answers (module parameter, GET_MAX_MEM_SLOTS): not in the VM definition."""


def _machine(config: Config, **changes: Any) -> dict[str, Any]:
    machine = config.machine.model_dump()
    defaults = Machine().model_dump()
    for name in HOST_FACTS:
        machine[name] = defaults[name]
    machine.update(changes)
    return machine


def _vhost(device: Any) -> dict[str, Any]:
    data = device.model_dump()
    defaults = {"vhost-kernel": VhostKernel, "vhost-user": VhostUser}.get(device.kind)
    if defaults is not None:
        reference = defaults(id=device.id, device=device.device).model_dump()
        for name in VHOST_LIMITS:
            if name in data:
                data[name] = reference[name]
    return data


def _memory(device: Any) -> dict[str, Any]:
    data = device.model_dump()
    if device.kind == "hv-balloon" and device.size is None:
        # no memdev: backend fields describe nothing and have no syntax
        data.update(backend="ram", share=False, page_size=4 * KiB, readonly=False, prealloc=False)
    return data


def expected_after_qemu(config: Config) -> dict[str, Any]:
    """The command line holds the cold plugs only (hot events are the QMP export's), and no
    consumer (ROMs, BARs have no option of their own); host facts and back-end limits are
    assumed; title and description are the importer's."""
    cold = [e.device for e in config.timeline if e.action == "cold"]
    consumers = {c.id for c in config.consumers}
    kept = [d for d in cold if d not in consumers]
    return {
        "machine": _machine(config),
        "memory_devices": [_memory(d) for d in _order(config.memory_devices, kept)],
        "vhost_devices": [_vhost(d) for d in _order(config.vhost_devices, kept)],
        "consumers": [],
        "timeline": [{"action": "cold", "device": d, "requested_size": None} for d in kept],
    }


def _order(devices: Any, ids: list[str]) -> list[Any]:
    by_id = {d.id: d for d in devices}
    return [by_id[i] for i in ids if i in by_id]


def comparable(config: Config) -> dict[str, Any]:
    """The parts a round trip compares (title, description and expect are the importer's)."""
    data = config.model_dump()
    return {
        "machine": data["machine"],
        "memory_devices": list(data["memory_devices"]),
        "vhost_devices": list(data["vhost_devices"]),
        "consumers": list(data["consumers"]),
        "timeline": list(data["timeline"]),
    }
