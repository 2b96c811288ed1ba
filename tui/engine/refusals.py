"""Every way QEMU refuses an event: a stable code, the facts behind it, and QEMU's message.

The engine decides *what* went wrong (a `Refusal`: code + typed facts); this module alone knows
how each QEMU version words it. Advice and explanations read codes and facts, never the text,
so a reworded message (8.2 and 9.1 reworded some) cannot break them. The texts are QEMU's,
verbatim: an engineer searches for them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import assert_never

from .units import qemu_hex as hx
from .versions import Rules


class Code(enum.Enum):
    """Stable refusal codes (their values appear in `check --json`)."""

    # -m / -machine at start-up
    SLOTS_WITHOUT_MAXMEM = "slots-without-maxmem"
    MAXMEM_EQUALS_RAM_WITH_SLOTS = "maxmem-equals-ram-with-slots"
    MAXMEM_BELOW_RAM = "maxmem-below-ram"
    TOO_MANY_SLOTS = "too-many-slots"
    MAXMEM_UNALIGNED = "maxmem-unaligned"
    PHYS_BITS_TOO_LOW = "phys-bits-too-low"
    KVM_NO_FREE_SLOT = "kvm-no-free-slot"
    """kvm_alloc_slot() ran out while mapping memory: QEMU aborts."""
    # device creation, ids and properties
    DUPLICATE_ID = "duplicate-id"
    DUPLICATE_MEMDEV = "duplicate-memdev"
    DEVICE_NOT_FOUND = "device-not-found"
    QOM_PATH_NOT_FOUND = "qom-path-not-found"
    NO_DEVICE_MODEL = "no-device-model"
    PROPERTY_NOT_FOUND = "property-not-found"
    BUSY_MEMDEV = "busy-memdev"
    """The memory backend already backs another device (`driver` picks QEMU's wording)."""
    BACKEND_SIZE_ZERO = "backend-size-zero"
    """The memory backend refuses size 0 (`driver` is its QOM type)."""
    BLOCK_SIZE_TOO_SMALL = "block-size-too-small"
    BLOCK_SIZE_NOT_POWER_OF_2 = "block-size-not-power-of-2"
    NVDIMM_LABEL_TOO_SMALL = "nvdimm-label-too-small"
    BUS_NO_HOTPLUG = "bus-no-hotplug"
    ONE_BALLOON_ONLY = "one-balloon-only"
    # pc_memory_pre_plug(): NVDIMM switch and DIMM slots
    NVDIMM_NOT_ENABLED = "nvdimm-not-enabled"
    DIMM_SLOT_OUT_OF_RANGE = "dimm-slot-out-of-range"
    NO_DIMM_SLOTS = "no-dimm-slots"
    DIMM_SLOT_BUSY = "dimm-slot-busy"
    NO_FREE_DIMM_SLOT = "no-free-dimm-slot"
    # memory_device_pre_plug()
    NO_DEVICE_MEMORY = "no-device-memory"
    NVDIMM_TOO_SMALL = "nvdimm-too-small"
    NVDIMM_READONLY_ARMED = "nvdimm-readonly-armed"
    KVM_NOT_ENOUGH_FREE = "kvm-not-enough-free"
    VHOST_NOT_ENOUGH_FREE = "vhost-not-enough-free"
    NOT_ENOUGH_SPACE = "not-enough-space"
    BACKEND_SIZE_UNALIGNED = "backend-size-unaligned"
    ADDRESS_UNALIGNED = "address-unaligned"
    ADDRESS_OUT_OF_RANGE = "address-out-of-range"
    ADDRESS_CONFLICT = "address-conflict"
    DEVICE_TOO_BIG = "device-too-big"
    NO_POSITION = "no-position"
    # the device's realize()
    UNSUPPORTED_MEMDEV = "unsupported-memdev"
    PREALLOC_MEMDEV = "prealloc-memdev"
    DYNAMIC_NEEDS_UNPLUGGED_INACCESSIBLE = "dynamic-needs-unplugged-inaccessible"
    BLOCK_BELOW_PAGE_SIZE = "block-below-page-size"
    REQUESTED_SIZE_UNALIGNED = "requested-size-unaligned"
    MEMADDR_UNALIGNED = "memaddr-unaligned"
    MEMDEV_SIZE_UNALIGNED = "memdev-size-unaligned"
    DISCARD_DISABLED = "discard-disabled"
    BALLOON_SIZE_UNALIGNED = "balloon-size-unaligned"
    # unplug and resize
    UNPLUG_NOT_SUPPORTED = "unplug-not-supported"
    UNPLUG_WHILE_PLUGGED = "unplug-while-plugged"
    UNPLUG_WHILE_REQUESTED = "unplug-while-requested"
    RESIZE_UNALIGNED = "resize-unaligned"
    RESIZE_TOO_LARGE = "resize-too-large"
    # vhost_dev_init()
    VDPA_DISCARD = "vdpa-discard"
    VHOST_AFTER_AUTO_DECISION = "vhost-after-auto-decision"
    VHOST_LIMIT_BELOW_USED = "vhost-limit-below-used"
    VHOST_USER_SLOTS_DECREASED = "vhost-user-slots-decreased"
    """A reconnecting back-end offers fewer memslots than QEMU validated before (`limit`)."""
    VHOST_NET_INIT_FAILED = "vhost-net-init-failed"
    """tap's wrapper; `facts.cause` is vhost_dev_init()'s own refusal (printed on stderr)."""


@dataclass(frozen=True, slots=True)
class Facts:
    """The numbers and names behind a refusal (only those its code uses are set)."""

    device: str | None = None
    """The device the event is about."""
    other: str | None = None
    """Another device the message names (an address conflict)."""
    memdev: str | None = None
    driver: str | None = None
    bus: str | None = None
    prop: str | None = None
    limit: int | None = None
    used: int | None = None
    reserved: int | None = None
    required: int | None = None
    free: int | None = None
    size: int | None = None
    align: int | None = None
    address: int | None = None
    base: int | None = None
    region: int | None = None
    in_use: int | None = None
    space: int | None = None
    slot: int | None = None
    slots: int | None = None
    ram: int | None = None
    maxmem: int | None = None
    max_phys: int | None = None
    max_used: int | None = None
    phys_bits: int | None = None
    cause: Refusal | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """QEMU refused an event (or the start): why, as data."""

    code: Code
    facts: Facts = Facts()

    def text(self, rules: Rules) -> str:
        """QEMU's message for this refusal, as the version `rules` names prints it."""
        return message(self.code, self.facts, rules)

    @property
    def root(self) -> Refusal:
        """The memslot reason behind a wrapper (tap's "could not be initialized")."""
        return self.facts.cause.root if self.facts.cause is not None else self


def refusal(code: Code, **facts: object) -> Refusal:
    """A refusal with these facts (keyword names are `Facts` fields)."""
    return Refusal(code, Facts(**facts))  # type: ignore[arg-type]


HINTS: dict[Code, str] = {
    Code.VHOST_AFTER_AUTO_DECISION: (
        "Try plugging this vhost backend before plugging such memory devices."
    ),
}
"""error_append_hint() texts (printed on stderr only)."""


def hint(code: Code) -> str | None:
    """The hint QEMU appends to this refusal, if any."""
    return HINTS.get(code)


def message(code: Code, f: Facts, rules: Rules) -> str:
    """QEMU's text for `code` with facts `f` under `rules` (≤ 8.1, 8.2–10.0, 10.1)."""
    old = not rules.multi_memslot
    match code:
        case Code.SLOTS_WITHOUT_MAXMEM:
            return "slots specified but no max-size"
        case Code.MAXMEM_EQUALS_RAM_WITH_SLOTS:
            return (
                "invalid value of maxmem: memory slots were specified but maximum memory size "
                f"({hx(_i(f.maxmem))}) is equal to the initial memory size ({hx(_i(f.ram))})"
            )
        case Code.MAXMEM_BELOW_RAM:
            return (
                f"invalid value of maxmem: maximum memory size ({hx(_i(f.maxmem))}) must be at "
                f"least the initial memory size ({hx(_i(f.ram))})"
            )
        case Code.TOO_MANY_SLOTS:
            return f"unsupported amount of memory slots: {f.slots}"
        case Code.MAXMEM_UNALIGNED:
            return f"maximum memory size must by aligned to multiple of {f.align} bytes"
        case Code.PHYS_BITS_TOO_LOW:
            return (
                f"Address space limit {hx(_i(f.max_phys))} < {hx(_i(f.max_used))} "
                f"phys-bits too low ({f.phys_bits})"
            )
        case Code.KVM_NO_FREE_SLOT:
            return "kvm_alloc_slot: no free slot available"
        case Code.DUPLICATE_ID:
            return f"Duplicate device ID '{f.device}'"
        case Code.DUPLICATE_MEMDEV:
            return f"attempt to add duplicate property '{f.memdev}' to object (type 'container')"
        case Code.DEVICE_NOT_FOUND:
            return f"Device '{f.device}' not found"
        case Code.QOM_PATH_NOT_FOUND:
            return f"Device '/machine/peripheral/{f.device}' not found"
        case Code.NO_DEVICE_MODEL:
            return f"'{f.driver}' is not a valid device model name"
        case Code.PROPERTY_NOT_FOUND:
            return f"Property '{f.driver}.{f.prop}' not found"
        case Code.BUSY_MEMDEV:
            if f.driver in ("virtio-mem-pci", "hv-balloon"):
                return f"'memdev' property specifies a busy memdev: {f.memdev}"
            return f"can't use already busy memdev: {f.memdev}"
        case Code.BACKEND_SIZE_ZERO:
            return f"property 'size' of {f.driver} doesn't take value '0'"
        case Code.BLOCK_SIZE_TOO_SMALL:
            return f"'block-size' property has to be at least {hx(_i(f.align))}"
        case Code.BLOCK_SIZE_NOT_POWER_OF_2:
            return "'block-size' property has to be a power of two"
        case Code.NVDIMM_LABEL_TOO_SMALL:
            return (
                f"Property 'nvdimm.label-size' ({hx(_i(f.size))}) is required at least "
                f"{hx(_i(f.align))}"
            )
        case Code.BUS_NO_HOTPLUG:
            return f"Bus '{f.bus}' does not support hotplugging"
        case Code.ONE_BALLOON_ONLY:
            return "Only one balloon device is supported"
        case Code.NVDIMM_NOT_ENABLED:
            return "nvdimm is not enabled: missing 'nvdimm' in '-M'"
        case Code.DIMM_SLOT_OUT_OF_RANGE:
            return (
                f"invalid slot number {f.slot}, valid range is [0-{(_i(f.slots) - 1) % (1 << 64)}]"
            )
        case Code.NO_DIMM_SLOTS:
            return "no slots where allocated, please specify the 'slots' option"
        case Code.DIMM_SLOT_BUSY:
            return f"slot {f.slot} is busy"
        case Code.NO_FREE_DIMM_SLOT:
            return "no free slots available"
        case Code.NO_DEVICE_MEMORY:
            return (
                "the configuration is not prepared for memory devices (e.g., for memory "
                "hotplug), consider specifying the maxmem option"
            )
        case Code.NVDIMM_TOO_SMALL:
            return (
                f"the size of memdev {f.memdev} ({hx(_i(f.size))}) is too small to contain "
                f"nvdimm label ({hx(_i(f.reserved))}) and aligned PMEM ({hx(_i(f.align))})"
            )
        case Code.NVDIMM_READONLY_ARMED:
            return f"'unarmed' property must be 'on' since memdev {f.memdev} is read-only"
        case Code.KVM_NOT_ENOUGH_FREE:
            if old:
                return "hypervisor has no free memory slots left"
            return "hypervisor has not enough free memory slots left"
        case Code.VHOST_NOT_ENOUGH_FREE:
            if old:
                return "a used vhost backend has no free memory slots left"
            return "a used vhost backend has not enough free memory slots left"
        case Code.NOT_ENOUGH_SPACE:
            return (
                f"not enough space, currently {hx(_i(f.in_use))} in use of total space for "
                f"memory devices {hx(_i(f.space))}"
            )
        case Code.BACKEND_SIZE_UNALIGNED:
            return f"backend memory size must be multiple of {hx(_i(f.align))}"
        case Code.ADDRESS_UNALIGNED:
            return f"address must be aligned to {hx(_i(f.align))} bytes"
        case Code.ADDRESS_OUT_OF_RANGE:
            return (
                f"can't add memory device [{hx(_i(f.address))}:{hx(_i(f.size))}], usable range "
                f"for memory devices [{hx(_i(f.base))}:{hx(_i(f.region))}]"
            )
        case Code.ADDRESS_CONFLICT:
            return f"address range conflicts with memory device id='{f.other}'"
        case Code.DEVICE_TOO_BIG:
            return "can't add memory device, device too big"
        case Code.NO_POSITION:
            return (
                "could not find position in guest address space for memory device - "
                "memory fragmented due to alignments"
            )
        case Code.UNSUPPORTED_MEMDEV:
            return "'memdev' property specifies an unsupported memdev"
        case Code.PREALLOC_MEMDEV:
            return (
                f"'memdev' property specifies a memdev with preallocation enabled: {f.memdev}. "
                "Instead, specify 'prealloc=on' for the virtio-mem device. "
            )
        case Code.DYNAMIC_NEEDS_UNPLUGGED_INACCESSIBLE:
            return (
                "'dynamic-memslots' property set to 'on' requires 'unplugged-inaccessible' "
                "to be 'on'"
            )
        case Code.BLOCK_BELOW_PAGE_SIZE:
            return f"'block-size' property has to be at least the page size ({hx(_i(f.align))})"
        case Code.REQUESTED_SIZE_UNALIGNED:
            return (
                f"'requested-size' property has to be multiples of 'block-size' ({hx(_i(f.align))})"
            )
        case Code.MEMADDR_UNALIGNED:
            return f"'memaddr' property has to be multiples of 'block-size' ({hx(_i(f.align))})"
        case Code.MEMDEV_SIZE_UNALIGNED:
            # sic: QEMU's text has no space before 'block-size'
            return (
                "'memdev' property memdev size has to be multiples of"
                f"'block-size' ({hx(_i(f.align))})"
            )
        case Code.DISCARD_DISABLED:
            return "Discarding RAM is disabled"
        case Code.BALLOON_SIZE_UNALIGNED:
            return f"'memdev' property memdev size has to be a multiple of {hx(_i(f.align))}"
        case Code.UNPLUG_NOT_SUPPORTED:
            if f.driver == "nvdimm":
                return "nvdimm device hot unplug is not supported yet."
            if not rules.multi_memslot:  # ≤ 8.1, seen on QEMU 7.2
                return "virtio based memory devices cannot be unplugged."
            return "this virtio based memory devices cannot be unplugged"
        case Code.UNPLUG_WHILE_PLUGGED:
            if rules.version >= (9, 1, 0):
                return (
                    "virtio-mem device cannot get unplugged while some of its memory is still "
                    "plugged"
                )
            return "virtio-mem device cannot get unplugged while 'size' != '0'"
        case Code.UNPLUG_WHILE_REQUESTED:
            return "virtio-mem device cannot get unplugged while 'requested-size' != '0'"
        case Code.RESIZE_UNALIGNED:
            return f"'requested-size' has to be multiples of 'block-size' ({hx(_i(f.align))})"
        case Code.RESIZE_TOO_LARGE:
            return f"'requested-size' cannot exceed the memory backend size({hx(_i(f.size))})"
        case Code.VHOST_USER_SLOTS_DECREASED:
            return (
                f"The backend specified a max ram slots limit of {f.required}, when the prior "
                f"validated limit was {f.limit}. This limit should never decrease."
            )
        case Code.VDPA_DISCARD:
            return "Cannot set discarding of RAM broken"
        case Code.VHOST_AFTER_AUTO_DECISION:
            return (
                "some memory device (like virtio-mem) decided how many memory slots to use based "
                "on the overall number of memory slots; this vhost backend would further "
                "restricts the overall number of memory slots"
            )
        case Code.VHOST_LIMIT_BELOW_USED:
            if old:
                return (
                    "vhost backend memory slots limit is less than current number of present "
                    "memory slots"
                )
            return (
                f"vhost backend memory slots limit ({f.limit}) is less than current number of "
                f"used ({f.used}) and reserved ({f.reserved}) memory slots for memory devices."
            )
        case Code.VHOST_NET_INIT_FAILED:
            return "vhost-net requested but could not be initialized"
        case _:  # pragma: no cover - mypy proves this unreachable
            assert_never(code)


# --------------------------------------------------------------------------- warnings
# warn_report() texts: QEMU goes on, but prints these (verbatim, on stderr).


def warn_alignment(align: int) -> str:
    """memory_device_get_free_addr(): the device-memory base is not aligned for the device."""
    return (
        f"the alignment ({hx(align)}) exceeds the expected maximum alignment, memory will get "
        "fragmented and not all 'maxmem' might be usable for memory devices."
    )


def warn_vhost_over_limit(used: int, limit: int) -> str:
    """vhost_get_free_memslots() (10.1+): a device already uses more than its limit."""
    return f"used ({used}) vhost backend memory slots exceed the device limit ({limit})."


def warn_invalid_max_mem_regions(value: int) -> str:
    """vhost-kernel: the module parameter is out of range, QEMU falls back to 64."""
    return f"ignoring invalid max_mem_regions value in vhost module: {value}"


def warn_small_block_size(default: int) -> str:
    """virtio-mem realize: a block size below the default (in MiB, hexadecimal)."""
    return f"'block-size' property is smaller than the default block size ({default >> 20:x} MiB)"


def _i(value: int | None) -> int:
    """A fact the code always sets (0 if a caller forgot, never a crash in a message)."""
    return value or 0
