"""Suggestions that fix a failing event, each proven by replaying the modified configuration.

A suggestion is never a canned hint: it carries the fixed configuration, and it is offered only
if replaying that configuration makes the failing event succeed without breaking another one.
Headroom says how much more still fits after the last event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .model import Config, HvBalloon, VirtioMem
from .replay import AUTO_DECISION_ERROR, VHOST_NET_INIT_FAILED, replay
from .report import EventResult, Report
from .units import GiB, align_up, format_size, human_size

MAX_SUGGESTIONS = 8


@dataclass(frozen=True)
class Suggestion:
    """A verified fix: what to change, why, and the configuration with the change applied."""

    title: str
    detail: str
    config: Config
    fixes: tuple[int, ...]
    """Indexes of the events that failed before and succeed with this change."""


@dataclass(frozen=True)
class Headroom:
    """What still fits after the last event."""

    memslots: int | None
    """More 1-memslot memory devices KVM and every vhost back-end still accept (None: no
    limit applies, e.g. TCG without vhost)."""
    dimm_slots: int
    """Free `slots=` for pc-dimm / nvdimm."""
    virtio_mem_bytes: int
    """Device-memory space left (maxmem − ram − plugged memory devices)."""
    soft_limit_left: int
    """Memslots of the 256 soft limit not yet required by memory devices."""
    text: str


Data = dict[str, Any]
Candidate = tuple[str, str, Callable[[Data], None]]


def suggest(config: Config, report: Report | None = None) -> tuple[Suggestion, ...]:
    """Verified fixes for the first failing event (and start-up errors)."""
    report = report or replay(config)
    failing = [e for e in report.events if not e.ok and not e.skipped]
    target = failing[0] if failing else None
    if report.startup_error is None and target is None:
        return ()
    before_failed = _failed(config, report)
    target_key = _identity(config, target.index) if target is not None else None
    results: list[Suggestion] = []
    seen: set[str] = set()
    for title, detail, change in _candidates(config, report, target):
        fixed = _apply(config, change)
        if fixed is None or fixed == config:
            continue
        new = replay(fixed)
        if new.startup_error is not None:
            continue
        now_failed = _failed(fixed, new)
        if target_key in now_failed or now_failed - before_failed:
            continue
        key = fixed.model_dump_json()
        if key in seen:
            continue
        seen.add(key)
        fixes = tuple(
            i
            for i in range(len(config.timeline))
            if _identity(config, i) in before_failed - now_failed
        )
        results.append(Suggestion(title=title, detail=detail, config=fixed, fixes=fixes))
        if len(results) >= MAX_SUGGESTIONS:
            break
    return tuple(results)


def _apply(config: Config, change: Callable[[Data], None]) -> Config | None:
    """The configuration with `change` made to its data; None if that is no valid config."""
    data = config.model_dump(mode="json")
    try:
        change(data)
        return Config.model_validate(data)
    except (ValueError, KeyError, IndexError):  # pydantic's ValidationError is a ValueError
        return None


def _set_machine(**values: Any) -> Callable[[Data], None]:
    """A change that sets machine fields."""
    return lambda data: data["machine"].update(values)


def _first_machine_value(
    config: Config, field: str, values: Iterable[int], works: Callable[[Report], bool]
) -> int | None:
    """The first value of a machine field, in the order given, whose replay `works`."""
    for value in values:
        candidate = _apply(config, _set_machine(**{field: value}))
        if candidate is not None and works(replay(candidate)):
            return value
    return None


Identity = tuple[str, str, int]


def _identity(config: Config, index: int) -> Identity:
    """An event named by (device, action, how many such events came before it), so that it can
    be found again in a configuration whose timeline was reordered or shortened."""
    event = config.timeline[index]
    action = "plug" if event.action in ("cold", "hotplug") else event.action
    nth = sum(
        1
        for e in config.timeline[:index]
        if e.device == event.device
        and ("plug" if e.action in ("cold", "hotplug") else e.action) == action
    )
    return event.device, action, nth


def _failed(config: Config, report: Report) -> set[Identity]:
    return {_identity(config, e.index) for e in report.events if not e.ok}


# --------------------------------------------------------------------------- candidates


def _candidates(config: Config, report: Report, target: EventResult | None) -> Iterator[Candidate]:
    if report.startup_error is not None:
        yield from _startup_candidates(config, report.startup_error)
        return
    assert target is not None
    error = target.error or ""
    if error == VHOST_NET_INIT_FAILED:
        # tap's wrapper: the memslot reason is on stderr (the result's warnings)
        error = next(
            (
                w
                for w in target.warnings
                if w.startswith("vhost backend") or w == AUTO_DECISION_ERROR
            ),
            error,
        )
    device = config.device(target.device)
    if error == AUTO_DECISION_ERROR:
        yield from _move_vhost_first(config, target)
        yield from _raise_vhost_limit(target.device, 509)
        yield _dynamic_off_all(config)
    if error.startswith("vhost backend memory slots limit"):
        needed = _numbers(error)
        if len(needed) >= 3:
            yield from _raise_vhost_limit(target.device, max(needed[1] + needed[2], 509))
        yield from _move_vhost_first(config, target)
        yield _dynamic_off_all(config)
        yield from _larger_dimms(config)
        yield from _fewer_dimms(config)
    if "vhost backend has" in error:
        for vhost in config.vhost_devices:
            yield from _raise_vhost_limit(vhost.id, 509)
        if isinstance(device, VirtioMem) and device.dynamic_memslots:
            yield _dynamic_off(device.id)
        yield from _larger_dimms(config)
        yield from _fewer_dimms(config)
    if error.startswith("hypervisor has"):
        yield _newer_kernel(
            "KVM_CAP_NR_MEMSLOTS is 32764 on x86 since Linux raised "
            "KVM_USER_MEM_SLOTS (2021); older kernels offer 509."
        )
        yield from _fewer_dimms(config)
    if error.startswith("not enough space"):
        size = target_size(config, target)
        grow = (
            report.events[target.index].budget.used_region_size
            + size
            - report.events[target.index].budget.device_memory_space
        )
        if grow > 0:
            yield from _raise_maxmem(config, grow)
    if error.startswith("could not find position") or error.startswith("can't add memory device"):
        yield from _search_maxmem(config, target)
        yield from _search_slots(config, target)
    if error.startswith("backend memory size must be multiple of "):
        align = int(error.rsplit("0x", 1)[1], 16)
        new = align_up(getattr(device, "size", 0) or 0, align)
        yield (
            f"Round {device.id}'s size up to {format_size(new)}",
            f"The backend size must be a multiple of its alignment ({human_size(align)}).",
            _set_device(device.id, size=new),
        )
    if error in ("no free slots available",) or error.startswith("no slots where allocated"):
        dimms = sum(1 for d in config.memory_devices if d.kind in ("pc-dimm", "nvdimm"))
        yield (
            f"Set slots={max(dimms, config.machine.slots + 1)}",
            "Each pc-dimm and nvdimm takes one of the machine's DIMM slots.",
            _set_machine(slots=max(dimms, config.machine.slots + 1)),
        )
    if error.startswith("the configuration is not prepared for memory devices"):
        total = sum(getattr(d, "size", 0) or 0 for d in config.memory_devices)
        maxmem = config.machine.ram + align_up(total, GiB)
        yield (
            f"Set maxmem={format_size(maxmem)}",
            "Memory devices live in the device-memory region, which exists only when maxmem > ram.",
            _set_machine(maxmem=maxmem),
        )
    if error.startswith("nvdimm is not enabled"):
        yield (
            "Enable NVDIMM support (-machine nvdimm=on)",
            "nvdimm devices need nvdimm=on.",
            _set_machine(nvdimm=True),
        )
    if error.startswith("virtio-mem device cannot get unplugged"):
        yield (
            f"Resize {device.id} to 0 before unplugging it",
            "virtio-mem can only be unplugged once the guest has unplugged all its memory.",
            _insert_resize_before(target.index, device.id),
        )
    if "'requested-size'" in error and "multiples of 'block-size'" in error:
        block = int(error.rsplit("0x", 1)[1].rstrip(")"), 16)
        if target.action == "resize":
            value = config.timeline[target.index].requested_size or 0
            new = align_up(value, block)
            yield (
                f"Request {format_size(new)} instead",
                f"requested-size must be a multiple of the block size {human_size(block)}.",
                _set_event(target.index, requested_size=new),
            )
        else:
            new = align_up(getattr(device, "requested_size", 0), block)
            yield (
                f"Set {device.id}'s requested_size to {format_size(new)}",
                f"requested-size must be a multiple of the block size {human_size(block)}.",
                _set_device(device.id, requested_size=new),
            )
    if isinstance(device, HvBalloon) and error == "Bus 'vmbus' does not support hotplugging":
        yield (
            f"Cold-plug {device.id} on the command line",
            "hv-balloon sits on the VMBus, which does not support hotplug.",
            _make_cold(target.index),
        )
    if error == "kvm_alloc_slot: no free slot available":
        yield _newer_kernel("QEMU aborts when KVM runs out of memslots while mapping memory.")


def _startup_candidates(config: Config, error: str) -> Iterator[Candidate]:
    machine = config.machine
    if error.startswith("Address space limit"):
        bits = _first_machine_value(config, "phys_bits", range(machine.phys_bits + 1, 53), _starts)
        if bits is not None:
            yield (
                f"Use -cpu …,phys-bits={bits}",
                "The device-memory region plus the 64-bit PCI hole must fit the guest's "
                "physical address bits.",
                _set_machine(phys_bits=bits),
            )
        slots = _first_machine_value(config, "slots", range(machine.slots - 1, -1, -1), _starts)
        if slots is not None:
            yield (
                f"Use fewer DIMM slots (slots={slots})",
                "Each DIMM slot adds 1 GiB of alignment room to the device-memory region.",
                _set_machine(slots=slots),
            )
    if error == "slots specified but no max-size":
        yield ("Drop slots=", "slots needs maxmem.", _set_machine(slots=0))
    if error.startswith("unsupported amount of memory slots"):
        yield (
            "Use slots=256",
            "pc and q35 accept at most 256 DIMM slots (ACPI).",
            _set_machine(slots=256),
        )
    if error.startswith("invalid value of maxmem: memory slots were specified"):
        yield (
            "Drop slots=",
            "With maxmem equal to ram there is no device memory for DIMMs.",
            _set_machine(slots=0),
        )
    if error == "kvm_alloc_slot: no free slot available":
        yield _newer_kernel(
            "Boot memory and its consumers need more KVM memslots than the host offers."
        )


def target_size(config: Config, target: EventResult) -> int:
    """The size a failing memory device asked for."""
    device = config.device(target.device)
    return getattr(device, "size", 0) or 0


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\((\d+)\)", text)]


def _set_device(device_id: str, **values: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        for field in ("memory_devices", "vhost_devices", "consumers"):
            for item in data[field]:
                if item["id"] == device_id:
                    item.update(values)
                    return
        raise KeyError(device_id)

    return change


def _set_event(index: int, **values: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["timeline"][index].update(values)

    return change


def _make_cold(index: int) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        event = data["timeline"].pop(index)
        event["action"] = "cold"
        cold = sum(1 for e in data["timeline"] if e["action"] == "cold")
        data["timeline"].insert(cold, event)

    return change


def _insert_resize_before(index: int, device_id: str) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        data["timeline"].insert(
            index, {"action": "resize", "device": device_id, "requested_size": 0}
        )

    return change


def _newer_kernel(why: str) -> Candidate:
    return ("Use a host kernel with 32764 KVM memslots", why, _set_machine(kvm_memslots=32764))


def _dynamic_off(device_id: str) -> Candidate:
    return (
        f"Set dynamic-memslots=off on {device_id}",
        "The device then maps its whole memdev as one memslot and decides nothing.",
        _set_device(device_id, dynamic_memslots=False),
    )


def _dynamic_off_all(config: Config) -> Candidate:
    ids = [d.id for d in config.memory_devices if isinstance(d, VirtioMem) and d.dynamic_memslots]

    def change(data: Data) -> None:
        for item in data["memory_devices"]:
            if item["id"] in ids:
                item["dynamic_memslots"] = False

    return (
        f"Set dynamic-memslots=off on {', '.join(ids)}",
        "Without auto-decided memslots, back-ends below 509 memslots are accepted.",
        change,
    )


def _raise_vhost_limit(device_id: str, limit: int) -> Iterator[Candidate]:
    def change(data: Data) -> None:
        for item in data["vhost_devices"]:
            if item["id"] == device_id:
                if item["kind"] == "vhost-kernel":
                    item["max_mem_regions"] = limit
                elif item["kind"] == "vhost-user":
                    item.update(configure_mem_slots=True, max_mem_slots=limit)
                else:
                    raise KeyError(device_id)
                return
        raise KeyError(device_id)

    yield (
        f"Give {device_id} a back-end with {limit} memslots",
        "vhost-kernel: `options vhost max_mem_regions=509` in /etc/modprobe.d/vhost.conf "
        "(reload the module); vhost-user: a back-end with CONFIGURE_MEM_SLOTS and 509 slots "
        "(virtiofsd with rust-vmm vhost-user-backend ≥ 0.13, libvhost-user ≥ QEMU 9.0).",
        change,
    )


def _move_vhost_first(config: Config, target: EventResult) -> Iterator[Candidate]:
    """Plug the vhost back-end before any memory device decides its memslots."""
    first_memory = next(
        (
            i
            for i, e in enumerate(config.timeline)
            if e.action in ("cold", "hotplug")
            and isinstance(config.device(e.device), VirtioMem | HvBalloon)
        ),
        None,
    )
    if first_memory is None or first_memory > target.index:
        return

    def change(data: Data) -> None:
        event = data["timeline"].pop(target.index)
        before = data["timeline"][first_memory]
        event["action"] = before["action"] if before["action"] == "cold" else "hotplug"
        data["timeline"].insert(first_memory, event)

    yield (
        f"Plug {target.device} before {config.timeline[first_memory].device}",
        "A back-end present before the memory device limits its decision instead of being "
        "refused after it (QEMU's own hint).",
        change,
    )


def _fewer_dimms(config: Config) -> Iterator[Candidate]:
    """Replace all pc-dimms by one virtio-mem device of the same total size."""
    dimms = [d for d in config.memory_devices if d.kind == "pc-dimm"]
    if len(dimms) < 2:
        return
    total = sum(d.size for d in dimms)
    ids = {d.id for d in dimms}
    first = dimms[0]

    def change(data: Data) -> None:
        data["memory_devices"] = [d for d in data["memory_devices"] if d["id"] not in ids]
        data["memory_devices"].append(
            {
                "kind": "virtio-mem",
                "id": f"{first.id}-vmem",
                "size": total,
                "requested_size": total,
                "backend": first.backend,
                "share": first.share,
                "page_size": first.page_size,
            }
        )
        timeline = []
        placed = False
        for event in data["timeline"]:
            if event["device"] in ids:
                if not placed and event["action"] in ("cold", "hotplug"):
                    timeline.append({**event, "device": f"{first.id}-vmem"})
                    placed = True
                continue
            timeline.append(event)
        data["timeline"] = timeline

    yield (
        f"Replace the {len(dimms)} DIMMs by one virtio-mem device of {format_size(total)}",
        "A virtio-mem device with dynamic-memslots=off takes a single memslot for all of it.",
        change,
    )


def _larger_dimms(config: Config) -> Iterator[Candidate]:
    """The most DIMMs (fewer than now, each larger) that carry the same memory and all plug."""
    dimms = [d for d in config.memory_devices if d.kind == "pc-dimm"]
    if len(dimms) < 2:
        return
    total = sum(d.size for d in dimms)
    ids = [d.id for d in dimms]
    for count in range(len(dimms) - 1, 0, -1):
        size = align_up(-(-total // count), 128 * 1024 * 1024)
        keep = set(ids[:count])

        def change(data: Data, keep: set[str] = keep, size: int = size) -> None:
            data["memory_devices"] = [
                {**d, "size": size} if d["id"] in keep else d
                for d in data["memory_devices"]
                if d["id"] in keep or d["id"] not in ids
            ]
            data["timeline"] = [
                e for e in data["timeline"] if e["device"] in keep or e["device"] not in ids
            ]

        candidate = _apply(config, change)
        if candidate is not None and replay(candidate).ok:
            yield (
                f"Use {count} DIMMs of {format_size(size)} instead of {len(dimms)}",
                "Each DIMM takes one memslot in KVM and in every vhost back-end, whatever its "
                "size: fewer, larger DIMMs carry at least the same memory with fewer "
                "memslots.",
                change,
            )
            return


def _raise_maxmem(config: Config, grow: int) -> Iterator[Candidate]:
    maxmem = config.machine.maxram + grow
    yield (
        f"Raise maxmem by {format_size(grow)} to {format_size(maxmem)}",
        "The space check allows maxmem − ram for all memory devices together.",
        _set_machine(maxmem=maxmem),
    )


def _search_maxmem(config: Config, target: EventResult) -> Iterator[Candidate]:
    """The smallest maxmem (in GiB steps, up to 4× more) that lets the device be placed."""
    base = config.machine.maxram
    steps = range(1, 4 * max(base // GiB, 1) + 1)
    maxmem = _first_machine_value(
        config, "maxmem", (base + n * GiB for n in steps), _event_ok(target.index)
    )
    if maxmem is not None:
        yield (
            f"Raise maxmem to {format_size(maxmem)}",
            "A larger device-memory region leaves room for the device's alignment.",
            _set_machine(maxmem=maxmem),
        )


def _search_slots(config: Config, target: EventResult) -> Iterator[Candidate]:
    """The fewest extra DIMM slots (each adds 1 GiB of region) that let the device be placed."""
    slots = _first_machine_value(
        config, "slots", range(config.machine.slots + 1, 257), _event_ok(target.index)
    )
    if slots is not None:
        yield (
            f"Set slots={slots}",
            "Each DIMM slot adds 1 GiB to the device-memory region (not to the space "
            "check), which can make room for an aligned placement.",
            _set_machine(slots=slots),
        )


def _starts(report: Report) -> bool:
    return report.startup_error is None


def _event_ok(index: int) -> Callable[[Report], bool]:
    return lambda report: report.events[index].ok


# --------------------------------------------------------------------------- headroom


def headroom(config: Config, report: Report | None = None) -> Headroom:
    """How much more fits after the last event."""
    report = report or replay(config)
    final = report.final
    limits = [v for v in (final.kvm_free, final.vhost_free) if v is not None]
    memslots = max(min(limits) - final.reserved_memslots, 0) if limits else None
    dimms_used = sum(1 for e in _plugged_kinds(report) if e in ("pc-dimm", "nvdimm"))
    dimm_slots = max(config.machine.slots - dimms_used, 0)
    space = max(final.device_memory_space - final.used_region_size, 0)
    soft = max(final.soft_limit - final.required_memslots, 0)
    parts = [
        f"{memslots} more 1-memslot device(s) fit KVM and vhost"
        if memslots is not None
        else "no KVM or vhost memslot limit applies",
        f"{dimm_slots} free DIMM slot(s)",
        f"{human_size(space)} of device memory left",
        f"{soft} of the 256 soft-limit memslots not yet required",
    ]
    return Headroom(
        memslots=memslots,
        dimm_slots=dimm_slots,
        virtio_mem_bytes=space,
        soft_limit_left=soft,
        text="; ".join(parts),
    )


def _plugged_kinds(report: Report) -> list[str]:
    plugged: dict[str, str] = {}
    for event in report.events:
        if not event.ok or event.pending:
            continue
        if event.action in ("cold", "hotplug"):
            plugged[event.device] = event.kind
        elif event.action == "unplug":
            plugged.pop(event.device, None)
    return list(plugged.values())
