"""memory_device_pre_plug() and memory_device_plug(): plugging one memory device.

The checks run in QEMU's order — the device's own property and slot checks, device memory,
the decision limit and the device's decision, KVM and vhost free memslots, space, backend
alignment, placement, then the device's realize() — and the first refusal wins with QEMU's
message. Nothing is changed before every check passed.
"""

from __future__ import annotations

from . import devices as dev
from .limits import LimitInputs, decision_limit
from .model import HvBalloon, Nvdimm, PcDimm, VirtioMem
from .report import Bytes, Step, lazy, step
from .state import MachineState, Plugged, Refused, guest_plug
from .units import U64_MAX, align_up
from .units import qemu_hex as hx


def plug_memory(
    state: MachineState,
    device: dev.MemoryDevice,
    phase: str,
    steps: list[Step],
    warnings: list[str],
    outcome: dict[str, object],
) -> None:
    """Plug a memory device; `outcome` gets the decision as soon as it is made, so a refused
    device still shows the limit and memslots QEMU had decided before refusing it."""
    rules = state.rules
    machine = state.machine
    thp = machine.host_thp_size
    qtype = dev.qemu_type(device)
    backend = dev.backend_error(device)
    if backend:  # the backend object fails before the device exists
        raise Refused(backend)
    if isinstance(device, HvBalloon):
        if not rules.has_hv_balloon:
            raise Refused("'hv-balloon' is not a valid device model name")
        if phase == "hot":
            raise Refused("Bus 'vmbus' does not support hotplugging")
        if (
            any(isinstance(p.device, HvBalloon) for p in state.memory.values())
            or state.empty_balloons
        ):
            raise Refused("Only one balloon device is supported")
    # block-size is validated as it is set, before QEMU reaches the unknown property (7.2)
    prop = dev.property_error(device)
    if prop:
        raise Refused(prop)
    if isinstance(device, VirtioMem) and device.dynamic_memslots and not rules.multi_memslot:
        raise Refused(f"Property '{qtype}.dynamic-memslots' not found")

    # pc_memory_pre_plug(): NVDIMM switch, then the DIMM slot.
    slot = None
    if isinstance(device, PcDimm | Nvdimm):
        if isinstance(device, Nvdimm) and not machine.nvdimm:
            raise Refused("nvdimm is not enabled: missing 'nvdimm' in '-M'")
        slot = _dimm_slot(state, device)

    # memory_device_pre_plug()
    if isinstance(device, HvBalloon) and device.size is None:
        state.empty_balloons.add(device.id)
        steps.append(
            step(
                rule="empty",
                text="hv-balloon without memdev: an empty memory device, no memslot accounting",
            )
        )
        return
    if state.layout.device_memory_base is None:
        raise Refused(
            "the configuration is not prepared for memory devices (e.g., for memory "
            "hotplug), consider specifying the maxmem option"
        )
    region_error = dev.memory_region_error(device)
    if region_error:
        raise Refused(region_error)
    size = dev.region_size(device)
    decides = dev.decides_memslots(device, rules)
    limit = None
    if decides:
        kvm_max = state.layout.kvm_max if machine.kvm_enabled else None
        free, warning = state.vhost_free()
        if warning:
            warnings.append(warning)
        limit, limit_steps = decision_limit(
            LimitInputs(
                required=state.required,
                used=state.used,
                size=size,
                space=state.layout.device_memory_space,
                used_region_size=state.used_region_size,
                vhost_max=state.vhost.max(),
                vhost_free=free,
                kvm_max=kvm_max,
                kvm_free=state.kvm_free(),
            )
        )
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
            steps.append(
                lazy(
                    "kvm-check",
                    kvm_free,
                    "KVM free {} {} required {} + reserved {}",
                    kvm_free,
                    "≥" if kvm_free >= required + reserved else "<",
                    required,
                    reserved,
                )
            )
            if kvm_free < required + reserved:
                raise Refused("hypervisor has not enough free memory slots left")
        if state.vhost.devices:
            steps.append(
                lazy(
                    "vhost-check",
                    vfree,
                    "vhost free {} {} required {} + reserved {}",
                    vfree,
                    "≥" if vfree >= required + reserved else "<",
                    required,
                    reserved,
                )
            )
        if vfree < required + reserved:
            raise Refused("a used vhost backend has not enough free memory slots left")
    else:
        if kvm_free is not None and kvm_free <= 0:
            raise Refused("hypervisor has no free memory slots left")
        if vfree <= 0:
            raise Refused("a used vhost backend has no free memory slots left")
    used_region = state.used_region_size
    space = state.layout.device_memory_space
    if used_region + size > U64_MAX or used_region + size > space:
        raise Refused(
            f"not enough space, currently {hx(used_region)} in use of total space for "
            f"memory devices {hx(space)}"
        )
    steps.append(
        lazy(
            "space",
            space - used_region - size,
            "space: {} used + {} ≤ maxmem − ram {}",
            Bytes(used_region),
            Bytes(size),
            Bytes(space),
        )
    )
    backend_align = device.backend_alignment
    if size % backend_align:
        raise Refused(f"backend memory size must be multiple of {hx(backend_align)}")
    align = max(dev.min_alignment(device, thp), backend_align)
    address = _place(state, device, size, align, warnings)
    outcome["address"] = address

    # realize()
    discard_disabled = state.vhost.kinds.get("vhost-vdpa", 0) > 0
    realize = dev.realize_error(device, thp, discard_disabled)
    if realize:
        raise Refused(realize)
    realize_warning = dev.realize_warning(device, thp)
    if realize_warning:
        warnings.append(realize_warning)

    # memory_device_plug()
    item = Plugged(
        device=device,
        memslots=required,
        memslot_size=decision.memslot_size,
        size=size,
        address=address,
        decides=decides,
        slot=slot,
        requested=device.requested_size if isinstance(device, VirtioMem) else 0,
    )
    mapped_now = 0 if isinstance(device, HvBalloon) or item.dynamic else 1

    def plug() -> None:
        state.add_memory(item, mapped_now)
        if decides and required > 1:
            state.auto_active += 1

    state.remap(plug)
    if state.booted and isinstance(device, VirtioMem) and machine.guest_plugs_memory:
        guest_plug(state, item, item.requested)


