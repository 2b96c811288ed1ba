"""replay(config) -> Report: play a configuration's timeline the way QEMU would.

Cold plugs happen in QEMU's start-up order (netdevs before the machine, then `-device` in
command-line order before the first reset), then the guest boots, then each hotplug, unplug or
resize. For every memory device the checks run in memory_device_pre_plug()'s order; a refused
event leaves no state behind, exactly as in QEMU. A refused cold plug ends QEMU, so later events
are reported as never reached.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from . import devices as dev
from .kinds import MEMORY_KINDS, VHOST_KINDS, consumer_kind, memory_kind
from .layout import BootMemory, layout
from .memory_plug import plug_memory
from .model import (
    AnyDevice,
    Config,
    Consumer,
    Event,
    VhostDeviceModel,
    VhostUser,
    VirtioMem,
)
from .refusals import Code, Refusal, refusal
from .report import Counters, EventAt, EventResult, Outcome, Report, step
from .state import KVM_ABORT, Abort, MachineState, Refused, guest_plug, is_plugged
from .units import human_size
from .versions import Rules, rules_for
from .vhost import VhostState, memslots_limit
from .vhost_init import VHOST_USER_NET_HANG, plug_vhost, teardown

__all__ = ["KVM_ABORT", "replay"]


def replay(config: Config) -> Report:
    """Replay the timeline; pure and deterministic.

    The cyclic garbage collector is paused meanwhile (and restored as it was): a replay makes
    thousands of short-lived objects without reference cycles, and the collections they would
    trigger rescan every live object — about a sixth of a 1,000-device replay."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _replay(config)
    finally:
        if paused:
            gc.enable()


def _replay(config: Config) -> Report:
    rules = rules_for(config.machine)
    lay = layout(config.machine)
    state = MachineState(
        config=config, rules=rules, layout=lay, boot=BootMemory(0, 0), vhost=VhostState(rules=rules)
    )
    state.consumers = {c.id: c for c in config.consumers}
    if lay.device_memory_base is not None and lay.device_memory_size:
        state.gaps.give(lay.device_memory_base, lay.device_memory_size)
    timeline = config.timeline
    results: list[EventResult | None] = [None] * len(timeline)
    planned: list[_Planned] = []
    netdevs: list[_Planned] = []
    devices: list[_Planned] = []
    hot: list[_Planned] = []
    device_of = config.device
    # tuple.__new__ with every field: one per event, without NamedTuple's Python __new__
    new_at = tuple.__new__
    for index, event in enumerate(timeline):
        device_id = event.device
        device = device_of(device_id)
        kind = device.kind
        # what plugs it is chosen once here, from its kind, not again per event
        netdev = False
        plug: _Plug
        if kind in MEMORY_KINDS:
            plug = _plug_memory
        elif _is_vhost(device):
            plug = plug_vhost
            netdev = VHOST_KINDS[kind].is_netdev(device.device)  # kinds.is_netdev
        else:
            plug = _plug_consumer
        action = event.action
        at = new_at(EventAt, (index, action, device_id, kind))
        item = (at, event, device, plug)
        planned.append(item)
        if action != "cold":
            hot.append(item)
        elif netdev:
            netdevs.append(item)
        else:
            devices.append(item)

    # QEMU's own order: -netdev back-ends exist before the machine (they see no memory), then
    # boot memory, every -device in command-line order, the first reset, then the monitor.
    # When boot memory alone needs more KVM slots than the host has, QEMU still realizes every
    # -device first (a failing one reports its own error), then aborts in kvm_alloc_slot.
    stop: _Stop | None = None
    if lay.startup_refusal is not None:
        stop = _Stop(lay.startup_refusal.text(rules), "start-up", lay.startup_refusal)
    if stop is None:
        stop = _cold_backends(devices, rules)
        if state.shares_backends:  # every cold backend exists before the first -device
            for _at, _event, cold_device, _plug_it in devices:
                if _is_memory(cold_device) and cold_device.owns_backend:
                    state.backends.add(cold_device.memdev_id)
    boot_slots = max(lay.cold.kvm_slots, lay.hot.kvm_slots)
    boot_abort = state.machine.kvm_enabled and boot_slots > lay.kvm_max
    boot_counters = None
    if stop is None:
        stop = _play(state, netdevs, "cold", results)
    if stop is None and not boot_abort:
        stop = _map(state, lambda: _set_boot(state, lay.cold, map_consumers=False), "start-up")
    if stop is None:
        stop = _play(state, devices, "cold", results)
    if stop is None and boot_abort:
        abort = refusal(Code.KVM_NO_FREE_SLOT, limit=lay.kvm_max, used=boot_slots)
        stop = _Stop(abort.text(rules), "start-up", abort)
    if stop is None:
        stop = _map(state, lambda: _first_reset(state), "the first reset")
        boot_counters = state.counters()
    if stop is None:
        stop = _play(state, hot, "hot", results)

    final = state.counters()
    events = [
        result if result is not None else _never(at, stop, final)
        for result, (at, _event, _device, _plug_it) in zip(results, planned, strict=True)
    ]
    warnings: list[str] = []
    for result in events:
        outcome = result.outcome
        if outcome.warnings and not outcome.skipped:
            warnings += outcome.warnings
    at_start = stop is not None and stop.where in ("start-up", "the first reset")
    return Report(
        qemu_version=config.machine.qemu_version,
        rules=rules.name,
        final_counters=final,
        startup_error=stop.error if stop is not None and at_start else None,
        startup_refusal=stop.refusal if stop is not None and at_start else None,
        device_memory_base=lay.device_memory_base,
        device_memory_size=lay.device_memory_size,
        events=tuple(events),
        boot_counters=boot_counters,
        warnings=tuple(dict.fromkeys(warnings)),
    )


