"""replay(config) -> Report: play a configuration's timeline the way QEMU would.

Cold plugs happen in QEMU's start-up order (netdevs before the machine, then `-device` in
command-line order before the first reset), then the guest boots, then each hotplug, unplug or
resize. For every memory device the checks run in memory_device_pre_plug()'s order; a refused
event leaves no state behind, exactly as in QEMU. A refused cold plug ends QEMU, so later events
are reported as never reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import devices as dev
from .gaps import Gaps
from .layout import BootMemory, Layout, layout
from .limits import LimitInputs, decision_limit
from .model import (
    Config,
    Consumer,
    Event,
    HvBalloon,
    Machine,
    Nvdimm,
    PcDimm,
    VhostKernel,
    VhostUser,
    VhostVdpa,
    VirtioMem,
)
from .report import Budget, EventResult, Report, Step, VhostSnapshot, step, trusted
from .units import U64_MAX, align_up, human_size
from .units import qemu_hex as hx
from .versions import Rules, rules_for
from .vhost import Registered, VhostClass, VhostState, memslots_limit, vhost_class

VhostDevice = VhostKernel | VhostUser | VhostVdpa

AUTO_DECISION_ERROR = (
    "some memory device (like virtio-mem) decided how many memory slots to use based on the "
    "overall number of memory slots; this vhost backend would further restricts the overall "
    "number of memory slots"
)
AUTO_DECISION_HINT = "Try plugging this vhost backend before plugging such memory devices."
KVM_ABORT = "kvm_alloc_slot: no free slot available"
VHOST_NET_INIT_FAILED = "vhost-net requested but could not be initialized"


class _Refused(Exception):
    """QEMU refused the event with this message (and maybe a hint)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class _Abort(Exception):
    """QEMU aborted (KVM ran out of slots while mapping memory)."""


@dataclass
class _Plugged:
    """A memory device that is plugged, with what QEMU stored about it."""

    device: dev.MemoryDevice
    memslots: int
    memslot_size: int | None
    size: int
    address: int
    decides: bool
    requested: int = 0
    plugged: int = 0
    mapped: int = 0
    slot: int | None = None

    @property
    def dynamic(self) -> bool:
        return isinstance(self.device, VirtioMem) and self.device.dynamic_memslots

    @property
    def vhost_private(self) -> bool:
        """A RAM (not ROM) section: vhost-kernel/vdpa map it."""
        return not self.device.readonly

    @property
    def vhost_shared(self) -> bool:
        """Also has an fd: vhost-user maps it."""
        return self.vhost_private and self.device.fd_backed


