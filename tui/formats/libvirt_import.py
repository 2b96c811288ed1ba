"""A libvirt domain XML → a configuration, as libvirt would start QEMU from it.

Parsed with defusedxml (untrusted input: no DTDs, entities or network access; XML bombs are a
clean error). Read: `<memory>`, `<maxMemory slots>`, `<memoryBacking>` (hugepages, memfd/file
source, shared access, immediate allocation), `<cpu>` (mode, model → vendor, `<maxphysaddr>`,
`<numa>` cells), `<os><type machine>`, and under `<devices>`: `<memory model='dimm|nvdimm|
virtio-pmem|virtio-mem'>` (`<target>` size, requested, block, node, `dynamicMemslots`),
`<interface>` (vhostuser, vdpa, and network/bridge/direct/ethernet with vhost-net), virtiofs
`<filesystem>`, `<disk type='vhostuser'|'vhostvdpa'>`, `<hostdev>` (vhost-scsi, VFIO),
`<vsock>`, `<video>` and `<shmem>`. The hot events memslot-explorer's own export keeps in
`<metadata>` come back as the timeline. Everything else is a warning naming the element.
Cold plugs follow libvirt's command-line order: memory devices, disks, filesystems,
interfaces, video, shared memory, hostdevs, vsock.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, get_args

import defusedxml
import defusedxml.ElementTree as SafeET

from tui.engine.host import vendor_from_id
from tui.engine.model import LATEST_QEMU, Action, Machine
from tui.engine.units import MiB, align_up, format_size
from tui.formats.importing import (
    Assumption,
    ImportResult,
    claim_id,
    numbered_id,
    valid_id,
    vhost_limit_assumption,
)
from tui.formats.libvirt import _ALIAS_BAD, _ALIAS_PREFIX, _KINDS, TIMELINE_NS
from tui.formats.qemu_cpus import cpu_vendor
from tui.formats.qemu_import import extra_devices, firmware_flash_consumer
from tui.formats.toml import ConfigError, from_dict

LIBVIRT_SIZE_ALIGN = 2 * MiB
"""libvirt rounds dimm and virtio-mem sizes up to this on x86."""
_UNITS = {
    "b": 1, "bytes": 1, "k": 1 << 10, "kib": 1 << 10, "kb": 1000, "m": 1 << 20, "mib": 1 << 20,
    "mb": 1000**2, "g": 1 << 30, "gib": 1 << 30, "gb": 1000**3, "t": 1 << 40, "tib": 1 << 40,
    "tb": 1000**4, "p": 1 << 50, "pib": 1 << 50, "pb": 1000**5, "e": 1 << 60, "eib": 1 << 60,
    "eb": 1000**6,
}  # fmt: skip
TOP_LEVEL = {
    "name", "uuid", "genid", "title", "description", "metadata", "memory", "currentMemory",
    "maxMemory", "memoryBacking", "vcpu", "vcpus", "iothreads", "iothreadids", "cputune",
    "memtune", "numatune", "blkiotune", "resource", "sysinfo", "bootloader", "bootloader_args",
    "os", "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash",
    "on_lockfailure", "pm", "perf", "devices", "seclabel", "keywrap", "launchSecurity",
    "throttlegroups", "defaultiothread",
}  # fmt: skip
QUIET_DEVICES = {
    "emulator", "controller", "input", "graphics", "serial", "console", "channel", "rng",
    "sound", "audio", "watchdog", "tpm", "redirdev", "redirfilter", "smartcard", "hub",
    "panic", "iommu", "crypto", "pstore", "nvram", "lease", "parallel",
}  # fmt: skip
"""Devices understood to add no memslot the engine models."""
VRAM_VIDEO = {"vga", "cirrus", "qxl", "bochs", "vmvga", "virtio"}
ORDER = (
    "memory", "disk", "filesystem", "interface", "video", "shmem", "hostdev", "memballoon",
    "vsock",
)  # fmt: skip
"""libvirt's order on the QEMU command line (qemuBuildCommandLine), by device element."""
VIRTIO_BALLOONS = {"virtio", "virtio-transitional", "virtio-non-transitional"}
"""<memballoon> models that are QEMU's virtio-balloon (no memslot, but one balloon only)."""
_QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
HOT_ACTIONS = tuple(a for a in get_args(Action) if a != "cold")
"""The timeline actions the export's <metadata> can hold (from the model's Action)."""
_MACHINE_VERSION = re.compile(r"^pc-(?:q35|i440fx)-(\d+)\.(\d+)$")


