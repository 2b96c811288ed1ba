"""QEMU command line and QMP commands for a configuration (pure: no I/O, no QEMU needed).

The cold-plugged part of the timeline becomes the command line, in timeline order (QEMU realizes
`-device` in command-line order; `-netdev` back-ends are created before every `-device` anyway).
Every hotplug, unplug and resize becomes the QMP commands a user (or `verify`) sends for it.

Naming, so that the exported lines read like the configuration:
- memory device `X`: backend `-object memory-backend-*,id=mem-X`, device `id=X`;
- boot RAM with `memory_backend = "memfd"`: `-object memory-backend-memfd,id=ram-boot,share=on`
  plus `-machine memory-backend=ram-boot`;
- vhost device `X`: chardev `chr-X` (vhost-user), netdev `X` (net back-ends), device `id=X`;
- q35: every PCI device sits on its own `pcie-root-port` `rp-X`, so hotplug and unplug work
  (pcie.0 refuses hotplug); `-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off` makes
  those ports use native PCIe hotplug, which completes without a guest.
Consumers (ROMs, BARs, ...) have no command-line form of their own and are left out.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, assert_never

from tui.engine.devices import BACKEND_TYPES
from tui.engine.host import CPU_VENDOR_IDS
from tui.engine.kinds import CONSUMER_KINDS, MEMORY_KINDS, VHOST_KINDS
from tui.engine.model import (
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
from tui.engine.units import format_size, parse_size

if TYPE_CHECKING:
    from tui.engine.model import Config, Event

QEMU_BINARY = "qemu-system-x86_64"
DEFAULT_SOCKET_DIR = "/run/vhost-user"
"""Where vhost-user sockets are assumed to be when the caller does not say."""
DEFAULT_FILE_DIR = "/dev/shm"
"""mem-path for `memory-backend-file` with 4 KiB pages (QEMU creates an unlinked file there)."""
HUGEPAGE_DIR = "/dev/hugepages"
"""hugetlbfs of the default (2 MiB) pages; 1 GiB pages are assumed mounted at /dev/hugepages1G."""
BOOT_BACKEND_ID = "ram-boot"
HYPERV_CPU_FLAGS = "hv-vpindex=on,hv-runtime=on,hv-synic=on"
"""VMBus (needed by hv-balloon) requires a usable Hyper-V SynIC and VP_INDEX."""
DEFAULT_PHYS_BITS = 40
BIG_BOOT_RAM = 8 << 30
"""From this boot RAM size on, headless runs give the private boot RAM `reserve=off`."""

VDPA_BLOCK_DRIVER = "virtio-blk-vhost-vdpa"
"""The -blockdev driver behind a vhost-vdpa block device (its -device is a plain virtio-blk)."""

_PCI_KINDS = {name for name, kind in MEMORY_KINDS.items() if kind.pci}
_MEMORY_DRIVERS = {name: kind.driver for name, kind in MEMORY_KINDS.items()}
_VHOST_USER_DRIVERS = {
    device: frontend.driver
    for device, frontend in VHOST_KINDS["vhost-user"].frontends.items()
    if frontend.netdev is None
}
_VHOST_KERNEL_DRIVERS = {
    device: frontend.driver
    for device, frontend in VHOST_KINDS["vhost-kernel"].frontends.items()
    if frontend.netdev is None
}


# --------------------------------------------------------------------------- helpers


def backend_id(device_id: str) -> str:
    """`-object memory-backend-*` id of a memory device's memdev."""
    return f"mem-{device_id}"


def chardev_id(device_id: str) -> str:
    """Chardev id of a vhost-user device's socket."""
    return f"chr-{device_id}"


VIRTIOFS_TAG_MAX = 36
"""Bytes in virtio-fs's tag (struct virtio_fs_config): vhost-user-fs refuses a longer tag with
"tag property must be 36 bytes or less"."""


def virtiofs_tag(device_id: str) -> str:
    """The mount tag of a vhost-user-fs device: its id, or when the id is longer than a tag
    may be, the id's start and a hash of the whole id (still one tag per id)."""
    raw = device_id.encode()
    if len(raw) <= VIRTIOFS_TAG_MAX:
        return device_id
    digest = hashlib.sha256(raw).hexdigest()[:6]
    head = raw[: VIRTIOFS_TAG_MAX - len(digest) - 1].decode(errors="ignore")
    return f"{head}-{digest}"


