"""The configuration an engineer explores: a machine, its memslot consumers, and a plug timeline.

Everything is immutable: the app replaces the whole configuration on every edit, so undo is a
list of old configurations and the engine can never see a half-edited one. Field names follow
QEMU's own properties (`maxmem`, `slots`, `requested-size` → `requested_size`, ...) so that an
engineer can map a field to a command line without a glossary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from .units import U32_MAX, U64_MAX, GiB, KiB, MiB, format_size, parse_mib_size, parse_size

Size = Annotated[int, BeforeValidator(parse_size), PlainSerializer(format_size, when_used="json")]
"""Bytes; written as "64G" / "0x40000000" / 4096 in TOML, stored as an int."""

RamSize = Annotated[
    int, BeforeValidator(parse_mib_size), PlainSerializer(format_size, when_used="json")
]
"""`-m size=`: like Size, but a string without a unit is MiB, as QEMU reads `-m 4096`."""

Count = Annotated[StrictInt, Field(ge=0, le=U32_MAX)]
"""A memslot or region count: QEMU keeps these in `unsigned int`."""

INT_MAX = (1 << 31) - 1
# fullmatch and ASCII only: `$` would accept a trailing newline and `\d` any Unicode digit.
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*", re.ASCII)
_VERSION = re.compile(r"([0-9]+)\.([0-9]+)(?:\.([0-9]+))?", re.ASCII)

SCHEMA_VERSION: Literal[1] = 1
LATEST_QEMU = "10.1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(
            f"id {value!r} is not a valid QEMU id (a letter, then letters, digits, '-', '.', '_')"
        )
    return value


DeviceId = Annotated[str, BeforeValidator(lambda v: _check_id(v) if isinstance(v, str) else v)]


# --------------------------------------------------------------------------- machine


class Machine(_Frozen):
    """`-machine`, `-m` and `-accel`, plus the host facts QEMU reads at start-up."""

    type: Literal["q35", "pc"] = "q35"
    accel: Literal["kvm", "tcg"] = "kvm"
    kvm_memslots: Count = 32764
    """KVM_CAP_NR_MEMSLOTS of the host: 32764 on x86 since Linux 5.15-era, 509 on old kernels.
    0 means the kernel did not answer, and QEMU then assumes 32."""
    ram: RamSize = 4 * GiB
    """`-m size=`: a string without a unit is MiB, as in QEMU (`ram = \"4096\"` is 4G)."""
    maxmem: Size | None = None
    slots: Count = 0
    nvdimm: StrictBool = False
    memory_backend: Literal["ram", "memfd"] = "ram"
    """Boot RAM backend: "memfd" (`memory-backend-memfd,share=on` + `-machine memory-backend=`)
    is fd-backed, so vhost-user back-ends map it and count its sections; "ram" is private."""
    cpu_vendor: Literal["amd", "intel"] = "intel"
    """The vendor `qemu64` reports: the host's under KVM, AMD under TCG. AMD moves RAM above the
    1 TiB HyperTransport hole on large machines. Default Intel: most KVM hosts (docs/rules.md)."""
    phys_bits: Annotated[StrictInt, Field(ge=32, le=64)] = 40
    qemu_version: str = LATEST_QEMU
    guest_plugs_memory: StrictBool = True
    """Whether a guest driver plugs what virtio-mem's `requested-size` asks for. Without a guest
    (as under `verify`), no virtio-mem memslot is ever mapped."""
    host_thp_size: Size = 2 * MiB
    """/sys/kernel/mm/transparent_hugepage/hpage_pmd_size: virtio-mem's default block size."""
    boot_kvm_slots: Count | None = None
    """Override: KVM memslots taken by boot memory and firmware (None: the measured default)."""
    boot_ram_sections: Count | None = None
    """Override: boot RAM sections a vhost back-end maps (None: the measured default)."""

    @field_validator("qemu_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = _VERSION.fullmatch(value)
        if not match:
            raise ValueError(f"qemu_version {value!r} is not like '10.1' or '9.2.3'")
        if (int(match.group(1)), int(match.group(2))) < (6, 0):
            raise ValueError(f"qemu_version {value!r} is older than 6.0, which is not modelled")
        return value

    @field_validator("ram")
    @classmethod
    def _ram(cls, value: int) -> int:
        if value == 0:
            raise ValueError("ram must be larger than 0")
        return value

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        """(major, minor, micro) for comparisons."""
        match = _VERSION.fullmatch(self.qemu_version)
        assert match is not None
        return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)

    @property
    def kvm_enabled(self) -> bool:
        """kvm_enabled(): only then are KVM's memslots consulted at all."""
        return self.accel == "kvm"

    @property
    def maxram(self) -> int:
        """ms->maxram_size: maxmem, or ram when maxmem is not given."""
        return self.maxmem if self.maxmem is not None else self.ram