@dataclass(frozen=True)
class _Stop:
    """QEMU can take no further event: it exited, aborted, or its monitor is stuck."""

    error: str
    where: str
    refusal: Refusal | None = None


_Plug = Callable[[MachineState, Any, str], Outcome]
"""What a cold plug or hotplug of a device runs (its device is of the kind it was chosen for):
_plug_memory, plug_vhost (vhost_dev_init) or _plug_consumer."""

_Planned = tuple[EventAt, Event, AnyDevice, _Plug]
"""A timeline event, where the report puts it, its device and what plugs that device."""


def _cold_backends(devices: list[_Planned], rules: Rules) -> _Stop | None:
    """`-object memory-backend-*` are created before the machine and every -device: a backend
    that refuses its properties (size 0) ends QEMU at start-up, before any device."""
    for _at, _event, device, _plug_it in devices:
        if _is_memory(device):
            found = dev.backend_error(device)
            if found is not None:
                return _Stop(found.text(rules), "start-up", found)
    return None


def _play(
    state: MachineState,
    events: list[_Planned],
    phase: str,
    results: list[EventResult | None],
) -> _Stop | None:
    """Run events in order: for each, QEMU's verdict, what it decided, and the counters after
    it. A refused cold plug, an abort or a stuck monitor stops QEMU.

    One loop with the event's body inline: it runs once per event."""
    made = EventResult.made
    counters = state.counters
    cold = phase == "cold"
    for at, event, device, plug in events:
        action = event.action
        try:
            if action == "cold" or action == "hotplug":
                if is_plugged(state, device.id):
                    raise _duplicate(device)
                outcome = plug(state, device, phase)
            else:
                outcome = _other(state, device, event)
        except Refused as refused:
            outcome = Outcome(refusal=refused.refusal, stops_qemu=refused.stops_qemu)
        except Abort as abort:
            outcome = Outcome(refusal=abort.refusal, stops_qemu=KVM_ABORT)
        found = outcome.refusal
        if found is not None:
            error = found.text(state.rules)
            if outcome.stops_qemu is not None:
                state.stopped = error if outcome.stops_qemu == KVM_ABORT else outcome.stops_qemu
            outcome = outcome._replace(error=error)
        elif action == "cold":
            state.cold_ids.add(event.device)
        results[at.position] = made(at, found is None, counters(), outcome)
        if state.stopped or (cold and found is not None):
            return _Stop(state.stopped or outcome.error or "", event.device, found)
    return None