class _Bad(ValueError):
    """A value that cannot be used; the caller names the element."""


def _bytes(element: ET.Element | None, default_unit: str = "KiB") -> int | None:
    """A libvirt scaled integer in bytes (libvirt's memory elements default to KiB)."""
    if element is None or element.text is None or not element.text.strip():
        return None
    return _scaled(element.text, element.get("unit", default_unit))


def _scaled(text: str, unit: str) -> int:
    factor = _UNITS.get(unit.lower())
    if factor is None:
        raise _Bad(f"unknown unit {unit!r}")
    text = text.strip()
    if not text.isdigit():
        raise _Bad(f"{text[:40]!r} is not a whole number")
    value = int(text) * factor
    if value >= 1 << 64:
        raise _Bad(f"{text} {unit} does not fit in 64 bits")
    return value


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip(), 0)
    except ValueError:
        raise _Bad(f"{text[:40]!r} is not an integer") from None


def _tag(element: ET.Element) -> str:
    tag = element.tag
    return tag if isinstance(tag, str) else ""


@dataclass
class _Reader:
    source: str
    root: ET.Element
    warnings: list[str] = field(default_factory=list)
    assumed: list[Assumption] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)
    memory: list[dict[str, object]] = field(default_factory=list)
    vhost: list[dict[str, object]] = field(default_factory=list)
    consumers: list[dict[str, object]] = field(default_factory=list)
    cold: list[tuple[int, int, str]] = field(default_factory=list)
    """(libvirt group rank, XML position, device id) of every cold plug."""
    machine_version: tuple[int, int] | None = None

    def fail(self, where: str, reason: str) -> ConfigError:
        """The error for a value that makes the domain unusable."""
        return ConfigError(self.source, where, reason)

    def warn(self, where: str, reason: str) -> None:
        """An element not understood or not modelled: named, never silently dropped."""
        self.warnings.append(f"{where}: {reason}")

    def new_id(self, element: ET.Element, base: str) -> str:
        """The alias (`ua-X` → X, else libvirt's own alias) made a unique QEMU id, or base0..."""
        alias = element.find("alias")
        name = alias.get("name", "") if alias is not None else ""
        name = name.removeprefix(_ALIAS_PREFIX)
        if name:
            candidate = valid_id(name, base)
        else:
            candidate = numbered_id(base, self.ids, self.counters)
        claimed = claim_id(candidate, self.ids)
        if claimed != candidate:
            self.warn(f"alias {candidate}", f"used twice; the second device is {claimed}")
        return claimed

    def size(self, element: ET.Element | None, where: str) -> int | None:
        """A scaled size in bytes, or None when absent; a bad one is an error naming it."""
        try:
            return _bytes(element)
        except _Bad as exc:
            raise self.fail(where, str(exc)) from None

    def integer(self, text: str | None, where: str) -> int | None:
        """An integer attribute (decimal or 0x hex), or None when absent."""
        try:
            return _int(text)
        except _Bad as exc:
            raise self.fail(where, str(exc)) from None


def _parse(text: str, source: str) -> ET.Element:
    try:
        root = SafeET.fromstring(text, forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise ConfigError(source, "", "XML with a DTD is refused (untrusted input)") from None
    except defusedxml.EntitiesForbidden:
        raise ConfigError(source, "", "XML entities are refused (untrusted input)") from None
    except defusedxml.ExternalReferenceForbidden:
        raise ConfigError(source, "", "external XML references are refused") from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":")[0]
        raise ConfigError(
            source, f"line {line}, column {column}", f"invalid XML: {reason}"
        ) from None
    except RecursionError:
        raise ConfigError(source, "", "XML nested too deeply") from None
    if _tag(root) != "domain":
        raise ConfigError(source, f"<{_tag(root)}>", "not a libvirt domain (expected <domain>)")
    return root


