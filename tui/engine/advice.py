"""Suggestions that fix a failing event, each proven by replaying the modified configuration.

A suggestion is never a canned hint: it carries the fixed configuration, and it is offered only
if replaying that configuration makes the failing event succeed without breaking another one.
Candidates are chosen from the refusal's *code* and read its *facts* (limits, sizes, ids); no
message text is ever parsed. Every suggestion says which events it fixes, what else it changes
(fields, plug order, other devices' memslots), the memslots that result, and whether failures
remain (a partial fix).

The search is bounded: searches over a machine field bisect instead of walking every value,
and the whole advice run stops after `Bounds.max_replays` replays or `Bounds.max_seconds`, or
as soon as `Bounds.cancelled()` says so (polled between replays) — so the app can cancel it
cooperatively and `check` never hangs on a hostile file. Headroom says how much more still fits
after the last event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .kinds import MEMORY_KINDS, VHOST_KINDS
from .model import Config, HvBalloon, VirtioMem
from .refusals import Code, Refusal
from .replay import replay
from .report import EventResult, Report
from .units import GiB, MiB, align_up, format_size, human_size

MAX_SUGGESTIONS = 8
LINEAR_DIMM_COUNTS = 8
"""DIMM counts tried one by one below the current count before bisecting."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """How much work advice may do: replays, wall time, and a cooperative cancel check."""

    max_replays: int = 400
    max_seconds: float = 3.0
    cancelled: Callable[[], bool] | None = None
    """Polled before every replay; True stops the search (what was found so far is kept)."""


@dataclass(frozen=True, slots=True)
class Memslots:
    """What a memory device gets once the fix is applied."""

    event: int
    """0-based index in the fixed configuration's timeline."""
    device: str
    memslots: int | None
    memslot_limit: int | None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A verified fix: what to change, why, and the configuration with the change applied."""

    title: str
    detail: str
    config: Config
    fixes: tuple[int, ...]
    """Indexes of the events that failed before and succeed with this change."""
    changes: tuple[str, ...] = ()
    """Everything the fix changes besides the title's change: fields, plug order (a hotplug
    made a cold plug), devices added or removed, other devices' memslots."""
    memslots: tuple[Memslots, ...] = ()
    """The memslots of the fixed events and of every device whose memslots changed."""
    remaining: tuple[int, ...] = ()
    """0-based indexes (in the fixed timeline) of events that still fail: a partial fix."""
    required_memslots: int | None = None
    """Memslots all memory devices require after the last event, once the fix is applied."""

    @property
    def partial(self) -> bool:
        """Some event still fails (or QEMU still does not start) with this fix."""
        return bool(self.remaining)


@dataclass(frozen=True, slots=True)
class Advice:
    """The suggestions found, and whether the search ran to its end."""

    suggestions: tuple[Suggestion, ...]
    complete: bool
    """False when the bounds (replays, time, cancel) stopped the search early."""
    replays: int
    stopped_by: str | None = None
    """"replays", "time" or "cancelled" when the search stopped early."""


@dataclass(frozen=True, slots=True)
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
Change = Callable[[Data], None]
Candidate = tuple[str, str, Change]


class _Stop(Exception):
    """The bounds are exhausted."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass
class _Search:
    """Replays under bounds; every candidate's replay goes through `run`."""

    bounds: Bounds
    started: float = field(default_factory=time.monotonic)
    replays: int = 0

    def check(self) -> None:
        """Stop (raise) when cancelled or out of time."""
        bounds = self.bounds
        if bounds.cancelled is not None and bounds.cancelled():
            raise _Stop("cancelled")
        if time.monotonic() - self.started > bounds.max_seconds:
            raise _Stop("time")

    def run(self, config: Config) -> Report:
        """replay(config), unless the bounds say stop."""
        self.check()
        if self.replays >= self.bounds.max_replays:
            raise _Stop("replays")
        self.replays += 1
        return replay(config)

    def apply(self, config: Config, change: Change) -> Config | None:
        """_apply() under the bounds (validating a big configuration takes time too)."""
        self.check()
        return _apply(config, change)


