"""Per-kind behaviour of memory devices: memslots decided, alignment, QEMU's own device checks.

Each function mirrors one QEMU callback (decide_memslots, get_min_alignment, realize,
unplug_request_check) so the replay can call them in QEMU's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from .kinds import MEMORY_KINDS, memory_kind
from .model import HvBalloon, MemoryDeviceModel, Nvdimm, PcDimm, VirtioMem, VirtioPmem
from .refusals import Code, Refusal, refusal, warn_small_block_size
from .report import RawStep, lazy, step
from .units import GiB, KiB, MiB, align_down, align_up, human_size, is_aligned, is_power_of_2
from .versions import Rules

MemoryDevice = MemoryDeviceModel

VIRTIO_MEM_MIN_MEMSLOT_SIZE = 1 * GiB
VIRTIO_MEM_MIN_BLOCK_SIZE = 1 * MiB
HV_BALLOON_HA_MEMSLOT_SIZE_ALIGN = 128 * MiB
HV_BALLOON_MIN_ALIGNMENT = 32 * GiB
NVDIMM_MIN_LABEL_SIZE = 128 * KiB
HOST_PAGE_SIZE = 4 * KiB


@dataclass(slots=True)
class Decision:
    """What a device decided: its memslots and the size of each (the last may be smaller)."""

    memslots: int
    memslot_size: int | None
    steps: tuple[RawStep, ...]


BACKEND_TYPES: dict[str, str] = {
    "ram": "memory-backend-ram",
    "memfd": "memory-backend-memfd",
    "file": "memory-backend-file",
}
"""QOM type of each memory backend kind (`-object <type>,id=mem-X,...`)."""


def backend_error(device: MemoryDevice) -> Refusal | None:
    """The memory backend's own refusal, raised while `-object` / object-add sets `size`."""
    if getattr(device, "size", None) == 0:
        return refusal(
            Code.BACKEND_SIZE_ZERO,
            device=device.id,
            memdev=device.memdev_id,
            driver=BACKEND_TYPES[device.backend],
            size=0,
        )
    return None


def qemu_type(device: MemoryDevice) -> str:
    """QEMU's device type name, as `-device` takes it."""
    return memory_kind(device).driver


def region_size(device: MemoryDevice) -> int:
    """memory_region_size() of what the device maps into device memory."""
    match device:
        case Nvdimm():
            return align_down(device.size - (device.label_size or 0), device.backend_alignment)
        case PcDimm() | VirtioPmem() | VirtioMem() | HvBalloon():
            return device.size or 0
        case _:
            assert_never(device)


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
    match device:
        case VirtioMem():
            return _virtio_mem_decide(device, limit, thp_size)
        case HvBalloon():
            return _hv_balloon_decide(device, limit)
        case PcDimm() | Nvdimm() | VirtioPmem():
            return Decision(
                1, None, (("decide", 1, "{} always uses exactly 1 memslot", (device.kind,)),)
            )
        case _:
            assert_never(device)


def _virtio_mem_decide(device: VirtioMem, limit: int, thp_size: int) -> Decision:
    """virtio_mem_decide_memslots(): memslots of at least 1 GiB (and one block)."""
    size = device.size
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
            (lazy("decide", 1, "limit {} ≤ 1 → 1 memslot covering all {:bytes}", limit, size),),
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
    why: RawStep = (
        "decide",
        memslots,
        "memslot size = max(ALIGN_UP({:bytes} / {}, block {:bytes}) = {:bytes}, "
        "max(block, 1 GiB) = {:bytes}) = {:bytes}; memslots = ⌈{:bytes} / {:bytes}⌉ = {}",
        (size, limit, block, raw, floor, memslot_size, size, memslot_size, memslots),
    )
    return Decision(memslots, memslot_size if memslots != 1 else size, (why,))


