"""Read a running VM over QMP (read-only) and turn it into a configuration the engine replays.

Why: QEMU keeps its used/reserved memslots internal; what it shows over QMP (the memory devices,
their backends, the QOM `memslot-<N>` children of virtio-mem, the machine's memory sizes, the
vhost devices) is enough to rebuild the configuration as it stands now. The engine then answers
for it — budgets, headroom, and what-ifs appended after the live state — and the inspector
compares the engine's decisions with the ones QEMU actually made.

Read-only by design: every command goes through `tui.qemu.readonly.ReadOnly`, which refuses
anything outside QUERY_COMMANDS. What QMP cannot say (a vhost-user back-end's memslot limit,
the host's KVM slots, the THP size) is filled from this host or the model's defaults and listed
in `assumed`.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tui.engine import replay
from tui.engine.host import vendor_from_id
from tui.engine.kinds import MEMORY_KINDS, VHOST_KINDS
from tui.engine.layout import layout
from tui.engine.model import Config
from tui.engine.report import Report
from tui.engine.units import GiB, KiB, MiB
from tui.formats.qemu import BACKEND_TYPES
from tui.qemu.host import read_kvm_memslots, read_thp_size, read_vhost_max_mem_regions
from tui.qemu.qmp import QmpClosed, QmpError, QmpTimeout
from tui.qemu.readonly import (
    DEFAULT_TIMEOUT,
    HANDSHAKE,
    QUERY_COMMANDS,
    InspectError,
    QmpTransport,
    ReadOnly,
    Transport,
    VirshTransport,
    parse_address,
)

__all__ = [
    "HANDSHAKE",
    "LIVE_EVENTS",
    "QUERY_COMMANDS",
    "InspectError",
    "LiveSession",
    "LiveState",
    "ReadOnly",
    "inspect_qmp",
    "inspect_virsh",
    "parse_address",
    "read_live",
    "with_hotplug",
]

LIVE_EVENTS = ("DEVICE_DELETED", "MEMORY_DEVICE_SIZE_CHANGE")
"""QMP events after which the live view reads the VM again."""

_MEMORY_TYPES = {kind.info_type: name for name, kind in MEMORY_KINDS.items()}
"""query-memory-devices' `type` (QAPI's MemoryDeviceInfoKind) → the configuration's kind."""
_VHOST_DRIVERS = {
    frontend.driver: (kind.name, device)
    for kind in VHOST_KINDS.values()
    for device, frontend in kind.frontends.items()
    if frontend.netdev is None and frontend.driver.startswith("vhost-")
}
"""Drivers that are vhost front-ends whatever their configuration (from the kinds registry);
virtio-net-pci and virtio-blk-pci are vhost only with a vhost back-end, read apart."""
_VHOST_USER_NET = VHOST_KINDS["vhost-user"].frontends["net"].driver
_VHOST_USER_FEATURE = "VHOST_USER_F_PROTOCOL_FEATURES"
_UNMODELLED = {
    "vfio-pci": "its mmap'd BARs take KVM memslots (and vhost-kernel regions) that are not read; "
    "add them as [[consumers]] kind 'vfio-bar' to count them",
    "ivshmem-plain": "its shared-memory BAR takes a KVM memslot and a vhost region that are not "
    "read; add it as a [[consumers]] kind 'pci-ram-bar'",
    "ivshmem-doorbell": "its shared-memory BAR takes a KVM memslot and a vhost region that are "
    "not read; add it as a [[consumers]] kind 'pci-ram-bar'",
}
"""Peripherals that take memslots the inspector does not read (said as warnings)."""
_MEMSLOT_CHILD = re.compile(r"^memslot-(\d+)(?:\[\d+\])?$")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_BACKENDS = {qom_type: backend for backend, qom_type in BACKEND_TYPES.items()}


# --------------------------------------------------------------------------- what QEMU shows