def suggest(
    config: Config, report: Report | None = None, bounds: Bounds | None = None
) -> tuple[Suggestion, ...]:
    """Verified fixes for the first failing event (and start-up errors)."""
    return advise(config, report, bounds).suggestions


def advise(config: Config, report: Report | None = None, bounds: Bounds | None = None) -> Advice:
    """Verified fixes within `bounds`, and whether the search ran to its end."""
    search = _Search(bounds or Bounds())
    report = report or replay(config)
    failing = report.failures
    target = failing[0] if failing else None
    if report.startup_error is None and target is None:
        return Advice((), True, 0)
    results: list[Suggestion] = []
    try:
        for found in _verified(search, config, report, target):
            results.append(found)
            if len(results) >= MAX_SUGGESTIONS:
                break
    except _Stop as stop:
        return Advice(tuple(results), False, search.replays, stop.why)
    return Advice(tuple(results), True, search.replays)


def _verified(
    search: _Search, config: Config, report: Report, target: EventResult | None
) -> Iterator[Suggestion]:
    """Each candidate whose replay fixes the target and breaks nothing that worked."""
    before_failed = _failed(config, report)
    names = _identities(config)
    target_key = names[target.index] if target is not None else None
    seen: set[str] = set()
    for title, detail, change in _candidates(search, config, report, target):
        fixed = search.apply(config, change)
        if fixed is None or fixed == config:
            continue
        new = search.run(fixed)
        if new.startup_error is not None:
            continue
        now_failed = _failed(fixed, new)
        if target_key in now_failed or now_failed - before_failed:
            continue
        key = fixed.model_dump_json()
        if key in seen:
            continue
        seen.add(key)
        fixed_names = before_failed - now_failed
        fixes = tuple(i for i, name in enumerate(names) if name in fixed_names)
        yield Suggestion(
            title=title,
            detail=detail,
            config=fixed,
            fixes=fixes,
            changes=_changes(config, report, fixed, new),
            memslots=_memslots(config, report, fixed, new, fixed_names),
            remaining=tuple(e.index for e in new.events if not e.ok and not e.skipped),
            required_memslots=new.final_counters.required_memslots,
        )


def _apply(config: Config, change: Change) -> Config | None:
    """The configuration with `change` made to its data; None if that is no valid config.

    The data is the Python dump (half the cost of a JSON one, and validated faster), its
    top-level tuples made lists for the changes to edit in place."""
    data = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in config.model_dump().items()
    }
    try:
        change(data)
        return Config.model_validate(data)
    except (ValueError, KeyError, IndexError):  # pydantic's ValidationError is a ValueError
        return None


def _set_machine(**values: Any) -> Change:
    """A change that sets machine fields."""
    return lambda data: data["machine"].update(values)


Identity = tuple[str, str, int]


def _identities(config: Config) -> list[Identity]:
    """Every event named by (device, action, how many such events came before it), so that it
    can be found again in a configuration whose timeline was reordered or shortened."""
    seen: dict[tuple[str, str], int] = {}
    names: list[Identity] = []
    for event in config.timeline:
        action = "plug" if event.action in ("cold", "hotplug") else event.action
        key = (event.device, action)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        names.append((event.device, action, nth))
    return names


def _failed(config: Config, report: Report) -> set[Identity]:
    names = _identities(config)
    return {names[e.index] for e in report.events if not e.ok}


# --------------------------------------------------------------------------- bounded searches


def _field_works(
    search: _Search, config: Config, field_name: str, works: Callable[[Report], bool]
) -> Callable[[int], bool]:
    """Whether the configuration with machine `field_name` = value replays so that `works`."""

    def ok(value: int) -> bool:
        candidate = search.apply(config, _set_machine(**{field_name: value}))
        return candidate is not None and works(search.run(candidate))

    return ok