def _hv_balloon_decide(device: HvBalloon, limit: int) -> Decision:
    """hv_balloon_decide_memslots(): 128 MiB-aligned memslots, no 1 GiB floor."""
    size = device.size or 0
    memslot_size = align_up(size // limit, HV_BALLOON_HA_MEMSLOT_SIZE_ALIGN)
    memslots = align_up(size, memslot_size) // memslot_size if memslot_size else 1
    why = lazy(
        "decide",
        memslots,
        "memslot size = ALIGN_UP({:bytes} / {}, 128 MiB) = {:bytes}; "
        "memslots = ⌈{:bytes} / {:bytes}⌉ = {}",
        size,
        limit,
        memslot_size,
        size,
        memslot_size,
        memslots,
    )
    return Decision(memslots, memslot_size if memslots != 1 else size, (why,))


def min_alignment(device: MemoryDevice, thp_size: int) -> int:
    """get_min_alignment(): virtio-mem's block size, hv-balloon's 32 GiB, else none."""
    match device:
        case VirtioMem():
            return block_size(device, thp_size)
        case HvBalloon():
            return HV_BALLOON_MIN_ALIGNMENT
        case PcDimm() | Nvdimm() | VirtioPmem():
            return 0
        case _:
            assert_never(device)


def address_hint(device: MemoryDevice) -> int | None:
    """The user's `addr` / `memaddr`; 0 means "let QEMU choose", as in QEMU."""
    value: int | None = getattr(device, MEMORY_KINDS[device.kind].address_property)
    return value or None


def property_error(device: MemoryDevice) -> Refusal | None:
    """Errors raised while QEMU sets the device's properties, before any hotplug handler."""
    match device:
        case VirtioMem():
            if device.block_size is not None:
                if device.block_size < VIRTIO_MEM_MIN_BLOCK_SIZE:
                    return refusal(Code.BLOCK_SIZE_TOO_SMALL, align=VIRTIO_MEM_MIN_BLOCK_SIZE)
                if not is_power_of_2(device.block_size):
                    return refusal(Code.BLOCK_SIZE_NOT_POWER_OF_2, size=device.block_size)
            return None
        case Nvdimm():
            if device.label_size is not None and device.label_size < NVDIMM_MIN_LABEL_SIZE:
                return refusal(
                    Code.NVDIMM_LABEL_TOO_SMALL, size=device.label_size, align=NVDIMM_MIN_LABEL_SIZE
                )
            return None
        case PcDimm() | VirtioPmem() | HvBalloon():
            return None
        case _:
            assert_never(device)


def memory_region_error(device: MemoryDevice) -> Refusal | None:
    """get_memory_region() failures: nvdimm's label and read-only checks."""
    match device:
        case Nvdimm():
            label = device.label_size or 0
            align = device.backend_alignment
            if device.size <= label or region_size(device) == 0:
                return refusal(
                    Code.NVDIMM_TOO_SMALL,
                    device=device.id,
                    memdev=device.memdev_id,
                    size=device.size,
                    reserved=label,
                    align=align,
                )
            if device.readonly and not device.unarmed:
                return refusal(
                    Code.NVDIMM_READONLY_ARMED, device=device.id, memdev=device.memdev_id
                )
            return None
        case PcDimm() | VirtioPmem() | VirtioMem() | HvBalloon():
            return None
        case _:
            assert_never(device)


def realize_error(device: MemoryDevice, thp_size: int, discard_disabled: bool) -> Refusal | None:
    """The device's realize(), which runs after the memory-device pre-plug checks."""
    match device:
        case VirtioMem():
            return _virtio_mem_realize_error(device, thp_size, discard_disabled)
        case HvBalloon():
            if device.size is not None and not is_aligned(device.size, HOST_PAGE_SIZE):
                return refusal(Code.BALLOON_SIZE_UNALIGNED, size=device.size, align=HOST_PAGE_SIZE)
            return None
        case PcDimm() | Nvdimm() | VirtioPmem():
            return None
        case _:
            assert_never(device)


def _virtio_mem_realize_error(
    device: VirtioMem, thp_size: int, discard_disabled: bool
) -> Refusal | None:
    """virtio_mem_device_realize()'s checks, in its order."""
    memdev = device.memdev_id
    if device.readonly:
        return refusal(Code.UNSUPPORTED_MEMDEV, device=device.id, memdev=memdev)
    if device.prealloc:
        return refusal(Code.PREALLOC_MEMDEV, device=device.id, memdev=memdev)
    if device.dynamic_memslots and not device.unplugged_inaccessible:
        return refusal(Code.DYNAMIC_NEEDS_UNPLUGGED_INACCESSIBLE, device=device.id)
    block = block_size(device, thp_size)
    if block < device.page_size:
        return refusal(Code.BLOCK_BELOW_PAGE_SIZE, device=device.id, align=device.page_size)
    if not is_aligned(device.requested_size, block):
        return refusal(
            Code.REQUESTED_SIZE_UNALIGNED, device=device.id, size=device.requested_size, align=block
        )
    if not is_aligned(device.memaddr or 0, block):
        return refusal(
            Code.MEMADDR_UNALIGNED, device=device.id, address=device.memaddr, align=block
        )
    if not is_aligned(device.size, block):
        return refusal(Code.MEMDEV_SIZE_UNALIGNED, device=device.id, size=device.size, align=block)
    if discard_disabled:
        return refusal(Code.DISCARD_DISABLED, device=device.id)
    return None


def realize_warning(device: MemoryDevice, thp_size: int) -> str | None:
    """warn_report() of virtio-mem realize for a block size below the default."""
    if type(device) is VirtioMem and device.block_size is not None:
        default = default_block_size(device, thp_size)
        if device.page_size <= device.block_size < default:
            return warn_small_block_size(default)
    return None


def unplug_error(
    device: MemoryDevice, plugged_size: int, requested_size: int, rules: Rules
) -> Refusal | None:
    """unplug_request_check() and the buses that refuse unplug outright."""
    if type(device) is VirtioMem and not rules.multi_memslot:
        # ≤ 8.1: no virtio memory device can be unplugged (virtio-mem unplug came with 8.2)
        return refusal(Code.UNPLUG_NOT_SUPPORTED, device=device.id, driver=qemu_type(device))
    match device:
        case Nvdimm() | VirtioPmem():
            return refusal(Code.UNPLUG_NOT_SUPPORTED, device=device.id, driver=qemu_type(device))
        case HvBalloon():
            return refusal(Code.BUS_NO_HOTPLUG, device=device.id, bus="vmbus")
        case VirtioMem():
            if plugged_size:
                return refusal(Code.UNPLUG_WHILE_PLUGGED, device=device.id, size=plugged_size)
            if requested_size:
                return refusal(Code.UNPLUG_WHILE_REQUESTED, device=device.id, size=requested_size)
            return None
        case PcDimm():
            return None
        case _:
            assert_never(device)


def resize_error(device: VirtioMem, requested: int, thp_size: int) -> Refusal | None:
    """qom-set of requested-size on a realized virtio-mem device."""
    block = block_size(device, thp_size)
    if not is_aligned(requested, block):
        return refusal(Code.RESIZE_UNALIGNED, device=device.id, size=requested, align=block)
    if requested > device.size:
        return refusal(Code.RESIZE_TOO_LARGE, device=device.id, size=device.size)
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
