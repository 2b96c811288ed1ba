"""Templates for the add forms: every device kind and the real vhost back-ends engineers meet.

The defaults are what a user would most likely type; the vhost catalog names real back-ends
because their memslot limit (8, 32, 64, 509) is the whole point of adding them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Group = Literal["memory", "vhost", "consumer"]
FieldKind = Literal["text", "size", "int", "bool", "choice"]


@dataclass(frozen=True)
class FormField:
    """One input of an add/edit form."""

    name: str
    label: str
    kind: FieldKind = "text"
    choices: tuple[str, ...] = ()
    optional: bool = False
    """Empty text means "not set" (None), e.g. maxmem or a user addr."""


@dataclass(frozen=True)
class Template:
    """A kind of device as offered in an add form, with its defaults."""

    key: str
    label: str
    group: Group
    kind: str
    id_base: str
    defaults: dict[str, object] = field(default_factory=dict)
    fields: tuple[FormField, ...] = ()


_ID = FormField("id", "id")
_BACKEND = (
    FormField("size", "size", "size"),
    FormField("backend", "backend", "choice", ("ram", "memfd", "file")),
    FormField("share", "share", "bool"),
    FormField("page_size", "page size", "choice", ("4K", "2M", "1G")),
    FormField("prealloc", "prealloc", "bool"),
)

MEMORY_TEMPLATES: tuple[Template, ...] = (
    Template(
        "pc-dimm",
        "pc-dimm",
        "memory",
        "pc-dimm",
        "dimm",
        {"size": "1G", "backend": "ram", "page_size": "4K"},
        (
            _ID,
            *_BACKEND,
            FormField("slot", "slot", "int", optional=True),
            FormField("addr", "addr", "size", optional=True),
        ),
    ),
    Template(
        "nvdimm",
        "nvdimm (needs machine nvdimm=on)",
        "memory",
        "nvdimm",
        "nv",
        {"size": "1G", "backend": "file", "share": True, "page_size": "4K"},
        (
            _ID,
            *_BACKEND,
            FormField("readonly", "readonly", "bool"),
            FormField("label_size", "label size", "size", optional=True),
            FormField("unarmed", "unarmed", "bool"),
        ),
    ),
    Template(
        "virtio-pmem",
        "virtio-pmem",
        "memory",
        "virtio-pmem",
        "pmem",
        {"size": "1G", "backend": "file", "share": True, "page_size": "4K"},
        (_ID, *_BACKEND, FormField("readonly", "readonly", "bool")),
    ),
    Template(
        "virtio-mem",
        "virtio-mem (dynamic-memslots=on)",
        "memory",
        "virtio-mem",
        "vmem",
        {
            "size": "16G",
            "backend": "ram",
            "page_size": "4K",
            "requested_size": "0",
            "dynamic_memslots": True,
        },
        (
            _ID,
            *_BACKEND,
            FormField("requested_size", "requested-size", "size"),
            FormField("block_size", "block-size", "size", optional=True),
            FormField("dynamic_memslots", "dynamic-memslots", "bool"),
            FormField("unplugged_inaccessible", "unplugged-inaccessible", "bool"),
        ),
    ),
    Template(
        "hv-balloon",
        "hv-balloon",
        "memory",
        "hv-balloon",
        "hvb",
        {"size": "32G", "backend": "ram", "page_size": "4K"},
        (_ID, FormField("size", "size (empty: no memdev)", "size", optional=True), *_BACKEND[1:]),
    ),
)

_KERNEL_FIELDS = (
    _ID,
    FormField("device", "device", "choice", ("net", "scsi", "vsock")),
    FormField("max_mem_regions", "max_mem_regions", "int"),
)
_USER_FIELDS = (
    _ID,
    FormField("device", "device", "choice", ("net", "blk", "fs", "scsi", "vsock")),
    FormField("backend_name", "back-end"),
    FormField("configure_mem_slots", "CONFIGURE_MEM_SLOTS", "bool"),
    FormField("max_mem_slots", "max mem slots", "int"),
)

VHOST_TEMPLATES: tuple[Template, ...] = (
    Template(
        "vhost-net-64",
        "vhost-net, kernel default max_mem_regions=64",
        "vhost",
        "vhost-kernel",
        "net",
        {"device": "net", "max_mem_regions": 64},
        _KERNEL_FIELDS,
    ),
    Template(
        "vhost-net-509",
        "vhost-net, max_mem_regions=509 (Fedora/RHEL)",
        "vhost",
        "vhost-kernel",
        "net",
        {"device": "net", "max_mem_regions": 509},
        _KERNEL_FIELDS,
    ),
    Template(
        "vhost-user-8",
        "vhost-user without CONFIGURE_MEM_SLOTS (8, e.g. DPDK)",
        "vhost",
        "vhost-user",
        "vu",
        {"device": "net", "backend_name": "dpdk", "configure_mem_slots": False, "max_mem_slots": 8},
        _USER_FIELDS,
    ),
    Template(
        "virtiofsd-32",
        "virtiofsd before 2024 (32)",
        "vhost",
        "vhost-user",
        "fs",
        {
            "device": "fs",
            "backend_name": "virtiofsd (before 2024)",
            "configure_mem_slots": True,
            "max_mem_slots": 32,
        },
        _USER_FIELDS,
    ),
    Template(
        "virtiofsd-509",
        "virtiofsd 2024+ (509)",
        "vhost",
        "vhost-user",
        "fs",
        {
            "device": "fs",
            "backend_name": "virtiofsd",
            "configure_mem_slots": True,
            "max_mem_slots": 509,
        },
        _USER_FIELDS,
    ),
    Template(
        "qsd-509",
        "qemu-storage-daemon (509)",
        "vhost",
        "vhost-user",
        "blk",
        {
            "device": "blk",
            "backend_name": "qemu-storage-daemon",
            "configure_mem_slots": True,
            "max_mem_slots": 509,
        },
        _USER_FIELDS,
    ),
    Template(
        "vhost-vdpa",
        "vhost-vdpa (no memslot limit)",
        "vhost",
        "vhost-vdpa",
        "vdpa",
        {"device": "net"},
        (_ID, FormField("device", "device", "choice", ("net", "blk"))),
    ),
)

_CONSUMER_FIELDS = (
    _ID,
    FormField("kvm_slots", "KVM slots", "int"),
    FormField("vhost_kernel_regions", "vhost-kernel regions", "int"),
    FormField("vhost_user_regions", "vhost-user regions", "int"),
    FormField("note", "note"),
)
_CONSUMER_LABELS = {
    "rom": "option ROM / pflash",
    "pci-ram-bar": "PCI RAM BAR (e.g. ivshmem on memfd)",
    "vfio-bar": "VFIO BAR",
    "vga-vram": "VGA VRAM",
    "numa-memdev": "extra NUMA node memdev",
    "custom": "custom",
}
_CONSUMER_DEFAULTS = {  # mirrors model.CONSUMER_DEFAULTS, shown pre-filled in the form
    "rom": (1, 0, 0),
    "pci-ram-bar": (1, 1, 1),
    "vfio-bar": (1, 1, 0),
    "vga-vram": (1, 1, 0),
    "numa-memdev": (1, 1, 1),
    "custom": (1, 1, 1),
}
CONSUMER_TEMPLATES: tuple[Template, ...] = tuple(
    Template(
        kind,
        label,
        "consumer",
        kind,
        kind.split("-")[0],
        {
            "kvm_slots": _CONSUMER_DEFAULTS[kind][0],
            "vhost_kernel_regions": _CONSUMER_DEFAULTS[kind][1],
            "vhost_user_regions": _CONSUMER_DEFAULTS[kind][2],
        },
        _CONSUMER_FIELDS,
    )
    for kind, label in _CONSUMER_LABELS.items()
)

TEMPLATES: dict[Group, tuple[Template, ...]] = {
    "memory": MEMORY_TEMPLATES,
    "vhost": VHOST_TEMPLATES,
    "consumer": CONSUMER_TEMPLATES,
}


def template(key: str) -> Template:
    """The template with this key, in any group."""
    for group in TEMPLATES.values():
        for item in group:
            if item.key == key:
                return item
    raise KeyError(key)


def template_for(group: Group, device: dict[str, object]) -> Template:
    """The template to edit an existing device with (matched by kind; vhost by limit too)."""
    candidates = [t for t in TEMPLATES[group] if t.kind == device.get("kind")]
    for item in candidates:
        if all(device.get(k) == v for k, v in item.defaults.items() if k != "backend_name"):
            return item
    if not candidates:
        raise KeyError(device.get("kind"))
    return candidates[0]