@dataclass(frozen=True)
class LiveMemoryDevice:
    """One memory device as QEMU shows it."""

    id: str
    kind: str
    size: int | None
    address: int | None
    hotplugged: bool
    memslots: int
    """Memslots QEMU decided (virtio-mem: its `memslot-<N>` children; others: 1)."""
    mapped: int
    """Memslots mapped now (used); the rest are reserved."""
    memslot_sizes: tuple[int, ...] = ()
    memdev: str = ""
    requested_size: int | None = None
    plugged_size: int | None = None

    @property
    def reserved(self) -> int:
        """Decided but not mapped (QEMU's reserved memslots for this device)."""
        return max(self.memslots - self.mapped, 0)


@dataclass(frozen=True)
class LiveVhost:
    """One vhost front-end and what is known of its back-end."""

    id: str
    kind: str
    device: str
    qom_type: str
    backend: str
    """What QMP shows of the back-end (chardev socket, netdev), for the user."""


@dataclass
class LiveState:
    """The VM as read now, its configuration, and the engine's report for it."""

    source: str
    qemu_version: str
    machine_type: str
    config: Config
    report: Report
    memory: list[LiveMemoryDevice] = field(default_factory=list)
    vhost: list[LiveVhost] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    device_memory: tuple[int, int] | None = None
    boot_backend: str = ""
    boot_split: tuple[int, int] | None = None
    """Boot RAM below and above 4 GiB, as the PCI host reports it."""
    running: bool = False

    @property
    def used_memslots(self) -> int:
        """QEMU's used memslots of memory devices (mapped now)."""
        return sum(d.mapped for d in self.memory if d.size)

    @property
    def required_memslots(self) -> int:
        """QEMU's required memslots of memory devices (decided)."""
        return sum(d.memslots for d in self.memory if d.size)


# --------------------------------------------------------------------------- reading