# --------------------------------------------------------------------------- memory devices


class _MemoryDeviceBase(_Frozen):
    """A memory device and the memory backend (`-object memory-backend-*`) it uses."""

    id: DeviceId
    size: Size
    """Size of the memory backend (`memdev`)."""
    backend: Literal["ram", "memfd", "file"] = "ram"
    share: StrictBool = False
    page_size: Size = 4 * KiB
    """Page size of the backing: 4K, or a hugetlb page size (2M, 1G) for memfd/file."""
    readonly: StrictBool = False
    prealloc: StrictBool = False
    """`prealloc=on` on the memory backend."""
    memdev: DeviceId | None = None
    """Use the memory backend of another memory device (`memdev=mem-<that id>`) instead of one of
    its own: QEMU lets one device use a backend at a time (the "busy memdev" errors). Its backend
    fields are that device's (the configuration copies them)."""

    @model_validator(mode="after")
    def _backend(self) -> _MemoryDeviceBase:
        if self.backend == "ram" and self.page_size != 4 * KiB:
            raise ValueError("page_size: memory-backend-ram has no huge pages; use memfd or file")
        if self.page_size not in (4 * KiB, 2 * MiB, 1 * GiB):
            raise ValueError("page_size must be 4K, 2M or 1G")
        if self.readonly and self.backend != "file":
            raise ValueError("readonly: only memory-backend-file can be read-only")
        return self

    @property
    def memdev_id(self) -> str:
        """The id of the `-object memory-backend-*` behind it (QEMU names it in messages).

        Every exporter and `verify` must name the backend exactly so, so that messages match."""
        return f"mem-{self.memdev or self.id}"

    @property
    def owns_backend(self) -> bool:
        """Creates its own `-object memory-backend-*` (not a shared one, not an empty balloon)."""
        return self.memdev is None and getattr(self, "size", None) is not None

    @property
    def fd_backed(self) -> bool:
        """Has an fd, so a vhost-user back-end can map (and counts) its memory."""
        return self.backend in ("memfd", "file")

    @property
    def backend_alignment(self) -> int:
        """memory_region_get_alignment() of the backend: page size, 2 MiB for anonymous RAM."""
        return 2 * MiB if self.backend == "ram" else self.page_size


class PcDimm(_MemoryDeviceBase):
    kind: Literal["pc-dimm"] = "pc-dimm"
    slot: Annotated[StrictInt, Field(ge=-(2**31), le=INT_MAX)] | None = None
    addr: Size | None = None


class Nvdimm(_MemoryDeviceBase):
    kind: Literal["nvdimm"] = "nvdimm"
    slot: Annotated[StrictInt, Field(ge=-(2**31), le=INT_MAX)] | None = None
    addr: Size | None = None
    label_size: Size | None = None
    unarmed: StrictBool = False


class VirtioPmem(_MemoryDeviceBase):
    kind: Literal["virtio-pmem"] = "virtio-pmem"
    memaddr: Size | None = None


