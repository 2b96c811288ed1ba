"""Configurations the exporter tests share: together they cover every device kind, every vhost
back-end, consumers, every timeline action, both machines and both accelerators."""

from __future__ import annotations

from typing import Any

from tui.engine.model import Config, Event
from tui.engine.units import GiB, KiB, MiB


def _timeline(*entries: tuple[Any, ...]) -> list[Event]:
    events = []
    for entry in entries:
        if entry[0] == "resize":
            events.append(Event(action="resize", device=entry[1], requested_size=entry[2]))
        else:
            events.append(Event(action=entry[0], device=entry[1]))
    return events


def dimm_ladder() -> Config:
    """S2-like: shared memfd boot RAM, DIMMs on memfd, a DPDK vhost-user NIC (8 regions)."""
    return Config(
        title="DIMM ladder with DPDK",
        machine={
            "type": "q35",
            "ram": 2 * GiB,
            "maxmem": 16 * GiB,
            "slots": 16,
            "memory_backend": "memfd",
        },
        memory_devices=[
            {
                "kind": "pc-dimm",
                "id": "dimm0",
                "size": 256 * MiB,
                "backend": "memfd",
                "share": True,
                "slot": 0,
            },
            {
                "kind": "pc-dimm",
                "id": "dimm1",
                "size": 256 * MiB,
                "backend": "memfd",
                "share": True,
                "slot": 3,
                "addr": 0x180000000,
            },
            {
                "kind": "pc-dimm",
                "id": "dimm2",
                "size": 512 * MiB,
                "backend": "memfd",
                "share": True,
            },
        ],
        vhost_devices=[
            {
                "kind": "vhost-user",
                "id": "dpdk0",
                "device": "net",
                "backend_name": "DPDK testpmd",
                "configure_mem_slots": False,
            }
        ],
        timeline=_timeline(
            ("cold", "dpdk0"),
            ("cold", "dimm0"),
            ("cold", "dimm1"),
            ("hotplug", "dimm2"),
            ("unplug", "dimm1"),
        ),
    )


def virtio_mem_vhost() -> Config:
    """virtio-mem with dynamic memslots next to virtiofsd (509), vhost-net and a hotplugged
    vhost-user-blk (qemu-storage-daemon), with resizes."""
    return Config(
        title="virtio-mem, virtiofs, vhost-net",
        description="S12-like: dynamic memslots with a 509-slot virtiofsd.",
        machine={
            "type": "q35",
            "ram": 4 * GiB,
            "maxmem": 108 * GiB,
            "memory_backend": "memfd",
            "phys_bits": 48,
        },
        memory_devices=[
            {
                "kind": "virtio-mem",
                "id": "vmem0",
                "size": 64 * GiB,
                "backend": "memfd",
                "share": True,
                "dynamic_memslots": True,
                "requested_size": 3 * GiB,
            },
            {
                "kind": "virtio-mem",
                "id": "vmem1",
                "size": 4 * GiB,
                "backend": "memfd",
                "share": True,
                "block_size": 8 * MiB,
                "memaddr": 0x1800000000,
            },
        ],
        vhost_devices=[
            {
                "kind": "vhost-user",
                "id": "fs0",
                "device": "fs",
                "backend_name": "virtiofsd",
                "max_mem_slots": 509,
            },
            {"kind": "vhost-kernel", "id": "net0", "device": "net", "max_mem_regions": 509},
            {
                "kind": "vhost-user",
                "id": "blk0",
                "device": "blk",
                "backend_name": "qemu-storage-daemon",
            },
        ],
        timeline=_timeline(
            ("cold", "net0"),
            ("cold", "fs0"),
            ("cold", "vmem0"),
            ("resize", "vmem0", 8 * GiB),
            ("hotplug", "vmem1"),
            ("hotplug", "blk0"),
            ("resize", "vmem1", 1 * GiB),
            ("unplug", "blk0"),
        ),
    )