def root_port_id(device_id: str) -> str:
    """The q35 pcie-root-port a PCI device sits on."""
    return f"rp-{device_id}"


def socket_path(device_id: str, socket_dir: str | None = None) -> str:
    """The vhost-user socket of a device: `<socket_dir>/<id>.sock`."""
    return f"{(socket_dir or DEFAULT_SOCKET_DIR).rstrip('/')}/{device_id}.sock"


def file_path(device: Any, file_dir: str | None = None) -> str:
    """mem-path of a `memory-backend-file`: a directory (QEMU makes a temp file) or, for a
    read-only backend, a file named after the device that must already exist."""
    huge = HUGEPAGE_DIR if device.page_size <= 2 << 20 else f"{HUGEPAGE_DIR}1G"
    base = file_dir or (huge if device.page_size > 4096 else DEFAULT_FILE_DIR)
    base = base.rstrip("/")
    return f"{base}/{device.id}.img" if device.readonly else base


def _size(value: int) -> str:
    """A size QEMU's option parser reads back exactly (it takes K/M/G/T suffixes, 1024-based)."""
    return format_size(value)


def _ram_size(value: int) -> str:
    """`-m size=`: QEMU reads a number without a suffix as MiB, so plain bytes get a `B`."""
    text = format_size(value)
    return f"{text}B" if text[-1:].isdigit() else text


def _opts(head: str, pairs: Iterable[tuple[str, object]]) -> str:
    """`head,key=value,...` with QEMU's comma escaping (`,,`) in values."""
    parts = [head]
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            text = "on" if value else "off"
        else:
            text = str(value).replace(",", ",,")
        parts.append(f"{key}={text}")
    return ",".join(parts)


def _consumer_driver(device: Any) -> str | None:
    """The -device driver of a consumer that is a real QEMU device (virtio-balloon), else None."""
    kind = CONSUMER_KINDS.get(device.kind)
    return kind.driver if kind is not None and isinstance(device, Consumer) else None


def _is_pci(device: Any) -> bool:
    return device.kind in _PCI_KINDS or device.kind in VHOST_KINDS or bool(_consumer_driver(device))


def _needs_root_port(config: Config, device: Any) -> bool:
    return config.machine.type == "q35" and _is_pci(device)


def _cold_ids(config: Config) -> list[str]:
    return [e.device for e in config.timeline if e.action == "cold"]


def _hot_plugged_ids(config: Config) -> list[str]:
    seen: list[str] = []
    for event in config.timeline:
        if event.action == "hotplug" and event.device not in seen:
            seen.append(event.device)
    return seen


# --------------------------------------------------------------------------- memory devices


def _backend_props(
    config: Config, device: Any, *, headless: bool, file_dir: str | None
) -> list[tuple[str, object]]:
    """Properties of a memory device's memory backend, in QEMU's -object order."""
    props: list[tuple[str, object]] = [("id", backend_id(device.id)), ("size", _size(device.size))]
    if device.backend == "file":
        props.append(("mem-path", file_path(device, file_dir)))
    if device.backend == "memfd" and device.page_size > 4096:
        props += [("hugetlb", True), ("hugetlbsize", _size(device.page_size))]
    if device.share or device.backend == "memfd":
        props.append(("share", device.share))
    if device.readonly:
        props.append(("readonly", True))
    if device.prealloc:
        props.append(("prealloc", True))
    # Sparse-by-design or large private backends: no swap reservation, as libvirt does for
    # virtio-mem. Without it a backend larger than host RAM + swap fails to map (addendum).
    if (
        not device.share
        and not device.prealloc
        and device.backend != "file"
        and (device.kind in ("virtio-mem", "hv-balloon") or headless)
    ):
        props.append(("reserve", False))
    return props


def _memory_device_props(config: Config, device: Any) -> list[tuple[str, object]]:
    """-device / device_add properties of a memory device (without the driver)."""
    props: list[tuple[str, object]] = [("id", device.id)]
    if device.size is not None:  # an hv-balloon without memdev has none
        props.append(("memdev", device.memdev_id))  # its own, or the one it shares
    props += _kind_props(device)
    if _needs_root_port(config, device):
        props.append(("bus", root_port_id(device.id)))
    return props


