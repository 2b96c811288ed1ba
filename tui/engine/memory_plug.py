"""Plugging one memory device, split as QEMU splits it.

1. the device's own pre-plug (`pc_memory_pre_plug()`: properties, NVDIMM switch, DIMM slot;
   hv-balloon's bus and single-balloon checks),
2. `memory_device_pre_plug()`: device memory, the decision limit and the device's
   `decide_memslots()`, `memory_device_check_addable()` (KVM and vhost free memslots, space),
   backend alignment and `memory_device_get_free_addr()`,
3. the device's `realize()`,
4. `memory_device_plug()`: the bookkeeping (used region, required memslots, mapping).

Each step returns what it found; the first refusal wins with QEMU's code and facts, and nothing
is changed before every check passed. A refused device still reports the limit and memslots
QEMU had decided before refusing it.

Kinds are told apart with `type(device) is Model`: the models' metaclass (pydantic's, an
ABCMeta) makes every isinstance() that fails a Python-level call, and models are never
subclassed.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import devices as dev
from .kinds import MEMORY_KINDS, MemoryKind
from .limits import LimitInputs, decision_limit
from .model import HvBalloon, Nvdimm, VirtioMem
from .refusals import Code, Refusal, refusal, warn_alignment
from .report import Outcome, RawStep, step
from .state import KVM_ABORT, Abort, MachineState, Plugged, Refused, guest_plug
from .units import U64_MAX, align_up


@dataclass(slots=True)
class Decided:
    """What memory_device_pre_plug() decided before its checks: the limit and the memslots."""

    size: int
    """memory_region_size() of the device."""
    decides: bool
    limit: int | None
    """The decision limit handed to decide_memslots(); None when the device does not decide."""
    decision: dev.Decision
    steps: tuple[RawStep, ...]
    warnings: tuple[str, ...]


@dataclass(slots=True)
class Checked:
    """memory_device_check_addable() and placement: the steps, and the refusal if any."""

    steps: tuple[RawStep, ...]
    warnings: tuple[str, ...] = ()
    refusal: Refusal | None = None
    address: int | None = None


def plug_memory(state: MachineState, device: dev.MemoryDevice, phase: str) -> Outcome:
    """device_add / -device of a memory device: QEMU's verdict and what it decided."""
    kind = MEMORY_KINDS[device.kind]
    try:
        slot = device_pre_plug(state, device, kind, phase)
    except Refused as refused:
        return Outcome(refusal=refused.refusal)
    if type(device) is HvBalloon and device.size is None:
        state.empty_balloons.add(device.id)
        return Outcome(
            steps=(
                step(
                    rule="empty",
                    text="hv-balloon without memdev: an empty memory device, no memslot accounting",
                ),
            )
        )
    no_memory = device_memory_error(state, device)
    if no_memory is not None:
        return Outcome(refusal=no_memory)
    # what QEMU's kvm_get_free_memslots() and vhost_get_free_memslots() answer (nothing changes
    # between the decision and the checks, so both read the same numbers)
    vhost_free = state.vhost_free()
    kvm_free = state.kvm_free()
    decided = decide(state, device, kind, vhost_free, kvm_free)
    memslots = decided.decision.memslots
    checked = check_addable(state, device, decided, vhost_free[0], kvm_free)
    steps = decided.steps + checked.steps
    warnings = decided.warnings + checked.warnings
    found = checked.refusal
    if found is None:
        realize_warnings: tuple[str, ...] = ()
        try:
            realize_warnings = realize(state, device)
        except Refused as exc:
            found = exc.refusal
        warnings += realize_warnings
    # positionally: steps, warnings, refusal, stops_qemu, pending, then what QEMU decided
    outcome = Outcome(
        steps,
        warnings,
        found,
        None,
        False,
        decided.limit,
        memslots,
        decided.decision.memslot_size,
        checked.address,
    )
    if found is None:
        assert checked.address is not None
        try:
            memory_device_plug(state, device, decided, checked.address, slot)
        except Abort as abort:
            return outcome._replace(refusal=abort.refusal, stops_qemu=KVM_ABORT)
    return outcome