@dataclass
class _State:
    config: Config
    rules: Rules
    layout: Layout
    boot: BootMemory
    vhost: VhostState
    memory: dict[str, _Plugged] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    plugged_consumers: set[str] = field(default_factory=set)
    mapped_consumers: set[str] = field(default_factory=set)
    empty_balloons: set[str] = field(default_factory=set)
    gaps: Gaps = field(default_factory=Gaps)
    """Free ranges of the device-memory region, for QEMU's first-fit placement."""
    cold_ids: set[str] = field(default_factory=set)
    """Devices present at the first reset (cold-plugged)."""
    auto_active: int = 0
    booted: bool = False
    # Running totals, kept by the mutators below so that every counter is O(1).
    mem_private: int = 0
    mem_shared: int = 0
    mem_mapped: int = 0
    mem_required: int = 0
    mem_size: int = 0
    cons_private: int = 0
    cons_shared: int = 0
    cons_kvm: int = 0

    # ---------------------------------------------------------------- mutators
    def _account(self, item: _Plugged, sign: int) -> None:
        self.mem_mapped += sign * item.mapped
        self.mem_private += sign * item.mapped if item.vhost_private else 0
        self.mem_shared += sign * item.mapped if item.vhost_shared else 0
        self.mem_required += sign * item.memslots
        self.mem_size += sign * item.size

    def add_memory(self, item: _Plugged, mapped: int) -> None:
        item.mapped = mapped
        self.memory[item.device.id] = item
        self.gaps.take(item.address, item.size)
        self._account(item, 1)

    def remove_memory(self, item: _Plugged) -> None:
        self._account(item, -1)
        self.gaps.give(item.address, item.size)
        del self.memory[item.device.id]

    def set_mapped(self, item: _Plugged, mapped: int) -> None:
        self._account(item, -1)
        item.mapped = mapped
        self._account(item, 1)

    def map_consumer(self, cid: str, sign: int) -> None:
        if (cid in self.mapped_consumers) == (sign > 0):
            return
        consumer = self.consumers[cid]
        self.cons_private += sign * (consumer.vhost_kernel_regions or 0)
        self.cons_shared += sign * (consumer.vhost_user_regions or 0)
        self.cons_kvm += sign * (consumer.kvm_slots or 0)
        if sign > 0:
            self.mapped_consumers.add(cid)
        else:
            self.mapped_consumers.discard(cid)

    # ---------------------------------------------------------------- counters
    @property
    def machine(self) -> Machine:
        return self.config.machine

    def regions(self) -> dict[VhostClass, int]:
        """Sections a vhost device of each class maps right now (its nregions)."""
        boot_shared = self.boot.ram_sections if self.machine.memory_backend == "memfd" else 0
        return {"shared": boot_shared + self.cons_shared + self.mem_shared,
                "private": self.boot.ram_sections + self.cons_private + self.mem_private}

    def kvm_used(self) -> int:
        return self.boot.kvm_slots + self.mem_mapped + self.cons_kvm

    def kvm_free(self) -> int | None:
        if not self.machine.kvm_enabled:
            return None
        return max(self.layout.kvm_max - self.kvm_used(), 0)

    @property
    def required(self) -> int:
        return self.mem_required

    @property
    def used(self) -> int:
        return self.mem_mapped

    @property
    def reserved(self) -> int:
        return max(self.required - self.used, 0)

    @property
    def used_region_size(self) -> int:
        return self.mem_size

    def vhost_free(self) -> tuple[int, str | None]:
        free, warning = self.vhost.free(self.regions())
        if warning and not self.vhost.warned:
            self.vhost.warned = True
            return free, warning
        return free, None

    def budget(self) -> Budget:
        regions = self.regions()
        has_vhost = bool(self.vhost.devices)
        return trusted(
            Budget,
            kvm_max=self.layout.kvm_max if self.machine.kvm_enabled else None,
            kvm_used=self.kvm_used() if self.machine.kvm_enabled else None,
            kvm_free=self.kvm_free(),
            vhost_max=self.vhost.max() if has_vhost else None,
            vhost_free=self.vhost.free(regions)[0] if has_vhost else None,
            used_region_size=self.used_region_size,
            device_memory_space=self.layout.device_memory_space,
            required_memslots=self.required,
            used_memslots=self.used,
            reserved_memslots=self.reserved,
            auto_decision_active=self.auto_active,
            soft_limit=256,
            safe_max=509,
            vhost_state=VhostSnapshot(
                self.vhost.snapshot(),
                self.vhost.used_by_class("shared", regions),
                self.vhost.used_by_class("private", regions),
                regions["shared"], regions["private"], self.rules.per_device_vhost_count),
        )

    # ---------------------------------------------------------------- mapping
    def remap(self, change: Callable[[], None]) -> None:
        """Apply a change to what is mapped; vhost devices whose sections changed commit."""
        before = self.regions()
        change()
        after = self.regions()
        for cls in ("shared", "private"):
            if before[cls] != after[cls]:
                self.vhost.commit(cls, after[cls])  # type: ignore[arg-type]
        if self.machine.kvm_enabled and self.kvm_used() > self.layout.kvm_max:
            raise _Abort(KVM_ABORT)


