"""Per-kind behaviour of memory devices: memslots decided, alignment, QEMU's own device checks.

Each function mirrors one QEMU callback (decide_memslots, get_min_alignment, realize,
unplug_request_check) so the replay can call them in QEMU's order.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import HvBalloon, Nvdimm, PcDimm, VirtioMem, VirtioPmem
from .report import Bytes, Step, lazy, step
from .units import GiB, KiB, MiB, align_down, align_up, human_size, is_aligned, is_power_of_2
from .units import qemu_hex as hx
from .versions import Rules

MemoryDevice = PcDimm | Nvdimm | VirtioPmem | VirtioMem | HvBalloon

VIRTIO_MEM_MIN_MEMSLOT_SIZE = 1 * GiB
VIRTIO_MEM_MIN_BLOCK_SIZE = 1 * MiB
HV_BALLOON_HA_MEMSLOT_SIZE_ALIGN = 128 * MiB
HV_BALLOON_MIN_ALIGNMENT = 32 * GiB
NVDIMM_MIN_LABEL_SIZE = 128 * KiB
HOST_PAGE_SIZE = 4 * KiB


@dataclass(frozen=True)
class Decision:
    """What a device decided: its memslots and the size of each (the last may be smaller)."""

    memslots: int
    memslot_size: int | None
    steps: tuple[Step, ...]


BACKEND_TYPES: dict[str, str] = {
    "ram": "memory-backend-ram",
    "memfd": "memory-backend-memfd",
    "file": "memory-backend-file",
}
"""QOM type of each memory backend kind (`-object <type>,id=mem-X,...`)."""


def backend_error(device: MemoryDevice) -> str | None:
    """The memory backend's own refusal, raised while `-object` / object-add sets `size`."""
    if getattr(device, "size", None) == 0:
        return f"property 'size' of {BACKEND_TYPES[device.backend]} doesn't take value '0'"
    return None


def qemu_type(device: MemoryDevice) -> str:
    """QEMU's device type name, as `-device` takes it."""
    return {
        "pc-dimm": "pc-dimm",
        "nvdimm": "nvdimm",
        "virtio-pmem": "virtio-pmem-pci",
        "virtio-mem": "virtio-mem-pci",
        "hv-balloon": "hv-balloon",
    }[device.kind]


def decides_memslots(device: MemoryDevice, rules: Rules) -> bool:
    """Whether the device class has decide_memslots (virtio-mem and hv-balloon, QEMU 8.2+)."""
    return rules.multi_memslot and isinstance(device, VirtioMem | HvBalloon)


def region_size(device: MemoryDevice) -> int:
    """memory_region_size() of what the device maps into device memory."""
    if isinstance(device, Nvdimm):
        return align_down(device.size - (device.label_size or 0), device.backend_alignment)
    assert device.size is not None
    return device.size


def default_block_size(device: VirtioMem, thp_size: int) -> int:
    """virtio_mem_default_block_size(): THP size on normal pages, else the huge page size."""
    if device.page_size == HOST_PAGE_SIZE:
        return max(device.page_size, thp_size or 2 * MiB)
    return max(device.page_size, VIRTIO_MEM_MIN_BLOCK_SIZE)


def block_size(device: VirtioMem, thp_size: int) -> int:
    """The block size in force: the user's, or QEMU's default."""
    return device.block_size or default_block_size(device, thp_size)