# --------------------------------------------------------------------------- machine


def _machine(reader: _Reader, cold_memory: int, nvdimm: bool) -> dict[str, object]:
    root = reader.root
    machine: dict[str, object] = {}
    domain_type = root.get("type", "kvm")
    machine["accel"] = "kvm" if domain_type == "kvm" else "tcg"
    if domain_type not in ("kvm", "qemu"):
        reader.warn(f"<domain type='{domain_type}'>", "not a QEMU domain type; tcg assumed")
    os_type = root.find("os/type")
    raw = os_type.get("machine", "") if os_type is not None else ""
    if raw == "q35" or raw.startswith("pc-q35-"):
        machine["type"] = "q35"
    elif raw == "pc" or raw.startswith("pc-i440fx-") or raw.startswith("pc-"):
        machine["type"] = "pc"
    else:
        machine["type"] = "pc" if not raw else "q35"
        why = "no machine in <os><type>: QEMU's default" if not raw else f"{raw} is not modelled"
        reader.assumed.append(Assumption("machine.type", str(machine["type"]), why))
    match = _MACHINE_VERSION.match(raw)
    if match:
        reader.machine_version = (int(match.group(1)), int(match.group(2)))
    memory = reader.size(root.find("memory"), "<memory>")
    cells = root.findall("cpu/numa/cell")
    if cells:
        total = 0
        for index, cell in enumerate(cells):
            where = f"<cpu><numa><cell id='{cell.get('id', index)}'>"
            try:
                total += _scaled(cell.get("memory", "0"), cell.get("unit", "KiB"))
            except _Bad as exc:
                raise reader.fail(where, str(exc)) from None
            if index > 0:
                reader.consumers.append(
                    {"id": reader.new_id(cell, "numa"), "kind": "numa-memdev", "note": where}
                )
                reader.cold.append((-1, index, str(reader.consumers[-1]["id"])))
        ram = total
    elif memory is not None:
        ram = memory - cold_memory
        if ram <= 0:
            raise reader.fail(
                "<memory>",
                f"{format_size(memory)} does not cover the memory devices "
                f"({format_size(cold_memory)}): no boot RAM left",
            )
    else:
        raise reader.fail("<memory>", "missing: the domain has no memory size")
    machine["ram"] = ram
    maximum = root.find("maxMemory")
    if maximum is not None:
        machine["maxmem"] = reader.size(maximum, "<maxMemory>")
        slots = reader.integer(maximum.get("slots"), "<maxMemory slots>")
        if slots:
            machine["slots"] = slots
    if nvdimm:
        machine["nvdimm"] = True
    backing = root.find("memoryBacking")
    if _shared_boot(root):
        machine["memory_backend"] = "memfd"
    if backing is not None and backing.find("hugepages") is not None:
        machine["memory_backend"] = "memfd"
        reader.warn("<memoryBacking><hugepages>", "boot RAM on hugetlbfs: modelled as fd-backed")
    _cpu(reader, machine)
    version = LATEST_QEMU
    if reader.machine_version is not None and reader.machine_version > (10, 1):
        version = "{}.{}".format(*reader.machine_version)
    machine["qemu_version"] = version
    reader.assumed.append(
        Assumption("machine.qemu_version", version, "a domain XML does not say which QEMU runs it")
    )
    if machine["accel"] == "kvm":
        reader.assumed.append(
            Assumption(
                "machine.kvm_memslots",
                str(Machine().kvm_memslots),
                "the host's KVM_CAP_NR_MEMSLOTS is not in a domain XML",
            )
        )
    return machine


def _shared_boot(root: ET.Element) -> bool:
    """Boot RAM with an fd: memfd or file source, shared access, or shared NUMA cells."""
    source = root.find("memoryBacking/source")
    if source is not None and source.get("type") in ("memfd", "file"):
        return True
    access = root.find("memoryBacking/access")
    if access is not None and access.get("mode") == "shared":
        return True
    return any(cell.get("memAccess") == "shared" for cell in root.findall("cpu/numa/cell"))