class VirtioMem(_MemoryDeviceBase):
    kind: Literal["virtio-mem"] = "virtio-mem"
    requested_size: Size = 0
    block_size: Size | None = None
    """None: QEMU's default (THP size for 4K backends, the page size for hugetlb, ≥ 1 MiB)."""
    dynamic_memslots: StrictBool = False
    unplugged_inaccessible: StrictBool = True
    memaddr: Size | None = None


class HvBalloon(_MemoryDeviceBase):
    kind: Literal["hv-balloon"] = "hv-balloon"
    size: Size | None = None  # type: ignore[assignment]
    """Without a memdev the balloon is an empty memory device: no memslot accounting at all."""
    addr: Size | None = None


MemoryDeviceModel = PcDimm | Nvdimm | VirtioPmem | VirtioMem | HvBalloon
"""Every memory-device kind; its facts are in kinds.MEMORY_KINDS."""
MemoryDevice = Annotated[MemoryDeviceModel, Field(discriminator="kind")]
MEMORY_DEVICE_KINDS: dict[str, type[MemoryDeviceModel]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(MemoryDeviceModel)
}


# --------------------------------------------------------------------------- vhost devices


class VhostKernel(_Frozen):
    """vhost-net (`-netdev tap,vhost=on`), vhost-scsi, vhost-vsock: the kernel's vhost module."""

    id: DeviceId
    kind: Literal["vhost-kernel"] = "vhost-kernel"
    device: Literal["net", "scsi", "vsock"] = "net"
    max_mem_regions: Annotated[StrictInt, Field(ge=0, le=U64_MAX)] = 64
    """/sys/module/vhost/parameters/max_mem_regions on the host (kernel default 64)."""


class VhostUser(_Frozen):
    """A vhost-user back-end (virtiofsd, qemu-storage-daemon, DPDK, SPDK, ...)."""

    id: DeviceId
    kind: Literal["vhost-user"] = "vhost-user"
    device: Literal["net", "blk", "fs", "scsi", "vsock"] = "fs"
    backend_name: str = ""
    configure_mem_slots: StrictBool = True
    """Whether the back-end offers VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS."""
    max_mem_slots: Annotated[StrictInt, Field(ge=0, le=U64_MAX)] = 509
    """The back-end's reply to VHOST_USER_GET_MAX_MEM_SLOTS."""


class VhostVdpa(_Frozen):
    """vhost-vdpa: no memslot limit of its own (INT_MAX), but it disables RAM discard."""

    id: DeviceId
    kind: Literal["vhost-vdpa"] = "vhost-vdpa"
    device: Literal["net", "blk"] = "net"


VhostDeviceModel = VhostKernel | VhostUser | VhostVdpa
"""Every vhost kind; its facts are in kinds.VHOST_KINDS."""
VhostDevice = Annotated[VhostDeviceModel, Field(discriminator="kind")]
VHOST_DEVICE_KINDS: dict[str, type[VhostDeviceModel]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(VhostDeviceModel)
}


# --------------------------------------------------------------------------- other consumers

ConsumerKindName = Literal[
    "rom", "pci-ram-bar", "vfio-bar", "vga-vram", "numa-memdev", "virtio-balloon", "custom"
]


