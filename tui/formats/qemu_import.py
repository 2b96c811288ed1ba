"""A QEMU command line → a configuration, with a warning for everything not understood.

Reads the options that decide memslots: -machine, -m, -cpu, -accel, memory backends, memory
devices, vhost back-ends (netdevs, chardevs, vhost-user and vhost-kernel devices, vDPA),
-numa, -global and the devices that map RAM the engine counts as consumers (VFIO, VGA VRAM,
ivshmem). QEMU's own defaults apply where the command line is silent (pc machine, 128 MiB,
TCG, qemu64); what only the host or a back-end knows is taken from the model's defaults and
listed in `ImportResult.assumed`. Pure: no I/O; reuse `ParsedCommandLine` (e.g. to build a
configuration from a running VM's argv).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tui.engine.devices import BACKEND_TYPES
from tui.engine.kinds import CONSUMER_KINDS
from tui.engine.kinds import MEMORY_KINDS as MEMORY_KIND_REGISTRY
from tui.engine.kinds import VHOST_KINDS as VHOST_KIND_REGISTRY
from tui.engine.model import LATEST_QEMU, Machine
from tui.engine.units import MiB, SizeError, format_size, parse_size
from tui.formats.importing import (
    Assumption,
    ImportResult,
    claim_id,
    numbered_id,
    valid_id,
    vhost_limit_assumption,
)
from tui.formats.qemu import VDPA_BLOCK_DRIVER
from tui.formats.qemu_argv import ArgvError, CommandLine, parse_options, split_command_line
from tui.formats.qemu_cpus import cpu_vendor
from tui.formats.toml import ConfigError, from_dict


def _variants(driver: str) -> tuple[str, ...]:
    """A virtio PCI driver and the names QEMU also accepts for the same device: the
    `-non-transitional` PCI variant, the virtio-mmio `-device` one and the bare type."""
    if not driver.endswith("-pci"):
        return (driver,)
    base = driver.removesuffix("-pci")
    return (driver, f"{driver}-non-transitional", f"{base}-device", base)


# Every name below is derived from the engine's kinds registry (tui/engine/kinds.py).
MEMORY_KINDS = {kind.driver: name for name, kind in MEMORY_KIND_REGISTRY.items()}
BACKEND_KINDS = {qom: backend for backend, qom in BACKEND_TYPES.items()}
NETDEV_KINDS = {
    frontend.netdev: (name, device)
    for name, kind in VHOST_KIND_REGISTRY.items()
    for device, frontend in kind.frontends.items()
    if frontend.netdev is not None
}
"""-netdev type → (vhost kind, device): tap (with vhost=on), vhost-user, vhost-vdpa."""
NET_FRONTENDS = {
    variant
    for kind in VHOST_KIND_REGISTRY.values()
    for frontend in kind.frontends.values()
    if frontend.netdev is not None
    for variant in _variants(frontend.driver)
}
"""The -device drivers that front a netdev (virtio-net-pci)."""
DEVICE_KINDS = {
    variant: (name, device)
    for name, kind in VHOST_KIND_REGISTRY.items()
    for device, frontend in kind.frontends.items()
    if frontend.netdev is None
    for variant in _variants(frontend.driver)
}
"""-device driver → (vhost kind, device) for back-ends that are part of a -device
(vhost-user-fs-pci, vhost-scsi-pci, ...; virtio-blk-pci only on a vDPA block node)."""

QEMU_DEFAULT_RAM = 128 * MiB


def firmware_flash_consumer(consumer_id: str) -> dict[str, object]:
    """UEFI's second flash device (the variable store) as a consumer: one more KVM slot than
    SeaBIOS, no vhost region (measured on QEMU 10.0.2, q35 and pc, 2 and 4 GiB: the code flash
    replaces the BIOS ROM's two sections, the variable flash adds one read-only slot)."""
    return {
        "id": consumer_id,
        "kind": "rom",
        "note": "UEFI variable flash (pflash1): one KVM slot more than SeaBIOS",
    }


"""x86 machines' default_ram_size: `-m` absent."""
CONSUMER_DEVICES = {
    "vfio-pci": "vfio-bar",
    "vfio-pci-nohotplug": "vfio-bar",
    "ivshmem-plain": "pci-ram-bar",
    "ivshmem-doorbell": "pci-ram-bar",
    "VGA": "vga-vram",
    "secondary-vga": "vga-vram",
    "cirrus-vga": "vga-vram",
    "qxl-vga": "vga-vram",
    "qxl": "vga-vram",
    "virtio-vga": "vga-vram",
    "bochs-display": "vga-vram",
    "ati-vga": "vga-vram",
    "vmware-svga": "vga-vram",
    # consumers that are real QEMU devices (virtio-balloon: no memslot, but one balloon only)
    **{kind.driver: kind.name for kind in CONSUMER_KINDS.values() if kind.driver is not None},
    "virtio-balloon": "virtio-balloon",
}
"""Devices that map RAM into the guest (a KVM slot each, and vhost regions by kind), and the
consumer kinds that are QEMU devices of their own."""

# Options that take no argument; everything else starting with '-' takes one.
FLAGS = {
    "S", "nodefaults", "no-user-config", "enable-kvm", "nographic", "daemonize", "no-reboot",
    "no-shutdown", "no-hpet", "no-acpi", "snapshot", "full-screen", "mem-prealloc",
    "only-migratable", "preconfig", "s", "no-fd-bootchk", "nodefconfig", "enable-fips",
    "no-quit", "version", "help", "win2k-hack", "no-frame", "alt-grab", "ctrl-grab",
    "old-param", "portrait", "curses", "sdl", "usb", "no-kvm", "no-kvm-irqchip", "no-kvm-pit",
}  # fmt: skip
# Options that take an argument and do not change memslots.
IRRELEVANT = {
    "name", "uuid", "smp", "boot", "drive", "serial", "parallel", "display", "qmp",
    "qmp-pretty", "monitor", "mon", "pidfile", "rtc", "msg", "sandbox", "overcommit", "smbios",
    "bios", "kernel", "initrd", "append", "dtb", "nic", "net", "vnc", "spice", "audiodev",
    "audio", "k", "D", "d", "L", "incoming", "loadvm", "fsdev", "virtfs", "trace", "run-with",
    "action", "compat", "add-fd", "iscsi", "icount", "watchdog-action", "tpmdev", "fw_cfg",
    "runas", "chroot", "seed", "sync", "gdb", "cdrom", "hda", "hdb", "hdc", "hdd", "fda",
    "fdb", "mtdblock", "sd", "usbdevice", "device-list", "readconfig", "writeconfig",
    "set", "semihosting-config", "plugin", "tb-size", "realtime", "mem-lock",
    "machine-help", "acpitable", "echr", "option-rom", "xen-domid", "chardev-help", "pflash",
}  # fmt: skip
HANDLED = {
    "machine", "M", "m", "cpu", "accel", "object", "device", "netdev", "chardev", "blockdev",
    "numa", "global", "vga", "mem-path", "name",
}  # fmt: skip
"""Options with a value that the importer reads."""
HARMLESS_DEVICES = {
    "pcie-root-port", "pci-bridge", "pcie-pci-bridge", "pxb", "pxb-pcie", "ioh3420",
    "x3130-upstream", "xio3130-downstream", "vmbus-bridge", "virtio-blk-pci", "virtio-blk-device",
    "virtio-scsi-pci", "scsi-hd", "scsi-cd", "scsi-generic", "scsi-block", "ide-hd", "ide-cd",
    "usb-tablet", "usb-kbd", "usb-mouse", "usb-storage", "usb-ehci", "ich9-usb-ehci1",
    "ich9-usb-uhci1", "ich9-usb-uhci2", "ich9-usb-uhci3", "qemu-xhci", "nec-usb-xhci",
    "piix3-usb-uhci", "usb-hub", "usb-redir", "virtio-serial-pci", "virtserialport",
    "virtconsole", "isa-serial", "pci-serial", "virtio-rng-pci",
    "virtio-keyboard-pci", "virtio-mouse-pci", "virtio-tablet-pci", "virtio-input-host-pci",
    "e1000", "e1000e", "rtl8139", "vmxnet3", "i6300esb", "ib700", "pvpanic", "pvpanic-pci",
    "intel-iommu", "virtio-iommu-pci", "amd-iommu", "tpm-tis", "tpm-crb", "sga", "hda-duplex",
    "hda-output", "intel-hda", "ich9-intel-hda", "AC97", "ich9-ahci", "ahci", "nvme",
    "nvme-ns", "isa-debugcon", "isa-debug-exit", "virtio-gpu-pci",
    "virtio-9p-pci", "floppy", "isa-fdc", "usb-ccid", "ccid-card-passthru", "hyperv-testdev",
    "kvm-pit", "dimm-placeholder", "virtio-crypto-pci", "vmcoreinfo", "pc-testdev",
}  # fmt: skip
"""-device drivers understood to add no memslot of their own (block, input, USB, serial,
non-vhost NICs, IOMMUs, root ports, ...)."""
HARMLESS_OBJECTS = {
    "iothread", "secret", "rng-random", "rng-builtin", "rng-egd", "tls-creds-x509",
    "tls-creds-psk", "tls-creds-anon", "tls-cipher-suites", "throttle-group", "main-loop",
    "thread-context", "filter-buffer", "filter-dump", "filter-mirror", "filter-redirector",
    "filter-rewriter", "pr-manager-helper", "authz-simple", "authz-list", "authz-listfile",
    "authz-pam", "dbus-vmstate", "input-linux", "input-barrier", "cryptodev-backend-builtin",
    "can-bus", "colo-compare",
}  # fmt: skip
IRRELEVANT_MACHINE_PROPS = {
    "type", "accel", "usb", "vmport", "dump-guest-core", "mem-merge", "hpet", "graphics",
    "kernel-irqchip", "kernel_irqchip", "smm", "suppress-vmdesc", "sata", "i8042", "acpi",
    "pit", "pic", "hmat", "dt-compatible", "firmware", "iommu", "igd-passthru",
    "default-bus-bypass-iommu", "x-oem-id", "x-oem-table-id",
    "fd-bootchk", "boot", "smp", "dumpdtb", "phandle-start", "dtb", "append",
    "kernel", "initrd", "confidential-guest-support", "pflash0", "pflash1", "bus-lock-ratelimit",
    "smbios-entry-point-type", "xen-version", "memory-encryption", "cxl", "pcspk-audiodev",
}  # fmt: skip
"""-machine properties that do not change the memslots the engine models (`smm`: the engine
uses measured boot counts; pflash: firmware is part of the measured boot slots)."""
LAYOUT_MACHINE_PROPS = {
    "max-ram-below-4g": "moves where boot RAM splits at 4 GiB; the model uses the machine's "
    "default split (not modelled)",
    "sgx-epc": "SGX EPC sections are RAM the model does not count (not modelled)",
}
"""-machine properties that change the boot memory layout the engine assumes."""
MEMORY_DEVICE_PROPS = {
    "pc-dimm": {"id", "memdev", "slot", "addr", "node"},
    "nvdimm": {"id", "memdev", "slot", "addr", "node", "label-size", "unarmed", "uuid"},
    "virtio-pmem": {"id", "memdev", "memaddr"},
    "virtio-mem": {
        "id", "memdev", "requested-size", "block-size", "dynamic-memslots",
        "unplugged-inaccessible", "memaddr", "node", "prealloc", "x-early-migration",
    },
    "hv-balloon": {"id", "memdev", "addr"},
}  # fmt: skip
PCI_PROPS = {
    "bus", "addr", "multifunction", "romfile", "rombar", "disable-legacy", "disable-modern",
    "iommu_platform", "ats", "vectors", "x-pcie-lnksta-dllla", "failover_pair_id", "acpi-index",
}  # fmt: skip
"""PCI proxy properties (`addr` is the PCI slot here, not a guest-physical address)."""
BACKEND_PROPS = {
    "qom-type", "id", "size", "share", "hugetlb", "hugetlbsize", "mem-path", "prealloc",
    "reserve", "readonly", "rom", "seal", "host-nodes", "policy", "merge", "dump",
    "discard-data", "align", "offset", "pmem", "x-use-canonical-path-for-ramblock-id",
    "prealloc-threads", "prealloc-context",
}  # fmt: skip
GLOBAL_PARENTS = {
    "virtio-mem-pci": ("virtio-mem",),
    "virtio-pmem-pci": ("virtio-pmem",),
    "nvdimm": ("pc-dimm",),
}
"""-global on a parent or inner type also sets the `-device` driver's property."""
_MACHINE_VERSION = re.compile(r"^pc-(?:q35|i440fx)-(\d+)\.(\d+)$|^pc-(\d+)\.(\d+)$")


@dataclass
class _Object:
    index: int
    option: str
    props: dict[str, object]
    used_by: str | None = None


@dataclass
class ParsedCommandLine:
    """Every option that matters, by kind, with the argv index it came from (for ordering)."""

    source: str
    machine: dict[str, object] = field(default_factory=dict)
    memory: dict[str, object] = field(default_factory=dict)
    cpu: dict[str, object] = field(default_factory=dict)
    accels: list[str] = field(default_factory=list)
    objects: dict[str, _Object] = field(default_factory=dict)
    devices: list[_Object] = field(default_factory=list)
    netdevs: dict[str, _Object] = field(default_factory=dict)
    chardevs: dict[str, _Object] = field(default_factory=dict)
    blockdevs: dict[str, _Object] = field(default_factory=dict)
    numa: list[_Object] = field(default_factory=list)
    globals: list[tuple[str, str, object]] = field(default_factory=list)
    mem_path: str | None = None
    name: str | None = None
    nodefaults: bool = False
    vga: str | None = None
    pflash: int = 0
    """-drive if=pflash units (code, then variables)."""
    binary: str | None = None
    warnings: list[str] = field(default_factory=list)


def _where(index: int, option: str) -> str:
    return f"argument {index + 1} ({option})"


def _warn(parsed: ParsedCommandLine, option: str, reason: str) -> None:
    parsed.warnings.append(f"{option}: {reason}")


def parse_args(args: tuple[str, ...] | list[str], source: str = "<argv>") -> ParsedCommandLine:
    """Sort argv into the options that matter; unknown options become warnings."""
    parsed = ParsedCommandLine(source)
    index = 0
    while index < len(args):
        token = args[index]
        if not token.startswith("-") or token == "-":
            _warn(parsed, repr(token)[:60], "not an option (ignored)")
            index += 1
            continue
        option = token.lstrip("-")
        if option in FLAGS:
            if option == "enable-kvm":
                parsed.accels.append("kvm")
            elif option == "nodefaults":
                parsed.nodefaults = True
            index += 1
            continue
        if (
            option not in HANDLED
            and option not in IRRELEVANT
            and (index + 1 >= len(args) or args[index + 1].startswith("-"))
        ):
            _warn(parsed, token, "not understood (ignored)")  # an unknown flag, no value
            index += 1
            continue
        if index + 1 >= len(args):
            _warn(parsed, token, "needs a value, none given (ignored)")
            break
        value = args[index + 1]
        where = _where(index + 1, token)
        try:
            _option(parsed, index, token, option, value)
        except ArgvError as exc:
            raise ConfigError(source, where, exc.reason) from None
        index += 2
    return parsed


def _option(parsed: ParsedCommandLine, index: int, token: str, option: str, value: str) -> None:
    if option in ("machine", "M"):
        parsed.machine.update(parse_options(value, "type", json_allowed=False))
    elif option == "m":
        parsed.memory.update(parse_options(value, "size", json_allowed=False))
    elif option == "cpu":
        parsed.cpu = parse_options(value, "model", json_allowed=False)
    elif option == "accel":
        props = parse_options(value, "accel", json_allowed=False)
        accel = str(props.get("accel", ""))
        parsed.accels.extend(a for a in accel.split(":") if a)
    elif option == "object":
        props = parse_options(value, "qom-type")
        qom_id = str(props.get("id", ""))
        parsed.objects[qom_id] = _Object(index, token, props)
    elif option == "device":
        props = parse_options(value, "driver")
        parsed.devices.append(_Object(index, token, props))
    elif option == "netdev":
        props = parse_options(value, "type")
        parsed.netdevs[str(props.get("id", ""))] = _Object(index, token, props)
    elif option == "chardev":
        props = parse_options(value, "backend", json_allowed=False)
        parsed.chardevs[str(props.get("id", ""))] = _Object(index, token, props)
    elif option == "blockdev":
        props = parse_options(value, "driver")
        parsed.blockdevs[str(props.get("node-name", ""))] = _Object(index, token, props)
    elif option == "numa":
        parsed.numa.append(_Object(index, token, parse_options(value, "type", json_allowed=False)))
    elif option == "global":
        props = parse_options(value, json_allowed=False)
        if {"driver", "property"} <= set(props):
            parsed.globals.append(
                (str(props["driver"]), str(props["property"]), props.get("value"))
            )
        else:
            for key, item in props.items():
                driver, dot, prop = key.rpartition(".")
                if not dot:
                    _warn(parsed, f"-global {value}", "not DRIVER.PROPERTY=VALUE (ignored)")
                    continue
                parsed.globals.append((driver, prop, item))
    elif option == "drive" and "if=pflash" in value:
        parsed.pflash += 1
    elif option == "vga":
        parsed.vga = value
    elif option == "mem-path":
        parsed.mem_path = value
    elif option == "name":
        props = parse_options(value, "guest")
        parsed.name = str(props.get("guest", "")) or None
    elif option in IRRELEVANT:
        return
    else:
        _warn(parsed, token, "not understood (ignored)")


# --------------------------------------------------------------------------- value helpers


class _Bad(ValueError):
    """A property value that cannot be used; the caller adds which option and property."""


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("on", "yes", "true", "y"):
        return True
    if text in ("off", "no", "false", "n"):
        return False
    raise _Bad(f"{value!r} is not on or off")


def _size(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a size")
    try:
        return parse_size(value)
    except SizeError as exc:
        raise _Bad(str(exc)) from None


def _m_size(value: object) -> int:
    """-m size: QEMU reads a number without suffix as MiB (`-m 4096` is 4 GiB)."""
    if isinstance(value, str) and value.strip()[-1:].isdigit() and not value.startswith("0x"):
        return _size(value) * MiB
    return _size(value)


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not an integer")
    try:
        return int(str(value), 0)
    except ValueError:
        raise _Bad(f"{value!r} is not an integer") from None


def _get(props: Mapping[str, object], key: str, convert: Any, where: str, source: str) -> Any:
    """props[key] converted, None when absent; a bad value is a ConfigError naming it."""
    if key not in props or props[key] is None:
        return None
    try:
        return convert(props[key])
    except _Bad as exc:
        raise ConfigError(source, f"{where} {key}", str(exc)) from None


# --------------------------------------------------------------------------- building


@dataclass
class _Builder:
    parsed: ParsedCommandLine
    qemu_version: str | None
    memory_devices: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    vhost_devices: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    consumers: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    assumed: list[Assumption] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)
    machine_version: tuple[int, int] | None = None
    renamed_backends: list[str] = field(default_factory=list)
    """Memory backends whose id is not the model's `mem-<device id>`."""

    @property
    def source(self) -> str:
        """The name errors and warnings give the input."""
        return self.parsed.source

    def warn(self, option: str, reason: str) -> None:
        """Something not understood or not modelled: named, never silently dropped."""
        _warn(self.parsed, option, reason)

    def new_id(self, wanted: str | None, base: str) -> str:
        """The device's own id (made a valid, unique QEMU id) or base0, base1, ..."""
        if wanted:
            candidate = valid_id(wanted, base)
            if candidate != wanted:
                self.warn(f"id={wanted}", f"not a valid id for the model; using {candidate}")
        else:
            candidate = numbered_id(base, self.ids, self.counters)
        claimed = claim_id(candidate, self.ids)
        if claimed != candidate:
            self.warn(f"id={candidate}", f"used twice; the second one is {claimed}")
        return claimed

    def globals_for(self, driver: str) -> dict[str, object]:
        """-global defaults that apply to a -device of `driver` (its own properties win)."""
        names = {driver, *GLOBAL_PARENTS.get(driver, ())}
        return {prop: value for d, prop, value in self.parsed.globals if d in names}


def _machine(builder: _Builder) -> dict[str, object]:
    parsed, source = builder.parsed, builder.source
    props = parsed.machine
    machine: dict[str, object] = {}
    raw_type = str(props.get("type", "pc"))
    base, plus, suffix = raw_type.partition("+")
    if plus and re.fullmatch(r"pve\d+", suffix):  # Proxmox's QEMU: machine+pveN, its revision
        raw_type = base
    if raw_type in ("q35",) or raw_type.startswith("pc-q35-"):
        machine["type"] = "q35"
    elif raw_type == "pc" or raw_type.startswith(("pc-i440fx-", "pc-")):
        machine["type"] = "pc"
    else:
        machine["type"] = "q35"
        builder.warn(f"-machine {raw_type}", "machine type not modelled; q35 assumed")
        builder.assumed.append(Assumption("machine.type", "q35", f"{raw_type} is not modelled"))
    match = _MACHINE_VERSION.match(raw_type)
    if match:
        major, minor = (g for g in match.groups() if g is not None)
        builder.machine_version = (int(major), int(minor))
    for key in props:
        if key in LAYOUT_MACHINE_PROPS:
            builder.warn(f"-machine {key}", LAYOUT_MACHINE_PROPS[key])
        elif key not in IRRELEVANT_MACHINE_PROPS | {"nvdimm", "memory-backend"}:
            builder.warn(f"-machine {key}", "property not understood (ignored)")
    accels = [*parsed.accels]
    if "accel" in props:
        accels = [a for a in str(props["accel"]).split(":") if a] + accels
    # QEMU's default: TCG, unless the program's name ends in "kvm" (qemu-kvm, Proxmox's kvm)
    default = "kvm" if (parsed.binary or "").endswith("kvm") else "tcg"
    accel = accels[0] if accels else default
    if accel not in ("kvm", "tcg"):
        builder.warn(f"accel {accel}", "not modelled; the hypervisor's memslots are not checked")
        accel = "tcg"
    machine["accel"] = accel
    nvdimm = _get(props, "nvdimm", _bool, "-machine", source)
    if nvdimm is not None:
        machine["nvdimm"] = nvdimm
    memory = parsed.memory
    for key in memory:
        if key not in ("size", "slots", "maxmem"):
            builder.warn(f"-m {key}", "property not understood (ignored)")
    ram = _get(memory, "size", _m_size, "-m", source)
    machine["ram"] = ram if ram is not None else QEMU_DEFAULT_RAM
    maxmem = _get(memory, "maxmem", _size, "-m", source)
    if maxmem is not None:
        machine["maxmem"] = maxmem
    slots = _get(memory, "slots", _int, "-m", source)
    if slots is not None:
        machine["slots"] = slots
    _cpu(builder, machine)
    _boot_backend(builder, machine, props)
    version = builder.qemu_version
    if version is None:
        version = LATEST_QEMU
        if builder.machine_version is not None and builder.machine_version > _vt(LATEST_QEMU):
            version = "{}.{}".format(*builder.machine_version)
        builder.assumed.append(
            Assumption(
                "machine.qemu_version",
                version,
                "the command line does not say which QEMU runs it (a machine type "
                "pc-q35-X.Y means at least X.Y)",
            )
        )
    machine["qemu_version"] = version
    if machine["accel"] == "kvm":
        builder.assumed.append(
            Assumption(
                "machine.kvm_memslots",
                str(Machine().kvm_memslots),
                "the host's KVM_CAP_NR_MEMSLOTS is not on a command line",
            )
        )
    return machine


def _vt(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def _cpu(builder: _Builder, machine: dict[str, object]) -> None:
    props = builder.parsed.cpu
    source = builder.source
    model = str(props.get("model", "qemu64"))
    kvm = machine["accel"] == "kvm"
    vendor_prop = props.get("vendor")
    # Under KVM every CPU model reports the host's vendor unless vendor= says otherwise
    # (measured on QEMU 10.0.2: qemu64, EPYC and Skylake-Server all give the host's).
    vendor = None if kvm else cpu_vendor(model)
    if vendor_prop is not None:
        text = str(vendor_prop)
        vendor = (
            "intel"
            if text == "GenuineIntel"
            else "amd"
            if text in ("AuthenticAMD", "HygonGenuine")
            else None
        )
        if vendor is None:
            builder.warn(f"-cpu vendor={text}", "vendor not modelled; amd assumed")
            vendor = "amd"
    if vendor is None:
        vendor = Machine().cpu_vendor
        builder.assumed.append(
            Assumption(
                "machine.cpu_vendor",
                vendor,
                f"-cpu {model} reports the host's vendor"
                + (" under KVM (no vendor=)" if kvm else " (or an unknown one)"),
            )
        )
    machine["cpu_vendor"] = vendor
    phys = _get(props, "phys-bits", _int, "-cpu", source)
    host_bits = _get(props, "host-phys-bits", _bool, "-cpu", source)
    if host_bits is None:
        host_bits = model in ("host", "max") and kvm
    if phys is not None and not host_bits:
        machine["phys_bits"] = phys
    elif host_bits:
        bits = Machine().phys_bits
        limit = _get(props, "host-phys-bits-limit", _int, "-cpu", source)
        builder.assumed.append(
            Assumption(
                "machine.phys_bits",
                str(bits),
                "host-phys-bits: the host CPU's physical address bits"
                + (f" (capped at {limit})" if limit else ""),
            )
        )


def _boot_backend(builder: _Builder, machine: dict[str, object], props: dict[str, object]) -> None:
    """Boot RAM's backend: -machine memory-backend=, the NUMA nodes' memdevs, or -mem-path."""
    parsed = builder.parsed
    backend_ids: list[str] = []
    if "memory-backend" in props:
        backend_ids.append(str(props["memory-backend"]))
    for node in parsed.numa:
        node_type = str(node.props.get("type", "node"))
        if node_type != "node":
            continue
        if "memdev" in node.props:
            backend_ids.append(str(node.props["memdev"]))
        elif "mem" in node.props:
            builder.warn("-numa mem=", "legacy NUMA memory: one RAM block, as without NUMA")
    fd_backed = parsed.mem_path is not None
    for position, backend_id in enumerate(dict.fromkeys(backend_ids)):
        obj = parsed.objects.get(backend_id)
        if obj is None:
            builder.warn(f"memdev {backend_id}", "no such -object (ignored)")
            continue
        obj.used_by = "boot RAM"
        qom = str(obj.props.get("qom-type", ""))
        if qom in ("memory-backend-memfd", "memory-backend-file"):
            fd_backed = True
        if position > 0:
            builder.consumers.append(
                (obj.index, {"id": builder.new_id(backend_id, "numa"), "kind": "numa-memdev"})
            )
    if fd_backed:
        machine["memory_backend"] = "memfd"
        if parsed.mem_path is not None:
            builder.warn("-mem-path", "boot RAM from a file: modelled as fd-backed (memfd)")


def _backend_fields(builder: _Builder, memdev: str, device_option: str) -> dict[str, object] | None:
    """The memory backend object's fields for a memory device, or None (with a warning)."""
    parsed, source = builder.parsed, builder.source
    obj = parsed.objects.get(memdev)
    if obj is None:
        builder.warn(device_option, f"memdev {memdev} is not an -object (device ignored)")
        return None
    if obj.used_by is not None:
        builder.warn(device_option, f"memdev {memdev} is already used by {obj.used_by} (ignored)")
        return None
    obj.used_by = device_option
    props = obj.props
    where = f"-object {memdev}"
    qom = str(props.get("qom-type", ""))
    backend = BACKEND_KINDS.get(qom)
    if backend is None:
        builder.warn(where, f"{qom} is not a memory backend the model knows (device ignored)")
        return None
    for key in props:
        if key not in BACKEND_PROPS:
            builder.warn(f"{where} {key}", "property not understood (ignored)")
    size = _get(props, "size", _size, where, source)
    if size is None:
        builder.warn(where, "no size= (a file's own size is unknown here; device ignored)")
        return None
    fields: dict[str, object] = {"size": size, "backend": backend}
    share = _get(props, "share", _bool, where, source)
    fields["share"] = share if share is not None else backend == "memfd"
    for key, name in (("prealloc", "prealloc"), ("readonly", "readonly")):
        value = _get(props, key, _bool, where, source)
        if value:
            fields[name] = True
    if backend == "memfd" and _get(props, "hugetlb", _bool, where, source):
        page = _get(props, "hugetlbsize", _size, where, source)
        if not page:
            page = 2 * MiB
            builder.assumed.append(
                Assumption(
                    f"{memdev}.page_size",
                    "2M",
                    "hugetlb=on without hugetlbsize: the host's default huge page size",
                )
            )
        fields["page_size"] = page
    if backend == "file":
        path = str(props.get("mem-path", ""))
        page = _hugetlbfs_page(path)
        if page is not None:
            fields["page_size"] = page
            builder.assumed.append(
                Assumption(
                    f"{memdev}.page_size",
                    format_size(page),
                    f"mem-path {path} looks like hugetlbfs; its page size is the mount's",
                )
            )
    return fields


_PAGE_IN_PATH = re.compile(r"hugepages-?(\d+)([kKmMgG])")


def _hugetlbfs_page(path: str) -> int | None:
    """A hugetlbfs mount's page size from its usual path (/dev/hugepages1G, hugepages-2048kB)."""
    if "hugepage" not in path and "hugetlb" not in path:
        return None
    match = _PAGE_IN_PATH.search(path)
    if match:
        return (
            int(match.group(1)) * {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2).lower()]
        )
    return 2 * MiB


def _memory_device(builder: _Builder, device: _Object, driver: str) -> None:
    kind = MEMORY_KINDS[driver]
    source = builder.source
    props = {**builder.globals_for(driver), **device.props}
    option = f"-device {driver}"
    # a kind without its own list (a new one in the registry) still imports: id, memdev and
    # its address property; anything else is reported as not understood
    own = MEMORY_DEVICE_PROPS.get(
        kind, {"id", "memdev", MEMORY_KIND_REGISTRY[kind].address_property}
    )
    allowed = own | {"driver"} | (PCI_PROPS if MEMORY_KIND_REGISTRY[kind].pci else set())
    for key in props:
        if key not in allowed:
            builder.warn(f"{option} {key}", "property not understood (ignored)")
    wanted = props.get("id")
    result: dict[str, object] = {"kind": kind}
    memdev = props.get("memdev")
    if memdev is None:
        if kind != "hv-balloon":
            builder.warn(option, "no memdev (QEMU refuses it; device ignored)")
            return
        result["id"] = builder.new_id(str(wanted) if wanted else None, "hvb")
        addr = _get(props, "addr", _size, f"{option} {result['id']}", source)
        if addr is not None:
            result["addr"] = addr
        builder.memory_devices.append((device.index, result))
        return
    fields = _backend_fields(builder, str(memdev), option)
    if fields is None:
        return
    result["id"] = builder.new_id(str(wanted) if wanted else None, kind.replace("-", ""))
    result.update(fields)
    if str(memdev) != f"mem-{result['id']}":
        builder.renamed_backends.append(f"{memdev} → mem-{result['id']}")
    where = f"{option} {result['id']}"
    if kind in ("pc-dimm", "nvdimm"):
        slot = _get(props, "slot", _int, where, source)
        if slot is not None:
            result["slot"] = slot
        addr = _get(props, "addr", _size, where, source)
        if addr is not None:
            result["addr"] = addr
    if kind == "nvdimm":
        label = _get(props, "label-size", _size, where, source)
        if label is not None:
            result["label_size"] = label
        if _get(props, "unarmed", _bool, where, source):
            result["unarmed"] = True
    if kind in ("virtio-pmem", "virtio-mem"):
        memaddr = _get(props, "memaddr", _size, where, source)
        if memaddr is not None:
            result["memaddr"] = memaddr
    if kind == "virtio-mem":
        requested = _get(props, "requested-size", _size, where, source)
        result["requested_size"] = requested or 0
        block = _get(props, "block-size", _size, where, source)
        if block is not None:
            result["block_size"] = block
        dynamic = _get(props, "dynamic-memslots", _bool, where, source)
        if dynamic:
            result["dynamic_memslots"] = True
        inaccessible = props.get("unplugged-inaccessible")
        if inaccessible is not None and str(inaccessible).lower() != "auto":
            result["unplugged_inaccessible"] = _get(
                props, "unplugged-inaccessible", _bool, where, source
            )
        elif builder.machine_version is not None and builder.machine_version <= (8, 0):
            result["unplugged_inaccessible"] = False  # measured: off on machine types up to 8.0
        if _get(props, "prealloc", _bool, where, source):
            builder.warn(f"{where} prealloc", "device-side preallocation is not modelled (ignored)")
        if block is None:
            builder.assumed.append(
                Assumption(
                    "machine.host_thp_size",
                    format_size(Machine().host_thp_size),
                    f"{result['id']} uses QEMU's default block size, the host's THP size",
                )
            )
    if kind == "hv-balloon":
        addr = _get(props, "addr", _size, where, source)
        if addr is not None:
            result["addr"] = addr
    builder.memory_devices.append((device.index, result))


def _add_vhost(builder: _Builder, index: int, wanted: str | None, kind: str, device: str) -> None:
    device_id = builder.new_id(wanted, device)
    builder.vhost_devices.append((index, {"id": device_id, "kind": kind, "device": device}))
    assumption = vhost_limit_assumption(device_id, kind, device, "on a command line")
    if assumption is not None:
        builder.assumed.append(assumption)


def _netdevs(builder: _Builder, frontends: dict[str, str]) -> None:
    """vhost back-ends created by -netdev (tap,vhost=on / vhost-user / vhost-vdpa)."""
    source = builder.source
    for netdev_id, netdev in builder.parsed.netdevs.items():
        props = netdev.props
        netdev_type = str(props.get("type", ""))
        where = f"-netdev {netdev_id}"
        if netdev_type not in NETDEV_KINDS:
            continue  # user, socket, bridge, stream, passt, ...: no vhost
        kind, device = NETDEV_KINDS[netdev_type]
        if netdev_type == "tap":
            vhost = _get(props, "vhost", _bool, where, source)
            if not vhost and not props.get("vhostfd") and not props.get("vhostfds"):
                continue  # a tap is vhost-net only with vhost=on (or vhost fds)
        _add_vhost(builder, netdev.index, frontends.get(netdev_id) or netdev_id, kind, device)
        if netdev_id not in frontends:
            builder.warn(where, "no -device uses it; counted as a vhost device all the same")
        queues = props.get("queues")
        if queues is not None and str(queues) not in ("1",):
            builder.warn(
                f"{where} queues={queues}",
                "each queue pair is a vhost device in QEMU; the model counts one (same limit)",
            )


def _devices(builder: _Builder) -> None:
    parsed = builder.parsed
    frontends: dict[str, str] = {}
    for device in parsed.devices:
        driver = str(device.props.get("driver", ""))
        if driver in NET_FRONTENDS and "netdev" in device.props:
            frontends[str(device.props["netdev"])] = str(device.props.get("id") or "")
    _netdevs(builder, frontends)
    for device in parsed.devices:
        props = device.props
        driver = str(props.get("driver", ""))
        option = f"-device {driver}"
        wanted = str(props.get("id") or "") or None
        if driver in MEMORY_KINDS:
            _memory_device(builder, device, driver)
        elif driver in NET_FRONTENDS and "netdev" in props:
            netdev = str(props.get("netdev", ""))
            if netdev not in parsed.netdevs:
                builder.warn(option, f"netdev {netdev} is not defined (ignored)")
        elif driver in DEVICE_KINDS and (
            DEVICE_KINDS[driver][0] != "vhost-vdpa" or _is_vdpa_drive(parsed, props)
        ):
            kind, what = DEVICE_KINDS[driver]
            if kind == "vhost-user":
                chardev = str(props.get("chardev", ""))
                if chardev not in parsed.chardevs:
                    builder.warn(option, f"chardev {chardev!r} is not defined")
            _add_vhost(builder, device.index, wanted, kind, what)
        elif driver in CONSUMER_DEVICES:
            kind = CONSUMER_DEVICES[driver]
            consumer_id = builder.new_id(wanted, kind.replace("-", ""))
            if driver.startswith("ivshmem") and "memdev" in props:
                obj = parsed.objects.get(str(props["memdev"]))
                if obj is not None:
                    obj.used_by = option
            builder.consumers.append(
                (device.index, {"id": consumer_id, "kind": kind, "note": f"-device {driver}"})
            )
            if CONSUMER_KINDS[kind].driver is not None:
                continue  # the device itself: its counts are QEMU's, nothing assumed
            builder.assumed.append(
                Assumption(
                    f"{consumer_id}.kvm_slots",
                    "the kind's default",
                    f"{driver} counted as one {kind}"
                    + (": a VFIO device takes one per mmap'd BAR" if kind == "vfio-bar" else ""),
                )
            )
        elif driver.startswith("vhost-user-") or driver.startswith("vhost-"):
            builder.warn(option, "vhost back-end kind not modelled (ignored)")
        elif driver in HARMLESS_DEVICES or driver in NET_FRONTENDS:
            continue
        else:
            builder.warn(option, "not modelled (assumed to add no memslot)")


def _is_vdpa_drive(parsed: ParsedCommandLine, props: Mapping[str, object]) -> bool:
    drive = parsed.blockdevs.get(str(props.get("drive", "")))
    return drive is not None and drive.props.get("driver") == VDPA_BLOCK_DRIVER


def _leftover_objects(builder: _Builder) -> None:
    for object_id, obj in builder.parsed.objects.items():
        qom = str(obj.props.get("qom-type", ""))
        if qom in BACKEND_KINDS:
            if obj.used_by is None:
                builder.warn(f"-object {object_id}", "memory backend used by no device (ignored)")
        elif qom not in HARMLESS_OBJECTS:
            builder.warn(f"-object {qom}", "not modelled (ignored)")


MACHINE_WIDE = {
    "machine": "-machine",
    "memory": "-m",
    "cpu": "-cpu",
    "accels": "-accel",
    "numa": "-numa",
    "globals": "-global",
}
"""ParsedCommandLine fields that set the machine, not a device (and their options)."""


def extra_devices(
    args: list[str] | tuple[str, ...], source: str, taken: set[str]
) -> tuple[list[tuple[str, dict[str, object]]], list[str], list[Assumption]]:
    """The devices an argv adds on top of a VM defined elsewhere (libvirt's
    <qemu:commandline>, which libvirt appends to its command line): (group, fields) in argv
    order, warnings and assumptions. Machine-wide options are not applied, and say so."""
    parsed = parse_args(tuple(args), source)
    builder = _Builder(parsed, None)
    builder.ids |= taken
    for name, option in MACHINE_WIDE.items():
        if getattr(parsed, name):
            builder.warn(option, "machine-wide option in a pass-through: not applied")
    _devices(builder)
    _leftover_objects(builder)
    if builder.renamed_backends:
        builder.warn(
            "memory backend ids", "renamed mem-<id>: " + ", ".join(builder.renamed_backends)
        )
    ordered = sorted(
        [
            *((i, "memory_devices", d) for i, d in builder.memory_devices),
            *((i, "vhost_devices", d) for i, d in builder.vhost_devices),
            *((i, "consumers", d) for i, d in builder.consumers),
        ],
        key=lambda item: item[0],
    )
    return [(group, fields) for _, group, fields in ordered], parsed.warnings, builder.assumed


def build_config(parsed: ParsedCommandLine, qemu_version: str | None = None) -> ImportResult:
    """The configuration a parsed command line describes (cold plugs in argv order)."""
    builder = _Builder(parsed, qemu_version)
    machine = _machine(builder)
    _devices(builder)
    _leftover_objects(builder)
    if parsed.vga is not None and parsed.vga not in ("none",):
        consumer_id = builder.new_id(None, "vga")
        builder.consumers.append(
            (-1, {"id": consumer_id, "kind": "vga-vram", "note": f"-vga {parsed.vga}"})
        )
    flashes = max(parsed.pflash, len({"pflash0", "pflash1"} & set(parsed.machine)))
    if flashes > 1:
        builder.consumers.append((-1, firmware_flash_consumer(builder.new_id("pflash1", "rom"))))
    if builder.renamed_backends:
        builder.warn(
            "memory backend ids",
            "the model names a device's backend mem-<id> (as QEMU messages will then say): "
            + ", ".join(builder.renamed_backends),
        )
    if not parsed.nodefaults:
        builder.warn(
            "-nodefaults",
            "absent: QEMU adds default devices (a VGA, a NIC) that are not modelled; boot "
            "slots are the measured -nodefaults ones",
        )
    ordered = sorted(
        [
            *((i, "memory_devices", d) for i, d in builder.memory_devices),
            *((i, "vhost_devices", d) for i, d in builder.vhost_devices),
            *((i, "consumers", d) for i, d in builder.consumers),
        ],
        key=lambda item: item[0],
    )
    data: dict[str, object] = {
        "title": f"{parsed.name} (imported)" if parsed.name else "imported QEMU command line",
        "description": f"Imported from {parsed.source}.",
        "machine": machine,
        "memory_devices": [d for _, group, d in ordered if group == "memory_devices"],
        "vhost_devices": [d for _, group, d in ordered if group == "vhost_devices"],
        "consumers": [d for _, group, d in ordered if group == "consumers"],
        "timeline": [{"action": "cold", "device": d["id"]} for _, _, d in ordered],
    }
    config = from_dict(data, parsed.source)
    return ImportResult(config, "qemu", tuple(parsed.warnings), tuple(builder.assumed))


def import_argv(
    args: list[str] | tuple[str, ...],
    source: str = "<argv>",
    qemu_version: str | None = None,
    binary: str | None = None,
) -> ImportResult:
    """Import an argv (without the binary, whose name may choose the accelerator)."""
    parsed = parse_args(tuple(args), source)
    parsed.binary = binary
    return build_config(parsed, qemu_version)


def import_command_line(text: str, source: str = "<text>") -> ImportResult:
    """Import a QEMU command line held as text (shell, one per line, /proc cmdline, libvirt log)."""
    try:
        command: CommandLine = split_command_line(text)
    except ArgvError as exc:
        raise ConfigError(source, exc.where, exc.reason) from None
    if not command.args:
        raise ConfigError(source, "", "no QEMU options found")
    return import_argv(command.args, source, command.qemu_version, command.binary)
