"""A Kata Containers `configuration.toml` hypervisor snippet for a configuration (pure).

Kata sizes the VM from a handful of `[hypervisor.qemu]` keys (MiB, slot counts, feature
switches) and hotplugs memory itself, one device per container; the engine's verdict on the
configuration explored is written beside them as comments, so the numbers stay explained.
Keys and meanings follow Kata's `configuration-qemu.toml`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.engine.model import VhostUser
from tui.engine.units import MiB, format_size
from tui.formats.problems import one_line
from tui.formats.verdicts import summary_lines, timeline_lines

if TYPE_CHECKING:
    from tui.engine.model import Config
    from tui.engine.report import Report

KATA_DEFAULT_MEMORY_SLOTS = 10
VIRTIOFSD = "/usr/libexec/virtiofsd"


def _mib(value: int) -> tuple[int, str]:
    """Whole MiB (Kata's unit), rounded down, and a note when that is not exact."""
    note = "" if value % MiB == 0 else f" (rounded down from {value} bytes)"
    return value // MiB, note


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _comment(text: str) -> str:
    """One comment line; control characters as visible escapes (TOML comments cannot hold
    them, and the snippet is often printed on a terminal)."""
    return "# " + one_line(text)


def kata_snippet(config: Config, report: Report | None = None) -> str:
    """`[hypervisor.qemu]` memory, slot, virtio-mem and shared-fs keys, with verdict comments."""
    machine = config.machine
    plugged = {e.device for e in config.timeline if e.action in ("cold", "hotplug")}
    memory = [d for d in config.memory_devices if d.id in plugged]
    vhost = [d for d in config.vhost_devices if d.id in plugged]
    lines = [
        _comment(
            f"Kata Containers [hypervisor.qemu] memory settings from memslot-explorer "
            f"(QEMU {machine.qemu_version} modelled){': ' + config.title if config.title else ''}"
        ),
        "# Merge these keys into Kata's configuration.toml (e.g. configuration-qemu.toml).",
    ]
    if report is not None:
        lines += [_comment(text) for text in summary_lines(report)]
    lines.append("")
    lines.append("[hypervisor.qemu]")
    lines.append(f"machine_type = {_toml_string(machine.type)}")
    ram, note = _mib(machine.ram)
    lines.append(f"default_memory = {ram}  # MiB of boot RAM (-m size){note}")
    slots = machine.slots
    if slots:
        lines.append(
            f"memory_slots = {slots}  # -m slots: Kata hotplugs one pc-dimm per container "
            f"(Kata's default is {KATA_DEFAULT_MEMORY_SLOTS})"
        )
    else:
        lines.append(
            f"# memory_slots: the model has no DIMM slots, but Kata reads 0 as its default "
            f"({KATA_DEFAULT_MEMORY_SLOTS}); DIMM hotplug needs slots"
        )
    offset = sum(d.size or 0 for d in memory if d.kind in ("nvdimm", "virtio-pmem"))
    if machine.maxmem is None:
        lines.append("default_maxmemory = 0  # 0 = host RAM; the model has no maxmem")
        lines.append("# without maxmem QEMU has no device memory: no memory hotplug at all")
    else:
        maxmem, note = _mib(machine.maxmem - offset)
        lines.append(f"default_maxmemory = {maxmem}  # MiB (-m maxmem minus memory_offset){note}")
    if offset:
        value, note = _mib(offset)
        lines.append(
            f"memory_offset = {value}  # MiB of nvdimm / virtio-pmem in device memory; Kata "
            f"adds it to maxmem{note}"
        )
    virtio_mem = [d for d in memory if d.kind == "virtio-mem"]
    lines.append(f"enable_virtio_mem = {'true' if virtio_mem else 'false'}")
    for device in virtio_mem:
        dynamic = ", dynamic-memslots=on (Kata does not set it)" if device.dynamic_memslots else ""
        lines.append(_comment(f"{device.id}: virtio-mem of {format_size(device.size)}{dynamic}"))
    fs = [d for d in vhost if isinstance(d, VhostUser) and d.device == "fs"]
    if fs:
        lines.append('shared_fs = "virtio-fs"')
        lines.append(f"virtio_fs_daemon = {_toml_string(VIRTIOFSD)}  # placeholder path")
        lines.append("virtio_fs_cache_size = 0  # no DAX window: no extra memslot")
        for daemon in fs:
            limit = daemon.max_mem_slots if daemon.configure_mem_slots else 8
            lines.append(
                _comment(
                    f"{daemon.id}: {daemon.backend_name or 'virtiofsd'} memslot limit {limit} "
                    f"(a back-end fact Kata cannot set)"
                )
            )
    else:
        lines.append('shared_fs = "none"')
    huge = any(d.page_size > 4096 for d in memory)
    lines.append(f"enable_hugepages = {'true' if huge else 'false'}")
    vhost_net = any(d.kind == "vhost-kernel" and d.device == "net" for d in vhost)
    lines.append(f"disable_vhost_net = {'false' if vhost_net else 'true'}")
    if vhost_net:
        regions = {d.max_mem_regions for d in vhost if d.kind == "vhost-kernel"}
        lines.append(
            _comment(
                f"vhost-net: host max_mem_regions {', '.join(map(str, sorted(regions)))} "
                f"(options vhost max_mem_regions=N in /etc/modprobe.d)"
            )
        )
    others = [
        d.id for d in vhost if d not in fs and not (d.kind == "vhost-kernel" and d.device == "net")
    ]
    if others:
        lines.append(_comment(f"no Kata key for these vhost back-ends: {', '.join(others)}"))
    lines.append(
        _comment(f"host: KVM_CAP_NR_MEMSLOTS = {machine.kvm_memslots} (not a Kata setting)")
    )
    if config.timeline:
        lines.append("")
        lines.append("# The timeline explored (Kata plugs its own devices; compare with yours):")
        lines += [_comment(text) for text in timeline_lines(config, report)]
    return "\n".join(lines) + "\n"