async def read_live(
    q: ReadOnly,
    source: str,
    vhost_limits: dict[str, int | None] | None = None,
    local_host: bool = True,
) -> LiveState:
    """Everything the inspector reads, and the configuration built from it.

    `vhost_limits`: id → a vhost-user back-end's GET_MAX_MEM_SLOTS reply (None: it does not offer
    CONFIGURE_MEM_SLOTS), which QMP cannot show. `local_host`: the VM runs on this machine, so
    its host facts (KVM slots, THP, vhost max_mem_regions) are read here."""
    limits = dict(vhost_limits or {})
    assumed: list[str] = []
    warnings: list[str] = []
    version = await q.query("query-version")
    ver = version.get("qemu", {}) if isinstance(version, dict) else {}
    qemu_version = f"{ver.get('major', 0)}.{ver.get('minor', 0)}.{ver.get('micro', 0)}"
    status = await q.query("query-status")
    running = isinstance(status, dict) and status.get("status") not in (
        "prelaunch",
        "inmigrate",
    )
    kvm = await q.query("query-kvm")
    accel = "kvm" if isinstance(kvm, dict) and kvm.get("enabled") else "tcg"
    machine_type = str(await q.get("/machine", "type", ""))
    if "q35" in machine_type:
        mtype = "q35"
    elif machine_type.startswith("pc-i440fx") or machine_type.startswith("pc-"):
        mtype = "pc"
    else:
        raise InspectError(
            f"{source}: machine type {machine_type.removesuffix('-machine')!r} is not modelled "
            "(only x86 q35 and pc are)"
        )
    host = "/machine/q35" if mtype == "q35" else "/machine/i440fx"
    below = await q.get(host, "below-4g-mem-size")
    above = await q.get(host, "above-4g-mem-size")
    boot_split = (below, above) if isinstance(below, int) and isinstance(above, int) else None
    memory = await q.get("/machine", "memory", {}) or {}
    ram = int(memory.get("size") or 0)
    if not ram:
        summary = await q.query("query-memory-size-summary")
        ram = int(summary.get("base-memory", 0))
    slots = int(memory.get("slots") or 0)
    region = None
    base = await q.get("/machine/device-memory[0]", "addr")
    size = await q.get("/machine/device-memory[0]", "size")
    if isinstance(base, int) and isinstance(size, int):
        region = (base, size)
    if memory.get("max-size"):
        max_size = int(memory["max-size"])
    elif region is not None:
        # QEMU reports max-size only with slots; pc/q35 size device memory as maxmem - ram
        # (+ 1 GiB per slot, here 0).
        max_size = ram + region[1]
    else:
        max_size = ram
    nvdimm = bool(await q.get("/machine", "nvdimm", False))
    boot_path = str(await q.get("/machine", "memory-backend", "") or "")
    boot_backend = "ram"
    if boot_path:
        boot_type = str(await q.get(boot_path, "type", ""))
        if boot_type == "memory-backend-memfd" or boot_type == "memory-backend-file":
            boot_backend = "memfd"
            if boot_type == "memory-backend-file":
                assumed.append(
                    f"boot RAM {boot_path} is memory-backend-file: modelled as fd-backed memfd"
                )
    vendor, phys_bits = await _cpu(q, warnings)
    memdevs = {
        str(m.get("id")): m for m in (await q.query("query-memdev") or []) if isinstance(m, dict)
    }
    machine: dict[str, Any] = {
        "type": mtype,
        "accel": accel,
        "ram": ram,
        "maxmem": max_size if max_size > ram else None,
        "slots": slots,
        "nvdimm": nvdimm,
        "memory_backend": boot_backend,
        "cpu_vendor": vendor,
        "phys_bits": phys_bits,
        "qemu_version": qemu_version,
    }
    _host_facts(machine, accel, local_host, assumed)

    live_memory: list[LiveMemoryDevice] = []
    memory_devices: list[dict[str, Any]] = []
    used_ids: set[str] = set()
    for entry in await q.query("query-memory-devices") or []:
        parsed = await _memory_device(q, entry, memdevs, used_ids, warnings, assumed)
        if parsed is not None:
            live, model = parsed
            live_memory.append(live)
            memory_devices.append(model)
    guest = _guest_plugs(live_memory, running, assumed)
    machine["guest_plugs_memory"] = guest

    vhost_devices, live_vhost, hot_vhost = await _vhost_devices(
        q, used_ids, limits, local_host, warnings, assumed
    )
    hot = {d.id for d in live_memory if d.hotplugged} | hot_vhost
    config, report, mismatches = _best_config(
        machine, memory_devices, vhost_devices, live_memory, hot, source, qemu_version
    )
    state = LiveState(
        source=source,
        qemu_version=qemu_version,
        machine_type=machine_type,
        config=config,
        report=report,
        memory=live_memory,
        vhost=live_vhost,
        assumed=assumed,
        warnings=warnings,
        disagreements=mismatches,
        device_memory=region,
        boot_backend=boot_path or "QEMU's default private RAM",
        boot_split=boot_split,
        running=running,
    )
    if boot_split is not None:
        lay = layout(config.machine)
        if (lay.below_4g, lay.above_4g) != boot_split:
            state.disagreements.append(
                f"boot RAM below/above 4G: QEMU {boot_split[0]:#x}/{boot_split[1]:#x}, "
                f"the engine {lay.below_4g:#x}/{lay.above_4g:#x}"
            )
    if region is not None and report.device_memory_base not in (None, region[0]):
        state.disagreements.append(
            f"device memory starts at 0x{region[0]:x} in QEMU, "
            f"0x{report.device_memory_base:x} in the engine"
        )
    return state


async def _cpu(q: ReadOnly, warnings: list[str]) -> tuple[str, int]:
    cpus = await q.query("query-cpus-fast") or []
    path = cpus[0].get("qom-path") if cpus and isinstance(cpus[0], dict) else None
    vendor_text = str(await q.get(path, "vendor", "")) if path else ""
    vendor: str | None = vendor_from_id(vendor_text)
    if vendor is None:
        warnings.append(
            f"vCPU vendor {vendor_text or '(unreadable)'!r} is neither Intel nor AMD: "
            "modelled as AMD (only the 1 TiB relocation depends on it)"
        )
        vendor = "amd"
    bits = await q.get(path, "phys-bits", 40) if path else 40
    phys_bits = bits if isinstance(bits, int) and 32 <= bits <= 64 else 40
    return vendor, phys_bits


