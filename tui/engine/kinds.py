"""ONE registry of device kinds: every memory-device, vhost and consumer kind, declared once.

Each entry says what QEMU calls the kind (driver names), where it sits (bus), what its memory
backend needs, how it takes memslots, which property places it, whether it can be hot-plugged
and how its unplug goes, and what the app's catalog offers by default. The engine, the app's
forms, the exporters and `verify` read these facts here instead of keeping their own copies.
QEMU's per-kind *callbacks* (decide_memslots, realize, unplug_request_check…) are in devices.py
as exhaustive `match` statements, so the type checker names each one a new kind must answer.

Adding a kind: docs/architecture.md has the checklist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .model import (
    INT_MAX,
    Consumer,
    HvBalloon,
    MemoryDeviceModel,
    Nvdimm,
    PcDimm,
    VhostDeviceModel,
    VhostKernel,
    VhostUser,
    VhostVdpa,
    VirtioMem,
    VirtioPmem,
)
from .refusals import warn_invalid_max_mem_regions
from .versions import Rules

Bus = Literal["dimm", "pci", "vmbus"]
"""dimm: ACPI memory hotplug (pc_memory_pre_plug, DIMM slots); pci: a virtio PCI function;
vmbus: Hyper-V's VMBus."""

Unplug = Literal["guest", "refused"]
"""guest: device_del asks the guest (ACPI eject, or native PCIe once the slot is powered on);
refused: QEMU refuses device_del outright (the refusal code says why)."""

VhostClass = Literal["shared", "private"]
"""shared: vhost-user, maps only fd-backed RAM (vhost_backend_no_private_memslots);
private: vhost-kernel / vdpa, map every RAM section."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A ready-made device the app's add form offers: a label and the fields it presets."""

    key: str
    label: str
    id_base: str
    defaults: Mapping[str, object] = field(default_factory=dict)


# --------------------------------------------------------------------------- memory devices


@dataclass(frozen=True, slots=True)
class MemoryKind:
    """A memory-device kind (`-device <driver>,memdev=…`)."""

    name: str
    """The configuration's `kind`."""
    model: type[MemoryDeviceModel]
    driver: str
    """QEMU's -device / device_add driver."""
    bus: Bus
    address_property: Literal["addr", "memaddr"]
    """The QOM property that places it in device memory (0 or unset: QEMU chooses)."""
    decides_memslots: bool
    """Has decide_memslots (QEMU 8.2+): it may take several memslots."""
    multi_memslot_property: str | None
    """The property that switches the decision on (virtio-mem's dynamic-memslots), if any."""
    hotplug: bool
    unplug: Unplug
    libvirt_model: str | None
    """libvirt's <memory model=…>; None: libvirt has no memory device for it."""
    info_type: str
    """Its `type` in QMP's query-memory-devices (MemoryDeviceInfo): pc-dimm reports "dimm"."""
    catalog: tuple[CatalogEntry, ...]

    @property
    def takes_dimm_slot(self) -> bool:
        """pc-dimm and nvdimm take one of the machine's `slots=`."""
        return self.bus == "dimm"

    @property
    def pci(self) -> bool:
        """Sits on PCI (on q35: needs a root port to be hot-plugged)."""
        return self.bus == "pci"