def replay(config: Config) -> Report:
    """Replay the timeline; pure and deterministic."""
    rules = rules_for(config.machine)
    lay = layout(config.machine)
    state = _State(config=config, rules=rules, layout=lay, boot=BootMemory(0, 0),
                   vhost=VhostState(rules=rules))
    state.consumers = {c.id: c for c in config.consumers}
    if lay.device_memory_base is not None and lay.device_memory_size:
        state.gaps.give(lay.device_memory_base, lay.device_memory_size)
    results: dict[int, EventResult] = {}
    warnings: list[str] = []
    startup_warnings: list[str] = []
    fatal: str | None = lay.startup_error
    fatal_at: str | None = "start-up" if fatal else None

    if fatal is None:
        cold = [(i, e) for i, e in enumerate(config.timeline) if e.action == "cold"]
        netdevs = [(i, e) for i, e in cold if _is_netdev(config, e)]
        others = [(i, e) for i, e in cold if not _is_netdev(config, e)]
        # -netdev back-ends exist before the machine: they see no memory at all.
        for index, event in netdevs:
            results[index] = _run(state, index, event, "cold")
            if not results[index].ok:
                fatal, fatal_at = results[index].error, event.device
                break
        if fatal is None:
            try:
                state.remap(lambda: _set_boot(state, lay.cold, map_consumers=False))
            except _Abort as exc:
                fatal, fatal_at = str(exc), "start-up"
        if fatal is None:
            for index, event in others:
                results[index] = _run(state, index, event, "cold")
                if not results[index].ok:
                    fatal, fatal_at = results[index].error, event.device
                    break
        if fatal is None:
            try:
                state.remap(lambda: _set_boot(state, lay.hot, map_consumers=True))
                state.booted = True
                if config.machine.guest_plugs_memory:
                    for item in state.memory.values():
                        if isinstance(item.device, VirtioMem):
                            _guest_plug(state, item, item.requested)
            except _Abort as exc:
                fatal, fatal_at = str(exc), "the first reset"
            boot_budget = state.budget()
        else:
            boot_budget = None
        if fatal is None:
            for index, event in enumerate(config.timeline):
                if event.action == "cold":
                    continue
                results[index] = _run(state, index, event, "hot")
                if results[index].error == KVM_ABORT:
                    fatal, fatal_at = KVM_ABORT, event.device
                    break
    else:
        boot_budget = None

    final = state.budget()
    events: list[EventResult] = []
    for index, event in enumerate(config.timeline):
        if index in results:
            events.append(results[index])
        else:
            events.append(EventResult(
                index=index, action=event.action, device=event.device,
                kind=_kind(config, event.device), phase="cold" if event.action == "cold" else "hot",
                ok=False, skipped=True,
                warnings=(f"never reached: QEMU exited at {fatal_at}",), budget=final))
    for result in events:
        warnings.extend(w for w in result.warnings if not result.skipped)
    return Report(
        qemu_version=config.machine.qemu_version,
        rules=rules.name,
        startup_error=lay.startup_error if lay.startup_error else (
            fatal if fatal_at in ("start-up", "the first reset") else None),
        startup_warnings=tuple(startup_warnings),
        device_memory_base=lay.device_memory_base,
        device_memory_size=lay.device_memory_size,
        events=tuple(events),
        boot_budget=boot_budget,
        final=final,
        warnings=tuple(dict.fromkeys(warnings)),
    )


# ------------------------------------------------------------------ helpers


def _is_netdev(config: Config, event: Event) -> bool:
    device = config.device(event.device)
    return isinstance(device, VhostKernel | VhostUser | VhostVdpa) and device.is_netdev


def _kind(config: Config, device_id: str) -> str:
    return config.device(device_id).kind


def _set_boot(state: _State, boot: BootMemory, map_consumers: bool) -> None:
    """Create boot memory (cold layout), or apply the first reset (hot layout), at which point
    firmware and guest map the cold-plugged consumers (BARs, ROMs, extra NUMA memdevs)."""
    state.boot = boot
    if map_consumers:
        for cid in sorted(state.plugged_consumers):
            state.map_consumer(cid, 1)


def _is_plugged(state: _State, device_id: str) -> bool:
    return (device_id in state.memory or device_id in state.plugged_consumers
            or device_id in state.empty_balloons
            or device_id in state.vhost.ids)


def _guest_plug(state: _State, item: _Plugged, requested: int) -> None:
    """A guest driver that follows requested-size plugs from the start of the device."""
    plugged = min(requested, item.size)

    def change() -> None:
        item.plugged = plugged
        state.set_mapped(item, dev.mapped_memslots(item.memslots, item.memslot_size, plugged,
                                                   item.dynamic))

    state.remap(change)


