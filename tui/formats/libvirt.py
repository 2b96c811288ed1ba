"""libvirt domain XML for a configuration (pure: no I/O, no libvirt needed).

Engineers who run VMs through libvirt want the configuration they explored as the XML they
paste into `virsh define` / `virsh attach-device`. The cold-plugged part of the timeline becomes
one `<domain>`; every hotplug, unplug and resize becomes a device XML snippet for `virsh
attach-device` / `detach-device` / `update-device` with `--live`.

What libvirt cannot express is written as an XML comment, never as invented syntax: hv-balloon
(no libvirt model), vhost-user SCSI and vsock, memslot consumers (ROMs, BARs; virtio-balloon is
<memballoon>, and `model='none'` when the model has none), and the per-device
backend choices libvirt takes from `<memoryBacking>` instead. Memslot numbers are never computed
here: pass the engine's `Report` and its verdicts are embedded as comments.

Naming: memory device and back-end `X` carry the user alias `ua-X`; vhost-user sockets are
`/run/vhost-user/X.sock`, as in the QEMU exporter. Paths, the network name and WWPNs are
placeholders to adapt.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from typing import TYPE_CHECKING, Any

from tui.engine.devices import block_size as engine_block_size
from tui.engine.host import CPU_VENDOR_IDS
from tui.engine.kinds import CONSUMER_KINDS, MEMORY_KINDS, VHOST_KINDS
from tui.engine.model import (
    Nvdimm,
    PcDimm,
    VhostKernel,
    VhostUser,
    VhostVdpa,
    VirtioMem,
    VirtioPmem,
)
from tui.engine.units import MiB, format_size, qemu_hex
from tui.formats.qemu import virtiofs_tag
from tui.formats.verdicts import event_results, verdict_lines

if TYPE_CHECKING:
    from tui.engine.model import Config, Event
    from tui.engine.report import Report

__all__ = [
    "DEFAULT_DOMAIN_NAME",
    "domain_name",
    "domain_xml",
    "hotplug_snippets",
]

DEFAULT_DOMAIN_NAME = "memslot-explorer"
SOCKET_DIR = "/run/vhost-user"
"""vhost-user sockets: `<SOCKET_DIR>/<id>.sock` (same convention as the QEMU exporter)."""
PMEM_DIR = "/var/lib/libvirt/images"
"""nvdimm / virtio-pmem backing files: `<PMEM_DIR>/<id>.img` (placeholders)."""
NETWORK = "default"
TIMELINE_NS = "urn:x-memslot-explorer:timeline:1"
"""Namespace of the hot-event list in `<metadata>` (libvirt requires one for metadata)."""
VIRTIOFS_DIR = "/srv"
KiB = 1024
_SMALL_PAGE = 4 * KiB
_LIBVIRT_SIZE_ALIGN = 2 * MiB
"""libvirt rounds memory device sizes up (to 2 MiB on x86), so QEMU may see a bigger device."""

_MODELS = {name: kind.libvirt_model for name, kind in MEMORY_KINDS.items() if kind.libvirt_model}
_KINDS = {model: kind for kind, model in _MODELS.items()}
_VHOST_KINDS = set(VHOST_KINDS)
_PCI_KINDS = {name for name, kind in MEMORY_KINDS.items() if kind.pci} | _VHOST_KINDS
_ALIAS_PREFIX = "ua-"
_ALIAS_BAD = re.compile(r"[^A-Za-z0-9_-]")
_NAME_BAD = re.compile(r"[^A-Za-z0-9_.+-]+")
_NAME_MAX = 48
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold at all (control characters, surrogates, U+FFFE/F)."""

ET.register_namespace("mse", TIMELINE_NS)


# --------------------------------------------------------------------------- small helpers


