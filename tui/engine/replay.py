"""replay(config) -> Report: play a configuration's timeline the way QEMU would.

Cold plugs happen in QEMU's start-up order (netdevs before the machine, then `-device` in
command-line order before the first reset), then the guest boots, then each hotplug, unplug or
resize. For every memory device the checks run in memory_device_pre_plug()'s order; a refused
event leaves no state behind, exactly as in QEMU. A refused cold plug ends QEMU, so later events
are reported as never reached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import devices as dev
from .layout import BootMemory, layout
from .memory_plug import plug_memory
from .model import (
    Config,
    Consumer,
    Event,
    Nvdimm,
    PcDimm,
    VhostKernel,
    VhostUser,
    VhostVdpa,
    VirtioMem,
)
from .report import Budget, EventResult, Report, Step, step, trusted
from .state import KVM_ABORT, Abort, MachineState, Refused, guest_plug, is_plugged
from .units import human_size
from .versions import rules_for
from .vhost import VhostState
from .vhost_init import (
    AUTO_DECISION_ERROR,
    AUTO_DECISION_HINT,
    VHOST_NET_INIT_FAILED,
    VHOST_USER_NET_HANG,
    plug_vhost,
    teardown,
)

__all__ = [
    "AUTO_DECISION_ERROR",
    "AUTO_DECISION_HINT",
    "KVM_ABORT",
    "VHOST_NET_INIT_FAILED",
    "replay",
]


def replay(config: Config) -> Report:
    """Replay the timeline; pure and deterministic."""
    rules = rules_for(config.machine)
    lay = layout(config.machine)
    state = MachineState(
        config=config, rules=rules, layout=lay, boot=BootMemory(0, 0), vhost=VhostState(rules=rules)
    )
    state.consumers = {c.id: c for c in config.consumers}
    if lay.device_memory_base is not None and lay.device_memory_size:
        state.gaps.give(lay.device_memory_base, lay.device_memory_size)
    results: dict[int, EventResult] = {}
    timeline = list(enumerate(config.timeline))
    cold = [(i, e) for i, e in timeline if e.action == "cold"]
    netdevs = [(i, e) for i, e in cold if _is_netdev(config, e)]
    devices = [(i, e) for i, e in cold if not _is_netdev(config, e)]
    hot = [(i, e) for i, e in timeline if e.action != "cold"]

    # QEMU's own order: -netdev back-ends exist before the machine (they see no memory), then
    # boot memory, every -device in command-line order, the first reset, then the monitor.
    # When boot memory alone needs more KVM slots than the host has, QEMU still realizes every
    # -device first (a failing one reports its own error), then aborts in kvm_alloc_slot.
    stop: _Stop | None = _Stop(lay.startup_error, "start-up") if lay.startup_error else None
    boot_abort = state.machine.kvm_enabled and (
        max(lay.cold.kvm_slots, lay.hot.kvm_slots) > lay.kvm_max
    )
    boot_budget = None
    if stop is None:
        stop = _play(state, netdevs, "cold", results)
    if stop is None and not boot_abort:
        stop = _map(state, lambda: _set_boot(state, lay.cold, map_consumers=False), "start-up")
    if stop is None:
        stop = _play(state, devices, "cold", results)
    if stop is None and boot_abort:
        stop = _Stop(KVM_ABORT, "start-up")
    if stop is None:
        stop = _map(state, lambda: _first_reset(state), "the first reset")
        boot_budget = state.budget()
    if stop is None:
        stop = _play(state, hot, "hot", results)

    final = state.budget()
    events = [
        results.get(index) or _never(config, index, event, stop, final) for index, event in timeline
    ]
    warnings = [w for result in events if not result.skipped for w in result.warnings]
    return Report(
        qemu_version=config.machine.qemu_version,
        rules=rules.name,
        startup_error=stop.error
        if stop and stop.where in ("start-up", "the first reset")
        else None,
        device_memory_base=lay.device_memory_base,
        device_memory_size=lay.device_memory_size,
        events=tuple(events),
        boot_budget=boot_budget,
        final=final,
        warnings=tuple(dict.fromkeys(warnings)),
    )


@dataclass(frozen=True)
class _Stop:
    """QEMU can take no further event: it exited, aborted, or its monitor is stuck."""

    error: str
    where: str


def _play(
    state: MachineState,
    events: list[tuple[int, Event]],
    phase: str,
    results: dict[int, EventResult],
) -> _Stop | None:
    """Run events in order; a refused cold plug, an abort or a stuck monitor stops QEMU."""
    for index, event in events:
        result = results[index] = _run(state, index, event, phase)
        if state.stopped or (phase == "cold" and not result.ok):
            return _Stop(state.stopped or result.error or "", event.device)
    return None


def _map(state: MachineState, change: Callable[[], None], where: str) -> _Stop | None:
    """Map boot memory or apply the first reset; KVM running out of slots aborts QEMU."""
    try:
        state.remap(change)
    except Abort as exc:
        return _Stop(str(exc), where)
    return None


def _first_reset(state: MachineState) -> None:
    """The reset splits boot memory, maps cold consumers, and the guest plugs virtio-mem."""
    _set_boot(state, state.layout.hot, map_consumers=True)
    state.booted = True
    if state.machine.guest_plugs_memory:
        for item in list(state.memory.values()):
            if isinstance(item.device, VirtioMem):
                guest_plug(state, item, item.requested)


def _never(
    config: Config, index: int, event: Event, stop: _Stop | None, final: Budget
) -> EventResult:
    """An event QEMU never got to."""
    reason = _never_reached(stop.error if stop else None, stop.where if stop else None)
    return EventResult(
        index=index,
        action=event.action,
        device=event.device,
        kind=_kind(config, event.device),
        phase="cold" if event.action == "cold" else "hot",
        ok=False,
        skipped=True,
        warnings=(reason,),
        budget=final,
    )


# ------------------------------------------------------------------ helpers


def _never_reached(fatal: str | None, where: str | None) -> str:
    if fatal == VHOST_USER_NET_HANG:
        return f"never reached: QEMU stopped answering QMP after {where}"
    return f"never reached: QEMU exited at {where}"


def _is_netdev(config: Config, event: Event) -> bool:
    device = config.device(event.device)
    return isinstance(device, VhostKernel | VhostUser | VhostVdpa) and device.is_netdev


def _kind(config: Config, device_id: str) -> str:
    return config.device(device_id).kind


def _set_boot(state: MachineState, boot: BootMemory, map_consumers: bool) -> None:
    """Create boot memory (cold layout), or apply the first reset (hot layout), at which point
    firmware and guest map the cold-plugged consumers (BARs, ROMs, extra NUMA memdevs)."""
    state.boot = boot
    if map_consumers:
        for cid in sorted(state.plugged_consumers):
            state.map_consumer(cid, 1)


def _run(state: MachineState, index: int, event: Event, phase: str) -> EventResult:
    device = state.config.device(event.device)
    steps: list[Step] = []
    warnings: list[str] = []
    outcome: dict[str, object] = {}
    error = hint = None
    pending = False
    try:
        if event.action in ("cold", "hotplug"):
            if is_plugged(state, device.id):
                if isinstance(device, dev.MemoryDevice) and getattr(device, "size", None):
                    # object-add of its memory backend comes first, and fails first
                    raise Refused(
                        f"attempt to add duplicate property '{device.memdev_id}' to "
                        "object (type 'container')"
                    )
                raise Refused(f"Duplicate device ID '{device.id}'")
            if isinstance(device, VhostKernel | VhostUser | VhostVdpa):
                plug_vhost(state, device, phase, steps, warnings)
            elif isinstance(device, Consumer):
                _plug_consumer(state, device, phase, steps)
            else:
                plug_memory(state, device, phase, steps, warnings, outcome)
        elif event.action == "unplug":
            pending = _unplug(state, device, phase, steps)
        else:
            assert isinstance(device, VirtioMem) and event.requested_size is not None
            _resize(state, device, event.requested_size, steps)
    except Refused as refused:
        error, hint = refused.message, refused.hint
        state.stopped = refused.stops_qemu
    except Abort as abort:
        error = str(abort)
        state.stopped = error
    if error is None and event.action == "cold":
        state.cold_ids.add(event.device)
    return trusted(
        EventResult,
        index=index,
        action=event.action,
        device=event.device,
        kind=device.kind,
        phase="cold" if phase == "cold" else "hot",
        ok=error is None,
        error=error,
        hint=hint,
        pending=pending,
        warnings=tuple(warnings),
        derivation=tuple(steps),
        skipped=False,
        budget=state.budget(),
        memslot_limit=outcome.get("memslot_limit"),
        memslots=outcome.get("memslots"),
        memslot_size=outcome.get("memslot_size"),
        address=outcome.get("address"),
    )


# ------------------------------------------------------------------ consumers


def _plug_consumer(state: MachineState, consumer: Consumer, phase: str, steps: list[Step]) -> None:
    state.plugged_consumers.add(consumer.id)
    steps.append(
        step(
            rule="consumer",
            value=consumer.kvm_slots,
            text=(
                f"{consumer.kind}: {consumer.kvm_slots} KVM memslot(s), "
                f"{consumer.vhost_kernel_regions} "
                f"vhost-kernel region(s), {consumer.vhost_user_regions} vhost-user region(s); no "
                "reservation"
            ),
        )
    )
    if phase == "hot":
        state.remap(lambda: state.map_consumer(consumer.id, 1))


# ------------------------------------------------------------------ unplug and resize


def _waits_for_guest(state: MachineState, device: object) -> str | None:
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
        return (
            "the device was present at the first reset, so its PCIe slot is powered on and "
            "native unplug waits for the guest"
        )
    return None


def _unplug(state: MachineState, device: object, phase: str, steps: list[Step]) -> bool:
    """device_del: refusals first, then either a completed unplug or one pending on the guest
    (in which case the device keeps its memslots, reservation and vhost limit)."""
    if isinstance(device, VhostKernel | VhostUser | VhostVdpa):
        registered = next((d for d in state.vhost.devices if d.id == device.id), None)
        if registered is None:
            raise Refused(f"Device '{device.id}' not found")
        waits = _waits_for_guest(state, device)
        if waits:
            steps.append(step(rule="unplug", text=f"pending: {waits}"))
            return True
        state.remap(lambda: teardown(state, registered))
        return False
    if isinstance(device, Consumer):
        if device.id not in state.plugged_consumers:
            raise Refused(f"Device '{device.id}' not found")

        def drop() -> None:
            state.plugged_consumers.discard(device.id)
            state.map_consumer(device.id, -1)

        state.remap(drop)
        return False
    item = state.memory.get(device.id)  # type: ignore[attr-defined]
    if item is None:
        if device.id in state.empty_balloons:  # type: ignore[attr-defined]
            raise Refused("Bus 'vmbus' does not support hotplugging")
        raise Refused(f"Device '{device.id}' not found")  # type: ignore[attr-defined]
    refusal = dev.unplug_error(item.device, item.plugged, item.requested, state.rules)
    if refusal:
        raise Refused(refusal)
    waits = _waits_for_guest(state, item.device)
    if waits:
        steps.append(step(rule="unplug", text=f"pending: {waits}"))
        return True

    def unplug() -> None:
        state.remove_memory(item)
        if item.decides and item.memslots > 1:
            state.auto_active -= 1

    state.remap(unplug)
    steps.append(
        step(
            rule="unplug",
            value=item.memslots,
            text=(f"frees {item.memslots} memslot(s) and {human_size(item.size)} of device memory"),
        )
    )
    return False


def _resize(state: MachineState, device: VirtioMem, requested: int, steps: list[Step]) -> None:
    """qom-set of requested-size; the guest then plugs or unplugs memory."""
    item = state.memory.get(device.id)
    if item is None:
        raise Refused(f"Device '/machine/peripheral/{device.id}' not found")
    refusal = dev.resize_error(device, requested, state.machine.host_thp_size)
    if refusal:
        raise Refused(refusal)
    item.requested = requested
    if state.machine.guest_plugs_memory:
        guest_plug(state, item, requested)
    steps.append(
        step(
            rule="resize",
            value=item.mapped,
            text=(
                f"requested-size {human_size(requested)}: the guest plugs "
                f"{human_size(item.plugged)}, {item.mapped} of {item.memslots} memslot(s) mapped"
            ),
        )
    )