def _cpu(reader: _Reader, machine: dict[str, object]) -> None:
    cpu = reader.root.find("cpu")
    mode = cpu.get("mode", "custom") if cpu is not None else "custom"
    model_element = cpu.find("model") if cpu is not None else None
    model = (model_element.text or "").strip() if model_element is not None else ""
    vendor: str | None
    vendor_id = model_element.get("vendor_id") if model_element is not None else None
    if vendor_id:  # <model vendor_id=...> pins it, as -cpu ...,vendor= does (our exports write it)
        vendor = vendor_from_id(vendor_id) or ("amd" if vendor_id == "HygonGenuine" else None)
    elif mode in ("host-passthrough", "host-model", "maximum") or machine["accel"] == "kvm":
        vendor = None  # under KVM QEMU gives every CPU model the host's vendor
    else:
        vendor = cpu_vendor(model or "qemu64")
        if vendor is None and cpu is not None and cpu.find("vendor") is not None:
            text = (cpu.findtext("vendor") or "").strip()
            vendor = {"Intel": "intel", "AMD": "amd", "Hygon": "amd"}.get(text)
    if vendor is None:
        vendor = Machine().cpu_vendor
        reader.assumed.append(
            Assumption(
                "machine.cpu_vendor",
                vendor,
                f"<cpu mode='{mode}'>{' ' + model if model else ''}: the host's vendor"
                + (" (KVM gives every CPU model the host's)" if machine["accel"] == "kvm" else ""),
            )
        )
    machine["cpu_vendor"] = vendor
    physaddr = cpu.find("maxphysaddr") if cpu is not None else None
    host_bits = mode in ("host-passthrough", "maximum")
    if physaddr is not None:
        if physaddr.get("mode") == "emulate":
            bits = reader.integer(physaddr.get("bits"), "<maxphysaddr bits>")
            if bits is not None:
                machine["phys_bits"] = bits
            host_bits = False
        else:
            host_bits = True
    if host_bits:
        reader.assumed.append(
            Assumption(
                "machine.phys_bits",
                str(Machine().phys_bits),
                "the host CPU's physical address bits (passthrough)",
            )
        )


# --------------------------------------------------------------------------- devices


@dataclass
class _Backing:
    page_size: int
    source: str | None
    shared: bool
    immediate: bool


def _backing(root: ET.Element) -> _Backing:
    backing = root.find("memoryBacking")
    page = 4096
    if backing is not None:
        for element in backing.findall("hugepages/page"):
            try:
                page = _scaled(element.get("size", "2048"), element.get("unit", "KiB"))
            except _Bad:
                continue
            break
        else:
            if backing.find("hugepages") is not None:
                page = 2 * MiB
    source = backing.find("source") if backing is not None else None
    access = backing.find("access") if backing is not None else None
    allocation = backing.find("allocation") if backing is not None else None
    return _Backing(
        page,
        source.get("type") if source is not None else None,
        access is not None and access.get("mode") == "shared",
        allocation is not None and allocation.get("mode") == "immediate",
    )