def _dimm_slot(state: MachineState, device: PcDimm | Nvdimm) -> int:
    slots = state.machine.slots
    slot = device.slot
    if slot is not None and slot != -1 and (slot < 0 or slot >= slots):
        raise Refused(f"invalid slot number {slot}, valid range is [0-{(slots - 1) % (1 << 64)}]")
    if slots <= 0:
        raise Refused("no slots where allocated, please specify the 'slots' option")
    busy = state.busy_slots
    if slot is not None and slot != -1:
        if slot in busy:
            raise Refused(f"slot {slot} is busy")
        return slot
    for candidate in range(slots):
        if candidate not in busy:
            return candidate
    raise Refused("no free slots available")


def _place(
    state: MachineState, device: dev.MemoryDevice, size: int, align: int, warnings: list[str]
) -> int:
    """memory_device_get_free_addr(): the user's address, or first fit from the base."""
    base = state.layout.device_memory_base
    region = state.layout.device_memory_size
    assert base is not None and region is not None
    if base % align:
        warnings.append(
            f"the alignment ({hx(align)}) exceeds the expected maximum alignment, "
            "memory will get fragmented and not all 'maxmem' might be usable for "
            "memory devices."
        )
    end = base + region - 1
    hint = dev.address_hint(device)
    if hint is not None:
        if hint % align:
            raise Refused(f"address must be aligned to {hx(align)} bytes")
        if size == 0 or hint + size - 1 > U64_MAX or hint < base or hint + size - 1 > end:
            raise Refused(
                f"can't add memory device [{hx(hint)}:{hx(size)}], usable range for "
                f"memory devices [{hx(base)}:{hx(region)}]"
            )
        if not state.gaps.contains(hint, size):
            other = min(
                (p.address, p.device.id)
                for p in state.memory.values()
                if p.address <= hint + size - 1 and hint <= p.address + p.size - 1
            )
            raise Refused(f"address range conflicts with memory device id='{other[1]}'")
        return hint
    start = align_up(base, align)
    if size == 0 or start + size - 1 > U64_MAX:
        raise Refused("can't add memory device, device too big")
    found = state.gaps.first_fit(start, size, align)
    if found is None or found + size - 1 > end:
        raise Refused(
            "could not find position in guest address space for memory device - "
            "memory fragmented due to alignments"
        )
    return found