def _host_facts(machine: dict[str, Any], accel: str, local: bool, assumed: list[str]) -> None:
    """What QMP cannot show about the host: read here (tui.qemu.host) when the VM is local."""
    if accel == "kvm":
        slots = read_kvm_memslots() if local else None
        if slots is not None and isinstance(slots.value, int):
            machine["kvm_memslots"] = slots.value
            assumed.append(f"KVM memslots {slots.value}: this host's KVM_CAP_NR_MEMSLOTS")
        else:
            why = slots.reason if slots is not None else "the VM is not on this host"
            assumed.append(f"KVM memslots: not readable ({why}), the model's default is used")
    thp = read_thp_size() if local else None
    if thp is not None and isinstance(thp.value, int) and thp.value:
        machine["host_thp_size"] = thp.value
    else:
        assumed.append("THP size: not readable here, 2 MiB assumed")


async def _memory_device(
    q: ReadOnly,
    entry: Any,
    memdevs: dict[str, dict[str, Any]],
    used_ids: set[str],
    warnings: list[str],
    assumed: list[str],
) -> tuple[LiveMemoryDevice, dict[str, Any]] | None:
    if not isinstance(entry, dict):
        return None
    qtype = str(entry.get("type", ""))
    data = entry.get("data") or {}
    kind = _MEMORY_TYPES.get(qtype)
    if kind is None:
        warnings.append(
            f"memory device type {qtype!r} ({data.get('id')}) is not modelled: left out"
        )
        return None
    qid = data.get("id") or ""
    ident = _unique_id(qid, kind, used_ids, warnings)
    qom = f"/machine/peripheral/{qid}" if qid else None
    model: dict[str, Any] = {"kind": kind, "id": ident}
    memdev_path = str(data.get("memdev") or "")
    size = None
    if memdev_path:
        size = await _backend(q, memdev_path, memdevs, model, ident, assumed)
        model["size"] = size
    elif kind != "hv-balloon":
        warnings.append(f"{ident}: no memdev reported, left out")
        return None
    address: int | None = None
    hotplugged = bool(data.get("hotplugged", False))
    if qom is not None and "hotplugged" not in data:
        hotplugged = bool(await q.get(qom, "hotplugged", False))
    memslots, mapped = 1, 1
    sizes: tuple[int, ...] = ()
    requested = plugged = None
    if kind in ("pc-dimm", "nvdimm"):
        address = _int(data.get("addr"))
        model["addr"] = address
        model["slot"] = _int(data.get("slot"))
        if kind == "nvdimm" and qom is not None:
            label = await q.get(qom, "label-size")
            if isinstance(label, int) and label > 0:  # 0: no label area (the default)
                model["label_size"] = label
            model["unarmed"] = bool(await q.get(qom, "unarmed", False))
        if kind == "nvdimm" and model.get("readonly"):
            mapped = 1
    elif kind == "virtio-pmem":
        address = _int(data.get("memaddr"))
        model["memaddr"] = address
    elif kind == "virtio-mem":
        address = _int(data.get("memaddr"))
        requested = _int(data.get("requested-size")) or 0
        plugged = _int(data.get("size")) or 0
        model.update(memaddr=address, requested_size=requested)
        model["block_size"] = _int(data.get("block-size"))
        backend = f"{qom}/virtio-backend" if qom else None
        dynamic = bool(await q.get(backend, "dynamic-memslots", False)) if backend else False
        model["dynamic_memslots"] = dynamic
        inaccessible = await q.get(backend, "unplugged-inaccessible", "on") if backend else "on"
        model["unplugged_inaccessible"] = inaccessible != "off"
        if backend:
            memslots, mapped, sizes = await _memslots(q, backend, dynamic)
    elif kind == "hv-balloon":
        address = _int(data.get("memaddr"))
        if address is not None:
            model["addr"] = address
        if qom and size:
            count, mapped, sizes = await _memslots(q, qom, True)
            memslots = count or 1
            assumed.append(
                f"{ident}: hv-balloon memslots read like virtio-mem's (QOM memslot-N children); "
                "not checked on a real QEMU, so the engine's decision is not compared"
            )
        if not size:
            memslots = mapped = 0
    live = LiveMemoryDevice(
        id=ident,
        kind=kind,
        size=size,
        address=address,
        hotplugged=hotplugged,
        memslots=memslots,
        mapped=mapped,
        memslot_sizes=sizes,
        memdev=memdev_path,
        requested_size=requested,
        plugged_size=plugged,
    )
    return live, {k: v for k, v in model.items() if v is not None}