def _run(state: _State, index: int, event: Event, phase: str) -> EventResult:
    device = state.config.device(event.device)
    steps: list[Step] = []
    warnings: list[str] = []
    outcome: dict[str, object] = {}
    error = hint = None
    pending = False
    try:
        if event.action in ("cold", "hotplug"):
            if _is_plugged(state, device.id):
                if isinstance(device, dev.MemoryDevice) and getattr(device, "size", None):
                    # object-add of its memory backend comes first, and fails first
                    raise _Refused(f"attempt to add duplicate property '{device.memdev_id}' to "
                                   "object (type 'container')")
                raise _Refused(f"Duplicate device ID '{device.id}'")
            if isinstance(device, VhostKernel | VhostUser | VhostVdpa):
                _plug_vhost(state, device, phase, steps, warnings)
            elif isinstance(device, Consumer):
                _plug_consumer(state, device, phase, steps)
            else:
                _plug_memory(state, device, phase, steps, warnings, outcome)
        elif event.action == "unplug":
            pending = _unplug(state, device, phase, steps)
        else:
            assert isinstance(device, VirtioMem) and event.requested_size is not None
            _resize(state, device, event.requested_size, steps)
    except _Refused as refused:
        error, hint = refused.message, refused.hint
    except _Abort as abort:
        error = str(abort)
    if error is None and event.action == "cold":
        state.cold_ids.add(event.device)
    return trusted(
        EventResult,
        index=index, action=event.action, device=event.device, kind=device.kind,
        phase="cold" if phase == "cold" else "hot", ok=error is None, error=error, hint=hint,
        pending=pending, warnings=tuple(warnings), derivation=tuple(steps), skipped=False,
        budget=state.budget(), memslot_limit=outcome.get("memslot_limit"),
        memslots=outcome.get("memslots"), memslot_size=outcome.get("memslot_size"),
        address=outcome.get("address"),
    )


# ------------------------------------------------------------------ memory devices


