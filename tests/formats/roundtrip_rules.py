"""What survives `export --to qemu|libvirt` then `import`: the allowlist of lost fields.

Each rule here is documented in docs/schema.md ("What an import cannot recover"); a field not
named here must come back exactly. `expected_after_*` apply the rules to the original.
"""

from __future__ import annotations

from typing import Any

from tui.engine.kinds import consumer_kind
from tui.engine.model import Config, Consumer, Event, Machine, VhostKernel, VhostUser
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
    abstract consumer (ROMs, BARs have no option of their own; virtio-balloon is a device and
    comes back with its kind's counts); host facts and back-end limits are
    assumed; title and description are the importer's."""
    cold = [e.device for e in config.timeline if e.action == "cold"]
    abstract = {c.id for c in config.consumers if consumer_kind(c).driver is None}
    kept = [d for d in cold if d not in abstract]
    return {
        "machine": _machine(config),
        "memory_devices": [_memory(d) for d in _order(config.memory_devices, kept)],
        "vhost_devices": [_vhost(d) for d in _order(config.vhost_devices, kept)],
        "consumers": [_device_consumer(c) for c in _order(config.consumers, kept)],
        "timeline": [Event(action="cold", device=d).model_dump() for d in kept],
    }


def _device_consumer(consumer: Any) -> dict[str, Any]:
    """A consumer that is a QEMU device (virtio-balloon) comes back as its kind's defaults."""
    kind = consumer_kind(consumer)
    return Consumer(id=consumer.id, kind=kind.name, note=f"-device {kind.driver}").model_dump()


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


LIBVIRT_ORDER = {
    "memory": 0,
    "disk": 1,
    "filesystem": 2,
    "interface": 3,
    "hostdev": 6,
    "memballoon": 7,
    "vsock": 8,
}


def _libvirt_element(device: Any) -> str | None:
    """Which libvirt element the exporter writes for a device (None: only a comment)."""
    kind = device.kind
    if kind in ("pc-dimm", "nvdimm", "virtio-pmem", "virtio-mem"):
        return "memory"
    if kind == "virtio-balloon":
        return "memballoon"  # the first cold one; expected_after_libvirt picks it
    what = getattr(device, "device", None)
    table = {
        ("vhost-kernel", "net"): "interface",
        ("vhost-kernel", "scsi"): "hostdev",
        ("vhost-kernel", "vsock"): "vsock",
        ("vhost-user", "net"): "interface",
        ("vhost-user", "fs"): "filesystem",
        ("vhost-user", "blk"): "disk",
        ("vhost-vdpa", "net"): "interface",
        ("vhost-vdpa", "blk"): "disk",
    }
    return table.get((kind, what))


def _libvirt_memory(config: Config, device: Any) -> dict[str, Any]:
    from tui.engine.devices import block_size
    from tui.engine.units import MiB, align_up

    data = device.model_dump()
    memfd_boot = config.machine.memory_backend == "memfd"
    kind = device.kind
    if kind in ("pc-dimm", "virtio-mem"):
        data["size"] = align_up(device.size, 2 * MiB)  # libvirt rounds up
    if kind in ("nvdimm", "virtio-pmem"):
        data.update(backend="file", page_size=4 * KiB)  # libvirt: always a file; page from its fs
    elif device.page_size > 4 * KiB:
        data["backend"] = "memfd" if memfd_boot else "file"  # hugepages: from <memoryBacking>
    else:
        data["backend"] = "memfd" if memfd_boot else "ram"
    if kind != "nvdimm":
        data["readonly"] = False  # libvirt has no read-only backend but nvdimm's
    if kind == "nvdimm":
        data["unarmed"] = device.readonly  # libvirt sets unarmed exactly for <readonly/>
    data["prealloc"] = False  # <allocation mode='immediate'> is domain-wide; not written
    if kind == "virtio-mem":
        data["block_size"] = block_size(device, config.machine.host_thp_size)  # <block> required
        data["unplugged_inaccessible"] = True  # no libvirt syntax
    data["id"] = _alias_id(device.id)
    return data


def _alias_id(device_id: str) -> str:
    return device_id.replace(".", "_")  # libvirt aliases allow no '.'


def expected_after_libvirt(config: Config) -> dict[str, Any]:
    """libvirt can express memory devices and most vhost back-ends; not hv-balloon, vhost-user
    SCSI / vsock or consumers (comments only) but the first cold virtio-balloon (<memballoon>),
    nor the per-device backend choices (comments).
    Cold plugs come back in libvirt's command-line order."""
    kept = {
        d.id: d for d in config.all_devices() if _libvirt_element(d) not in (None, "memballoon")
    }
    balloons = [c.id for c in config.consumers if consumer_kind(c).balloon]
    first = [e.device for e in config.timeline if e.action == "cold" and e.device in balloons][:1]
    kept.update({c.id: c for c in config.consumers if c.id in first})
    cold = [e.device for e in config.timeline if e.action == "cold" and e.device in kept]
    cold.sort(key=lambda i: LIBVIRT_ORDER[_libvirt_element(kept[i]) or "memory"])
    hot = [e for e in config.timeline if e.action != "cold" and e.device in kept]
    plugged = set(cold) | {e.device for e in hot if e.action == "hotplug"}
    memory = [d for d in config.memory_devices if d.id in plugged and d.id in kept]
    vhost = [d for d in config.vhost_devices if d.id in plugged and d.id in kept]
    order: dict[str, int] = {}
    for device_id in [*cold, *(e.device for e in hot)]:
        order.setdefault(device_id, len(order))
    memory.sort(key=lambda d: order[d.id])
    vhost.sort(key=lambda d: order[d.id])
    cold_devices = [kept[i] for i in cold]
    machine = _machine(
        config,
        # the export pins the vendor (<model vendor_id=...>), so it comes back as it was
        cpu_vendor=config.machine.cpu_vendor,
        nvdimm=any(d.kind == "nvdimm" for d in cold_devices),
    )
    if machine["maxmem"] is None:
        machine["slots"] = 0  # slots live on <maxMemory>
    return {
        "machine": machine,
        "memory_devices": [_libvirt_memory(config, d) for d in memory],
        "vhost_devices": [{**_vhost(d), "id": _alias_id(d.id)} for d in vhost],
        "consumers": [
            Consumer(
                id=_alias_id(i), kind="virtio-balloon", note="<memballoon model='virtio'>"
            ).model_dump()
            for i in first
        ],
        "timeline": [
            *(Event(action="cold", device=_alias_id(i)).model_dump() for i in cold),
            *(e.model_copy(update={"device": _alias_id(e.device)}).model_dump() for e in hot),
        ],
    }