async def _backend(
    q: ReadOnly,
    path: str,
    memdevs: dict[str, dict[str, Any]],
    model: dict[str, Any],
    ident: str,
    assumed: list[str],
) -> int | None:
    """Fill the backend fields of `model` from the memdev at `path`; its size."""
    memdev_id = path.rsplit("/", 1)[-1]
    info = memdevs.get(memdev_id, {})
    qtype = str(await q.get(path, "type", ""))
    backend = _BACKENDS.get(qtype, "ram")
    if qtype not in _BACKENDS:
        assumed.append(f"{ident}: backend type {qtype!r} modelled as memory-backend-ram")
    model["backend"] = backend
    model["share"] = bool(info.get("share", await q.get(path, "share", False)))
    model["prealloc"] = bool(info.get("prealloc", False))
    size = info.get("size")
    if not isinstance(size, int):
        size = await q.get(path, "size")
    if backend == "memfd" and await q.get(path, "hugetlb", False):
        page = await q.get(path, "hugetlbsize", 0)
        model["page_size"] = page if page in (2 * MiB, GiB) else 2 * MiB
        if page not in (2 * MiB, GiB):
            assumed.append(f"{ident}: hugetlb page size not given, 2 MiB assumed")
    if backend == "file":
        model["readonly"] = bool(await q.get(path, "readonly", False))
        mem_path = await q.get(path, "mem-path", "")
        model["page_size"] = _file_page_size(str(mem_path or ""))
    if memdev_id != f"mem-{ident}":
        assumed.append(
            f"{ident}: its memdev is {memdev_id!r}; the engine names it 'mem-{ident}' in messages"
        )
    return size if isinstance(size, int) else None


def _file_page_size(mem_path: str) -> int:
    """A file backend's page size: the block size of its hugetlbfs, else 4 KiB."""
    try:
        block = os.statvfs(mem_path).f_bsize
    except OSError:
        return 4 * KiB
    return block if block in (2 * MiB, GiB) else 4 * KiB


async def _memslots(q: ReadOnly, path: str, dynamic: bool) -> tuple[int, int, tuple[int, ...]]:
    """(memslots decided, mapped now, their sizes) from the `memslot-<N>` children at `path`.

    Without dynamic memslots virtio-mem maps its whole memdev as one memslot at plug time."""
    names = []
    for child in await q.children(path):
        match = _MEMSLOT_CHILD.match(str(child.get("name", "")))
        if match:
            names.append((int(match.group(1)), str(child["name"])))
    if not names:
        return (1, 1, ()) if not dynamic else (1, 0, ())
    mapped = 0
    ordered = [name for _n, name in sorted(names)]
    for name in ordered:
        if await q.get(f"{path}/{name}", "container", ""):
            mapped += 1
    # Every memslot but the last has the same size: two reads instead of one per memslot
    # (it matters through virsh, one process per command).
    first = await q.get(f"{path}/{ordered[0]}", "size", 0)
    last = await q.get(f"{path}/{ordered[-1]}", "size", 0) if len(ordered) > 1 else first
    first = first if isinstance(first, int) else 0
    last = last if isinstance(last, int) else 0
    return len(ordered), mapped, (*([first] * (len(ordered) - 1)), last)


def _guest_plugs(devices: list[LiveMemoryDevice], running: bool, assumed: list[str]) -> bool:
    """Whether a guest plugs what virtio-mem asks for: seen on the devices when one asks."""
    asking = [d for d in devices if d.kind == "virtio-mem" and d.requested_size]
    if asking:
        plugs = all(d.plugged_size == d.requested_size for d in asking)
        if not plugs:
            assumed.append(
                "guest plugs virtio-mem memory: no (a device's plugged size is below its "
                "requested-size)"
            )
        return plugs
    assumed.append(
        f"guest plugs virtio-mem memory: {'yes' if running else 'no'} "
        f"(no device asks for memory; the VM is {'running' if running else 'not started'})"
    )
    return running


