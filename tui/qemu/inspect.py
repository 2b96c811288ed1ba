"""Read a running VM over QMP (read-only) and turn it into a configuration the engine replays.

Why: QEMU keeps its used/reserved memslots internal; what it shows over QMP (the memory devices,
their backends, the QOM `memslot-<N>` children of virtio-mem, the machine's memory sizes, the
vhost devices) is enough to rebuild the configuration as it stands now. The engine then answers
for it — budgets, headroom, and what-ifs appended after the live state — and the inspector
compares the engine's decisions with the ones QEMU actually made.

Read-only by design: every command goes through `ReadOnly`, which refuses anything outside
QUERY_COMMANDS. What QMP cannot say (a vhost-user back-end's memslot limit, the host's KVM slots,
the THP size) is filled from this host or the model's defaults and listed in `assumed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from tui.engine import replay
from tui.engine.host import vendor_from_id
from tui.engine.kinds import MEMORY_KINDS, VHOST_KINDS
from tui.engine.model import Config
from tui.engine.report import Report
from tui.engine.units import GiB, KiB, MiB, format_size
from tui.qemu.launch import child_setup, kvm_memslots, thp_size, vhost_max_mem_regions
from tui.qemu.qmp import AsyncQmp, QmpClosed, QmpError, QmpTimeout

QUERY_COMMANDS: frozenset[str] = frozenset(
    {
        "query-version",  # QEMU's version: which rules apply
        "query-status",  # running / prelaunch: is there a guest that plugs virtio-mem memory
        "query-kvm",  # accelerator
        "query-memory-devices",  # every memory device, its address, size and memdev
        "query-memdev",  # memory backends: size, share, prealloc
        "query-memory-size-summary",  # boot RAM
        "query-cpus-fast",  # the vCPU's QOM path (vendor, phys-bits)
        "qom-list",  # peripherals, virtio-mem memslot-<N> children
        "qom-get",  # machine memory, backend types, device properties, memslot sizes/mapping
        "x-query-virtio",  # virtio devices (vhost front-ends)
        "x-query-virtio-status",  # a virtio-net's back-end features (vhost-user or not)
        "query-chardev",  # vhost-user sockets (shown to the user)
    }
)
"""Every command the inspector may send. `qmp_capabilities` (the session handshake, sent by the
QMP library when it connects) is the only other message."""
HANDSHAKE = "qmp_capabilities"
LIVE_EVENTS = ("DEVICE_DELETED", "MEMORY_DEVICE_SIZE_CHANGE")
"""QMP events after which the live view reads the VM again."""
DEFAULT_TIMEOUT = 10.0
SUN_PATH_MAX = 107
"""sockaddr_un.sun_path holds 108 bytes including the terminating NUL."""

_MEMORY_TYPES = {kind.info_type: name for name, kind in MEMORY_KINDS.items()}
_VHOST_USER_TYPES = {
    f.driver: device for device, f in VHOST_KINDS["vhost-user"].frontends.items() if not f.netdev
}
_VHOST_KERNEL_TYPES = {
    f.driver: device for device, f in VHOST_KINDS["vhost-kernel"].frontends.items() if not f.netdev
}
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
_BACKENDS = {
    "memory-backend-ram": "ram",
    "memory-backend-memfd": "memfd",
    "memory-backend-file": "file",
}


class InspectError(Exception):
    """The VM could not be read: one line saying where and why (`exit_code` for the CLI)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Transport(Protocol):
    """Something that runs one QMP command with a deadline (a QMP socket, or virsh)."""

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """The command's `return` value, or QmpError / QmpTimeout / QmpClosed."""
        ...

    async def close(self) -> None:
        """Let go of the VM (never stops it)."""
        ...