def _plug_memory(state: _State, device: dev.MemoryDevice, phase: str, steps: list[Step],
                 warnings: list[str], outcome: dict[str, object]) -> None:
    """Plug a memory device; `outcome` gets the decision as soon as it is made, so a refused
    device still shows the limit and memslots QEMU had decided before refusing it."""
    rules = state.rules
    machine = state.machine
    thp = machine.host_thp_size
    qtype = dev.qemu_type(device)
    if isinstance(device, HvBalloon):
        if not rules.has_hv_balloon:
            raise _Refused("'hv-balloon' is not a valid device model name")
        if phase == "hot":
            raise _Refused("Bus 'vmbus' does not support hotplugging")
        if any(isinstance(p.device, HvBalloon) for p in state.memory.values()) or \
                state.empty_balloons:
            raise _Refused("Only one balloon device is supported")
    if isinstance(device, VirtioMem) and device.dynamic_memslots and not rules.multi_memslot:
        raise _Refused(f"Property '{qtype}.dynamic-memslots' not found")
    prop = dev.property_error(device)
    if prop:
        raise _Refused(prop)

    # pc_memory_pre_plug(): NVDIMM switch, then the DIMM slot.
    slot = None
    if isinstance(device, PcDimm | Nvdimm):
        if isinstance(device, Nvdimm) and not machine.nvdimm:
            raise _Refused("nvdimm is not enabled: missing 'nvdimm' in '-M'")
        slot = _dimm_slot(state, device)

    # memory_device_pre_plug()
    if isinstance(device, HvBalloon) and device.size is None:
        state.empty_balloons.add(device.id)
        steps.append(step(rule="empty", text="hv-balloon without memdev: an empty memory device, "
                          "no memslot accounting"))
        return
    if state.layout.device_memory_base is None:
        raise _Refused("the configuration is not prepared for memory devices (e.g., for memory "
                       "hotplug), consider specifying the maxmem option")
    region_error = dev.memory_region_error(device)
    if region_error:
        raise _Refused(region_error)
    size = dev.region_size(device)
    decides = dev.decides_memslots(device, rules)
    limit = None
    if decides:
        kvm_max = state.layout.kvm_max if machine.kvm_enabled else None
        free, warning = state.vhost_free()
        if warning:
            warnings.append(warning)
        limit, limit_steps = decision_limit(LimitInputs(
            required=state.required, used=state.used, size=size,
            space=state.layout.device_memory_space, used_region_size=state.used_region_size,
            vhost_max=state.vhost.max(), vhost_free=free,
            kvm_max=kvm_max, kvm_free=state.kvm_free()))
        steps.extend(limit_steps)
        decision = dev.decide(device, limit, thp)
        if isinstance(device, VirtioMem) and not device.dynamic_memslots:
            limit = None
    else:
        decision = dev.decide(device, 1, thp)
    steps.extend(decision.steps)
    required = decision.memslots
    outcome.update(memslot_limit=limit, memslots=required, memslot_size=decision.memslot_size)
    reserved = state.reserved
    kvm_free = state.kvm_free()
    vfree, warning = state.vhost_free()
    if warning:
        warnings.append(warning)
    if rules.multi_memslot:
        if kvm_free is not None:
            steps.append(step(rule="kvm-check", value=kvm_free, text=(
                f"KVM free {kvm_free} {'≥' if kvm_free >= required + reserved else '<'} required "
                f"{required} + reserved {reserved}")))
            if kvm_free < required + reserved:
                raise _Refused("hypervisor has not enough free memory slots left")
        if state.vhost.devices:
            steps.append(step(rule="vhost-check", value=vfree, text=(
                f"vhost free {vfree} {'≥' if vfree >= required + reserved else '<'} required "
                f"{required} + reserved {reserved}")))
        if vfree < required + reserved:
            raise _Refused("a used vhost backend has not enough free memory slots left")
    else:
        if kvm_free is not None and kvm_free <= 0:
            raise _Refused("hypervisor has no free memory slots left")
        if vfree <= 0:
            raise _Refused("a used vhost backend has no free memory slots left")
    used_region = state.used_region_size
    space = state.layout.device_memory_space
    if used_region + size > U64_MAX or used_region + size > space:
        raise _Refused(f"not enough space, currently {hx(used_region)} in use of total space for "
                       f"memory devices {hx(space)}")
    steps.append(step(rule="space", value=space - used_region - size, text=(
        f"space: {human_size(used_region)} used + {human_size(size)} ≤ maxmem − ram "
        f"{human_size(space)}")))
    backend_align = device.backend_alignment
    if size % backend_align:
        raise _Refused(f"backend memory size must be multiple of {hx(backend_align)}")
    align = max(dev.min_alignment(device, thp), backend_align)
    address = _place(state, device, size, align, warnings)
    outcome["address"] = address

    # realize()
    discard_disabled = any(d.kind == "vhost-vdpa" for d in state.vhost.devices)
    realize = dev.realize_error(device, thp, discard_disabled)
    if realize:
        raise _Refused(realize)
    realize_warning = dev.realize_warning(device, thp)
    if realize_warning:
        warnings.append(realize_warning)

    # memory_device_plug()
    item = _Plugged(device=device, memslots=required, memslot_size=decision.memslot_size,
                    size=size, address=address, decides=decides, slot=slot,
                    requested=device.requested_size if isinstance(device, VirtioMem) else 0)
    mapped_now = 0 if isinstance(device, HvBalloon) or item.dynamic else 1

    def plug() -> None:
        state.add_memory(item, mapped_now)
        if decides and required > 1:
            state.auto_active += 1

    state.remap(plug)
    if state.booted and isinstance(device, VirtioMem) and machine.guest_plugs_memory:
        _guest_plug(state, item, item.requested)


def _dimm_slot(state: _State, device: PcDimm | Nvdimm) -> int:
    slots = state.machine.slots
    slot = device.slot
    if slot is not None and slot != -1 and (slot < 0 or slot >= slots):
        raise _Refused(f"invalid slot number {slot}, valid range is [0-{(slots - 1) % (1 << 64)}]")
    if slots <= 0:
        raise _Refused("no slots where allocated, please specify the 'slots' option")
    busy = {p.slot for p in state.memory.values() if p.slot is not None}
    if slot is not None and slot != -1:
        if slot in busy:
            raise _Refused(f"slot {slot} is busy")
        return slot
    for candidate in range(slots):
        if candidate not in busy:
            return candidate
    raise _Refused("no free slots available")