async def _vhost_devices(
    q: ReadOnly,
    used_ids: set[str],
    limits: dict[str, int | None],
    local: bool,
    warnings: list[str],
    assumed: list[str],
) -> tuple[list[dict[str, Any]], list[LiveVhost], set[str]]:
    chardevs = {
        str(c.get("label")): str(c.get("filename", ""))
        for c in await q.optional("query-chardev")
        if isinstance(c, dict)
    }
    virtio = {
        str(v.get("path")): str(v.get("name", ""))
        for v in await q.optional("x-query-virtio")
        if isinstance(v, dict)
    }
    models: list[dict[str, Any]] = []
    live: list[LiveVhost] = []
    hot: set[str] = set()
    read = read_vhost_max_mem_regions() if local else None
    regions = read.value if read is not None and isinstance(read.value, int) else None
    for container in ("/machine/peripheral", "/machine/peripheral-anon"):
        for child in await q.children(container):
            ctype = str(child.get("type", ""))
            if not ctype.startswith("child<"):
                continue
            qom_type = ctype[6:-1]
            name = str(child.get("name", ""))
            path = f"{container}/{name}"
            kind = device = None
            backend = ""
            if qom_type in _VHOST_DRIVERS:
                kind, device = _VHOST_DRIVERS[qom_type]
                if kind == "vhost-user":
                    chardev = str(await q.get(path, "chardev", "") or "")
                    backend = f"chardev {chardev}: {chardevs.get(chardev, '?')}"
                else:
                    backend = f"/dev/vhost-{device}"
            elif qom_type == _VHOST_USER_NET:
                netdev = str(await q.get(path, "netdev", "") or "")
                backend_path = f"{path}/virtio-backend"
                if backend_path in virtio:
                    try:
                        status = await q.query("x-query-virtio-status", {"path": backend_path})
                    except QmpError:
                        status = {}
                    features = (status or {}).get("backend-features", {}).get("dev-features", [])
                    if any(str(f).startswith(_VHOST_USER_FEATURE) for f in features):
                        kind, device = "vhost-user", "net"
                        backend = f"netdev {netdev} (vhost-user)"
                if kind is None:
                    warnings.append(
                        f"NIC {name} (netdev {netdev or '?'}): QMP does not show whether its "
                        "back-end is vhost (tap,vhost=on or vhost-vdpa); left out — add it by hand "
                        "if it is"
                    )
                    continue
            if qom_type in _UNMODELLED:
                warnings.append(f"{name} ({qom_type}): {_UNMODELLED[qom_type]}")
                continue
            if kind is None or device is None:
                continue
            ident = _unique_id(
                name if container.endswith("peripheral") else "", kind, used_ids, warnings
            )
            model: dict[str, Any] = {"kind": kind, "id": ident, "device": device}
            if kind == "vhost-user":
                if ident in limits:
                    limit = limits[ident]
                    model["configure_mem_slots"] = limit is not None
                    if limit is not None:
                        model["max_mem_slots"] = limit
                else:
                    assumed.append(
                        f"{ident}: vhost-user back-end limit not shown by QMP; 509 memslots "
                        "assumed (override with --vhost-limit "
                        f"{ident}=N, or {ident}=baseline for a back-end without "
                        "CONFIGURE_MEM_SLOTS)"
                    )
            elif kind == "vhost-kernel":
                if regions:
                    model["max_mem_regions"] = regions
                    assumed.append(f"{ident}: vhost max_mem_regions {regions} read on this host")
                else:
                    assumed.append(f"{ident}: vhost max_mem_regions not readable, 64 assumed")
            if await q.get(path, "hotplugged", False):
                hot.add(ident)
            models.append(model)
            live.append(LiveVhost(ident, kind, device, qom_type, backend))
    return models, live, hot


def _unique_id(qid: str, kind: str, used: set[str], warnings: list[str]) -> str:
    """QEMU's id when it is one the model takes, else a made-up one (said in `warnings`)."""
    ident = qid
    if not qid or not _ID.match(qid) or qid in used:
        n = 1
        while f"{kind}-{n}" in used:
            n += 1
        ident = f"{kind}-{n}"
        what = f"id {qid!r}" if qid else "no id"
        warnings.append(f"a {kind} with {what} is called {ident!r} here")
    used.add(ident)
    return ident


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --------------------------------------------------------------------------- the configuration