def persistent_memory() -> Config:
    """pc under TCG: nvdimms (label, read-only) and virtio-pmem on files, vhost-scsi."""
    return Config(
        title="nvdimm and virtio-pmem",
        machine={
            "type": "pc",
            "accel": "tcg",
            "ram": 1 * GiB,
            "maxmem": 8 * GiB,
            "slots": 4,
            "nvdimm": True,
        },
        memory_devices=[
            {
                "kind": "nvdimm",
                "id": "nv0",
                "size": 512 * MiB,
                "backend": "file",
                "share": True,
                "label_size": 128 * KiB,
                "slot": 1,
            },
            {
                "kind": "nvdimm",
                "id": "nv1",
                "size": 256 * MiB,
                "backend": "file",
                "readonly": True,
                "unarmed": True,
            },
            {
                "kind": "virtio-pmem",
                "id": "pmem0",
                "size": 1 * GiB,
                "backend": "file",
                "share": True,
                "memaddr": 0x140000000,
            },
            {"kind": "virtio-pmem", "id": "pmem1", "size": 512 * MiB, "backend": "file"},
        ],
        vhost_devices=[{"kind": "vhost-kernel", "id": "scsi0", "device": "scsi"}],
        timeline=_timeline(
            ("cold", "scsi0"),
            ("cold", "nv0"),
            ("cold", "nv1"),
            ("cold", "pmem0"),
            ("hotplug", "pmem1"),
        ),
    )


def hugepages_vdpa() -> Config:
    """Hugepage backends, vDPA, vsock, hv-balloon and memslot consumers (comment-only kinds)."""
    return Config(
        title="hugepages, vDPA and hv-balloon",
        machine={
            "type": "q35",
            "ram": 8 * GiB,
            "maxmem": 1032 * GiB,
            "slots": 2,
            "phys_bits": 48,
            "cpu_vendor": "intel",
            "kvm_memslots": 509,
        },
        memory_devices=[
            {
                "kind": "virtio-mem",
                "id": "vmem-huge",
                "size": 256 * GiB,
                "backend": "memfd",
                "page_size": 1 * GiB,
                "dynamic_memslots": True,
                "requested_size": 0,
            },
            {
                "kind": "pc-dimm",
                "id": "dimm-2m",
                "size": 2 * GiB,
                "backend": "file",
                "page_size": 2 * MiB,
                "prealloc": True,
            },
            {"kind": "hv-balloon", "id": "hvb0", "size": 32 * GiB},
        ],
        vhost_devices=[
            {"kind": "vhost-vdpa", "id": "vdpa-net", "device": "net"},
            {"kind": "vhost-vdpa", "id": "vdpa-blk", "device": "blk"},
            {"kind": "vhost-kernel", "id": "vsock0", "device": "vsock"},
        ],
        consumers=[
            {"kind": "rom", "id": "pflash"},
            {"kind": "vfio-bar", "id": "gpu-bar", "kvm_slots": 2, "note": "GPU passthrough"},
        ],
        timeline=_timeline(
            ("cold", "pflash"),
            ("cold", "vdpa-net"),
            ("cold", "vsock0"),
            ("cold", "vmem-huge"),
            ("cold", "dimm-2m"),
            ("cold", "hvb0"),
            ("hotplug", "vdpa-blk"),
            ("hotplug", "gpu-bar"),
        ),
    )


def odd_corners() -> Config:
    """No maxmem, private boot RAM with vhost-user, kinds libvirt lacks (vhost-user SCSI and
    vsock), a size that is not whole KiB, a device outside the timeline, an awkward title."""
    return Config(
        title="odd  corners / <&> --",
        machine={"type": "q35", "ram": 3 * GiB + 4 * KiB, "slots": 2},
        memory_devices=[
            {"kind": "pc-dimm", "id": "dimm.odd", "size": 1 * GiB + 512},
            {
                "kind": "virtio-mem",
                "id": "vmem-ram",
                "size": 2 * GiB,
                "prealloc": False,
                "unplugged_inaccessible": False,
            },
        ],
        vhost_devices=[
            {"kind": "vhost-user", "id": "uscsi", "device": "scsi"},
            {"kind": "vhost-user", "id": "uvsock", "device": "vsock", "max_mem_slots": 32},
        ],
        consumers=[{"kind": "vga-vram", "id": "vga"}],
        timeline=_timeline(
            ("cold", "vga"), ("cold", "uscsi"), ("cold", "dimm.odd"), ("hotplug", "uvsock")
        ),
    )


def empty() -> Config:
    """The default configuration: nothing plugged."""
    return Config()


CASES = {
    "dimm_ladder": dimm_ladder,
    "virtio_mem_vhost": virtio_mem_vhost,
    "persistent_memory": persistent_memory,
    "hugepages_vdpa": hugepages_vdpa,
    "odd_corners": odd_corners,
    "empty": empty,
}