MEMORY_KINDS: dict[str, MemoryKind] = {
    kind.name: kind
    for kind in (
        MemoryKind(
            name="pc-dimm",
            model=PcDimm,
            driver="pc-dimm",
            bus="dimm",
            address_property="addr",
            decides_memslots=False,
            multi_memslot_property=None,
            hotplug=True,
            unplug="guest",
            libvirt_model="dimm",
            info_type="dimm",
            catalog=(
                CatalogEntry(
                    "pc-dimm",
                    "pc-dimm",
                    "dimm",
                    {"size": "1G", "backend": "ram", "page_size": "4K"},
                ),
            ),
        ),
        MemoryKind(
            name="nvdimm",
            model=Nvdimm,
            driver="nvdimm",
            bus="dimm",
            address_property="addr",
            decides_memslots=False,
            multi_memslot_property=None,
            hotplug=True,
            unplug="refused",
            libvirt_model="nvdimm",
            info_type="nvdimm",
            catalog=(
                CatalogEntry(
                    "nvdimm",
                    "nvdimm (needs machine nvdimm=on)",
                    "nv",
                    {"size": "1G", "backend": "file", "share": True, "page_size": "4K"},
                ),
            ),
        ),
        MemoryKind(
            name="virtio-pmem",
            model=VirtioPmem,
            driver="virtio-pmem-pci",
            bus="pci",
            address_property="memaddr",
            decides_memslots=False,
            multi_memslot_property=None,
            hotplug=True,
            unplug="refused",
            libvirt_model="virtio-pmem",
            info_type="virtio-pmem",
            catalog=(
                CatalogEntry(
                    "virtio-pmem",
                    "virtio-pmem",
                    "pmem",
                    {"size": "1G", "backend": "file", "share": True, "page_size": "4K"},
                ),
            ),
        ),
        MemoryKind(
            name="virtio-mem",
            model=VirtioMem,
            driver="virtio-mem-pci",
            bus="pci",
            address_property="memaddr",
            decides_memslots=True,
            multi_memslot_property="dynamic-memslots",
            hotplug=True,
            unplug="guest",
            libvirt_model="virtio-mem",
            info_type="virtio-mem",
            catalog=(
                CatalogEntry(
                    "virtio-mem",
                    "virtio-mem (dynamic-memslots=on)",
                    "vmem",
                    {
                        "size": "16G",
                        "backend": "ram",
                        "page_size": "4K",
                        "requested_size": "0",
                        "dynamic_memslots": True,
                    },
                ),
            ),
        ),
        MemoryKind(
            name="hv-balloon",
            model=HvBalloon,
            driver="hv-balloon",
            bus="vmbus",
            address_property="addr",
            decides_memslots=True,
            multi_memslot_property=None,
            hotplug=False,
            unplug="refused",
            libvirt_model=None,
            info_type="hv-balloon",
            catalog=(
                CatalogEntry(
                    "hv-balloon",
                    "hv-balloon",
                    "hvb",
                    {"size": "32G", "backend": "ram", "page_size": "4K"},
                ),
            ),
        ),
    )
}


# --------------------------------------------------------------------------- vhost devices


@dataclass(frozen=True, slots=True)
class VhostFrontend:
    """One `device =` of a vhost kind: how QEMU creates it."""

    netdev: str | None
    """The -netdev / netdev_add type when the back-end is a netdev (created before the machine
    and every -device); None: the back-end is part of a -device."""
    driver: str
    """The -device / device_add driver of the guest-visible device."""


VhostLimit = Callable[[Any, Rules], tuple[int, str, tuple[object, ...], str | None]]
"""vhost_backend_memslots_limit() of a kind: (limit, how it was derived as a template and its
arguments — formatted only when a derivation is read —, QEMU's warning)."""

VHOST_KERNEL_DEFAULT = 64
VHOST_MEMORY_BASELINE_NREGIONS = 8


def _kernel_limit(
    device: VhostKernel, rules: Rules
) -> tuple[int, str, tuple[object, ...], str | None]:
    """The vhost module's max_mem_regions, or QEMU's fallback of 64."""
    value = device.max_mem_regions
    if 0 < value < INT_MAX:
        return value, "max_mem_regions of the vhost module = {}", (value,), None
    return (
        VHOST_KERNEL_DEFAULT,
        "max_mem_regions {} is invalid → QEMU falls back to {}",
        (value, VHOST_KERNEL_DEFAULT),
        warn_invalid_max_mem_regions(value),
    )


def _user_limit(device: VhostUser, rules: Rules) -> tuple[int, str, tuple[object, ...], str | None]:
    """GET_MAX_MEM_SLOTS capped by VHOST_USER_MAX_RAM_SLOTS, or the baseline 8."""
    if not device.configure_mem_slots:
        return (
            VHOST_MEMORY_BASELINE_NREGIONS,
            "no VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS → VHOST_MEMORY_BASELINE_NREGIONS = {}",
            (VHOST_MEMORY_BASELINE_NREGIONS,),
            None,
        )
    if device.max_mem_slots == 0:
        return (
            VHOST_MEMORY_BASELINE_NREGIONS,
            "GET_MAX_MEM_SLOTS answered 0 → the baseline {}",
            (VHOST_MEMORY_BASELINE_NREGIONS,),
            None,
        )
    limit = min(device.max_mem_slots, rules.vhost_user_cap)
    return (
        limit,
        "min(GET_MAX_MEM_SLOTS {}, VHOST_USER_MAX_RAM_SLOTS {}) = {}",
        (device.max_mem_slots, rules.vhost_user_cap, limit),
        None,
    )