def decide(device: MemoryDevice, limit: int, thp_size: int) -> Decision:
    """decide_memslots(limit) of virtio-mem (dynamic-memslots=on) and hv-balloon."""
    size = device.size or 0
    if isinstance(device, VirtioMem):
        if not device.dynamic_memslots:
            return Decision(
                1,
                None,
                (
                    step(
                        rule="decide",
                        value=1,
                        text=(
                            "dynamic-memslots=off: the whole memdev is mapped as one memslot; "
                            "the limit is ignored"
                        ),
                    ),
                ),
            )
        if limit <= 1:
            return Decision(
                1,
                None,
                (
                    lazy(
                        "decide", 1, "limit {} ≤ 1 → 1 memslot covering all {}", limit, Bytes(size)
                    ),
                ),
            )
        block = block_size(device, thp_size)
        if block < device.page_size or not is_aligned(size, block):
            return Decision(
                1,
                None,
                (
                    step(
                        rule="decide",
                        value=1,
                        text=(
                            f"block size {human_size(block)} is below the page size or does not "
                            "divide the memdev: realize will fail, so QEMU assumes 1 memslot"
                        ),
                    ),
                ),
            )
        raw = align_up(size // limit, block)
        floor = max(block, VIRTIO_MEM_MIN_MEMSLOT_SIZE)
        memslot_size = max(raw, floor)
        memslots = align_up(size, memslot_size) // memslot_size
        why = lazy(
            "decide",
            memslots,
            "memslot size = max(ALIGN_UP({} / {}, block {}) = {}, "
            "max(block, 1 GiB) = {}) = {}; memslots = ⌈{} / {}⌉ = {}",
            Bytes(size),
            limit,
            Bytes(block),
            Bytes(raw),
            Bytes(floor),
            Bytes(memslot_size),
            Bytes(size),
            Bytes(memslot_size),
            memslots,
        )
        return Decision(memslots, memslot_size if memslots != 1 else size, (why,))
    if isinstance(device, HvBalloon):
        memslot_size = align_up(size // limit, HV_BALLOON_HA_MEMSLOT_SIZE_ALIGN)
        memslots = align_up(size, memslot_size) // memslot_size if memslot_size else 1
        why = lazy(
            "decide",
            memslots,
            "memslot size = ALIGN_UP({} / {}, 128 MiB) = {}; memslots = ⌈{} / {}⌉ = {}",
            Bytes(size),
            limit,
            Bytes(memslot_size),
            Bytes(size),
            Bytes(memslot_size),
            memslots,
        )
        return Decision(memslots, memslot_size if memslots != 1 else size, (why,))
    return Decision(1, None, (lazy("decide", 1, "{} always uses exactly 1 memslot", device.kind),))


def min_alignment(device: MemoryDevice, thp_size: int) -> int:
    """get_min_alignment(): virtio-mem's block size, hv-balloon's 32 GiB, else none."""
    if isinstance(device, VirtioMem):
        return block_size(device, thp_size)
    if isinstance(device, HvBalloon):
        return HV_BALLOON_MIN_ALIGNMENT
    return 0


def address_hint(device: MemoryDevice) -> int | None:
    """The user's `addr` / `memaddr`; 0 means "let QEMU choose", as in QEMU."""
    value = (
        getattr(device, "addr", None)
        if not isinstance(device, VirtioPmem | VirtioMem)
        else device.memaddr
    )
    return value or None


def property_error(device: MemoryDevice) -> str | None:
    """Errors raised while QEMU sets the device's properties, before any hotplug handler."""
    if isinstance(device, VirtioMem) and device.block_size is not None:
        if device.block_size < VIRTIO_MEM_MIN_BLOCK_SIZE:
            return f"'block-size' property has to be at least {hx(VIRTIO_MEM_MIN_BLOCK_SIZE)}"
        if not is_power_of_2(device.block_size):
            return "'block-size' property has to be a power of two"
    if (
        isinstance(device, Nvdimm)
        and device.label_size is not None
        and device.label_size < NVDIMM_MIN_LABEL_SIZE
    ):
        return (
            f"Property 'nvdimm.label-size' ({hx(device.label_size)}) is required at least "
            f"{hx(NVDIMM_MIN_LABEL_SIZE)}"
        )
    return None


def memory_region_error(device: MemoryDevice) -> str | None:
    """get_memory_region() failures: nvdimm's label and read-only checks."""
    if not isinstance(device, Nvdimm):
        return None
    label = device.label_size or 0
    align = device.backend_alignment
    if device.size <= label or region_size(device) == 0:
        return (
            f"the size of memdev {device.memdev_id} ({hx(device.size)}) is too small to "
            f"contain nvdimm label ({hx(label)}) and aligned PMEM ({hx(align)})"
        )
    if device.readonly and not device.unarmed:
        return f"'unarmed' property must be 'on' since memdev {device.memdev_id} is read-only"
    return None


def realize_error(device: MemoryDevice, thp_size: int, discard_disabled: bool) -> str | None:
    """The device's realize(), which runs after the memory-device pre-plug checks."""
    if isinstance(device, VirtioMem):
        if device.readonly:
            return "'memdev' property specifies an unsupported memdev"
        if device.prealloc:
            return (
                "'memdev' property specifies a memdev with preallocation enabled: "
                f"{device.memdev_id}. Instead, specify 'prealloc=on' for the virtio-mem "
                "device. "
            )
        if device.dynamic_memslots and not device.unplugged_inaccessible:
            return (
                "'dynamic-memslots' property set to 'on' requires 'unplugged-inaccessible' "
                "to be 'on'"
            )
        block = block_size(device, thp_size)
        if block < device.page_size:
            return (
                f"'block-size' property has to be at least the page size ({hx(device.page_size)})"
            )
        if not is_aligned(device.requested_size, block):
            return f"'requested-size' property has to be multiples of 'block-size' ({hx(block)})"
        if not is_aligned(device.memaddr or 0, block):
            return f"'memaddr' property has to be multiples of 'block-size' ({hx(block)})"
        if not is_aligned(device.size, block):
            return f"'memdev' property memdev size has to be multiples of'block-size' ({hx(block)})"
        if discard_disabled:
            return "Discarding RAM is disabled"
    if (
        isinstance(device, HvBalloon)
        and device.size is not None
        and not is_aligned(device.size, HOST_PAGE_SIZE)
    ):
        return f"'memdev' property memdev size has to be a multiple of {hx(HOST_PAGE_SIZE)}"
    return None


def realize_warning(device: MemoryDevice, thp_size: int) -> str | None:
    """warn_report() of virtio-mem realize for a block size below the default."""
    if isinstance(device, VirtioMem) and device.block_size is not None:
        default = default_block_size(device, thp_size)
        if device.page_size <= device.block_size < default:
            return (
                "'block-size' property is smaller than the default block size "
                f"({default // MiB:x} MiB)"
            )
    return None


def unplug_error(
    device: MemoryDevice, plugged_size: int, requested_size: int, rules: Rules
) -> str | None:
    """unplug_request_check() and the buses that refuse unplug outright."""
    if isinstance(device, Nvdimm):
        return "nvdimm device hot unplug is not supported yet."
    if isinstance(device, VirtioPmem | VirtioMem) and not rules.multi_memslot:
        # ≤ 8.1 (virtio-mem unplug came with 8.2's virtio-md-pci): seen on QEMU 7.2
        return "virtio based memory devices cannot be unplugged."
    if isinstance(device, VirtioPmem):
        return "this virtio based memory devices cannot be unplugged"
    if isinstance(device, HvBalloon):
        return "Bus 'vmbus' does not support hotplugging"
    if isinstance(device, VirtioMem):
        if plugged_size:
            return rules.plugged_unplug_message
        if requested_size:
            return "virtio-mem device cannot get unplugged while 'requested-size' != '0'"
    return None


def resize_error(device: VirtioMem, requested: int, thp_size: int) -> str | None:
    """qom-set of requested-size on a realized virtio-mem device."""
    block = block_size(device, thp_size)
    if not is_aligned(requested, block):
        return f"'requested-size' has to be multiples of 'block-size' ({hx(block)})"
    if requested > device.size:
        return f"'requested-size' cannot exceed the memory backend size({hx(device.size)})"
    return None


def mapped_memslots(memslots: int, memslot_size: int | None, plugged: int, dynamic: bool) -> int:
    """Memslots a dynamic virtio-mem maps when the guest has plugged `plugged` bytes from the
    start of the device: every memslot the plugged range touches is active."""
    if not dynamic:
        return 1
    if plugged <= 0:
        return 0
    if memslots <= 1 or not memslot_size:
        return 1
    return min(memslots, align_up(plugged, memslot_size) // memslot_size)