# --------------------------------------------------------------------------- 1. device pre-plug


def device_pre_plug(
    state: MachineState, device: dev.MemoryDevice, kind: MemoryKind, phase: str
) -> int | None:
    """The device's own checks before memory_device_pre_plug(); returns its DIMM slot."""
    rules = state.rules
    backend = dev.backend_error(device)
    if backend is not None:  # the backend object fails before the device exists
        raise Refused(backend)
    if device.memdev is not None and device.memdev_id not in state.backends:
        # the memdev link names an object that does not exist (its owner is not plugged)
        raise Refused(refusal(Code.DEVICE_NOT_FOUND, device=device.memdev_id))
    if type(device) is HvBalloon:
        if not rules.has_hv_balloon:
            raise Refused(refusal(Code.NO_DEVICE_MODEL, device=device.id, driver=kind.driver))
        if phase == "hot" and not kind.hotplug:
            raise Refused(refusal(Code.BUS_NO_HOTPLUG, device=device.id, bus=kind.bus))
        if state.balloons():
            raise Refused(refusal(Code.ONE_BALLOON_ONLY, device=device.id))
    # block-size is validated as it is set, before QEMU reaches the unknown property (7.2)
    prop = dev.property_error(device)
    if prop is not None:
        raise Refused(prop)
    if (
        kind.multi_memslot_property is not None
        and type(device) is VirtioMem
        and device.dynamic_memslots
        and not rules.multi_memslot
    ):
        raise Refused(
            refusal(
                Code.PROPERTY_NOT_FOUND,
                device=device.id,
                driver=kind.driver,
                prop=kind.multi_memslot_property,
            )
        )
    # pc_memory_pre_plug(): NVDIMM switch, then the DIMM slot.
    if type(device) is Nvdimm and not state.machine.nvdimm:
        raise Refused(refusal(Code.NVDIMM_NOT_ENABLED, device=device.id))
    if kind.takes_dimm_slot:
        return _dimm_slot(state, device)
    return None


def _dimm_slot(state: MachineState, device: dev.MemoryDevice) -> int:
    """pc_dimm_get_free_slot(): the user's slot if valid and free, else the first free one."""
    slots = state.machine.slots
    slot: int | None = getattr(device, "slot", None)
    if slot is not None and slot != -1 and (slot < 0 or slot >= slots):
        raise Refused(
            refusal(Code.DIMM_SLOT_OUT_OF_RANGE, device=device.id, slot=slot, slots=slots)
        )
    if slots <= 0:
        raise Refused(refusal(Code.NO_DIMM_SLOTS, device=device.id))
    busy = state.busy_slots
    if slot is not None and slot != -1:
        if slot in busy:
            raise Refused(refusal(Code.DIMM_SLOT_BUSY, device=device.id, slot=slot, slots=slots))
        return slot
    for candidate in range(state.lowest_free_slot, slots):
        if candidate not in busy:
            state.lowest_free_slot = candidate
            return candidate
    raise Refused(refusal(Code.NO_FREE_DIMM_SLOT, device=device.id, slots=slots))


# ------------------------------------------------------------------ 2. memory_device_pre_plug


def device_memory_error(state: MachineState, device: dev.MemoryDevice) -> Refusal | None:
    """No device-memory region, or get_memory_region() fails (nvdimm's label checks)."""
    if state.layout.device_memory_base is None:
        return refusal(Code.NO_DEVICE_MEMORY, device=device.id)
    return dev.memory_region_error(device)