def _place(state: _State, device: dev.MemoryDevice, size: int, align: int,
           warnings: list[str]) -> int:
    """memory_device_get_free_addr(): the user's address, or first fit from the base."""
    base = state.layout.device_memory_base
    region = state.layout.device_memory_size
    assert base is not None and region is not None
    if base % align:
        warnings.append(f"the alignment ({hx(align)}) exceeds the expected maximum alignment, "
                        "memory will get fragmented and not all 'maxmem' might be usable for "
                        "memory devices.")
    end = base + region - 1
    hint = dev.address_hint(device)
    if hint is not None:
        if hint % align:
            raise _Refused(f"address must be aligned to {hx(align)} bytes")
        if size == 0 or hint + size - 1 > U64_MAX or hint < base or hint + size - 1 > end:
            raise _Refused(f"can't add memory device [{hx(hint)}:{hx(size)}], usable range for "
                           f"memory devices [{hx(base)}:{hx(region)}]")
        if not state.gaps.contains(hint, size):
            other = min((p.address, p.device.id) for p in state.memory.values()
                        if p.address <= hint + size - 1 and hint <= p.address + p.size - 1)
            raise _Refused(f"address range conflicts with memory device id='{other[1]}'")
        return hint
    start = align_up(base, align)
    if size == 0 or start + size - 1 > U64_MAX:
        raise _Refused("can't add memory device, device too big")
    found = state.gaps.first_fit(start, size, align)
    if found is None or found + size - 1 > end:
        raise _Refused("could not find position in guest address space for memory device - "
                       "memory fragmented due to alignments")
    return found


# ------------------------------------------------------------------ vhost devices


def _plug_vhost(state: _State, device: VhostDevice, phase: str, steps: list[Step],
                warnings: list[str]) -> None:
    rules = state.rules
    if isinstance(device, VhostVdpa) and any(
            isinstance(p.device, VirtioMem) for p in state.memory.values()):
        raise _Refused("Cannot set discarding of RAM broken")
    limit, how, warning = memslots_limit(device, rules)
    if warning:
        warnings.append(warning)
    steps.append(step(rule="vhost-limit", value=limit, text=how))
    kernel = next((d for d in state.vhost.devices if d.kind == "vhost-kernel"), None) \
        if isinstance(device, VhostKernel) else None
    if kernel is not None and kernel.limit != limit:
        warnings.append(
            f"vhost-kernel devices disagree on max_mem_regions ({kernel.limit} vs {limit}): "
            "a real host has one module parameter for all of them")
    if rules.multi_memslot:
        active = state.auto_active
        if limit < 509 and active > 0:
            steps.append(step(rule="vhost-509", value=limit, text=(
                f"limit {limit} < 509 while {active} memory device(s) decided on more than one "
                "memslot → refused")))
            _refuse_vhost(device, AUTO_DECISION_ERROR, AUTO_DECISION_HINT, warnings)
        steps.append(step(rule="vhost-509", value=limit, text=(
            f"limit {limit} ≥ 509" if limit >= 509 else
            f"limit {limit} < 509, but no memory device decided on more than one memslot")))
    cls = vhost_class(device)
    registered = Registered(id=device.id, kind=device.kind, cls=cls, limit=limit)
    state.vhost.register(registered)
    regions = state.regions()
    if regions[cls]:
        state.vhost.commit(cls, regions[cls])
    used = state.vhost.used(registered, regions)
    reserved = state.reserved
    if rules.multi_memslot:
        ok = used + reserved <= limit
        steps.append(step(rule="vhost-used", value=used + reserved, text=(
            f"used {used} + reserved {reserved} = {used + reserved} "
            f"{'≤' if ok else '>'} limit {limit}")))
        if not ok:
            _teardown(state, registered)
            message = (f"vhost backend memory slots limit ({limit}) is less than current number "
                       f"of used ({used}) and reserved ({reserved}) memory slots for memory "
                       "devices.")
            if isinstance(device, VhostUser) and device.is_netdev and phase == "hot":
                warnings.append("a hot-added vhost-user netdev that fails this check makes QEMU "
                                "retry the connection forever; QMP does not answer")
            _refuse_vhost(device, message, None, warnings)
    elif used > limit:
        _teardown(state, registered)
        _refuse_vhost(device, "vhost backend memory slots limit is less than current number of "
                      "present memory slots", None, warnings)


def _refuse_vhost(device: VhostDevice, message: str, hint: str | None,
                  warnings: list[str]) -> None:
    """vhost_dev_init() failed. tap's vhost-net reports vhost_dev_init's error (and hint) only
    on stderr and fails netdev_add / -netdev with its own wrapper; the others pass it through."""
    if isinstance(device, VhostKernel) and device.is_netdev:
        warnings.append(message)
        if hint:
            warnings.append(hint)
        raise _Refused(VHOST_NET_INIT_FAILED)
    raise _Refused(message, hint)