def _memory_device(
    reader: _Reader, element: ET.Element, backing: _Backing
) -> dict[str, object] | None:
    model = element.get("model", "")
    kind = _KINDS.get(model)
    if kind is None:
        reader.warn(f"<memory model='{model}'>", "memory device model not modelled (ignored)")
        return None
    device_id = reader.new_id(element, model.replace("-", ""))
    where = f"<memory model='{model}'> {device_id}"
    target = element.find("target")
    if target is None:
        raise reader.fail(where, "no <target>")
    size = reader.size(target.find("size"), f"{where} <size>")
    if size is None:
        raise reader.fail(where, "no <target><size>")
    if kind in ("pc-dimm", "virtio-mem") and size % LIBVIRT_SIZE_ALIGN:
        rounded = align_up(size, LIBVIRT_SIZE_ALIGN)
        reader.warn(where, f"libvirt rounds {size} bytes up to {format_size(rounded)}")
        size = rounded
    device: dict[str, object] = {"id": device_id, "kind": kind, "size": size}
    page = reader.size(element.find("source/pagesize"), f"{where} <pagesize>") or backing.page_size
    if kind in ("nvdimm", "virtio-pmem"):
        device["backend"] = "file"
    elif page > 4096:
        device["backend"] = "memfd" if backing.source == "memfd" else "file"
    else:
        device["backend"] = backing.source if backing.source in ("memfd", "file") else "ram"
    if page > 4096 and kind not in ("nvdimm", "virtio-pmem"):
        device["page_size"] = page
    access = element.get("access")
    if access is not None:
        device["share"] = access == "shared"
    else:
        device["share"] = backing.shared or device["backend"] == "memfd"
    if backing.immediate and kind != "virtio-mem":
        device["prealloc"] = True
    if kind in ("pc-dimm", "nvdimm"):
        address = element.find("address")
        if address is not None and address.get("type") == "dimm":
            slot = reader.integer(address.get("slot"), f"{where} <address slot>")
            if slot is not None:
                device["slot"] = slot
            base = reader.integer(address.get("base"), f"{where} <address base>")
            if base is not None:
                device["addr"] = base
    if kind == "nvdimm":
        label = reader.size(target.find("label/size"), f"{where} <label><size>")
        if label is not None:
            device["label_size"] = label
        if target.find("readonly") is not None:
            device["readonly"] = True
            device["unarmed"] = True  # libvirt adds unarmed=on to a read-only nvdimm
    if kind in ("virtio-pmem", "virtio-mem"):
        address = target.find("address")
        if address is not None and address.get("base") is not None:
            device["memaddr"] = reader.integer(address.get("base"), f"{where} <address base>")
    if kind == "virtio-mem":
        block = reader.size(target.find("block"), f"{where} <block>")
        if block is not None:
            device["block_size"] = block
        requested = reader.size(target.find("requested"), f"{where} <requested>")
        device["requested_size"] = requested or 0
        if target.get("dynamicMemslots") == "yes":
            device["dynamic_memslots"] = True
        if reader.machine_version is not None and reader.machine_version <= (8, 0):
            device["unplugged_inaccessible"] = False
    return device


def _assume_limit(reader: _Reader, device_id: str, kind: str, device: str) -> None:
    assumption = vhost_limit_assumption(device_id, kind, device, "in a domain XML")
    if assumption is not None:
        reader.assumed.append(assumption)


def _vhost(
    reader: _Reader, element: ET.Element, kind: str, device: str
) -> tuple[str, dict[str, object]]:
    """A vhost back-end of `kind` for `device`: its id, and its memslot limit as assumed (a
    domain XML never says it; vhost-vdpa has none)."""
    device_id = reader.new_id(element, device)
    _assume_limit(reader, device_id, kind, device)
    return "vhost", {"id": device_id, "kind": kind, "device": device}