def decide(
    state: MachineState,
    device: dev.MemoryDevice,
    kind: MemoryKind,
    vhost_free: tuple[int, str | None],
    kvm_free: int | None,
) -> Decided:
    """memory_device_memslot_decision_limit() and the device's decide_memslots();
    `vhost_free` is vhost_get_free_memslots() with its once-only warning, `kvm_free`
    kvm_get_free_memslots() (None without KVM)."""
    thp = state.machine.host_thp_size
    size = dev.region_size(device)
    # the device class has decide_memslots (virtio-mem and hv-balloon, QEMU 8.2+)
    decides = state.rules.multi_memslot and kind.decides_memslots
    free, warning = vhost_free
    warnings = (warning,) if warning else ()
    if not decides:
        decision = dev.decide(device, 1, thp)
        return Decided(size, False, None, decision, decision.steps, warnings)
    layout = state.layout
    limit, limit_steps = decision_limit(
        LimitInputs(
            state.mem_required,  # required
            state.mem_mapped,  # used
            size,
            layout.device_memory_space,
            state.mem_size,  # used_region_size
            state.vhost.max(),
            free,
            layout.kvm_max if state.kvm else None,
            kvm_free,
        )
    )
    decision = dev.decide(device, limit, thp)
    if type(device) is VirtioMem and not device.dynamic_memslots:
        shown: int | None = None  # dynamic-memslots=off ignores the limit
    else:
        shown = limit
    return Decided(size, True, shown, decision, limit_steps + decision.steps, warnings)


def check_addable(
    state: MachineState,
    device: dev.MemoryDevice,
    decided: Decided,
    vfree: int,
    kvm_free: int | None,
) -> Checked:
    """memory_device_check_addable(), the backend alignment and memory_device_get_free_addr()."""
    required = decided.decision.memslots
    reserved = state.mem_required - state.mem_mapped  # get_reserved_memslots()
    if reserved < 0:
        reserved = 0
    warnings: tuple[str, ...] = ()
    steps: list[RawStep] = []
    if state.rules.multi_memslot:
        if kvm_free is not None:
            enough = kvm_free >= required + reserved
            steps.append(
                (
                    "kvm-check",
                    kvm_free,
                    "KVM free {} {} required {} + reserved {}",
                    (kvm_free, "≥" if enough else "<", required, reserved),
                )
            )
            if not enough:
                return _not_enough(
                    Code.KVM_NOT_ENOUGH_FREE, device, decided, reserved, kvm_free, steps
                )
        enough = vfree >= required + reserved
        if state.vhost.devices:
            steps.append(
                (
                    "vhost-check",
                    vfree,
                    "vhost free {} {} required {} + reserved {}",
                    (vfree, "≥" if enough else "<", required, reserved),
                )
            )
        if not enough:
            return _not_enough(Code.VHOST_NOT_ENOUGH_FREE, device, decided, reserved, vfree, steps)
    else:
        if kvm_free is not None and kvm_free <= 0:
            return _not_enough(Code.KVM_NOT_ENOUGH_FREE, device, decided, reserved, kvm_free, steps)
        if vfree <= 0:
            return _not_enough(Code.VHOST_NOT_ENOUGH_FREE, device, decided, reserved, vfree, steps)
    size = decided.size
    used_region = state.mem_size
    space = state.layout.device_memory_space
    if used_region + size > U64_MAX or used_region + size > space:
        found = refusal(
            Code.NOT_ENOUGH_SPACE, device=device.id, size=size, in_use=used_region, space=space
        )
        return Checked(tuple(steps), warnings, found)
    steps.append(
        (
            "space",
            space - used_region - size,
            "space: {:bytes} used + {:bytes} ≤ maxmem − ram {:bytes}",
            (used_region, size, space),
        )
    )
    backend_align = device.backend_alignment
    if size % backend_align:
        found = refusal(
            Code.BACKEND_SIZE_UNALIGNED, device=device.id, size=size, align=backend_align
        )
        return Checked(tuple(steps), warnings, found)
    align = max(dev.min_alignment(device, state.machine.host_thp_size), backend_align)
    base = state.layout.device_memory_base
    if base is not None and base % align:
        # the device-memory base is not aligned for this device: QEMU warns (8.2+)
        warnings = (warn_alignment(align),)
    try:
        address = get_free_addr(state, device, size, align)
    except Refused as refused:
        return Checked(tuple(steps), warnings, refused.refusal)
    return Checked(tuple(steps), warnings, None, address)