def _kind_props(device: MemoryDeviceModel) -> list[tuple[str, object]]:
    """The properties only this kind of memory device has, in QEMU's order."""
    name = MEMORY_KINDS[device.kind].address_property
    address = getattr(device, name)
    where: tuple[str, object] = (name, None if address is None else hex(address))
    props: list[tuple[str, object]]
    match device:
        case PcDimm():
            return [("slot", device.slot), where]
        case Nvdimm():
            label = device.label_size
            props = [("slot", device.slot), where]
            props.append(("label-size", None if label is None else _size(label)))
            if device.unarmed:
                props.append(("unarmed", True))
            return props
        case VirtioPmem() | HvBalloon():
            return [where]
        case VirtioMem():
            props = [("requested-size", _size(device.requested_size))]
            if device.block_size is not None:
                props.append(("block-size", _size(device.block_size)))
            if device.dynamic_memslots:
                props.append(("dynamic-memslots", True))
            if not device.unplugged_inaccessible:
                props.append(("unplugged-inaccessible", False))
            return [*props, where]
        case _:
            assert_never(device)


# --------------------------------------------------------------------------- vhost devices


def _vhost_cli(config: Config, device: VhostDeviceModel, socket_dir: str | None) -> list[str]:
    """Command-line options of one vhost device (back-end and front-end)."""
    bus: list[tuple[str, object]] = (
        [("bus", root_port_id(device.id))] if _needs_root_port(config, device) else []
    )
    match device:
        case VhostUser():
            return _vhost_user_cli(device, bus, socket_dir)
        case VhostKernel():
            return _vhost_kernel_cli(device, bus)
        case VhostVdpa():
            return _vhost_vdpa_cli(device, bus)
        case _:
            assert_never(device)


def _vhost_user_cli(
    device: VhostUser, bus: list[tuple[str, object]], socket_dir: str | None
) -> list[str]:
    what = device.device
    chardev = _opts(
        "socket", [("id", chardev_id(device.id)), ("path", socket_path(device.id, socket_dir))]
    )
    if what == "net":
        return [
            "-chardev",
            chardev,
            "-netdev",
            _opts("vhost-user", [("id", device.id), ("chardev", chardev_id(device.id))]),
            "-device",
            _opts("virtio-net-pci", [("id", device.id), ("netdev", device.id), *bus]),
        ]
    extra: list[tuple[str, object]] = [("tag", virtiofs_tag(device.id))] if what == "fs" else []
    return [
        "-chardev",
        chardev,
        "-device",
        _opts(
            _VHOST_USER_DRIVERS[what],
            [("id", device.id), ("chardev", chardev_id(device.id)), *extra, *bus],
        ),
    ]


def _vhost_kernel_cli(device: VhostKernel, bus: list[tuple[str, object]]) -> list[str]:
    what = device.device
    extra: list[tuple[str, object]]
    if what == "net":
        return [
            "-netdev",
            _opts(
                "tap",
                [("id", device.id), ("vhost", True), ("script", "no"), ("downscript", "no")],
            ),
            "-device",
            _opts("virtio-net-pci", [("id", device.id), ("netdev", device.id), *bus]),
        ]
    extra = [("guest-cid", 3)] if what == "vsock" else [("wwpn", "naa.5001405000000001")]
    return ["-device", _opts(_VHOST_KERNEL_DRIVERS[what], [("id", device.id), *extra, *bus])]


def _vhost_vdpa_cli(device: VhostVdpa, bus: list[tuple[str, object]]) -> list[str]:
    what = device.device
    vhostdev = "/dev/vhost-vdpa-0"
    if what == "net":
        return [
            "-netdev",
            _opts("vhost-vdpa", [("id", device.id), ("vhostdev", vhostdev)]),
            "-device",
            _opts("virtio-net-pci", [("id", device.id), ("netdev", device.id), *bus]),
        ]
    return [
        "-blockdev",
        _opts(
            f"driver={VDPA_BLOCK_DRIVER}",
            [("node-name", device.id), ("path", vhostdev), ("cache.direct", True)],
        ),
        "-device",
        _opts("virtio-blk-pci", [("id", device.id), ("drive", device.id), *bus]),
    ]


# --------------------------------------------------------------------------- command line


def _root_ports(config: Config) -> list[str]:
    """One pcie-root-port per PCI device that is ever plugged (cold or hot), chassis 1, 2, ..."""
    if config.machine.type != "q35":
        return []
    argv: list[str] = []
    chassis = 0
    for device_id in [*_cold_ids(config), *_hot_plugged_ids(config)]:
        device = config.device(device_id)
        if not _is_pci(device):
            continue
        chassis += 1
        argv += [
            "-device",
            _opts("pcie-root-port", [("id", root_port_id(device_id)), ("chassis", chassis)]),
        ]
    return argv