def _orders(
    memory: list[dict[str, Any]], vhost: list[dict[str, Any]], live: list[LiveMemoryDevice]
) -> list[list[str]]:
    """Plug orders to try, most likely first. QMP does not say in which order devices came;
    netdevs always come first (QEMU creates them before the machine), memory devices in address
    order (first-fit placement follows plug order when nothing was unplugged)."""
    where = {d.id: (d.address if d.address is not None else 1 << 64) for d in live}
    mem_ids = sorted((d["id"] for d in memory), key=lambda i: where.get(i, 1 << 64))
    net = [v["id"] for v in vhost if v["device"] == "net"]
    other = [v["id"] for v in vhost if v["device"] != "net"]
    candidates = [
        [*net, *other, *mem_ids],
        [*net, *mem_ids, *other],
        [*net, *[d["id"] for d in memory], *other],
        [*net, *other, *[d["id"] for d in memory]],
    ]
    unique: list[list[str]] = []
    for order in candidates:
        if order not in unique:
            unique.append(order)
    return unique


def _best_config(
    machine: dict[str, Any],
    memory: list[dict[str, Any]],
    vhost: list[dict[str, Any]],
    live: list[LiveMemoryDevice],
    hot: set[str],
    source: str,
    version: str,
) -> tuple[Config, Report, list[str]]:
    """The configuration whose replay agrees best with what QEMU decided (fewest mismatches)."""
    best: tuple[Config, Report, list[str]] | None = None
    for order in _orders(memory, vhost, live):
        cold = [i for i in order if i not in hot]
        plugged = [i for i in order if i in hot]
        timeline = [
            *({"action": "cold", "device": i} for i in cold),
            *({"action": "hotplug", "device": i} for i in plugged),
        ]
        try:
            config = Config.model_validate(
                {
                    "title": f"live VM, QEMU {version}",
                    "description": f"Read over QMP from QEMU {version} ({source}).",
                    "machine": machine,
                    "memory_devices": memory,
                    "vhost_devices": vhost,
                    "timeline": timeline,
                }
            )
        except ValidationError as exc:
            from tui.formats.problems import format_problem, validation_problems

            raise InspectError(
                f"{source}: the VM has a setting the model cannot take: "
                + "; ".join(format_problem(p) for p in validation_problems(exc))
            ) from None
        report = replay(config)
        mismatches = compare(config, report, live)
        if best is None or len(mismatches) < len(best[2]):
            best = (config, report, mismatches)
        if not mismatches:
            break
    assert best is not None
    return best


def compare(config: Config, report: Report, live: list[LiveMemoryDevice]) -> list[str]:
    """Where the engine's replay of `config` differs from what QEMU shows."""
    out: list[str] = []
    if report.startup_error:
        out.append(f"the engine says QEMU would not start: {report.startup_error}")
    by_device = {e.device: e for e in report.events if e.action in ("cold", "hotplug")}
    for device in live:
        event = by_device.get(device.id)
        if event is None:
            continue
        if not event.ok:
            out.append(f"{device.id}: QEMU has it plugged, the engine refuses it: {event.error}")
            continue
        if device.kind == "virtio-mem" and device.size:
            engine = event.memslots
            if engine is not None and engine != device.memslots:
                out.append(
                    f"{device.id}: QEMU decided {device.memslots} memslots, the engine {engine}"
                )
    if any(d.kind == "hv-balloon" for d in live):
        return out  # its used memslots are not read reliably (see read_live's assumption)
    if report.final.used_memslots != sum(d.mapped for d in live if d.size):
        out.append(
            f"used memslots: QEMU {sum(d.mapped for d in live if d.size)}, "
            f"the engine {report.final.used_memslots}"
        )
    return out