def _map(state: MachineState, change: Callable[[], None], where: str) -> _Stop | None:
    """Map boot memory or apply the first reset; KVM running out of slots aborts QEMU."""
    try:
        state.remap(change)
    except Abort as abort:
        return _Stop(abort.refusal.text(state.rules), where, abort.refusal)
    return None


def _first_reset(state: MachineState) -> None:
    """The reset splits boot memory, maps cold consumers, and the guest plugs virtio-mem."""
    _set_boot(state, state.layout.hot, map_consumers=True)
    state.booted = True
    if state.machine.guest_plugs_memory:
        for item in list(state.memory.values()):
            if type(item.device) is VirtioMem:
                guest_plug(state, item, item.requested)


def _never(at: EventAt, stop: _Stop | None, final: Counters) -> EventResult:
    """An event QEMU never got to."""
    reason = _never_reached(stop.error if stop else None, stop.where if stop else None)
    return EventResult(at, False, final, Outcome(warnings=(reason,), skipped=True))


# ------------------------------------------------------------------ helpers


def _never_reached(fatal: str | None, where: str | None) -> str:
    if fatal == VHOST_USER_NET_HANG:
        return f"never reached: QEMU stopped answering QMP after {where}"
    return f"never reached: QEMU exited at {where}"


def _set_boot(state: MachineState, boot: BootMemory, map_consumers: bool) -> None:
    """Create boot memory (cold layout), or apply the first reset (hot layout), at which point
    firmware and guest map the cold-plugged consumers (BARs, ROMs, extra NUMA memdevs)."""
    state.boot = boot
    if map_consumers:
        for cid in sorted(state.plugged_consumers):
            state.map_consumer(cid, 1)


def _other(state: MachineState, device: AnyDevice, event: Event) -> Outcome:
    """Dispatch an unplug, a back-end's disconnect or reconnect, or a resize."""
    if event.action == "unplug":
        return _unplug(state, device)
    if event.action == "disconnect":
        assert isinstance(device, VhostUser)
        return _disconnect(state, device)
    if event.action == "reconnect":
        assert isinstance(device, VhostUser)
        return _reconnect(state, device, event.max_mem_slots)
    assert isinstance(device, VirtioMem) and event.requested_size is not None
    return _resize(state, device, event.requested_size)


def _is_memory(device: AnyDevice) -> TypeGuard[dev.MemoryDevice]:
    return device.kind in MEMORY_KINDS


def _is_vhost(device: AnyDevice) -> TypeGuard[VhostDeviceModel]:
    return device.kind in VHOST_KINDS


def _duplicate(device: AnyDevice) -> Refused:
    """-device / device_add / netdev_add of an id QEMU already has."""
    if _is_memory(device) and device.owns_backend:
        # object-add of its memory backend comes first, and fails first
        return Refused(refusal(Code.DUPLICATE_MEMDEV, device=device.id, memdev=device.memdev_id))
    return Refused(refusal(Code.DUPLICATE_ID, device=device.id))


def _plug_memory(state: MachineState, device: dev.MemoryDevice, phase: str) -> Outcome:
    """-device / device_add of a memory device, with object-add of its backend first."""
    created = (
        state.shares_backends and device.owns_backend and device.memdev_id not in state.backends
    )
    if created:
        state.backends.add(device.memdev_id)  # object-add before device_add
    outcome = plug_memory(state, device, phase)
    if created and outcome.refusal is not None:
        state.backends.discard(device.memdev_id)  # a refused event leaves no state
    return outcome


