"""What QEMU holds while a timeline plays: plugged devices, mapped sections and the counters.

QEMU keeps DeviceMemoryState (used region size, required memslots, used memslots, the
auto-decision count), KVM's slots per address space and each vhost device's regions. This
module keeps the same numbers as running totals, updated by the mutators below, so every
counter is O(1) however many devices are plugged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import devices as dev
from .gaps import Gaps
from .kinds import CONSUMER_KINDS
from .layout import BootMemory, Layout
from .model import Config, Consumer, Machine, VirtioMem
from .refusals import Code, Refusal
from .report import Counters, Fixed
from .versions import Rules
from .vhost import VhostState

KVM_ABORT = "kvm_alloc_slot: no free slot available"


class Refused(Exception):
    """QEMU refused the event: the refusal (code + facts) says why."""

    def __init__(self, refusal: Refusal, stops_qemu: str | None = None) -> None:
        super().__init__(refusal.code.value)
        self.refusal = refusal
        self.stops_qemu = stops_qemu
        """Why nothing after this event can happen (QEMU stuck), if so."""


class Abort(Exception):
    """QEMU aborted (KVM ran out of slots while mapping memory)."""

    refusal = Refusal(Code.KVM_NO_FREE_SLOT)


@dataclass(slots=True)
class Plugged:
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
    dynamic: bool = field(init=False)
    """virtio-mem with dynamic-memslots=on: memslots map as the guest plugs memory."""
    vhost_private: bool = field(init=False)
    """A RAM (not ROM) section: vhost-kernel/vdpa map it."""
    vhost_shared: bool = field(init=False)
    """Also has an fd: vhost-user maps it."""

    def __post_init__(self) -> None:
        device = self.device
        self.dynamic = type(device) is VirtioMem and device.dynamic_memslots
        self.vhost_private = not device.readonly
        self.vhost_shared = self.vhost_private and device.fd_backed


@dataclass(slots=True)
class MachineState:
    config: Config
    rules: Rules
    layout: Layout
    boot: BootMemory
    vhost: VhostState
    memory: dict[str, Plugged] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    plugged_consumers: set[str] = field(default_factory=set)
    mapped_consumers: set[str] = field(default_factory=set)
    empty_balloons: set[str] = field(default_factory=set)
    backends: set[str] = field(default_factory=set)
    """Memory backend objects that exist (`-object` / object-add)."""
    busy_memdevs: set[str] = field(default_factory=set)
    """Backends a plugged memory device uses (QEMU: host_memory_backend_is_mapped)."""
    disconnected: dict[str, int] = field(default_factory=dict)
    """vhost-user devices whose back-end is gone (id → the limit QEMU validated last)."""
    busy_slots: set[int | None] = field(default_factory=set)
    """DIMM slots taken by plugged pc-dimm / nvdimm devices."""
    lowest_free_slot: int = 0
    """No DIMM slot below this one is free (QEMU hands out the lowest free slot)."""
    gaps: Gaps = field(default_factory=Gaps)
    """Free ranges of the device-memory region, for QEMU's first-fit placement."""
    stopped: str | None = None
    """Set when QEMU can take no further event (a KVM abort, a stuck monitor)."""
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
    machine: Machine = field(init=False)
    """The machine being replayed."""
    kvm: bool = field(init=False)
    """kvm_enabled(): only then are KVM's memslots consulted."""
    memfd_boot: bool = field(init=False)
    """Boot RAM is fd-backed, so vhost-user maps its sections."""
    shares_backends: bool = field(init=False)
    """Some memory device uses another's backend (`memdev`): only then can a backend be busy
    or missing, so only then are `backends` and `busy_memdevs` kept."""
    fixed: Fixed = field(init=False)
    """What every event's counters share (the machine's limits, the rules' arithmetic)."""

    def __post_init__(self) -> None:
        self.machine = self.config.machine
        self.kvm = self.machine.kvm_enabled
        self.memfd_boot = self.machine.memory_backend == "memfd"
        self.shares_backends = any(d.memdev is not None for d in self.config.memory_devices)
        self.fixed = Fixed(
            self.layout.kvm_max if self.kvm else None,
            self.layout.device_memory_space,
            self.rules.vhost_free_wraps,
        )

    # ---------------------------------------------------------------- mutators
    def add_memory(self, item: Plugged, mapped: int) -> None:
        """memory_device_plug(): the device's region, memslots and mapped sections count."""
        item.mapped = mapped
        self.memory[item.device.id] = item
        if item.slot is not None:
            self.busy_slots.add(item.slot)
        self.gaps.take(item.address, item.size)
        mapped = item.mapped
        self.mem_mapped += mapped
        if item.vhost_private:
            self.mem_private += mapped
        if item.vhost_shared:
            self.mem_shared += mapped
        self.mem_required += item.memslots
        self.mem_size += item.size
        if self.shares_backends:
            self.busy_memdevs.add(item.device.memdev_id)

    def remove_memory(self, item: Plugged) -> None:
        """memory_device_unplug(): everything the device counted is given back."""
        mapped = item.mapped
        self.mem_mapped -= mapped
        if item.vhost_private:
            self.mem_private -= mapped
        if item.vhost_shared:
            self.mem_shared -= mapped
        self.mem_required -= item.memslots
        self.mem_size -= item.size
        self.gaps.give(item.address, item.size)
        self.busy_slots.discard(item.slot)
        if item.slot is not None:
            self.lowest_free_slot = min(self.lowest_free_slot, item.slot)
        del self.memory[item.device.id]
        if self.shares_backends:
            self.busy_memdevs.discard(item.device.memdev_id)
            if item.device.owns_backend:
                self.backends.discard(item.device.memdev_id)  # object-del after device_del

    def set_mapped(self, item: Plugged, mapped: int) -> None:
        """virtio-mem (de)activated memslots: used moves, required stays."""
        delta = mapped - item.mapped
        item.mapped = mapped
        self.mem_mapped += delta
        if item.vhost_private:
            self.mem_private += delta
        if item.vhost_shared:
            self.mem_shared += delta

    def map_consumer(self, cid: str, sign: int) -> None:
        """A consumer's sections appear (sign 1) or disappear (sign -1) in guest memory."""
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

    def balloons(self) -> bool:
        """A balloon device is plugged (QEMU allows only one: hv-balloon or virtio-balloon)."""
        return (
            bool(self.empty_balloons)
            or any(p.device.kind == "hv-balloon" for p in self.memory.values())
            or any(CONSUMER_KINDS[self.consumers[c].kind].balloon for c in self.plugged_consumers)
        )

    # ---------------------------------------------------------------- counters
    def sections(self) -> tuple[int, int]:
        """(shared, private): the sections a vhost-user and a vhost-kernel/vdpa device map."""
        boot = self.boot.ram_sections
        return (
            (boot if self.memfd_boot else 0) + self.cons_shared + self.mem_shared,
            boot + self.cons_private + self.mem_private,
        )

    def kvm_free(self) -> int | None:
        """kvm_get_free_memslots(); None without KVM, where QEMU does not ask. KVM's used
        memslots (the busiest address space) are boot's, mapped memory devices' and
        consumers' (written out here, in counters() and remap(): they run per event)."""
        if not self.kvm:
            return None
        free = self.layout.kvm_max - (self.boot.kvm_slots + self.mem_mapped + self.cons_kvm)
        return free if free > 0 else 0

    @property
    def required(self) -> int:
        """required_memslots: Σ get_memslots() of plugged memory devices."""
        return self.mem_required

    @property
    def used(self) -> int:
        """used_memslots: RAM sections mapped inside device memory."""
        return self.mem_mapped

    @property
    def reserved(self) -> int:
        """get_reserved_memslots(): required but still reported free by KVM and vhost."""
        return max(self.required - self.used, 0)

    @property
    def used_region_size(self) -> int:
        """Σ region sizes of plugged memory devices."""
        return self.mem_size

    def vhost_free(self) -> tuple[int, str | None]:
        """vhost_get_free_memslots() as a check sees it, with its once-only warning."""
        free, warning = self.vhost.free(*self.sections())
        if warning and not self.vhost.warned:
            self.vhost.warned = True
            return free, warning
        return free, None

    def counters(self) -> Counters:
        """The counters as they stand, for the report (a Budget is built from them on demand)."""
        vhost = self.vhost
        # sections(), written out: this runs once per event
        boot = self.boot.ram_sections
        shared = (boot if self.memfd_boot else 0) + self.cons_shared + self.mem_shared
        private = boot + self.cons_private + self.mem_private
        # the used count every device of a class is compared with: its own nregions (10.1),
        # or the class's global (≤ 10.0.2)
        if self.rules.per_device_vhost_count:
            used_shared, used_private = shared, private
        else:
            used_shared, used_private = vhost.globals["shared"], vhost.globals["private"]
        # tuple.__new__ with every field in order: one per event, without NamedTuple's
        # Python-level __new__
        return tuple.__new__(
            Counters,
            (
                self.fixed,
                self.boot.kvm_slots + self.mem_mapped + self.cons_kvm if self.kvm else None,
                vhost.registered,
                used_shared,
                used_private,
                shared,
                private,
                self.mem_size,
                self.mem_required,
                self.mem_mapped,
                self.auto_active,
            ),
        )

    # ---------------------------------------------------------------- mapping
    def remap(self, change: Callable[[], None]) -> None:
        """Apply a change to what is mapped; vhost devices whose sections changed commit."""
        vhost = self.vhost
        if vhost.devices:  # without a registered vhost device nobody commits
            before = self.sections()
            change()
            after = self.sections()
            if after != before:
                for cls in vhost.commit_order():
                    at = 0 if cls == "shared" else 1
                    if before[at] != after[at]:
                        vhost.commit(cls, after[at])
        else:
            change()
        if self.kvm and self.boot.kvm_slots + self.mem_mapped + self.cons_kvm > self.layout.kvm_max:
            raise Abort(KVM_ABORT)


def is_plugged(state: MachineState, device_id: str) -> bool:
    """Whether QEMU has a device (or its backend) with this id right now."""
    return (
        device_id in state.memory
        or device_id in state.plugged_consumers
        or device_id in state.empty_balloons
        or device_id in state.vhost.ids
        or device_id in state.disconnected
    )


def guest_plug(state: MachineState, item: Plugged, requested: int) -> None:
    """A guest driver that follows requested-size plugs from the start of the device."""
    plugged = min(requested, item.size)

    def change() -> None:
        item.plugged = plugged
        state.set_mapped(
            item, dev.mapped_memslots(item.memslots, item.memslot_size, plugged, item.dynamic)
        )

    state.remap(change)