class ReadOnly:
    """The only way the inspector talks to a VM: commands outside QUERY_COMMANDS are refused
    before anything is sent."""

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.transport = transport
        self.timeout = timeout

    async def query(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run a query command under the deadline."""
        if command not in QUERY_COMMANDS:
            raise PermissionError(f"inspect sends only query commands; {command!r} is not one")
        return await self.transport.execute(command, arguments, timeout=self.timeout)

    async def get(self, path: str, prop: str, default: Any = None) -> Any:
        """qom-get, or `default` when the object or property does not exist."""
        try:
            return await self.query("qom-get", {"path": path, "property": prop})
        except QmpError:
            return default

    async def optional(self, command: str) -> list[Any]:
        """A list-valued query QEMU may refuse (none of its kind, or an x- command missing in
        this version): [] then."""
        try:
            result = await self.query(command)
        except QmpError:
            return []
        return result if isinstance(result, list) else []

    async def children(self, path: str) -> list[dict[str, Any]]:
        """qom-list, or [] when the object does not exist."""
        try:
            result = await self.query("qom-list", {"path": path})
        except QmpError:
            return []
        return [item for item in result if isinstance(item, dict)]


# --------------------------------------------------------------------------- transports


def parse_address(text: str) -> str:
    """`unix:PATH` or a bare PATH → PATH; checked so that a bad address fails at once, clearly."""
    path = text[5:] if text.startswith("unix:") else text
    if not path:
        raise InspectError(f"{text!r}: no socket path given (use --qmp unix:PATH)")
    if text.startswith(("tcp:", "vsock:", "fd:")):
        raise InspectError(f"{text}: only unix sockets are supported (use --qmp unix:PATH)")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InspectError(f"{path}: no such socket (is the VM running with -qmp?)") from None
    except OSError as exc:
        raise InspectError(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISSOCK(info.st_mode):
        raise InspectError(f"{path}: not a socket (QEMU's -qmp unix:PATH,server=on makes one)")
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise InspectError(
            f"{path}: longer than a unix socket address can be ({SUN_PATH_MAX} bytes); "
            "use a shorter path or a symlink to its directory"
        )
    return path


class QmpTransport:
    """A QMP unix socket, through qemu.qmp (events are kept for the live view)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.session = AsyncQmp(path)

    async def connect(self, timeout: float) -> None:
        """Greeting + negotiation, or InspectError saying what the socket did instead."""
        try:
            await self.session.connect(timeout)
        except QmpTimeout:
            raise InspectError(
                f"{self.path}: no QMP greeting within {timeout:g}s (not a QMP socket, "
                "or another client holds QEMU's only monitor connection)"
            ) from None
        except QmpClosed as exc:
            raise InspectError(f"{self.path}: not a usable QMP socket ({_reason(exc)})") from None

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """See Transport."""
        return await self.session.execute(command, arguments, timeout=timeout)

    def events(self) -> list[dict[str, Any]]:
        """Events received since the last call."""
        return self.session.events()

    async def wait_event(self, names: Iterable[str], timeout: float) -> dict[str, Any] | None:
        """The next event among `names`, or None after `timeout` seconds."""
        wanted = set(names)
        for event in self.session.events():
            if event.get("event") in wanted:
                return event
        deadline = asyncio.get_running_loop().time() + timeout
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                event = dict(await asyncio.wait_for(self.session.listener.get(), remaining))
            except TimeoutError:
                return None
            if event.get("event") in wanted:
                return event
        return None

    async def close(self) -> None:
        """Disconnect (the VM keeps running)."""
        await self.session.close()


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("/") and ": " in text else text


class VirshTransport:
    """`virsh qemu-monitor-command DOMAIN JSON`: one virsh process per command, killed by PID
    at the deadline."""

    def __init__(self, domain: str, virsh: str | None = None) -> None:
        found = virsh or shutil.which("virsh")
        if found is None:
            raise InspectError(
                "--virsh needs libvirt's virsh, which is not installed here "
                "(or use --qmp unix:PATH on QEMU's own monitor socket)",
                exit_code=3,
            )
        self.virsh = found
        self.domain = domain

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """See Transport."""
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        proc = await asyncio.create_subprocess_exec(
            self.virsh,
            "qemu-monitor-command",
            self.domain,
            json.dumps(message),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=child_setup(),
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except (TimeoutError, asyncio.CancelledError):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(proc.wait(), 2)
            raise QmpTimeout(f"{command}: virsh did not answer within {timeout:g}s") from None
        if proc.returncode != 0:
            text = err.decode(errors="replace").strip().splitlines()
            raise QmpClosed(f"virsh: {text[-1] if text else f'exit {proc.returncode}'}")
        try:
            reply = json.loads(out)
        except ValueError:
            raise QmpClosed(f"virsh gave no JSON for {command}") from None
        if isinstance(reply, dict) and "error" in reply:
            error = reply["error"] or {}
            raise QmpError(command, str(error.get("class", "")), str(error.get("desc", "")))
        return reply.get("return") if isinstance(reply, dict) else None

    async def close(self) -> None:
        """Nothing stays open between commands."""


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
        running=running,
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
    """What QMP cannot show about the host: read here when the VM is local, else defaults."""
    if accel == "kvm":
        slots = kvm_memslots() if local else None
        if slots is not None:
            machine["kvm_memslots"] = slots
            assumed.append(f"KVM memslots {slots}: this host's KVM_CAP_NR_MEMSLOTS")
        else:
            assumed.append("KVM memslots: not readable here, the model's default is used")
    thp = thp_size() if local else None
    if thp:
        machine["host_thp_size"] = thp
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
            if isinstance(label, int):
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
    sizes: list[int] = []
    for _n, name in sorted(names):
        slot = f"{path}/{name}"
        container = await q.get(slot, "container", "")
        if container:
            mapped += 1
        size = await q.get(slot, "size", 0)
        sizes.append(size if isinstance(size, int) else 0)
    return len(names), mapped, tuple(sizes)


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
    regions = vhost_max_mem_regions() if local else None
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
            if qom_type in _VHOST_USER_TYPES:
                kind, device = "vhost-user", _VHOST_USER_TYPES[qom_type]
                chardev = str(await q.get(path, "chardev", "") or "")
                backend = f"chardev {chardev}: {chardevs.get(chardev, '?')}"
            elif qom_type in _VHOST_KERNEL_TYPES:
                kind, device = "vhost-kernel", _VHOST_KERNEL_TYPES[qom_type]
                backend = "/dev/vhost-" + ("scsi" if device == "scsi" else "vsock")
            elif qom_type == "virtio-net-pci":
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
        raise InspectError(f"{source}: connection lost ({exc})") from None
    except QmpError as exc:
        raise InspectError(f"{source}: QEMU refused {exc.command}: {exc.desc}") from None


def describe(state: LiveState) -> list[str]:
    """What QEMU shows, as lines (before the engine's report of the same configuration)."""
    lines = [
        f"{state.source}: QEMU {state.qemu_version}, {state.machine_type}, "
        f"accel {state.config.machine.accel}, {'running' if state.running else 'not started'}",
        f"boot RAM {format_size(state.config.machine.ram)} ({state.boot_backend})",
    ]
    if state.device_memory is not None:
        base, size = state.device_memory
        lines.append(f"device memory [0x{base:x}, 0x{base + size:x}) ({format_size(size)})")
    else:
        lines.append("no device memory region (no maxmem)")
    lines.append("")
    header = ("device", "kind", "size", "address", "memslots", "used", "reserved", "plugged by")
    rows = [header]
    for d in state.memory:
        rows.append(
            (
                d.id,
                d.kind,
                format_size(d.size) if d.size else "-",
                f"0x{d.address:x}" if d.address is not None else "-",
                str(d.memslots),
                str(d.mapped),
                str(d.reserved),
                "hotplug" if d.hotplugged else "command line",
            )
        )
    for v in state.vhost:
        rows.append((v.id, f"{v.kind} {v.device}", "-", "-", "-", "-", "-", v.backend))
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    else:
        lines.append("(no memory device, no vhost device)")
    for d in state.memory:
        if len(set(d.memslot_sizes)) > 0 and d.memslots > 1:
            sizes = ", ".join(sorted({format_size(s) for s in d.memslot_sizes}))
            lines.append(f"  {d.id}: memslot sizes {sizes}")
    lines.append(
        f"QEMU: memory devices require {state.required_memslots} memslots, "
        f"{state.used_memslots} used, {state.required_memslots - state.used_memslots} reserved"
    )
    for text in state.warnings:
        lines.append(f"warning: {text}")
    for text in state.assumed:
        lines.append(f"assumed: {text}")
    if state.disagreements:
        for text in state.disagreements:
            lines.append(f"engine differs: {text}")
    else:
        lines.append("engine agrees with QEMU on every memory device's memslots.")
    return lines