class Consumer(_Frozen):
    """A memslot consumer that is not a memory device: it takes slots but reserves none."""

    id: DeviceId
    kind: ConsumerKindName = "custom"
    kvm_slots: Count | None = None
    vhost_kernel_regions: Count | None = None
    vhost_user_regions: Count | None = None
    note: str = ""

    @model_validator(mode="after")
    def _defaults(self) -> Consumer:
        from .kinds import CONSUMER_KINDS  # the registry imports this module

        kind = CONSUMER_KINDS[self.kind]
        kvm, kernel, user = kind.kvm_slots, kind.vhost_kernel_regions, kind.vhost_user_regions
        for name, default in (
            ("kvm_slots", kvm),
            ("vhost_kernel_regions", kernel),
            ("vhost_user_regions", user),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        return self


# --------------------------------------------------------------------------- timeline

Action = Literal["cold", "hotplug", "unplug", "resize", "disconnect", "reconnect"]


class Event(_Frozen):
    """One step: `cold` = on the command line; `hotplug`/`unplug` = device_add/device_del (or
    netdev_add/netdev_del); `resize` = qom-set of virtio-mem's requested-size; `disconnect` /
    `reconnect` = a vhost-user back-end restarting (e.g. a virtiofsd or DPDK upgrade), which
    may come back with another memslot limit (`max_mem_slots`)."""

    action: Action
    device: DeviceId
    requested_size: Size | None = None
    max_mem_slots: Annotated[StrictInt, Field(ge=0, le=U64_MAX)] | None = None
    """reconnect: what the restarted back-end answers to GET_MAX_MEM_SLOTS (None: as before)."""

    @model_validator(mode="after")
    def _resize(self) -> Event:
        if self.action == "resize" and self.requested_size is None:
            raise ValueError("requested_size: a resize event needs the new requested_size")
        if self.action != "resize" and self.requested_size is not None:
            raise ValueError("requested_size: only a resize event takes requested_size")
        if self.action != "reconnect" and self.max_mem_slots is not None:
            raise ValueError("max_mem_slots: only a reconnect event takes max_mem_slots")
        return self


class ExpectedEvent(_Frozen):
    """What a preset promises for one event (1-based index into the timeline)."""

    event: Annotated[StrictInt, Field(ge=1)]
    ok: StrictBool | None = None
    error: str | None = None
    memslot_limit: Count | None = None
    memslots: Count | None = None
    skipped: StrictBool | None = None


class Expectation(_Frozen):
    """The outcome a preset must produce; tests replay every preset and compare."""

    events: tuple[ExpectedEvent, ...] = ()
    startup_error: str | None = None
    required_memslots: Count | None = None
    used_memslots: Count | None = None
    reserved_memslots: Count | None = None


# --------------------------------------------------------------------------- configuration

AnyDevice = MemoryDeviceModel | VhostDeviceModel | Consumer


_BACKEND_FIELDS = ("size", "backend", "share", "page_size", "readonly", "prealloc")
"""The memory-backend fields a device sharing another's backend (`memdev`) takes from it."""


class Config(_Frozen):
    """A machine and the ordered timeline of what gets plugged into it."""

    schema_version: Literal[1] = SCHEMA_VERSION
    title: str = ""
    description: str = ""
    group: str = ""
    """The preset library's group (worked-example, field-case, version-rule, device-rule);
    no effect on the engine."""
    machine: Machine = Machine()
    memory_devices: tuple[MemoryDevice, ...] = ()
    vhost_devices: tuple[VhostDevice, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    timeline: tuple[Event, ...] = ()
    expect: Expectation | None = None

    @model_validator(mode="before")
    @classmethod
    def _shared_backends(cls, data: object) -> object:
        """A device with `memdev = "X"` uses X's backend: its backend fields are X's."""
        if not isinstance(data, dict) or not isinstance(data.get("memory_devices"), list | tuple):
            return data
        raw = data["memory_devices"]
        # devices already validated (an edit re-validating the rest) are read, not dumped
        if not any(
            (d.get("memdev") if isinstance(d, dict) else getattr(d, "memdev", None)) is not None
            for d in raw
            if isinstance(d, dict | BaseModel)
        ):
            return data
        items = [d.model_dump() if isinstance(d, BaseModel) else d for d in raw]
        owners = {d["id"]: d for d in items if isinstance(d, dict) and isinstance(d.get("id"), str)}
        out = []
        for index, item in enumerate(items):
            target = item.get("memdev") if isinstance(item, dict) else None
            if isinstance(target, str):  # other types: the field's own validation says so
                owner = owners.get(target)
                if owner is None or target == item.get("id"):
                    raise ValueError(
                        f"memory_devices[{index}].memdev: no other memory device {target!r}"
                    )
                if owner.get("memdev") is not None or owner.get("size") is None:
                    raise ValueError(
                        f"memory_devices[{index}].memdev: {target!r} has no backend of its own"
                    )
                item = {**item, **{k: owner[k] for k in _BACKEND_FIELDS if k in owner}}
                for key in _BACKEND_FIELDS:
                    if key not in owner:
                        item.pop(key, None)
            out.append(item)
        return {**data, "memory_devices": out}

    @model_validator(mode="before")
    @classmethod
    def _default_timeline(cls, data: object) -> object:
        """No timeline: cold-plug everything in the order listed (consumers, vhost, memory)."""
        if isinstance(data, dict) and "timeline" not in data:
            order = [
                *data.get("consumers", ()),
                *data.get("vhost_devices", ()),
                *data.get("memory_devices", ()),
            ]
            ids = [d.get("id") if isinstance(d, dict) else getattr(d, "id", None) for d in order]
            data = {**data, "timeline": [{"action": "cold", "device": i} for i in ids if i]}
        return data

    @model_validator(mode="after")
    def _timeline(self) -> Config:
        devices: dict[str, AnyDevice] = {}
        for field, items in (
            ("memory_devices", self.memory_devices),
            ("vhost_devices", self.vhost_devices),
            ("consumers", self.consumers),
        ):
            for index, item in enumerate(items):
                if item.id in devices:
                    raise ValueError(f"{field}[{index}].id: duplicate id {item.id!r}")
                devices[item.id] = item
        # Statically a device is plugged for sure ("yes"), never ("no"), or "maybe" after an
        # unplug that QEMU may refuse at run time; only sure mistakes are input errors.
        plugged: dict[str, str] = {}
        disconnected: set[str] = set()
        seen_hot = False
        for index, event in enumerate(self.timeline):
            where = f"timeline[{index}]"
            device = devices.get(event.device)
            if device is None:
                raise ValueError(f"{where}.device: no device with id {event.device!r}")
            state = plugged.get(event.device, "no")
            if event.action == "cold":
                if seen_hot:
                    raise ValueError(
                        f"{where}.action: cold plugs (the command line) must come before every "
                        "hotplug, unplug and resize"
                    )
            else:
                seen_hot = True
            if event.action in ("cold", "hotplug"):
                if state == "yes":
                    raise ValueError(f"{where}.device: {event.device!r} is already plugged")
                plugged[event.device] = "yes"
            elif event.action == "unplug":
                if state == "no":
                    raise ValueError(f"{where}.device: {event.device!r} is not plugged")
                plugged[event.device] = "maybe"
            elif event.action == "resize":
                if not isinstance(device, VirtioMem):
                    raise ValueError(f"{where}.action: only virtio-mem devices can be resized")
                if state == "no":
                    raise ValueError(f"{where}.device: {event.device!r} is not plugged")
            else:  # a vhost-user back-end restarts: disconnect, later reconnect
                if not isinstance(device, VhostUser):
                    raise ValueError(
                        f"{where}.action: only vhost-user back-ends disconnect and reconnect"
                    )
                if state == "no":
                    raise ValueError(f"{where}.device: {event.device!r} is not plugged")
                down = event.device in disconnected
                if event.action == "disconnect" and down:
                    raise ValueError(f"{where}.device: {event.device!r} is already disconnected")
                if event.action == "reconnect" and not down:
                    raise ValueError(f"{where}.device: {event.device!r} is not disconnected")
                if down:
                    disconnected.discard(event.device)
                else:
                    disconnected.add(event.device)
            if event.action in ("cold", "hotplug", "unplug"):
                disconnected.discard(event.device)
        return self

    def device(self, device_id: str) -> AnyDevice:
        """The device, vhost back-end or consumer with this id."""
        return self._by_id[device_id]

    @cached_property
    def _by_id(self) -> dict[str, AnyDevice]:
        return {item.id: item for item in self.all_devices()}

    def all_devices(self) -> Iterator[AnyDevice]:
        """Every memory device, vhost device and consumer, in that order."""
        yield from self.memory_devices
        yield from self.vhost_devices
        yield from self.consumers