# ------------------------------------------------------------------ consumers


def _plug_consumer(state: MachineState, consumer: Consumer, phase: str) -> Outcome:
    """A consumer's sections are mapped when it is hot-plugged, or at the first reset."""
    if consumer_kind(consumer).balloon and state.balloons():
        raise Refused(refusal(Code.ONE_BALLOON_ONLY, device=consumer.id))
    state.plugged_consumers.add(consumer.id)
    steps = (
        step(
            rule="consumer",
            value=consumer.kvm_slots,
            text=(
                f"{consumer.kind}: {consumer.kvm_slots} KVM memslot(s), "
                f"{consumer.vhost_kernel_regions} "
                f"vhost-kernel region(s), {consumer.vhost_user_regions} vhost-user region(s); no "
                "reservation"
            ),
        ),
    )
    if phase == "hot":
        state.remap(lambda: state.map_consumer(consumer.id, 1))
    return Outcome(steps=steps)


# ------------------------------------------------------------------ unplug and resize


def _waits_for_guest(state: MachineState, device: object, device_id: str) -> str | None:
    """Why an unplug cannot complete without a guest (None: it completes at once).

    pc-dimm and nvdimm use ACPI memory hotplug, and every unplug on pc goes through ACPI: the
    guest must eject. On q35, native PCIe unplug of a device in a slot the first reset powered
    on (a cold-plugged device) also waits for the guest; a hot-plugged device whose slot was
    never powered on by a guest goes at once."""
    if state.machine.guest_plugs_memory:
        return None
    if isinstance(device, dev.MemoryDevice) and memory_kind(device).bus == "dimm":
        return "DIMM unplug needs the guest's ACPI eject"
    if state.machine.type == "pc":
        return "on pc every unplug goes through ACPI and needs the guest's eject"
    if device_id in state.cold_ids:
        return (
            "the device was present at the first reset, so its PCIe slot is powered on and "
            "native unplug waits for the guest"
        )
    return None


def _not_found(device_id: str) -> Refused:
    return Refused(refusal(Code.DEVICE_NOT_FOUND, device=device_id))


def _disconnect(state: MachineState, device: VhostUser) -> Outcome:
    """The back-end went away: QEMU tears the vhost device down (before 10.1 that zeroes the
    class's used count) and it limits nothing until it reconnects."""
    registered = next((d for d in state.vhost.devices if d.id == device.id), None)
    if registered is None:
        raise _not_found(device.id)
    state.disconnected[device.id] = registered.limit
    if not state.rules.multi_memslot:
        return Outcome(steps=(step(rule="disconnect", text=_OLD_RESTART),))
    state.remap(lambda: teardown(state, registered))
    return Outcome(
        steps=(
            step(
                rule="disconnect",
                text=f"back-end gone: {device.id} is torn down and limits nothing until it "
                "reconnects",
            ),
        )
    )


def _reconnect(state: MachineState, device: VhostUser, slots: int | None) -> Outcome:
    """The back-end is back (maybe upgraded, with another limit): QEMU reruns every init check.
    A failure is only printed on stderr; the device stays disconnected and QEMU runs on."""
    prior = state.disconnected.get(device.id)
    if prior is None:
        raise _not_found(device.id)
    if not state.rules.multi_memslot:
        del state.disconnected[device.id]
        return Outcome(steps=(step(rule="reconnect", text=_OLD_RESTART),))
    if slots is not None:
        device = device.model_copy(update={"max_mem_slots": slots})
    if device.configure_mem_slots and device.max_mem_slots < prior:
        found = refusal(
            Code.VHOST_USER_SLOTS_DECREASED,
            device=device.id,
            limit=prior,
            required=device.max_mem_slots,
        )
        return Outcome(refusal=found, warnings=(_STAYS_DOWN,))
    outcome = plug_vhost(state, device, "reconnect")
    if outcome.refusal is not None:
        state.disconnected[device.id] = memslots_limit(device, state.rules)[0]
        return outcome._replace(stops_qemu=None, warnings=(*outcome.warnings, _STAYS_DOWN))
    del state.disconnected[device.id]
    return outcome