def _device(
    reader: _Reader, element: ET.Element, backing: _Backing
) -> tuple[str, dict[str, object]] | None:
    """(group, fields) of one `<devices>` child that matters, or None."""
    tag = _tag(element)
    if tag == "memory":
        device = _memory_device(reader, element, backing)
        return ("memory", device) if device is not None else None
    if tag == "interface":
        kind = element.get("type", "")
        model = element.find("model")
        model_type = model.get("type", "") if model is not None else ""
        if kind == "vhostuser":
            return _vhost(reader, element, "vhost-user", "net")
        if kind == "vdpa":
            return _vhost(reader, element, "vhost-vdpa", "net")
        if kind == "hostdev":
            return "consumer", {
                "id": reader.new_id(element, "hostdev"),
                "kind": "vfio-bar",
                "note": "<interface type='hostdev'>",
            }
        if kind in ("network", "bridge", "direct", "ethernet") and model_type == "virtio":
            driver = element.find("driver")
            name = driver.get("name") if driver is not None else None
            if name == "qemu":
                return None
            device_id = reader.new_id(element, "net")
            if name is None:
                reader.assumed.append(
                    Assumption(
                        f"{device_id}.kind",
                        "vhost-kernel",
                        "no <driver name>: libvirt uses vhost-net when /dev/vhost-net exists",
                    )
                )
            _assume_limit(reader, device_id, "vhost-kernel", "net")
            queues = driver.get("queues") if driver is not None else None
            if queues not in (None, "1"):
                reader.warn(
                    f"<interface> {device_id} queues={queues}",
                    "each queue pair is a vhost device in QEMU; the model counts one",
                )
            return "vhost", {"id": device_id, "kind": "vhost-kernel", "device": "net"}
        if kind in (
            "network",
            "bridge",
            "direct",
            "ethernet",
            "user",
            "mcast",
            "server",
            "client",
            "udp",
            "null",
        ):
            return None  # no vhost: emulated NIC or user networking
        reader.warn(f"<interface type='{kind}'>", "not modelled (ignored)")
        return None
    if tag == "filesystem":
        driver = element.find("driver")
        if driver is not None and driver.get("type") == "virtiofs":
            return _vhost(reader, element, "vhost-user", "fs")
        return None
    if tag == "disk":
        kind = element.get("type", "")
        if kind == "vhostuser":
            return _vhost(reader, element, "vhost-user", "blk")
        if kind == "vhostvdpa":
            return _vhost(reader, element, "vhost-vdpa", "blk")
        return None
    if tag == "hostdev":
        kind = element.get("type", "")
        source = element.find("source")
        if kind == "scsi_host" and source is not None and source.get("protocol") == "vhost":
            return _vhost(reader, element, "vhost-kernel", "scsi")
        if kind in ("pci", "mdev"):
            device_id = reader.new_id(element, "hostdev")
            reader.assumed.append(
                Assumption(f"{device_id}.kvm_slots", "1", "one mmap'd BAR assumed per VFIO device")
            )
            return "consumer", {
                "id": device_id,
                "kind": "vfio-bar",
                "note": f"<hostdev type='{kind}'>",
            }
        return None
    if tag == "vsock":
        return _vhost(reader, element, "vhost-kernel", "vsock")
    if tag == "video":
        model = element.find("model")
        kind = model.get("type", "") if model is not None else ""
        if kind in VRAM_VIDEO:
            return "consumer", {
                "id": reader.new_id(element, "video"),
                "kind": "vga-vram",
                "note": f"<video> {kind}",
            }
        return None
    if tag == "shmem":
        return "consumer", {
            "id": reader.new_id(element, "shmem"),
            "kind": "pci-ram-bar",
            "note": "<shmem>",
        }
    if tag == "memballoon":
        balloon = element.get("model", "")
        if balloon in VIRTIO_BALLOONS:
            return "consumer", {
                "id": reader.new_id(element, "balloon"),
                "kind": "virtio-balloon",
                "note": f"<memballoon model='{balloon}'>",
            }
        if balloon != "none":
            reader.warn(f"<memballoon model='{balloon}'>", "not modelled (ignored)")
        return None
    if tag in QUIET_DEVICES:
        return None
    reader.warn(f"<devices><{tag}>", "not modelled (assumed to add no memslot)")
    return None


def _add(reader: _Reader, group: str, fields: dict[str, object]) -> None:
    {"memory": reader.memory, "vhost": reader.vhost, "consumer": reader.consumers}[group].append(
        fields
    )


def _hot_events(
    reader: _Reader, backing: _Backing, known: dict[str, str]
) -> list[dict[str, object]]:
    """The timeline of hot events memslot-explorer's export keeps in <metadata>."""
    timeline = reader.root.find(f"metadata/{{{TIMELINE_NS}}}timeline")
    if timeline is None:
        return []
    events: list[dict[str, object]] = []
    for item in timeline:
        action = item.get("action", "")
        device = item.get("device", "")
        if device not in known:
            device = _ALIAS_BAD.sub("_", device)  # as the device's alias spells it
        where = f"<metadata> event {item.get('index', '?')}"
        if action not in HOT_ACTIONS:
            reader.warn(where, f"unknown action {action!r} (ignored)")
            continue
        event: dict[str, object] = {"action": action, "device": device}
        if action == "resize":
            event["requested_size"] = reader.integer(item.get("requested"), f"{where} requested")
        if action == "reconnect" and item.get("max_mem_slots") is not None:
            event["max_mem_slots"] = reader.integer(item.get("max_mem_slots"), f"{where} slots")
        if action == "hotplug" and device not in known:
            elements = [child for child in item if _tag(child)]
            parsed = _device(reader, elements[0], backing) if elements else None
            if parsed is None:
                reader.warn(where, f"{device}: no device libvirt can plug (ignored)")
                continue
            group, fields = parsed
            device = str(fields["id"])
            event["device"] = device
            _add(reader, group, fields)
            known[device] = group
        if device not in known:
            reader.warn(where, f"{device} is not a device of this domain (ignored)")
            continue
        events.append(event)
    return events