def _vdpa_limit(device: VhostVdpa, rules: Rules) -> tuple[int, str, tuple[object, ...], str | None]:
    """vhost-vdpa has no memslot limit of its own."""
    return INT_MAX, "vhost-vdpa has no limit of its own (INT_MAX = {})", (INT_MAX,), None


@dataclass(frozen=True, slots=True)
class VhostKind:
    """A vhost back-end kind (vhost-kernel, vhost-user, vhost-vdpa)."""

    name: str
    model: type[VhostDeviceModel]
    vhost_class: VhostClass
    frontends: Mapping[str, VhostFrontend]
    """Per `device =`: netdev type and driver."""
    limit: VhostLimit
    """How QEMU derives the back-end's memslot limit."""
    limit_label: Callable[[Any], str]
    """The limit as the configuration states it, for tables ("64", "8 no CMS", "none")."""
    limit_fields: Mapping[str, object] | None
    """Fields that give the back-end a given memslot limit ("{limit}" marks the number);
    None: its limit is not configurable (vhost-vdpa has none)."""
    limit_how: str
    """What a user does on the host to get that limit (said by fixes that raise it)."""
    disables_discard: bool
    """Registering it breaks RAM discard (vhost-vdpa): virtio-mem cannot coexist with it."""
    catalog: tuple[CatalogEntry, ...]

    def with_limit(self, limit: int) -> dict[str, object] | None:
        """The field values that give a device of this kind `limit` memslots."""
        if self.limit_fields is None:
            return None
        return {k: (limit if v == "{limit}" else v) for k, v in self.limit_fields.items()}

    def is_netdev(self, device: str) -> bool:
        """Created by -netdev / netdev_add (before the machine and every -device)."""
        return self.frontends[device].netdev is not None


VHOST_KINDS: dict[str, VhostKind] = {
    kind.name: kind
    for kind in (
        VhostKind(
            name="vhost-kernel",
            model=VhostKernel,
            vhost_class="private",
            frontends={
                "net": VhostFrontend("tap", "virtio-net-pci"),
                "scsi": VhostFrontend(None, "vhost-scsi-pci"),
                "vsock": VhostFrontend(None, "vhost-vsock-pci"),
            },
            limit=_kernel_limit,
            limit_label=lambda d: str(d.max_mem_regions),
            limit_fields={"max_mem_regions": "{limit}"},
            limit_how=(
                "`options vhost max_mem_regions={limit}` in /etc/modprobe.d/vhost.conf, then "
                "reload the vhost module (every vhost-kernel device shares it)"
            ),
            disables_discard=False,
            catalog=(
                CatalogEntry(
                    "vhost-net-64",
                    "vhost-net, kernel default max_mem_regions=64",
                    "net",
                    {"device": "net", "max_mem_regions": 64},
                ),
                CatalogEntry(
                    "vhost-net-509",
                    "vhost-net, max_mem_regions=509 (Fedora/RHEL)",
                    "net",
                    {"device": "net", "max_mem_regions": 509},
                ),
            ),
        ),
        VhostKind(
            name="vhost-user",
            model=VhostUser,
            vhost_class="shared",
            frontends={
                "net": VhostFrontend("vhost-user", "virtio-net-pci"),
                "blk": VhostFrontend(None, "vhost-user-blk-pci"),
                "fs": VhostFrontend(None, "vhost-user-fs-pci"),
                "scsi": VhostFrontend(None, "vhost-user-scsi-pci"),
                "vsock": VhostFrontend(None, "vhost-user-vsock-pci"),
            },
            limit=_user_limit,
            limit_label=lambda d: str(d.max_mem_slots) if d.configure_mem_slots else "8 no CMS",
            limit_fields={"configure_mem_slots": True, "max_mem_slots": "{limit}"},
            limit_how=(
                "a back-end that offers CONFIGURE_MEM_SLOTS and answers {limit} to "
                "GET_MAX_MEM_SLOTS (virtiofsd with rust-vmm vhost-user-backend ≥ 0.13, "
                "qemu-storage-daemon / libvhost-user ≥ QEMU 9.0)"
            ),
            disables_discard=False,
            catalog=(
                CatalogEntry(
                    "vhost-user-8",
                    "vhost-user without CONFIGURE_MEM_SLOTS (8, e.g. DPDK)",
                    "vu",
                    {
                        "device": "net",
                        "backend_name": "dpdk",
                        "configure_mem_slots": False,
                        "max_mem_slots": 8,
                    },
                ),
                CatalogEntry(
                    "virtiofsd-32",
                    "virtiofsd before 2024 (32)",
                    "fs",
                    {
                        "device": "fs",
                        "backend_name": "virtiofsd (before 2024)",
                        "configure_mem_slots": True,
                        "max_mem_slots": 32,
                    },
                ),
                CatalogEntry(
                    "virtiofsd-509",
                    "virtiofsd 2024+ (509)",
                    "fs",
                    {
                        "device": "fs",
                        "backend_name": "virtiofsd",
                        "configure_mem_slots": True,
                        "max_mem_slots": 509,
                    },
                ),
                CatalogEntry(
                    "qsd-509",
                    "qemu-storage-daemon (509)",
                    "blk",
                    {
                        "device": "blk",
                        "backend_name": "qemu-storage-daemon",
                        "configure_mem_slots": True,
                        "max_mem_slots": 509,
                    },
                ),
            ),
        ),
        VhostKind(
            name="vhost-vdpa",
            model=VhostVdpa,
            vhost_class="private",
            frontends={
                "net": VhostFrontend("vhost-vdpa", "virtio-net-pci"),
                "blk": VhostFrontend(None, "virtio-blk-pci"),
            },
            limit=_vdpa_limit,
            limit_label=lambda d: "none",
            limit_fields=None,
            limit_how="",
            disables_discard=True,
            catalog=(
                CatalogEntry(
                    "vhost-vdpa", "vhost-vdpa (no memslot limit)", "vdpa", {"device": "net"}
                ),
            ),
        ),
    )
}