_OLD_RESTART = (
    "QEMU ≤ 8.1 (seen on 7.2, no guest): the vhost device stays registered with its limit "
    "while the back-end is gone, and the restarted back-end is not asked again"
)
_STAYS_DOWN = (
    "QEMU prints this on stderr and runs on; the device stays disconnected until its back-end "
    "reconnects again"
)


def _pending(waits: str) -> Outcome:
    return Outcome(steps=(step(rule="unplug", text=f"pending: {waits}"),), pending=True)


def _unplug(state: MachineState, device: object) -> Outcome:
    """device_del: refusals first, then either a completed unplug or one pending on the guest
    (in which case the device keeps its memslots, reservation and vhost limit)."""
    if isinstance(device, VhostDeviceModel):
        registered = next((d for d in state.vhost.devices if d.id == device.id), None)
        if registered is None and device.id in state.disconnected:
            if _waits_for_guest(state, device, device.id):
                return _pending(_waits_for_guest(state, device, device.id) or "")
            del state.disconnected[device.id]  # nothing registered: nothing to tear down
            return Outcome()
        if registered is None:
            raise _not_found(device.id)
        waits = _waits_for_guest(state, device, device.id)
        if waits:
            return _pending(waits)
        state.remap(lambda: teardown(state, registered))
        state.disconnected.pop(device.id, None)  # ≤ 8.1 keeps a disconnected one registered
        return Outcome()
    if isinstance(device, Consumer):
        consumer = device
        if consumer.id not in state.plugged_consumers:
            raise _not_found(consumer.id)
        if consumer_kind(consumer).driver:  # a real PCI device (virtio-balloon)
            waits = _waits_for_guest(state, consumer, consumer.id)
            if waits:
                return _pending(waits)

        def drop() -> None:
            state.plugged_consumers.discard(consumer.id)
            state.map_consumer(consumer.id, -1)

        state.remap(drop)
        return Outcome()
    assert isinstance(device, dev.MemoryDevice)
    item = state.memory.get(device.id)
    if item is None:
        if device.id in state.empty_balloons:
            raise Refused(refusal(Code.BUS_NO_HOTPLUG, device=device.id, bus="vmbus"))
        raise _not_found(device.id)
    found = dev.unplug_error(item.device, item.plugged, item.requested, state.rules)
    if found is not None:
        raise Refused(found)
    waits = _waits_for_guest(state, item.device, device.id)
    if waits:
        return _pending(waits)

    def unplug() -> None:
        state.remove_memory(item)
        if item.decides and item.memslots > 1:
            state.auto_active -= 1

    state.remap(unplug)
    return Outcome(
        steps=(
            step(
                rule="unplug",
                value=item.memslots,
                text=(
                    f"frees {item.memslots} memslot(s) and {human_size(item.size)} of device memory"
                ),
            ),
        )
    )


def _resize(state: MachineState, device: VirtioMem, requested: int) -> Outcome:
    """qom-set of requested-size; the guest then plugs or unplugs memory."""
    item = state.memory.get(device.id)
    if item is None:
        raise Refused(refusal(Code.QOM_PATH_NOT_FOUND, device=device.id))
    found = dev.resize_error(device, requested, state.machine.host_thp_size)
    if found is not None:
        raise Refused(found)
    item.requested = requested
    if state.machine.guest_plugs_memory:
        guest_plug(state, item, requested)
    return Outcome(
        steps=(
            step(
                rule="resize",
                value=item.mapped,
                text=(
                    f"requested-size {human_size(requested)}: the guest plugs "
                    f"{human_size(item.plugged)}, {item.mapped} of {item.memslots} memslot(s) "
                    "mapped"
                ),
            ),
        )
    )