def _pass_through(reader: _Reader, args: list[str], known: dict[str, str]) -> None:
    """<qemu:commandline> arguments: libvirt appends them to its command line, so their
    devices are cold plugs after every libvirt device."""
    where = "<qemu:commandline>"
    try:
        devices, warnings, assumed = extra_devices(args, f"{reader.source} {where}", reader.ids)
    except ConfigError as exc:
        reader.warn(where, f"not imported: {'; '.join(r for _, r in exc.problems)}")
        return
    reader.warnings += [f"{where} {warning}" for warning in warnings]
    reader.assumed += assumed
    lists = {
        "memory_devices": reader.memory,
        "vhost_devices": reader.vhost,
        "consumers": reader.consumers,
    }
    for position, (group, fields) in enumerate(devices):
        lists[group].append(fields)
        device_id = str(fields["id"])
        reader.ids.add(device_id)
        known[device_id] = "pass-through"
        reader.cold.append((len(ORDER) + 1, position, device_id))


def import_domain_xml(text: str, source: str = "<xml>") -> ImportResult:
    """The configuration a libvirt domain XML describes (see the module docstring)."""
    root = _parse(text, source)
    reader = _Reader(source, root)
    pass_through: list[str] = []
    for child in root:
        tag = _tag(child)
        if tag == f"{{{_QEMU_NS}}}commandline":
            for arg in child:
                if _tag(arg) == f"{{{_QEMU_NS}}}arg":
                    pass_through.append(arg.get("value", ""))
        elif tag.startswith(f"{{{_QEMU_NS}}}"):
            reader.warn(f"<qemu:{tag.split('}')[1]}>", "QEMU pass-through is not imported")
        elif tag and tag not in TOP_LEVEL:
            reader.warn(f"<{tag}>", "not understood (ignored)")
    backing = _backing(root)
    hugepages = root.find("memoryBacking/hugepages")
    if hugepages is not None and hugepages.find("page") is None:
        reader.assumed.append(
            Assumption(
                "memory devices' page_size",
                "2M",
                "<hugepages> without <page size>: the host's default huge page size",
            )
        )
    os_type = root.find("os/type")
    match = _MACHINE_VERSION.match(os_type.get("machine", "") if os_type is not None else "")
    if match:
        reader.machine_version = (int(match.group(1)), int(match.group(2)))
    known: dict[str, str] = {}
    devices = root.find("devices")
    cold_memory = 0
    nvdimm = False
    for position, element in enumerate([] if devices is None else list(devices)):
        if not _tag(element):
            continue  # a comment
        parsed = _device(reader, element, backing)
        if parsed is None:
            continue
        group, fields = parsed
        _add(reader, group, fields)
        known[str(fields["id"])] = group
        tag = _tag(element)
        rank = ORDER.index(tag) if tag in ORDER else len(ORDER)
        if tag == "interface" and group == "consumer":
            rank = ORDER.index("hostdev")
        reader.cold.append((rank, position, str(fields["id"])))
        if group == "memory":
            cold_memory += int(fields["size"])  # type: ignore[call-overload]
            nvdimm = nvdimm or fields["kind"] == "nvdimm"
    if devices is None or devices.find("memballoon") is None:
        # libvirt gives an x86 domain without <memballoon> a virtio one
        balloon = reader.new_id(root, "balloon")
        reader.consumers.append(
            {"id": balloon, "kind": "virtio-balloon", "note": "libvirt's default <memballoon>"}
        )
        reader.cold.append(
            (ORDER.index("memballoon"), len(devices) if devices is not None else 0, balloon)
        )
        known[balloon] = "consumer"
        reader.assumed.append(
            Assumption(
                f"{balloon}.kind",
                "virtio-balloon",
                "no <memballoon>: libvirt adds <memballoon model='virtio'> (model='none' does not)",
            )
        )
    if pass_through:  # libvirt does not count these devices in <memory>
        _pass_through(reader, pass_through, known)
    os_element = root.find("os")
    loader = root.find("os/loader")
    if (os_element is not None and os_element.get("firmware") == "efi") or (
        loader is not None and loader.get("type") == "pflash" and loader.get("stateless") != "yes"
    ):
        # libvirt gives UEFI a code flash and a variable store (<nvram>)
        flash = firmware_flash_consumer(reader.new_id(root, "pflash"))
        reader.consumers.append(flash)
        reader.cold.append((-1, -1, str(flash["id"])))
    machine = _machine(reader, cold_memory, nvdimm)
    hot = _hot_events(reader, backing, known)
    if any(d.get("kind") == "virtio-mem" and "block_size" not in d for d in reader.memory):
        reader.assumed.append(
            Assumption("machine.host_thp_size", "2M", "virtio-mem without <block>: QEMU's default")
        )
    cold: list[dict[str, object]] = [
        {"action": "cold", "device": device_id} for _, _, device_id in sorted(reader.cold)
    ]
    order: dict[str, int] = {}
    for event in [*cold, *hot]:
        order.setdefault(str(event["device"]), len(order))
    for devices_list in (reader.memory, reader.vhost, reader.consumers):
        devices_list.sort(key=lambda d: order.get(str(d["id"]), len(order)))
    name = root.findtext("name") or ""
    title = " ".join((root.findtext("title") or name or "imported libvirt domain").split())
    data: dict[str, Any] = {
        "title": title,
        "description": (root.findtext("description") or f"Imported from {source}.").strip(),
        "machine": machine,
        "memory_devices": reader.memory,
        "vhost_devices": reader.vhost,
        "consumers": reader.consumers,
        "timeline": [*cold, *hot],
    }
    config = from_dict(data, source)
    return ImportResult(config, "libvirt", tuple(reader.warnings), tuple(reader.assumed))