# --------------------------------------------------------------------------- consumers


@dataclass(frozen=True, slots=True)
class ConsumerKind:
    """A memslot consumer that is not a memory device, with its default counts."""

    name: str
    label: str
    kvm_slots: int
    vhost_kernel_regions: int
    """Sections vhost-kernel / vdpa map."""
    vhost_user_regions: int
    """Sections vhost-user maps (only fd-backed RAM)."""
    driver: str | None = None
    """A real QEMU device (`-device <driver>`, device_add) that exports and verify write; None:
    an abstract slot consumer with no command-line form of its own."""
    balloon: bool = False
    """Registers QEMU's balloon handler: only one balloon device (virtio or hv) may exist."""

    @property
    def catalog(self) -> tuple[CatalogEntry, ...]:
        """The one catalog entry of a consumer kind: its default counts."""
        return (
            CatalogEntry(
                self.name,
                self.label,
                self.name.split("-")[0],
                {
                    "kvm_slots": self.kvm_slots,
                    "vhost_kernel_regions": self.vhost_kernel_regions,
                    "vhost_user_regions": self.vhost_user_regions,
                },
            ),
        )


CONSUMER_KINDS: dict[str, ConsumerKind] = {
    kind.name: kind
    for kind in (
        # option ROM / pflash: a KVM slot (read-only), never a vhost region
        ConsumerKind("rom", "option ROM / pflash", 1, 0, 0),
        # e.g. ivshmem-plain on a shared memfd: RAM with an fd
        ConsumerKind("pci-ram-bar", "PCI RAM BAR (e.g. ivshmem on memfd)", 1, 1, 1),
        # VFIO mmap'd BAR: RAM device, no fd vhost-user could map
        ConsumerKind("vfio-bar", "VFIO BAR", 1, 1, 0),
        # VGA VRAM once the guest maps the BAR: private RAM
        ConsumerKind("vga-vram", "VGA VRAM", 1, 1, 0),
        # each extra NUMA node's memdev is its own RAM section
        ConsumerKind("numa-memdev", "extra NUMA node memdev", 1, 1, 1),
        # virtio-balloon maps no memory of its own: no memslot, but one balloon only
        ConsumerKind(
            "virtio-balloon", "virtio-balloon", 0, 0, 0, driver="virtio-balloon-pci", balloon=True
        ),
        ConsumerKind("custom", "custom", 1, 1, 1),
    )
}


# --------------------------------------------------------------------------- look-ups


def memory_kind(device: MemoryDeviceModel) -> MemoryKind:
    """The registry entry of a memory device."""
    return MEMORY_KINDS[device.kind]


def vhost_kind(device: VhostDeviceModel) -> VhostKind:
    """The registry entry of a vhost device."""
    return VHOST_KINDS[device.kind]


def is_netdev(device: VhostDeviceModel) -> bool:
    """A -netdev back-end: created before the machine and every -device."""
    return VHOST_KINDS[device.kind].is_netdev(device.device)


def consumer_kind(consumer: Consumer) -> ConsumerKind:
    """The registry entry of a consumer."""
    return CONSUMER_KINDS[consumer.kind]