def _teardown(state: _State, registered: Registered) -> None:
    """vhost_dev_cleanup(): unregistering the listener writes 0 to the class's global."""
    state.vhost.unregister(registered)


# ------------------------------------------------------------------ consumers


def _plug_consumer(state: _State, consumer: Consumer, phase: str, steps: list[Step]) -> None:
    state.plugged_consumers.add(consumer.id)
    steps.append(step(rule="consumer", value=consumer.kvm_slots, text=(
        f"{consumer.kind}: {consumer.kvm_slots} KVM memslot(s), {consumer.vhost_kernel_regions} "
        f"vhost-kernel region(s), {consumer.vhost_user_regions} vhost-user region(s); no "
        "reservation")))
    if phase == "hot":
        state.remap(lambda: state.map_consumer(consumer.id, 1))


# ------------------------------------------------------------------ unplug and resize


def _waits_for_guest(state: _State, device: object) -> str | None:
    """Why an unplug cannot complete without a guest (None: it completes at once).

    pc-dimm and nvdimm use ACPI memory hotplug, and every unplug on pc goes through ACPI: the
    guest must eject. On q35, native PCIe unplug of a device in a slot the first reset powered
    on (a cold-plugged device) also waits for the guest; a hot-plugged device whose slot was
    never powered on by a guest goes at once."""
    if state.machine.guest_plugs_memory:
        return None
    if isinstance(device, PcDimm | Nvdimm):
        return "DIMM unplug needs the guest's ACPI eject"
    if state.machine.type == "pc":
        return "on pc every unplug goes through ACPI and needs the guest's eject"
    if getattr(device, "id", None) in state.cold_ids:
        return ("the device was present at the first reset, so its PCIe slot is powered on and "
                "native unplug waits for the guest")
    return None


def _unplug(state: _State, device: object, phase: str, steps: list[Step]) -> bool:
    """device_del: refusals first, then either a completed unplug or one pending on the guest
    (in which case the device keeps its memslots, reservation and vhost limit)."""
    if isinstance(device, VhostKernel | VhostUser | VhostVdpa):
        registered = next((d for d in state.vhost.devices if d.id == device.id), None)
        if registered is None:
            raise _Refused(f"Device '{device.id}' not found")
        waits = _waits_for_guest(state, device)
        if waits:
            steps.append(step(rule="unplug", text=f"pending: {waits}"))
            return True
        state.remap(lambda: _teardown(state, registered))
        return False
    if isinstance(device, Consumer):
        if device.id not in state.plugged_consumers:
            raise _Refused(f"Device '{device.id}' not found")

        def drop() -> None:
            state.plugged_consumers.discard(device.id)
            state.map_consumer(device.id, -1)

        state.remap(drop)
        return False
    item = state.memory.get(device.id)  # type: ignore[attr-defined]
    if item is None:
        if device.id in state.empty_balloons:  # type: ignore[attr-defined]
            raise _Refused("Bus 'vmbus' does not support hotplugging")
        raise _Refused(f"Device '{device.id}' not found")  # type: ignore[attr-defined]
    refusal = dev.unplug_error(item.device, item.plugged, item.requested, state.rules)
    if refusal:
        raise _Refused(refusal)
    waits = _waits_for_guest(state, item.device)
    if waits:
        steps.append(step(rule="unplug", text=f"pending: {waits}"))
        return True

    def unplug() -> None:
        state.remove_memory(item)
        if item.decides and item.memslots > 1:
            state.auto_active -= 1

    state.remap(unplug)
    steps.append(step(rule="unplug", value=item.memslots, text=(
        f"frees {item.memslots} memslot(s) and {human_size(item.size)} of device memory")))
    return False


def _resize(state: _State, device: VirtioMem, requested: int, steps: list[Step]) -> None:
    item = state.memory.get(device.id)
    if item is None:
        raise _Refused(f"Device '{device.id}' not found")
    refusal = dev.resize_error(device, requested, state.machine.host_thp_size)
    if refusal:
        raise _Refused(refusal)
    item.requested = requested
    if state.machine.guest_plugs_memory:
        _guest_plug(state, item, requested)
    steps.append(step(rule="resize", value=item.mapped, text=(
        f"requested-size {human_size(requested)}: the guest plugs "
        f"{human_size(item.plugged)}, {item.mapped} of {item.memslots} memslot(s) mapped")))