# --------------------------------------------------------------------------- checking the exporter


def parse_memory_devices(xml: str) -> list[dict[str, Any]]:
    """The memory devices of a domain's <devices> (or of one snippet), as model field dicts.

    Keys: kind, id (from the `ua-` alias), size and the optional page_size, share, slot, addr,
    label_size, readonly, block_size, requested_size, dynamic_memslots, memaddr, node. Used to
    check that the exporter says what the configuration says.
    """
    root = SafeET.fromstring(xml, forbid_dtd=True)
    scope = root.find("devices") if root.tag == "domain" else root
    devices: list[dict[str, Any]] = []
    for element in [] if scope is None else scope.iter("memory"):
        model = element.get("model")
        if model is None:
            continue
        if model not in _KINDS:
            raise ValueError(f"unknown libvirt memory model {model!r}")
        alias = element.find("alias")
        alias_name = alias.get("name", "") if alias is not None else ""
        target = element.find("target")
        if target is None:
            raise ValueError(f"memory device {alias_name or model} has no <target>")
        device: dict[str, Any] = {
            "kind": _KINDS[model],
            "id": alias_name.removeprefix(_ALIAS_PREFIX) or None,
            "size": _bytes(target.find("size")),
        }
        access = element.get("access")
        if access is not None:
            device["share"] = access == "shared"
        page = _bytes(element.find("source/pagesize"))
        if page is not None:
            device["page_size"] = page
        node = target.find("node")
        if node is not None and node.text:
            device["node"] = int(node.text)
        address = element.find("address")
        if address is not None and address.get("type") == "dimm":
            if address.get("slot") is not None:
                device["slot"] = _int(address.get("slot"))
            if address.get("base") is not None:
                device["addr"] = _int(address.get("base"))
        base = target.find("address")
        if base is not None and base.get("base") is not None:
            device["memaddr"] = _int(base.get("base"))
        label = _bytes(target.find("label/size"))
        if label is not None:
            device["label_size"] = label
        if target.find("readonly") is not None:
            device["readonly"] = True
        if model == "virtio-mem":
            device["block_size"] = _bytes(target.find("block"))
            device["requested_size"] = _bytes(target.find("requested"))
            device["dynamic_memslots"] = target.get("dynamicMemslots") == "yes"
        devices.append(device)
    return devices