def _balloon_ids(config: Config) -> list[str]:
    """hv-balloon devices the timeline plugs (cold or hot): they need a VMBus and Hyper-V."""
    plugged = {*_cold_ids(config), *_hot_plugged_ids(config)}
    return [d.id for d in config.memory_devices if d.kind == "hv-balloon" and d.id in plugged]


def _cpu_option(config: Config) -> list[str]:
    machine = config.machine
    flags: list[str] = []
    if machine.phys_bits != DEFAULT_PHYS_BITS:
        flags.append(f"phys-bits={machine.phys_bits}")
    # Always pinned: under KVM qemu64 takes the host's vendor, under TCG AMD's, and the vendor
    # decides whether RAM moves above the 1 TiB hole. Pinned, the line means the same anywhere.
    flags.append(f"vendor={CPU_VENDOR_IDS[machine.cpu_vendor]}")
    if _balloon_ids(config):
        flags.append(HYPERV_CPU_FLAGS)
    return ["-cpu", ",".join(["qemu64", *flags])]


def command_line(
    config: Config,
    *,
    accel: str | None = None,
    qmp_socket: str | None = None,
    headless: bool = False,
    socket_dir: str | None = None,
    file_dir: str | None = None,
    binary: str = QEMU_BINARY,
) -> list[str]:
    """argv that starts QEMU with the cold-plugged part of the timeline.

    `accel` overrides `machine.accel`; `headless` adds what `verify` needs to run QEMU without a
    guest (`-S -nodefaults -display none -no-user-config`, and `-qmp unix:<qmp_socket>`).
    """
    machine = config.machine
    argv: list[str] = [binary]
    if headless:
        argv += ["-S", "-nodefaults", "-display", "none", "-no-user-config"]
    machine_opts: list[tuple[str, object]] = []
    if machine.nvdimm:
        machine_opts.append(("nvdimm", True))
    # Headless runs of a large private boot RAM use QEMU's default backend type explicitly, with
    # reserve=off, so the host's overcommit heuristic cannot refuse memory no guest will touch.
    big_private = headless and machine.memory_backend == "ram" and machine.ram >= BIG_BOOT_RAM
    if machine.memory_backend == "memfd" or big_private:
        machine_opts.append(("memory-backend", BOOT_BACKEND_ID))
    argv += ["-machine", _opts(machine.type, machine_opts)]
    argv += ["-accel", accel or machine.accel]
    argv += _cpu_option(config)
    memory: list[tuple[str, object]] = []
    if machine.slots:
        memory.append(("slots", machine.slots))
    if machine.maxmem is not None:
        memory.append(("maxmem", _size(machine.maxmem)))
    argv += ["-m", _opts(f"size={_ram_size(machine.ram)}", memory)]
    if machine.memory_backend == "memfd":
        argv += [
            "-object",
            _opts(
                "memory-backend-memfd",
                [("id", BOOT_BACKEND_ID), ("size", _size(machine.ram)), ("share", True)],
            ),
        ]
    elif big_private:
        argv += [
            "-object",
            _opts(
                "memory-backend-ram",
                [("id", BOOT_BACKEND_ID), ("size", _size(machine.ram)), ("reserve", False)],
            ),
        ]
    if machine.type == "q35":
        argv += ["-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"]
    argv += _root_ports(config)

    cold_ids = _cold_ids(config)
    # A balloon that is only hot-plugged still needs the bus, so that QEMU's own refusal
    # ("Bus 'vmbus' does not support hotplugging") is what the user sees.
    vmbus = bool(_balloon_ids(config)) and not any(
        config.device(i).kind == "hv-balloon" for i in cold_ids
    )
    if vmbus:
        argv += ["-device", "vmbus-bridge"]
    for device_id in cold_ids:
        device = config.device(device_id)
        kind = device.kind
        if isinstance(device, MemoryDeviceModel):
            if device.owns_backend:
                argv += [
                    "-object",
                    _opts(
                        BACKEND_TYPES[device.backend],
                        _backend_props(config, device, headless=headless, file_dir=file_dir),
                    ),
                ]
            if kind == "hv-balloon" and not vmbus:
                argv += ["-device", "vmbus-bridge"]
                vmbus = True
            argv += ["-device", _opts(_MEMORY_DRIVERS[kind], _memory_device_props(config, device))]
        elif isinstance(device, VhostDeviceModel):
            argv += _vhost_cli(config, device, socket_dir)
        elif _consumer_driver(device):
            bus = [("bus", root_port_id(device.id))] if _needs_root_port(config, device) else []
            argv += ["-device", _opts(str(_consumer_driver(device)), [("id", device.id), *bus])]
        # other consumers: no command-line form
    if qmp_socket is not None:
        argv += [
            "-qmp",
            _opts(f"unix:{qmp_socket.replace(',', ',,')}", [("server", True), ("wait", False)]),
        ]
    return argv