def _lowest(ok: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """The lowest value in [lo, hi] that is `ok`, by bisection after checking that `hi` is:
    O(log(hi − lo)) replays instead of hi − lo (the outcome grows better with the value)."""
    if lo > hi or not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def _highest(ok: Callable[[int], bool], lo: int, hi: int) -> int | None:
    """The highest value in [lo, hi] that is `ok`, by bisection after checking `lo`."""
    if lo > hi or not ok(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


# --------------------------------------------------------------------------- candidates


def _candidates(
    search: _Search, config: Config, report: Report, target: EventResult | None
) -> Iterator[Candidate]:
    """Fixes worth a replay, chosen by the refusal's code and sized from its facts."""
    if report.startup_refusal is not None:
        yield from _startup_candidates(search, config, report.startup_refusal)
        return
    assert target is not None and target.refusal is not None
    found = target.refusal.root  # tap's wrapper: the memslot reason behind it
    facts = found.facts
    device = config.device(target.device)
    match found.code:
        case Code.VHOST_AFTER_AUTO_DECISION:
            yield from _move_vhost_first(config, target)
            yield from _raise_vhost_limit(config, target.device, 509)
            yield from _dynamic_off_all(config)
        case Code.VHOST_LIMIT_BELOW_USED:
            needed = (facts.used or 0) + (facts.reserved or 0)
            yield from _raise_vhost_limit(config, target.device, max(needed, 509))
            yield from _move_vhost_first(config, target)
            yield from _dynamic_off_all(config)
            yield from _larger_dimms(search, config)
            yield from _fewer_dimms(config)
        case Code.VHOST_NOT_ENOUGH_FREE:
            for vhost in config.vhost_devices:
                yield from _raise_vhost_limit(config, vhost.id, 509)
            if isinstance(device, VirtioMem) and device.dynamic_memslots:
                yield _dynamic_off(device.id)
            yield from _larger_dimms(search, config)
            yield from _fewer_dimms(config)
        case Code.KVM_NOT_ENOUGH_FREE:
            yield _newer_kernel(
                "KVM_CAP_NR_MEMSLOTS is 32764 on x86 since Linux raised "
                "KVM_USER_MEM_SLOTS (2021); older kernels offer 509."
            )
            yield from _fewer_dimms(config)
        case Code.NOT_ENOUGH_SPACE:
            grow = (facts.in_use or 0) + (facts.size or 0) - (facts.space or 0)
            if grow > 0:
                yield _raise_maxmem(config, grow)
        case Code.NO_POSITION | Code.ADDRESS_OUT_OF_RANGE | Code.DEVICE_TOO_BIG:
            yield from _search_maxmem(search, config, target)
            yield from _search_slots(search, config, target)
        case Code.BACKEND_SIZE_UNALIGNED:
            align = facts.align or 1
            new = align_up(facts.size or 0, align)
            yield (
                f"Round {device.id}'s size up to {format_size(new)}",
                f"The backend size must be a multiple of its alignment ({human_size(align)}).",
                _set_device(device.id, size=new),
            )
        case Code.NO_FREE_DIMM_SLOT | Code.NO_DIMM_SLOTS:
            dimms = sum(1 for d in config.memory_devices if MEMORY_KINDS[d.kind].takes_dimm_slot)
            slots = max(dimms, config.machine.slots + 1)
            yield (
                f"Set slots={slots}",
                "Each pc-dimm and nvdimm takes one of the machine's DIMM slots.",
                _set_machine(slots=slots),
            )
        case Code.NO_DEVICE_MEMORY:
            total = sum(d.size or 0 for d in config.memory_devices)
            maxmem = config.machine.ram + align_up(total, GiB)
            yield (
                f"Set maxmem={format_size(maxmem)}",
                "Memory devices live in the device-memory region, which exists only when "
                "maxmem > ram.",
                _set_machine(maxmem=maxmem),
            )
        case Code.NVDIMM_NOT_ENABLED:
            yield (
                "Enable NVDIMM support (-machine nvdimm=on)",
                "nvdimm devices need nvdimm=on.",
                _set_machine(nvdimm=True),
            )
        case Code.UNPLUG_WHILE_PLUGGED | Code.UNPLUG_WHILE_REQUESTED:
            yield (
                f"Resize {device.id} to 0 before unplugging it",
                "virtio-mem can only be unplugged once the guest has unplugged all its memory.",
                _insert_resize_before(target.index, device.id),
            )
        case Code.REQUESTED_SIZE_UNALIGNED | Code.RESIZE_UNALIGNED:
            yield from _align_requested_size(config, target, facts.align or 1)
        case Code.BUS_NO_HOTPLUG if isinstance(device, HvBalloon):
            yield (
                f"Cold-plug {device.id} on the command line",
                "hv-balloon sits on the VMBus, which does not support hotplug.",
                _make_cold(target.index),
            )
        case Code.KVM_NO_FREE_SLOT:
            yield _newer_kernel("QEMU aborts when KVM runs out of memslots while mapping memory.")
        case _:
            return


def _startup_candidates(search: _Search, config: Config, found: Refusal) -> Iterator[Candidate]:
    machine = config.machine
    match found.code:
        case Code.PHYS_BITS_TOO_LOW:
            bits = _lowest(
                _field_works(search, config, "phys_bits", _starts), machine.phys_bits + 1, 52
            )
            if bits is not None:
                yield (
                    f"Use -cpu …,phys-bits={bits}",
                    "The device-memory region plus the 64-bit PCI hole must fit the guest's "
                    "physical address bits.",
                    _set_machine(phys_bits=bits),
                )
            slots = _highest(_field_works(search, config, "slots", _starts), 0, machine.slots - 1)
            if slots is not None:
                yield (
                    f"Use fewer DIMM slots (slots={slots})",
                    "Each DIMM slot adds 1 GiB of alignment room to the device-memory region.",
                    _set_machine(slots=slots),
                )
        case Code.SLOTS_WITHOUT_MAXMEM:
            yield ("Drop slots=", "slots needs maxmem.", _set_machine(slots=0))
        case Code.TOO_MANY_SLOTS:
            yield (
                "Use slots=256",
                "pc and q35 accept at most 256 DIMM slots (ACPI).",
                _set_machine(slots=256),
            )
        case Code.MAXMEM_EQUALS_RAM_WITH_SLOTS:
            yield (
                "Drop slots=",
                "With maxmem equal to ram there is no device memory for DIMMs.",
                _set_machine(slots=0),
            )
        case Code.KVM_NO_FREE_SLOT:
            yield _newer_kernel(
                "Boot memory and its consumers need more KVM memslots than the host offers."
            )
        case _:
            return


def _set_device(device_id: str, **values: Any) -> Change:
    def change(data: Data) -> None:
        for group in ("memory_devices", "vhost_devices", "consumers"):
            for item in data[group]:
                if item["id"] == device_id:
                    item.update(values)
                    return
        raise KeyError(device_id)

    return change


def _set_event(index: int, **values: Any) -> Change:
    def change(data: Data) -> None:
        data["timeline"][index].update(values)

    return change


def _make_cold(index: int) -> Change:
    def change(data: Data) -> None:
        event = data["timeline"].pop(index)
        event["action"] = "cold"
        cold = sum(1 for e in data["timeline"] if e["action"] == "cold")
        data["timeline"].insert(cold, event)

    return change


def _insert_resize_before(index: int, device_id: str) -> Change:
    def change(data: Data) -> None:
        data["timeline"].insert(
            index, {"action": "resize", "device": device_id, "requested_size": 0}
        )

    return change


def _align_requested_size(config: Config, target: EventResult, block: int) -> Iterator[Candidate]:
    device = config.device(target.device)
    why = f"requested-size must be a multiple of the block size {human_size(block)}."
    if target.action == "resize":
        value = config.timeline[target.index].requested_size or 0
        new = align_up(value, block)
        yield (
            f"Request {format_size(new)} instead",
            why,
            _set_event(target.index, requested_size=new),
        )
    elif isinstance(device, VirtioMem):
        new = align_up(device.requested_size, block)
        yield (
            f"Set {device.id}'s requested_size to {format_size(new)}",
            why,
            _set_device(device.id, requested_size=new),
        )


def _newer_kernel(why: str) -> Candidate:
    return ("Use a host kernel with 32764 KVM memslots", why, _set_machine(kvm_memslots=32764))


def _dynamic_off(device_id: str) -> Candidate:
    return (
        f"Set dynamic-memslots=off on {device_id}",
        "The device then maps its whole memdev as one memslot and decides nothing.",
        _set_device(device_id, dynamic_memslots=False),
    )


def _dynamic_off_all(config: Config) -> Iterator[Candidate]:
    ids = [d.id for d in config.memory_devices if isinstance(d, VirtioMem) and d.dynamic_memslots]
    if not ids:
        return

    chosen = set(ids)

    def change(data: Data) -> None:
        for item in data["memory_devices"]:
            if item["id"] in chosen:
                item["dynamic_memslots"] = False

    yield (
        f"Set dynamic-memslots=off on {', '.join(ids)}",
        "Without auto-decided memslots, back-ends below 509 memslots are accepted.",
        change,
    )


def _raise_vhost_limit(config: Config, device_id: str, limit: int) -> Iterator[Candidate]:
    """Give a back-end `limit` memslots the way its kind allows (vhost-kernel: the module
    parameter; vhost-user: a back-end that reports it); its name follows the new back-end."""
    device = config.device(device_id)
    kind = VHOST_KINDS.get(device.kind)
    values = kind.with_limit(limit) if kind is not None else None
    if kind is None or values is None:
        return
    if device.kind == "vhost-user":
        values["backend_name"] = _backend_name(kind.catalog, device, limit)
    yield (
        f"Give {device_id} a back-end with {limit} memslots",
        f"{device.kind}: {kind.limit_how.format(limit=limit)}.",
        _set_device(device_id, **values),
    )


def _backend_name(catalog: Sequence[Any], device: Any, limit: int) -> str:
    """A catalog back-end of the same device type that offers `limit`, else a plain label."""
    for entry in catalog:
        defaults = entry.defaults
        if defaults.get("device") == device.device and defaults.get("max_mem_slots") == limit:
            return str(defaults.get("backend_name", ""))
    return f"vhost-user {device.device} back-end with {limit} memslots"


def _move_vhost_first(config: Config, target: EventResult) -> Iterator[Candidate]:
    """Plug the vhost back-end before any memory device decides its memslots."""
    deciding = {d.id for d in config.memory_devices if MEMORY_KINDS[d.kind].decides_memslots}
    first_memory = next(
        (
            i
            for i, e in enumerate(config.timeline)
            if e.action in ("cold", "hotplug") and e.device in deciding
        ),
        None,
    )
    if first_memory is None or first_memory > target.index:
        return
    before = config.timeline[first_memory]
    becomes = "cold" if before.action == "cold" else "hotplug"
    was = config.timeline[target.index].action

    def change(data: Data) -> None:
        event = data["timeline"].pop(target.index)
        event["action"] = becomes
        data["timeline"].insert(first_memory, event)

    detail = (
        "A back-end present before the memory device limits its decision instead of being "
        "refused after it (QEMU's own hint)."
    )
    if was != becomes:
        detail += (
            f" {target.device} becomes a {_plug_name(becomes)} instead of a {_plug_name(was)}."
        )
    yield (f"Plug {target.device} before {before.device}", detail, change)


def _plug_name(action: str) -> str:
    return "cold plug (on the command line)" if action == "cold" else "hotplug"


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


def _larger_dimms(search: _Search, config: Config) -> Iterator[Candidate]:
    """The most DIMMs (fewer than now, each larger) that carry the same memory and all plug.

    Arithmetic first: equal DIMMs rounded up to 128 MiB must fit the device-memory space left
    by the other memory devices, which rules out many counts. Among the counts that fit, fewer
    DIMMs take fewer memslots: try the few just below the current count, then bisect."""
    dimms = [d for d in config.memory_devices if d.kind == "pc-dimm"]
    if len(dimms) < 2:
        return
    total = sum(d.size for d in dimms)
    ids = [d.id for d in dimms]
    all_ids = set(ids)
    others = sum(d.size or 0 for d in config.memory_devices if d.id not in all_ids)
    space = config.machine.maxram - config.machine.ram - others

    def size_for(count: int) -> int:
        return align_up(-(-total // count), 128 * MiB)

    def change_for(count: int) -> Change:
        size = size_for(count)
        keep = set(ids[:count])

        def change(data: Data) -> None:
            data["memory_devices"] = [
                {**d, "size": size} if d["id"] in keep else d
                for d in data["memory_devices"]
                if d["id"] in keep or d["id"] not in all_ids
            ]
            data["timeline"] = [
                e for e in data["timeline"] if e["device"] in keep or e["device"] not in all_ids
            ]

        return change

    fitting = [c for c in range(1, len(dimms)) if c * size_for(c) <= space]

    def works(at: int) -> bool:
        candidate = search.apply(config, change_for(fitting[at]))
        return candidate is not None and search.run(candidate).ok

    top = len(fitting) - 1
    near = range(top, max(top - LINEAR_DIMM_COUNTS, -1), -1)
    found = next((at for at in near if works(at)), None)
    if found is None:
        found = _highest(works, 0, top - LINEAR_DIMM_COUNTS)
    if found is None:
        return
    count = fitting[found]
    yield (
        f"Use {count} DIMMs of {format_size(size_for(count))} instead of {len(dimms)}",
        "Each DIMM takes one memslot in KVM and in every vhost back-end, whatever its "
        "size: fewer, larger DIMMs carry at least the same memory with fewer memslots.",
        change_for(count),
    )


def _raise_maxmem(config: Config, grow: int) -> Candidate:
    maxmem = config.machine.maxram + grow
    return (
        f"Raise maxmem by {format_size(grow)} to {format_size(maxmem)}",
        "The space check allows maxmem − ram for all memory devices together.",
        _set_machine(maxmem=maxmem),
    )


def _search_maxmem(search: _Search, config: Config, target: EventResult) -> Iterator[Candidate]:
    """The smallest maxmem (in GiB steps, up to 4× more) that lets the device be placed."""
    base = config.machine.maxram
    ok = _field_works(search, config, "maxmem", _event_ok(target.index))
    steps = _lowest(lambda n: ok(base + n * GiB), 1, 4 * max(base // GiB, 1))
    if steps is not None:
        maxmem = base + steps * GiB
        yield (
            f"Raise maxmem to {format_size(maxmem)}",
            "A larger device-memory region leaves room for the device's alignment.",
            _set_machine(maxmem=maxmem),
        )


def _search_slots(search: _Search, config: Config, target: EventResult) -> Iterator[Candidate]:
    """The fewest extra DIMM slots (each adds 1 GiB of region) that let the device be placed."""
    ok = _field_works(search, config, "slots", _event_ok(target.index))
    slots = _lowest(ok, config.machine.slots + 1, 256)
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


# --------------------------------------------------------------------------- what a fix does


def _changes(config: Config, report: Report, fixed: Config, new: Report) -> tuple[str, ...]:
    """Every change the fix makes, in words: fields, devices, plug order, others' memslots."""
    lines: list[str] = []
    old_data = config.model_dump(mode="json")
    new_data = fixed.model_dump(mode="json")
    for name, value in new_data["machine"].items():
        old = old_data["machine"].get(name)
        if old != value:
            lines.append(f"machine {name}: {_show(old)} → {_show(value)}")
    old_devices = {d["id"]: d for g in _GROUPS for d in old_data[g]}
    new_devices = {d["id"]: d for g in _GROUPS for d in new_data[g]}
    removed = [i for i in old_devices if i not in new_devices]
    if removed:
        lines.append(f"removes {_ids(removed)}")
    for device_id, item in new_devices.items():
        old_item = old_devices.get(device_id)
        if old_item is None:
            size = f" of {item['size']}" if item.get("size") else ""
            lines.append(f"adds {item['kind']} {device_id}{size}")
            continue
        for name, value in item.items():
            if old_item.get(name) != value:
                lines.append(f"{device_id} {name}: {_show(old_item.get(name))} → {_show(value)}")
    lines.extend(_timeline_changes(config, fixed))
    lines.extend(_memslot_changes(config, report, fixed, new))
    return tuple(lines)


_GROUPS = ("memory_devices", "vhost_devices", "consumers")


def _show(value: object) -> str:
    return "unset" if value is None else repr(value) if isinstance(value, str) else str(value)


def _ids(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 4 else f"{', '.join(ids[:3])} … ({len(ids)} devices)"


def _timeline_changes(config: Config, fixed: Config) -> list[str]:
    lines = []
    old_plug = {e.device: e.action for e in config.timeline if e.action in ("cold", "hotplug")}
    new_plug = {e.device: e.action for e in fixed.timeline if e.action in ("cold", "hotplug")}
    for device_id, action in new_plug.items():
        was = old_plug.get(device_id)
        if was is not None and was != action:
            lines.append(f"{device_id}: {_plug_name(was)} → {_plug_name(action)}")
    old_order = [e.device for e in config.timeline if e.device in new_plug]
    new_order = [e.device for e in fixed.timeline if e.device in old_plug]
    if old_order != new_order and sorted(old_order) == sorted(new_order):
        lines.append("plug order: " + " → ".join(dict.fromkeys(new_order)))
    added = len(fixed.timeline) - len(config.timeline)
    if added > 0 and not set(new_plug) - set(old_plug):
        before = {(e.action, e.device, e.requested_size) for e in config.timeline}
        extra = [
            e
            for e in fixed.timeline
            if e.action in ("resize", "unplug")
            and (e.action, e.device, e.requested_size) not in before
        ]
        for event in extra:
            size = (
                f" to {format_size(event.requested_size)}"
                if event.requested_size is not None
                else ""
            )
            lines.append(f"adds event: {event.action} {event.device}{size}")
    return lines


def _memslot_changes(config: Config, report: Report, fixed: Config, new: Report) -> list[str]:
    """Devices that still plug but now get a different number of memslots."""
    old_names, new_names = _identities(config), _identities(fixed)
    before = {old_names[e.index]: e for e in report.events if e.ok and e.memslots is not None}
    lines = []
    for event in new.events:
        if not event.ok or event.memslots is None:
            continue
        old = before.get(new_names[event.index])
        if old is not None and old.memslots != event.memslots:
            lines.append(f"{event.device}: {old.memslots} → {event.memslots} memslot(s)")
    return lines


def _memslots(
    config: Config, report: Report, fixed: Config, new: Report, fixed_ids: set[Identity]
) -> tuple[Memslots, ...]:
    """Memslots of the events the fix fixes and of devices whose memslots changed."""
    old_names, new_names = _identities(config), _identities(fixed)
    before = {old_names[e.index]: e.memslots for e in report.events if e.ok}
    found = []
    for event in new.events:
        if not event.ok or event.memslots is None:
            continue
        key = new_names[event.index]
        if key in fixed_ids or (key in before and before[key] != event.memslots):
            found.append(Memslots(event.index, event.device, event.memslots, event.memslot_limit))
    return tuple(found)


# --------------------------------------------------------------------------- headroom


def headroom(config: Config, report: Report | None = None) -> Headroom:
    """How much more fits after the last event."""
    report = report or replay(config)
    final = report.final
    limits = [v for v in (final.kvm_free, final.vhost_free) if v is not None]
    memslots = max(min(limits) - final.reserved_memslots, 0) if limits else None
    dimms_used = sum(
        1
        for kind in _plugged_kinds(report)
        if kind in MEMORY_KINDS and MEMORY_KINDS[kind].takes_dimm_slot
    )
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