def with_hotplug(config: Config, device: dict[str, Any]) -> Config:
    """A what-if: `device` hot-plugged after the live state (never sent to the VM)."""
    data = config.model_dump(mode="python")
    kind = str(device.get("kind", ""))
    ident = str(device.get("id") or "")
    if not ident:
        taken = {d.id for d in config.all_devices()}
        n = 1
        while f"whatif{n}" in taken:
            n += 1
        ident = f"whatif{n}"
    entry = {**device, "id": ident}
    field_name = "vhost_devices" if kind.startswith("vhost-") else "memory_devices"
    data[field_name] = [*data[field_name], entry]
    data["timeline"] = [*data["timeline"], {"action": "hotplug", "device": ident}]
    data["expect"] = None
    return Config.model_validate(data)


# --------------------------------------------------------------------------- entry points


class LiveSession:
    """A lasting read-only connection for a live view: `read()` again and again, `wait_change()`
    for the QMP events after which the VM's memory looks different (LIVE_EVENTS)."""

    def __init__(
        self,
        transport: Transport,
        source: str,
        timeout: float = DEFAULT_TIMEOUT,
        vhost_limits: dict[str, int | None] | None = None,
    ) -> None:
        self.transport = transport
        self.source = source
        self.timeout = timeout
        self.vhost_limits = dict(vhost_limits or {})

    @classmethod
    def qmp(
        cls,
        path: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        vhost_limits: dict[str, int | None] | None = None,
    ) -> LiveSession:
        """A session on QEMU's QMP socket (events arrive on it)."""
        return cls(QmpTransport(path), f"unix:{path}", timeout, vhost_limits)

    @classmethod
    def virsh(
        cls,
        domain: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        vhost_limits: dict[str, int | None] | None = None,
    ) -> LiveSession:
        """A session through virsh (no events: refresh on request only)."""
        return cls(VirshTransport(domain), f"virsh:{domain}", timeout, vhost_limits)

    @property
    def has_events(self) -> bool:
        """Whether wait_change can report anything (QMP sockets can, virsh cannot)."""
        return isinstance(self.transport, QmpTransport)

    async def open(self) -> None:
        """Connect (InspectError when the address is no usable QMP socket)."""
        if isinstance(self.transport, QmpTransport):
            await self.transport.connect(self.timeout)

    async def read(self) -> LiveState:
        """The VM as it stands now (InspectError when it cannot be read)."""
        return await _read(self.transport, self.source, self.timeout, self.vhost_limits)

    async def wait_change(self, timeout: float) -> dict[str, Any] | None:
        """The next LIVE_EVENTS event, or None after `timeout` seconds (virsh: always None)."""
        if isinstance(self.transport, QmpTransport):
            return await self.transport.wait_event(LIVE_EVENTS, timeout)
        await asyncio.sleep(timeout)
        return None

    async def close(self) -> None:
        """Let go of the VM (it keeps running)."""
        await self.transport.close()


async def inspect_qmp(
    path: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    vhost_limits: dict[str, int | None] | None = None,
) -> LiveState:
    """Connect to QEMU's QMP socket at `path`, read it, disconnect."""
    transport = QmpTransport(path)
    await transport.connect(timeout)
    try:
        return await _read(transport, f"unix:{path}", timeout, vhost_limits)
    finally:
        await transport.close()


async def inspect_virsh(
    domain: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    vhost_limits: dict[str, int | None] | None = None,
    virsh: str | None = None,
) -> LiveState:
    """Read a libvirt domain through `virsh qemu-monitor-command`."""
    transport = VirshTransport(domain, virsh)
    return await _read(transport, f"virsh:{domain}", timeout, vhost_limits)


async def _read(
    transport: Transport,
    source: str,
    timeout: float,
    vhost_limits: dict[str, int | None] | None,
) -> LiveState:
    try:
        return await read_live(ReadOnly(transport, timeout), source, vhost_limits)
    except QmpTimeout as exc:
        raise InspectError(f"{source}: QEMU did not answer in time ({exc})") from None
    except QmpClosed as exc:
        what = str(exc) if source.startswith("virsh:") else f"connection lost ({exc})"
        raise InspectError(f"{source}: {what}") from None
    except QmpError as exc:
        raise InspectError(f"{source}: QEMU refused {exc.command}: {exc.desc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A peer that speaks QMP but answers what QEMU never would: say so, no traceback.
        raise InspectError(
            f"{source}: an answer is not shaped like QEMU's ({type(exc).__name__}: {exc})"
        ) from None