def shell_command(
    config: Config,
    *,
    accel: str | None = None,
    socket_dir: str | None = None,
    file_dir: str | None = None,
) -> str:
    """The command line as a shell snippet to paste: one option (with its value) per line."""
    argv = command_line(config, accel=accel, socket_dir=socket_dir, file_dir=file_dir)
    lines = [shlex.quote(argv[0])]
    index = 1
    while index < len(argv):
        option = argv[index]
        if index + 1 < len(argv) and not argv[index + 1].startswith("-"):
            lines.append(f"{shlex.quote(option)} {shlex.quote(argv[index + 1])}")
            index += 2
        else:
            lines.append(shlex.quote(option))
            index += 1
    return " \\\n    ".join(lines)


# --------------------------------------------------------------------------- QMP


def _qmp(execute: str, arguments: dict[str, object] | None = None) -> dict[str, object]:
    command: dict[str, object] = {"execute": execute}
    if arguments is not None:
        command["arguments"] = arguments
    return command


_ON_OFF_AUTO = {"unplugged-inaccessible"}
"""OnOffAuto properties: QMP wants the strings "on"/"off", not JSON booleans."""
_INT_PROPS = {"slot", "chassis"}


def _json_value(key: str, value: object, device: Any) -> object:
    """A property in QMP (JSON) form: sizes and addresses as integers, booleans as booleans."""
    if isinstance(value, bool):
        return ("on" if value else "off") if key in _ON_OFF_AUTO else value
    if key in _INT_PROPS:
        return int(value)  # type: ignore[call-overload]
    if key in ("size", "requested-size", "block-size", "label-size", "hugetlbsize"):
        return parse_size(value)
    if key in ("addr", "memaddr") and isinstance(value, str) and value.startswith("0x"):
        return int(value, 16)
    return value


def _json_props(pairs: list[tuple[str, object]], device: Any) -> dict[str, object]:
    return {k: _json_value(k, v, device) for k, v in pairs if v is not None}


def _hotplug_commands(
    config: Config, device: Any, socket_dir: str | None, file_dir: str | None, headless: bool
) -> list[dict[str, object]]:
    kind = device.kind
    bus: dict[str, object] = (
        {"bus": root_port_id(device.id)} if _needs_root_port(config, device) else {}
    )
    if _consumer_driver(device):
        return [_qmp("device_add", {"driver": _consumer_driver(device), "id": device.id, **bus})]
    if kind in _MEMORY_DRIVERS:
        commands: list[dict[str, object]] = []
        if device.owns_backend:
            props = _json_props(
                _backend_props(config, device, headless=headless, file_dir=file_dir), device
            )
            commands.append(
                _qmp("object-add", {"qom-type": BACKEND_TYPES[device.backend], **props})
            )
        commands.append(
            _qmp(
                "device_add",
                {
                    "driver": _MEMORY_DRIVERS[kind],
                    **_json_props(_memory_device_props(config, device), device),
                },
            )
        )
        return commands
    vhost: VhostDeviceModel = device
    match vhost:
        case VhostUser():
            return _vhost_user_qmp(vhost, bus, socket_dir)
        case VhostKernel():
            return _vhost_kernel_qmp(vhost, bus)
        case VhostVdpa():
            return _vhost_vdpa_qmp(vhost, bus)
        case _:
            assert_never(vhost)


def _vhost_user_qmp(
    device: VhostUser, bus: dict[str, object], socket_dir: str | None
) -> list[dict[str, object]]:
    what = device.device
    chardev = _qmp(
        "chardev-add",
        {
            "id": chardev_id(device.id),
            "backend": {
                "type": "socket",
                "data": {
                    "addr": {
                        "type": "unix",
                        "data": {"path": socket_path(device.id, socket_dir)},
                    },
                    "server": False,
                },
            },
        },
    )
    if what == "net":
        return [
            chardev,
            _qmp(
                "netdev_add",
                {"type": "vhost-user", "id": device.id, "chardev": chardev_id(device.id)},
            ),
            _qmp(
                "device_add",
                {"driver": "virtio-net-pci", "id": device.id, "netdev": device.id, **bus},
            ),
        ]
    extra = {"tag": virtiofs_tag(device.id)} if what == "fs" else {}
    return [
        chardev,
        _qmp(
            "device_add",
            {
                "driver": _VHOST_USER_DRIVERS[what],
                "id": device.id,
                "chardev": chardev_id(device.id),
                **extra,
                **bus,
            },
        ),
    ]