def _not_enough(
    code: Code,
    device: dev.MemoryDevice,
    decided: Decided,
    reserved: int,
    free: int,
    steps: list[RawStep],
) -> Checked:
    """memory_device_check_addable() refuses: not enough free KVM or vhost memslots."""
    required = decided.decision.memslots
    found = refusal(code, device=device.id, required=required, reserved=reserved, free=free)
    return Checked(tuple(steps), (), found)


def get_free_addr(state: MachineState, device: dev.MemoryDevice, size: int, align: int) -> int:
    """memory_device_get_free_addr(): the user's address, or first fit from the base."""
    layout = state.layout
    base = layout.device_memory_base
    region = layout.device_memory_size
    assert base is not None and region is not None
    end = base + region - 1
    hint = dev.address_hint(device)
    if hint is not None:
        if hint % align:
            raise _no_address(Code.ADDRESS_UNALIGNED, device, size, align, base, region, hint)
        if size == 0 or hint + size - 1 > U64_MAX or hint < base or hint + size - 1 > end:
            raise _no_address(Code.ADDRESS_OUT_OF_RANGE, device, size, align, base, region, hint)
        if not state.gaps.contains(hint, size):
            other = min(
                (p.address, p.device.id)
                for p in state.memory.values()
                if p.address <= hint + size - 1 and hint <= p.address + p.size - 1
            )
            raise _no_address(
                Code.ADDRESS_CONFLICT, device, size, align, base, region, hint, other=other[1]
            )
        return hint
    start = align_up(base, align)
    if size == 0 or start + size - 1 > U64_MAX:
        raise _no_address(Code.DEVICE_TOO_BIG, device, size, align, base, region)
    found = state.gaps.first_fit(start, size, align)
    if found is None or found + size - 1 > end:
        raise _no_address(Code.NO_POSITION, device, size, align, base, region)
    return found


def _no_address(
    code: Code,
    device: dev.MemoryDevice,
    size: int,
    align: int,
    base: int,
    region: int,
    address: int | None = None,
    **facts: object,
) -> Refused:
    """memory_device_get_free_addr() refuses, naming the device-memory region."""
    if address is not None:
        facts["address"] = address
    where = {"device": device.id, "size": size, "align": align, "base": base, "region": region}
    return Refused(refusal(code, **where, **facts))


# --------------------------------------------------------------------------- 3. realize


def realize(state: MachineState, device: dev.MemoryDevice) -> tuple[str, ...]:
    """The device's realize(): its own errors (raised) and warnings (returned)."""
    if state.shares_backends and device.memdev_id in state.busy_memdevs:
        # a backend backs one device: the first realize check
        raise Refused(
            refusal(
                Code.BUSY_MEMDEV,
                device=device.id,
                memdev=device.memdev_id,
                driver=dev.qemu_type(device),
            )
        )
    thp = state.machine.host_thp_size
    discard_disabled = state.vhost.discard_disabled()
    error = dev.realize_error(device, thp, discard_disabled)
    if error is not None:
        raise Refused(error)
    warning = dev.realize_warning(device, thp)
    return (warning,) if warning else ()


# --------------------------------------------------------------------------- 4. memory_device_plug


def memory_device_plug(
    state: MachineState, device: dev.MemoryDevice, decided: Decided, address: int, slot: int | None
) -> None:
    """The bookkeeping: used region, required memslots, auto-decision count, mapping."""
    required = decided.decision.memslots
    virtio_mem = type(device) is VirtioMem
    requested = device.requested_size if type(device) is VirtioMem else 0
    item = Plugged(
        device,
        required,
        decided.decision.memslot_size,
        decided.size,
        address,
        decided.decides,
        requested,
        0,  # plugged
        0,  # mapped
        slot,
    )
    mapped_now = 0 if item.dynamic or type(device) is HvBalloon else 1

    def plug() -> None:
        state.add_memory(item, mapped_now)
        if decided.decides and required > 1:
            state.auto_active += 1

    state.remap(plug)
    if virtio_mem and state.booted and state.machine.guest_plugs_memory:
        guest_plug(state, item, item.requested)