def _xml_text(text: str) -> str:
    """Text XML can hold: characters it cannot are replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _comment(text: str) -> ET.Element:
    """An XML comment; `--` is not allowed inside one, so it is broken up."""
    safe = _xml_text(" ".join(text.split()))
    while "--" in safe:
        safe = safe.replace("--", "- -")
    comment: ET.Element = ET.Comment(f" {safe} ")  # type: ignore[assignment]
    return comment


def _set_size(element: ET.Element, value: int) -> ET.Element:
    """unit='KiB' and the value, or bytes (unit='b') when it is not whole KiB: always exact."""
    if value % KiB == 0:
        element.set("unit", "KiB")
        element.text = str(value // KiB)
    else:
        element.set("unit", "b")
        element.text = str(value)
    return element


def _size(parent: ET.Element, tag: str, value: int) -> ET.Element:
    """`<tag unit='KiB'>n</tag>` under parent (see `_set_size`)."""
    return _set_size(ET.SubElement(parent, tag), value)


def _alias(device_id: str) -> str:
    """libvirt user alias (`ua-` prefix, only letters, digits, `_` and `-`)."""
    return _ALIAS_PREFIX + _ALIAS_BAD.sub("_", device_id)


def _add_alias(element: ET.Element, device_id: str) -> None:
    ET.SubElement(element, "alias", name=_alias(device_id))


def domain_name(config: Config, name: str | None = None) -> str:
    """A libvirt domain name: `name` (e.g. the file's stem) or the title, as a short slug."""
    slug = _NAME_BAD.sub("-", name if name is not None else config.title).strip("-.")
    if len(slug) > _NAME_MAX:
        cut = slug[:_NAME_MAX]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[_NAME_MAX // 2 :] else cut
    return slug.strip("-.") or DEFAULT_DOMAIN_NAME


def _cold_ids(config: Config) -> list[str]:
    return [event.device for event in config.timeline if event.action == "cold"]


def _disk_names(config: Config) -> dict[str, str]:
    """Guest disk names (vda, vdb, ...) for every vhost device that is a libvirt <disk>."""
    names: dict[str, str] = {}
    for device in config.vhost_devices:
        if device.kind in ("vhost-user", "vhost-vdpa") and device.device == "blk":
            index = len(names)
            letters = ""
            while True:
                letters = chr(ord("a") + index % 26) + letters
                index = index // 26 - 1
                if index < 0:
                    break
            names[device.id] = f"vd{letters}"
    return names


def _vdpa_paths(config: Config) -> dict[str, str]:
    """/dev/vhost-vdpa-N for every vDPA device, in configuration order (placeholders)."""
    vdpa = [d.id for d in config.vhost_devices if d.kind == "vhost-vdpa"]
    return {device_id: f"/dev/vhost-vdpa-{n}" for n, device_id in enumerate(vdpa)}


def _wwpn(device_id: str) -> str:
    """A stable, well-formed NAA WWPN for a vhost-scsi target (placeholder)."""
    return f"naa.5001405{zlib.crc32(device_id.encode()):09x}"


# --------------------------------------------------------------------------- memory devices


def _memory_notes(config: Config, device: Any) -> list[str]:
    """What the model says about a memory device that this XML cannot say exactly."""
    notes: list[str] = []
    kind = device.kind
    memfd_boot = config.machine.memory_backend == "memfd"
    if kind in ("pc-dimm", "virtio-mem") and device.page_size == _SMALL_PAGE:
        libvirt_backend = "memfd" if memfd_boot else "ram"
        if device.backend != libvirt_backend:
            notes.append(
                f"{device.id}: the model backs it with memory-backend-{device.backend}, but "
                f"libvirt takes a memory device's backend from <memoryBacking>; this domain "
                f"gives memory-backend-{libvirt_backend}"
            )
    if kind in ("nvdimm", "virtio-pmem"):
        if device.backend != "file":
            notes.append(
                f"{device.id}: libvirt always backs {kind} with memory-backend-file "
                f"(the model uses memory-backend-{device.backend})"
            )
        if device.page_size != _SMALL_PAGE:
            notes.append(
                f"{device.id}: page size {format_size(device.page_size)} comes from "
                f"the file's filesystem (put the file on hugetlbfs)"
            )
    if device.prealloc:
        notes.append(
            f"{device.id}: prealloc=on is set by <memoryBacking><allocation "
            f"mode='immediate'/></memoryBacking> in libvirt, for every memory device"
        )
    if device.readonly and kind != "nvdimm":
        notes.append(f"{device.id}: libvirt has no read-only backend for {kind}")
    if kind == "nvdimm":
        if device.unarmed and not device.readonly:
            notes.append(f"{device.id}: libvirt sets unarmed=on only for a <readonly/> nvdimm")
        if device.readonly and not device.unarmed:
            notes.append(
                f"{device.id}: libvirt adds unarmed=on to a <readonly/> nvdimm; "
                f"the model leaves it off"
            )
    if kind == "virtio-mem":
        if device.dynamic_memslots:
            notes.append(f"{device.id}: dynamicMemslots needs libvirt 10.x or later")
        if device.block_size is None:
            notes.append(
                f"{device.id}: <block> is QEMU's default for this backend (libvirt requires it)"
            )
        if not device.unplugged_inaccessible:
            notes.append(f"{device.id}: libvirt cannot set unplugged-inaccessible=off")
    if device.size % _LIBVIRT_SIZE_ALIGN:
        notes.append(
            f"{device.id}: size {device.size} is not a multiple of 2 MiB; libvirt "
            f"rounds memory device sizes up, so QEMU will see a larger device"
        )
    return notes


def _memory_element(config: Config, device: Any, *, requested: int | None = None) -> ET.Element:
    """`<memory model=...>` for a pc-dimm, nvdimm, virtio-pmem or virtio-mem."""
    kind = device.kind
    element = ET.Element("memory", model=_MODELS[kind])
    if device.share:
        element.set("access", "shared")
    elif config.machine.memory_backend == "memfd":
        element.set("access", "private")

    if kind in ("nvdimm", "virtio-pmem"):
        source = ET.SubElement(element, "source")
        ET.SubElement(source, "path").text = f"{PMEM_DIR}/{device.id}.img"
    elif device.page_size != _SMALL_PAGE:
        source = ET.SubElement(element, "source")
        _size(source, "pagesize", device.page_size)

    target = ET.SubElement(element, "target")
    if kind == "virtio-mem" and device.dynamic_memslots:
        target.set("dynamicMemslots", "yes")
    _size(target, "size", device.size)
    if kind != "virtio-pmem":
        ET.SubElement(target, "node").text = "0"
    if kind == "nvdimm":
        if device.label_size is not None:
            label = ET.SubElement(target, "label")
            _size(label, "size", device.label_size)
        if device.readonly:
            ET.SubElement(target, "readonly")
    if kind == "virtio-mem":
        # libvirt requires <block>: the user's, or QEMU's default as the engine knows it.
        _size(target, "block", engine_block_size(device, config.machine.host_thp_size))
        _size(target, "requested", device.requested_size if requested is None else requested)
    if kind in ("virtio-mem", "virtio-pmem") and device.memaddr is not None:
        ET.SubElement(target, "address", base=qemu_hex(device.memaddr))

    _add_alias(element, device.id)
    if kind in ("pc-dimm", "nvdimm") and (device.slot is not None or device.addr is not None):
        address = ET.SubElement(element, "address", type="dimm")
        if device.slot is not None:
            address.set("slot", str(device.slot))
        if device.addr is not None:
            address.set("base", qemu_hex(device.addr))
    return element


# --------------------------------------------------------------------------- vhost devices


def _vhost_notes(device: Any) -> list[str]:
    """Host and back-end facts of the model that live outside the domain XML."""
    if device.kind == "vhost-kernel":
        return [
            f"{device.id}: host vhost module max_mem_regions = {device.max_mem_regions} "
            f"(kernel default 64; 'options vhost max_mem_regions=N' in /etc/modprobe.d)"
        ]
    if device.kind == "vhost-user":
        name = device.backend_name or "the vhost-user back-end"
        if device.configure_mem_slots:
            return [
                f"{device.id}: {name} offers CONFIGURE_MEM_SLOTS and answers "
                f"{device.max_mem_slots} to GET_MAX_MEM_SLOTS"
            ]
        return [f"{device.id}: {name} does not offer CONFIGURE_MEM_SLOTS"]
    return []


def _vhost_element(config: Config, device: Any) -> ET.Element | None:
    """The libvirt device for a vhost back-end, or None where libvirt has no model for it."""
    kind, what = device.kind, device.device
    element: ET.Element
    if kind == "vhost-kernel" and what == "net":
        element = ET.Element("interface", type="network")
        ET.SubElement(element, "source", network=NETWORK)
        ET.SubElement(element, "model", type="virtio")
        ET.SubElement(element, "driver", name="vhost")
    elif kind == "vhost-kernel" and what == "scsi":
        element = ET.Element("hostdev", mode="subsystem", type="scsi_host", managed="no")
        ET.SubElement(element, "source", protocol="vhost", wwpn=_wwpn(device.id))
    elif kind == "vhost-kernel" and what == "vsock":
        element = ET.Element("vsock", model="virtio")
        ET.SubElement(element, "cid", auto="yes")
    elif kind == "vhost-user" and what == "net":
        element = ET.Element("interface", type="vhostuser")
        ET.SubElement(
            element, "source", type="unix", path=f"{SOCKET_DIR}/{device.id}.sock", mode="client"
        )
        ET.SubElement(element, "model", type="virtio")
    elif kind == "vhost-user" and what == "fs":
        element = ET.Element("filesystem", type="mount", accessmode="passthrough")
        ET.SubElement(element, "driver", type="virtiofs")
        ET.SubElement(element, "source", dir=f"{VIRTIOFS_DIR}/{device.id}")
        ET.SubElement(element, "target", dir=virtiofs_tag(device.id))  # the mount tag
    elif kind == "vhost-user" and what == "blk":
        element = ET.Element("disk", type="vhostuser", device="disk")
        ET.SubElement(element, "driver", name="qemu", type="raw")
        ET.SubElement(element, "source", type="unix", path=f"{SOCKET_DIR}/{device.id}.sock")
        ET.SubElement(element, "target", dev=_disk_names(config)[device.id], bus="virtio")
    elif kind == "vhost-vdpa" and what == "net":
        element = ET.Element("interface", type="vdpa")
        ET.SubElement(element, "source", dev=_vdpa_paths(config)[device.id])
    elif kind == "vhost-vdpa" and what == "blk":
        element = ET.Element("disk", type="vhostvdpa", device="disk")
        ET.SubElement(element, "driver", name="qemu", type="raw", cache="none")
        ET.SubElement(element, "source", dev=_vdpa_paths(config)[device.id])
        ET.SubElement(element, "target", dev=_disk_names(config)[device.id], bus="virtio")
    else:
        return None
    _add_alias(element, device.id)
    return element


# --------------------------------------------------------------------------- any device


def _device_nodes(
    config: Config, device: Any, *, requested: int | None = None, hot: bool = False
) -> tuple[list[ET.Element], bool]:
    """Comments and the element for one device (`hot`: for a hot event's snippet); the flag
    says whether libvirt can express it."""
    kind = device.kind
    if kind in _MODELS:
        nodes = [_comment(note) for note in _memory_notes(config, device)]
        if device.memdev is not None:
            nodes.append(
                _comment(
                    f"{device.id} shares {device.memdev}'s memory backend in the model; libvirt "
                    "gives every memory device its own backend, so QEMU's busy-memdev refusal "
                    "does not happen here"
                )
            )
        return [*nodes, _memory_element(config, device, requested=requested)], True
    if kind == "hv-balloon":
        return [
            _comment(
                f"{device.id}: hv-balloon has no libvirt model (QEMU >= 8.2: -device vmbus-bridge "
                f"-device hv-balloon,memdev=...; add it with <qemu:commandline> if needed)"
            )
        ], False
    if kind in MEMORY_KINDS:  # a memory device libvirt has no model for
        return [
            _comment(
                f"{device.id}: {MEMORY_KINDS[kind].driver} has no libvirt model (add it with "
                "<qemu:commandline> if needed)"
            )
        ], False
    if kind in _VHOST_KINDS:
        notes = [_comment(note) for note in _vhost_notes(device)]
        element = _vhost_element(config, device)
        if element is None:
            return [
                *notes,
                _comment(f"{device.id}: libvirt has no model for {device.kind}-{device.device}"),
            ], False
        return [*notes, element], True
    if kind in CONSUMER_KINDS and CONSUMER_KINDS[kind].balloon:
        return _balloon_nodes(config, device, hot)
    return [
        _comment(
            f"{device.id}: memslot consumer '{kind}' ({device.kvm_slots} KVM memslot(s), "
            f"{device.vhost_kernel_regions} vhost-kernel and {device.vhost_user_regions} "
            f"vhost-user regions in the model) is not a device this exporter writes"
            + (f": {device.note}" if device.note else "")
        )
    ], False


def _balloon_nodes(config: Config, device: Any, hot: bool) -> tuple[list[ET.Element], bool]:
    """virtio-balloon is libvirt's <memballoon model='virtio'>: one per domain, cold only
    (libvirt can neither attach nor detach a memballoon live)."""
    if hot or device.id not in _cold_balloons(config)[:1]:
        return [
            _comment(
                f"{device.id}: libvirt has one <memballoon> per domain and cannot attach or "
                "detach it live (virtio-balloon)"
            )
        ], False
    element = ET.Element("memballoon", model="virtio")
    _add_alias(element, device.id)
    return [element], True


def _cold_balloons(config: Config) -> list[str]:
    """Ids of the cold-plugged virtio-balloon consumers, in timeline order."""
    balloons = {c.id for c in config.consumers if CONSUMER_KINDS[c.kind].balloon}
    return [e.device for e in config.timeline if e.action == "cold" and e.device in balloons]


def _libvirt_order_note(config: Config) -> str | None:
    """libvirt writes every memory device on the command line before disks, filesystems and
    other devices (netdevs are created first anyway), whatever the order in the XML."""
    cold = [config.device(device_id) for device_id in _cold_ids(config)]
    late = None
    for device in cold:
        if isinstance(device, VhostKernel | VhostUser | VhostVdpa) and device.device != "net":
            late = late or device
        elif device.kind in _MODELS and late is not None:
            return (
                f"plug order: the configuration plugs {late.id} before {device.id}, but "
                f"libvirt puts every memory device on the QEMU command line before disks, "
                f"filesystems, hostdevs and vsock; the memslot verdicts here are for the "
                f"configured order"
            )
    return None


# --------------------------------------------------------------------------- domain


def _domain(config: Config, report: Report | None, name: str | None) -> ET.Element:
    machine = config.machine
    results = event_results(config, report)
    cold = _cold_ids(config)
    cold_devices = [config.device(device_id) for device_id in cold]
    domain = ET.Element("domain", type="kvm" if machine.accel == "kvm" else "qemu")
    domain.append(
        _comment(
            f"generated by memslot-explorer (QEMU {machine.qemu_version} modelled); file paths, "
            f"sockets, the network and WWPNs are placeholders"
        )
    )
    domain.append(
        _comment(
            f"host: KVM_CAP_NR_MEMSLOTS = {machine.kvm_memslots}, transparent hugepage size "
            f"{format_size(machine.host_thp_size)}"
        )
    )
    if report is not None and report.startup_error:
        domain.append(_comment(f"memslot-explorer: QEMU does not start: {report.startup_error}"))
    ET.SubElement(domain, "name").text = domain_name(config, name)
    if config.title:
        ET.SubElement(domain, "title").text = _xml_text(" ".join(config.title.split()))
    if config.description:
        ET.SubElement(domain, "description").text = _xml_text(config.description)

    memory_devices = [
        d
        for d in cold_devices
        if isinstance(d, PcDimm | Nvdimm | VirtioPmem | VirtioMem) and d.kind in _MODELS
    ]
    if machine.maxmem is not None:
        slots = {"slots": str(machine.slots)} if machine.slots else {}
        if not machine.slots:
            domain.append(
                _comment(
                    "no slots: current libvirt gives -m ...,maxmem= without "
                    "slots; older releases (9.0) require a slots attribute here"
                )
            )
        _set_size(ET.SubElement(domain, "maxMemory", slots), machine.maxmem)
    else:
        if any(d.kind in (*_MODELS, "hv-balloon") for d in config.memory_devices):
            domain.append(_comment("no maxMemory: QEMU needs maxmem for any memory device"))
        if machine.slots:
            domain.append(
                _comment(
                    f"slots = {machine.slots} without maxmem: libvirt can only "
                    f"write slots on <maxMemory>"
                )
            )
    _size(domain, "memory", machine.ram + sum(d.size for d in memory_devices))

    if machine.memory_backend == "memfd":
        backing = ET.SubElement(domain, "memoryBacking")
        ET.SubElement(backing, "source", type="memfd")
        ET.SubElement(backing, "access", mode="shared")
    elif any(d.kind == "vhost-user" for d in config.vhost_devices):
        domain.append(
            _comment(
                "vhost-user needs shared guest memory and libvirt refuses it without "
                "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>; "
                "the model keeps boot RAM private (memory_backend = 'ram')"
            )
        )

    ET.SubElement(domain, "vcpu", placement="static").text = "1"
    os_element = ET.SubElement(domain, "os")
    ET.SubElement(os_element, "type", arch="x86_64", machine=machine.type).text = "hvm"
    features = ET.SubElement(domain, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    if machine.nvdimm and not any(d.kind == "nvdimm" for d in cold_devices):
        domain.append(
            _comment(
                "machine nvdimm=on: libvirt turns it on only when the domain has "
                "an nvdimm <memory> device"
            )
        )
    elif not machine.nvdimm and any(d.kind == "nvdimm" for d in cold_devices):
        domain.append(
            _comment(
                "libvirt turns on -machine nvdimm=on for the nvdimm devices; "
                "the model has machine nvdimm = false"
            )
        )

    cpu = ET.SubElement(domain, "cpu", mode="custom", match="exact", check="none")
    # vendor_id pins the vendor (qemu64,vendor=...): under KVM qemu64 would take the host's
    ET.SubElement(
        cpu, "model", fallback="forbid", vendor_id=CPU_VENDOR_IDS[machine.cpu_vendor]
    ).text = "qemu64"
    ET.SubElement(cpu, "maxphysaddr", mode="emulate", bits=str(machine.phys_bits))
    numa = ET.SubElement(cpu, "numa")
    cell = ET.SubElement(numa, "cell", id="0", cpus="0")
    if machine.ram % KiB:
        cell.set("memory", str(machine.ram))
        cell.set("unit", "b")
    else:
        cell.set("memory", str(machine.ram // KiB))
        cell.set("unit", "KiB")

    devices = ET.SubElement(domain, "devices")
    order_note = _libvirt_order_note(config)
    if order_note:
        devices.append(_comment(order_note))
    for position, event in enumerate(config.timeline):
        if event.action != "cold":
            continue
        device = config.device(event.device)
        if position in results:
            for text in verdict_lines(results[position]):
                devices.append(_comment(text))
        nodes, _ = _device_nodes(config, device)
        devices.extend(nodes)
    if not _cold_balloons(config):
        devices.append(
            _comment("no balloon in the model: without this line libvirt adds a virtio one")
        )
        ET.SubElement(devices, "memballoon", model="none")
    ports = _hotplug_ports(config)
    if ports:
        devices.append(
            _comment(
                f"{ports} free pcie-root-port(s) for the PCI devices "
                f"hotplugged later (q35's pcie.0 refuses hotplug)"
            )
        )
        for _ in range(ports):
            ET.SubElement(devices, "controller", type="pci", model="pcie-root-port")
    never = [d.id for d in config.all_devices() if all(e.device != d.id for e in config.timeline)]
    if never:
        devices.append(_comment(f"not in the timeline, so left out: {', '.join(never)}"))
    return domain


def _hotplug_ports(config: Config) -> int:
    """Empty root ports a q35 domain needs for its hotplugged PCI devices (one per device)."""
    if config.machine.type != "q35":
        return 0
    hot = {e.device for e in config.timeline if e.action == "hotplug"}
    return sum(1 for d in config.all_devices() if d.id in hot and d.kind in _PCI_KINDS)


def _sanitize(element: ET.Element) -> ET.Element:
    """Every text, tail, attribute and comment of a tree made XML-safe (_xml_text), in place:
    back-end names, notes and ids reach attributes and comments, not only the title."""
    for node in element.iter():
        if node.text:
            node.text = _xml_text(node.text)
        if node.tail:
            node.tail = _xml_text(node.tail)
        for key, value in node.attrib.items():
            node.attrib[key] = _xml_text(value)
    return element


def _serialize(element: ET.Element) -> str:
    _sanitize(element)
    ET.indent(element, space="  ")
    return ET.tostring(element, encoding="unicode")


def domain_xml(
    config: Config, *, report: Report | None = None, name: str | None = None, timeline: bool = False
) -> str:
    """The libvirt `<domain>` for the cold-plugged part of the timeline, pretty-printed.

    `report` (from `tui.engine.replay`) adds the engine's verdict on each device as a comment;
    without it the XML depends on the configuration only. `name` overrides the domain name
    (default: the title; either made a valid, short name by `domain_name`). `timeline` also
    embeds every hot event's device XML (see `hotplug_snippets`) in `<metadata>`, keeping one
    definable document.
    """
    domain = _domain(config, report, name)
    if timeline:
        metadata = _timeline_metadata(config, report, domain_name(config, name))
        if metadata is not None:
            domain.append(metadata)
    return _serialize(domain) + "\n"


# --------------------------------------------------------------------------- hotplug


def _event_description(position: int, event: Event, alias: str, domain: str) -> str:
    device = event.device
    step = f"event {position + 1}: {event.action} {device}"
    if event.action == "hotplug":
        return f"{step} (virsh attach-device {domain} {device}.xml --live)"
    if event.action == "unplug":
        return (
            f"{step} (virsh detach-device {domain} {device}.xml --live, or "
            f"virsh detach-device-alias {domain} {alias} --live)"
        )
    if event.action in ("disconnect", "reconnect"):
        return f"{step} (the back-end restarts: nothing to send, QEMU reconnects by itself)"
    size = event.requested_size or 0
    amount = f"{size // KiB}KiB" if size % KiB == 0 else f"{size}B"
    return (
        f"{step} to requested size {format_size(size)} (virsh update-memory-device {domain} "
        f"--alias {alias} --requested-size {amount} --live, or virsh update-device {domain} "
        f"{device}.xml --live)"
    )


def _hot_events(
    config: Config, report: Report | None, domain: str
) -> list[tuple[int, Event, str, list[ET.Element]]]:
    """(position, event, description, comment and element nodes) for every hot event."""
    results = event_results(config, report)
    events = []
    for position, event in enumerate(config.timeline):
        if event.action == "cold":
            continue
        device = config.device(event.device)
        requested = event.requested_size if event.action == "resize" else None
        restart = event.action in ("disconnect", "reconnect")
        nodes = [] if restart else _device_nodes(config, device, requested=requested, hot=True)[0]
        verdicts = (
            [_comment(text) for text in verdict_lines(results[position])]
            if position in results
            else []
        )
        description = _event_description(position, event, _alias(device.id), domain)
        events.append((position, event, description, [*verdicts, *nodes]))
    return events


def hotplug_snippets(
    config: Config, *, report: Report | None = None, name: str | None = None
) -> list[tuple[str, str]]:
    """(description, XML) for every hotplug, unplug and resize of the timeline, in order.

    The XML is the device element `virsh attach-device` / `detach-device` / `update-device`
    takes (preceded by the engine's verdict as comments when `report` is given); where libvirt
    has no model for the device it is only a comment saying so.
    """
    snippets: list[tuple[str, str]] = []
    for _, _, description, nodes in _hot_events(config, report, domain_name(config, name)):
        parts = []
        for node in nodes:
            if node.tag is ET.Comment:  # type: ignore[comparison-overlap]
                parts.append(ET.tostring(_sanitize(node), encoding="unicode"))
            else:
                parts.append(_serialize(node))
        snippets.append((description, "\n".join(parts) + "\n"))
    return snippets


def _timeline_metadata(config: Config, report: Report | None, domain: str) -> ET.Element | None:
    """`<metadata>` carrying every hot event's device XML, so that one file holds the whole
    timeline and still passes `virsh define` (libvirt keeps foreign-namespace metadata)."""
    events = _hot_events(config, report, domain)
    if not events:
        return None
    metadata = ET.Element("metadata")
    timeline = ET.SubElement(metadata, f"{{{TIMELINE_NS}}}timeline")
    for position, event, description, nodes in events:
        item = ET.SubElement(
            timeline,
            f"{{{TIMELINE_NS}}}event",
            index=str(position + 1),
            action=event.action,
            device=event.device,
        )
        if event.requested_size is not None:
            item.set("requested", str(event.requested_size))
        if event.max_mem_slots is not None:
            item.set("max_mem_slots", str(event.max_mem_slots))
        item.set("description", description)
        item.extend(nodes)
    return metadata