def _vhost_kernel_qmp(device: VhostKernel, bus: dict[str, object]) -> list[dict[str, object]]:
    what = device.device
    extra: dict[str, object]
    if what == "net":
        return [
            _qmp(
                "netdev_add",
                {
                    "type": "tap",
                    "id": device.id,
                    "vhost": True,
                    "script": "no",
                    "downscript": "no",
                },
            ),
            _qmp(
                "device_add",
                {"driver": "virtio-net-pci", "id": device.id, "netdev": device.id, **bus},
            ),
        ]
    extra = {"guest-cid": 3} if what == "vsock" else {"wwpn": "naa.5001405000000001"}
    return [
        _qmp(
            "device_add",
            {"driver": _VHOST_KERNEL_DRIVERS[what], "id": device.id, **extra, **bus},
        )
    ]


def _vhost_vdpa_qmp(device: VhostVdpa, bus: dict[str, object]) -> list[dict[str, object]]:
    what = device.device
    if what == "net":
        return [
            _qmp(
                "netdev_add",
                {"type": "vhost-vdpa", "id": device.id, "vhostdev": "/dev/vhost-vdpa-0"},
            ),
            _qmp(
                "device_add",
                {"driver": "virtio-net-pci", "id": device.id, "netdev": device.id, **bus},
            ),
        ]
    return [
        _qmp(
            "blockdev-add",
            {
                "driver": VDPA_BLOCK_DRIVER,
                "node-name": device.id,
                "path": "/dev/vhost-vdpa-0",
                "cache": {"direct": True},
            },
        ),
        _qmp(
            "device_add", {"driver": "virtio-blk-pci", "id": device.id, "drive": device.id, **bus}
        ),
    ]


def _unplug_commands(device: Any) -> list[dict[str, object]]:
    kind = device.kind
    commands = [_qmp("device_del", {"id": device.id})]
    if kind in _MEMORY_DRIVERS:
        if device.owns_backend:
            commands.append(_qmp("object-del", {"id": backend_id(device.id)}))
        return commands
    if getattr(device, "device", None) == "net":
        commands.append(_qmp("netdev_del", {"id": device.id}))
    if kind == "vhost-user":
        commands.append(_qmp("chardev-remove", {"id": chardev_id(device.id)}))
    if kind == "vhost-vdpa" and device.device == "blk":
        commands.append(_qmp("blockdev-del", {"node-name": device.id}))
    return commands


def event_commands(
    config: Config,
    event: Event,
    *,
    socket_dir: str | None = None,
    file_dir: str | None = None,
    headless: bool = False,
) -> list[dict[str, object]]:
    """QMP commands for one hot event (empty for `cold` events and for consumers).

    `headless` as in `command_line`: private memory backends get `reserve=off`.
    """
    device = config.device(event.device)
    known = device.kind in _MEMORY_DRIVERS or device.kind in VHOST_KINDS
    if not known and not _consumer_driver(device):
        return []
    if event.action == "hotplug":
        return _hotplug_commands(config, device, socket_dir, file_dir, headless)
    if event.action == "unplug":
        return _unplug_commands(device)
    if event.action == "resize":
        return [
            _qmp(
                "qom-set",
                {
                    "path": f"/machine/peripheral/{device.id}",
                    "property": "requested-size",
                    "value": event.requested_size,
                },
            )
        ]
    return []


def qmp_commands(
    config: Config,
    *,
    socket_dir: str | None = None,
    file_dir: str | None = None,
    headless: bool = False,
) -> list[list[dict[str, object]]]:
    """Per hot event of the timeline (hotplug, unplug, resize), in order, its QMP commands.

    Unplug: `device_del` completes asynchronously (wait for the DEVICE_DELETED event) before
    `object-del`, `netdev_del` or `chardev-remove` can succeed.
    """
    return [
        event_commands(config, event, socket_dir=socket_dir, file_dir=file_dir, headless=headless)
        for event in config.timeline
        if event.action != "cold"
    ]
