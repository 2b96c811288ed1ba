"""Every refusal code's text is QEMU's, verbatim, for every rule set the engine names.

The expected strings are copied from QEMU's sources and from runs of real QEMU 7.2 and 10.0.2
(the domain notes and the recorded verify cases), not from the engine.
"""

from __future__ import annotations

import pytest

from tui.engine import replay
from tui.engine.model import Machine
from tui.engine.refusals import Code, Facts, Refusal, hint
from tui.engine.versions import rules_for

from .conftest import config, dimm, machine, vmem

GiB = 1 << 30

OLD = rules_for(Machine(qemu_version="7.2"))
MID = rules_for(Machine(qemu_version="10.0.2"))
MID_90 = rules_for(Machine(qemu_version="9.0"))
NEW = rules_for(Machine(qemu_version="10.1"))
ALL = (OLD, MID, MID_90, NEW)

# code, facts, text for every version (or {rules name: text} where versions differ)
CASES: list[tuple[Code, Facts, str | dict[str, str]]] = [
    (Code.SLOTS_WITHOUT_MAXMEM, Facts(slots=4), "slots specified but no max-size"),
    (
        Code.MAXMEM_EQUALS_RAM_WITH_SLOTS,
        Facts(ram=4 * GiB, maxmem=4 * GiB),
        "invalid value of maxmem: memory slots were specified but maximum memory size "
        "(0x100000000) is equal to the initial memory size (0x100000000)",
    ),
    (
        Code.MAXMEM_BELOW_RAM,
        Facts(ram=4 * GiB, maxmem=2 * GiB),
        "invalid value of maxmem: maximum memory size (0x80000000) must be at least the "
        "initial memory size (0x100000000)",
    ),
    (Code.TOO_MANY_SLOTS, Facts(slots=257), "unsupported amount of memory slots: 257"),
    (
        Code.MAXMEM_UNALIGNED,
        Facts(align=4096),
        "maximum memory size must by aligned to multiple of 4096 bytes",
    ),
    (
        Code.PHYS_BITS_TOO_LOW,
        Facts(max_phys=0xFFFFFFFFFF, max_used=0x1097FFFFFFF, phys_bits=40),
        "Address space limit 0xffffffffff < 0x1097fffffff phys-bits too low (40)",
    ),
    (Code.KVM_NO_FREE_SLOT, Facts(), "kvm_alloc_slot: no free slot available"),
    (Code.DUPLICATE_ID, Facts(device="d0"), "Duplicate device ID 'd0'"),
    (
        Code.DUPLICATE_MEMDEV,
        Facts(memdev="mem-v"),
        "attempt to add duplicate property 'mem-v' to object (type 'container')",
    ),
    (Code.DEVICE_NOT_FOUND, Facts(device="d0"), "Device 'd0' not found"),
    (Code.QOM_PATH_NOT_FOUND, Facts(device="v"), "Device '/machine/peripheral/v' not found"),
    (
        Code.NO_DEVICE_MODEL,
        Facts(driver="hv-balloon"),
        "'hv-balloon' is not a valid device model name",
    ),
    (
        Code.PROPERTY_NOT_FOUND,
        Facts(driver="virtio-mem-pci", prop="dynamic-memslots"),
        "Property 'virtio-mem-pci.dynamic-memslots' not found",
    ),
    (
        Code.BLOCK_SIZE_TOO_SMALL,
        Facts(align=1 << 20),
        "'block-size' property has to be at least 0x100000",
    ),
    (
        Code.BUSY_MEMDEV,
        Facts(memdev="mem-d0", driver="pc-dimm"),
        "can't use already busy memdev: mem-d0",
    ),
    (
        Code.BUSY_MEMDEV,
        Facts(memdev="mem-d0", driver="virtio-mem-pci"),
        "'memdev' property specifies a busy memdev: mem-d0",
    ),
    (
        Code.BACKEND_SIZE_ZERO,
        Facts(driver="memory-backend-memfd", size=0),
        "property 'size' of memory-backend-memfd doesn't take value '0'",
    ),
    (Code.BLOCK_SIZE_NOT_POWER_OF_2, Facts(), "'block-size' property has to be a power of two"),
    (
        Code.NVDIMM_LABEL_TOO_SMALL,
        Facts(size=0x1000, align=0x20000),
        "Property 'nvdimm.label-size' (0x1000) is required at least 0x20000",
    ),
    (Code.BUS_NO_HOTPLUG, Facts(bus="vmbus"), "Bus 'vmbus' does not support hotplugging"),
    (Code.ONE_BALLOON_ONLY, Facts(), "Only one balloon device is supported"),
    (Code.NVDIMM_NOT_ENABLED, Facts(), "nvdimm is not enabled: missing 'nvdimm' in '-M'"),
    (
        Code.DIMM_SLOT_OUT_OF_RANGE,
        Facts(slot=4, slots=4),
        "invalid slot number 4, valid range is [0-3]",
    ),
    (
        Code.NO_DIMM_SLOTS,
        Facts(),
        "no slots where allocated, please specify the 'slots' option",
    ),
    (Code.DIMM_SLOT_BUSY, Facts(slot=1), "slot 1 is busy"),
    (Code.NO_FREE_DIMM_SLOT, Facts(), "no free slots available"),
    (
        Code.NO_DEVICE_MEMORY,
        Facts(),
        "the configuration is not prepared for memory devices (e.g., for memory hotplug), "
        "consider specifying the maxmem option",
    ),
    (
        Code.NVDIMM_TOO_SMALL,
        Facts(memdev="mem-nv", size=0x20000, reserved=0x20000, align=0x200000),
        "the size of memdev mem-nv (0x20000) is too small to contain nvdimm label (0x20000) "
        "and aligned PMEM (0x200000)",
    ),
    (
        Code.NVDIMM_READONLY_ARMED,
        Facts(memdev="mem-nv"),
        "'unarmed' property must be 'on' since memdev mem-nv is read-only",
    ),
    (
        Code.KVM_NOT_ENOUGH_FREE,
        Facts(),
        {
            "8.1": "hypervisor has no free memory slots left",
            "8.2-10.0": "hypervisor has not enough free memory slots left",
            "10.1": "hypervisor has not enough free memory slots left",
        },
    ),
    (
        Code.VHOST_NOT_ENOUGH_FREE,
        Facts(),
        {
            "8.1": "a used vhost backend has no free memory slots left",
            "8.2-10.0": "a used vhost backend has not enough free memory slots left",
            "10.1": "a used vhost backend has not enough free memory slots left",
        },
    ),
    (
        Code.NOT_ENOUGH_SPACE,
        Facts(in_use=0x300000000, space=0x400000000),
        "not enough space, currently 0x300000000 in use of total space for memory devices "
        "0x400000000",
    ),
    (
        Code.BACKEND_SIZE_UNALIGNED,
        Facts(align=0x200000),
        "backend memory size must be multiple of 0x200000",
    ),
    (
        Code.ADDRESS_UNALIGNED,
        Facts(align=0x40000000),
        "address must be aligned to 0x40000000 bytes",
    ),
    (
        Code.ADDRESS_OUT_OF_RANGE,
        Facts(address=0x40000000, size=0x40000000, base=0x140000000, region=0x400000000),
        "can't add memory device [0x40000000:0x40000000], usable range for memory devices "
        "[0x140000000:0x400000000]",
    ),
    (
        Code.ADDRESS_CONFLICT,
        Facts(other="d0"),
        "address range conflicts with memory device id='d0'",
    ),
    (Code.DEVICE_TOO_BIG, Facts(), "can't add memory device, device too big"),
    (
        Code.NO_POSITION,
        Facts(),
        "could not find position in guest address space for memory device - memory "
        "fragmented due to alignments",
    ),
    (Code.UNSUPPORTED_MEMDEV, Facts(), "'memdev' property specifies an unsupported memdev"),
    (
        Code.PREALLOC_MEMDEV,
        Facts(memdev="mem-v"),
        "'memdev' property specifies a memdev with preallocation enabled: mem-v. Instead, "
        "specify 'prealloc=on' for the virtio-mem device. ",
    ),
    (
        Code.DYNAMIC_NEEDS_UNPLUGGED_INACCESSIBLE,
        Facts(),
        "'dynamic-memslots' property set to 'on' requires 'unplugged-inaccessible' to be 'on'",
    ),
    (
        Code.BLOCK_BELOW_PAGE_SIZE,
        Facts(align=0x40000000),
        "'block-size' property has to be at least the page size (0x40000000)",
    ),
    (
        Code.REQUESTED_SIZE_UNALIGNED,
        Facts(align=0x200000),
        "'requested-size' property has to be multiples of 'block-size' (0x200000)",
    ),
    (
        Code.MEMADDR_UNALIGNED,
        Facts(align=0x200000),
        "'memaddr' property has to be multiples of 'block-size' (0x200000)",
    ),
    (
        Code.MEMDEV_SIZE_UNALIGNED,
        Facts(align=0x200000),
        "'memdev' property memdev size has to be multiples of'block-size' (0x200000)",
    ),
    (Code.DISCARD_DISABLED, Facts(), "Discarding RAM is disabled"),
    (
        Code.BALLOON_SIZE_UNALIGNED,
        Facts(align=0x1000),
        "'memdev' property memdev size has to be a multiple of 0x1000",
    ),
    (
        Code.UNPLUG_NOT_SUPPORTED,
        Facts(driver="nvdimm"),
        "nvdimm device hot unplug is not supported yet.",
    ),
    (
        Code.UNPLUG_NOT_SUPPORTED,
        Facts(driver="virtio-pmem-pci"),
        {
            "8.1": "virtio based memory devices cannot be unplugged.",
            "8.2-10.0": "this virtio based memory devices cannot be unplugged",
            "10.1": "this virtio based memory devices cannot be unplugged",
        },
    ),
    (
        Code.UNPLUG_WHILE_REQUESTED,
        Facts(),
        "virtio-mem device cannot get unplugged while 'requested-size' != '0'",
    ),
    (
        Code.RESIZE_UNALIGNED,
        Facts(align=0x200000),
        "'requested-size' has to be multiples of 'block-size' (0x200000)",
    ),
    (
        Code.RESIZE_TOO_LARGE,
        Facts(size=0x200000000),
        "'requested-size' cannot exceed the memory backend size(0x200000000)",
    ),
    (Code.VDPA_DISCARD, Facts(), "Cannot set discarding of RAM broken"),
    (
        Code.VHOST_AFTER_AUTO_DECISION,
        Facts(limit=32),
        "some memory device (like virtio-mem) decided how many memory slots to use based on "
        "the overall number of memory slots; this vhost backend would further restricts the "
        "overall number of memory slots",
    ),
    (
        Code.VHOST_LIMIT_BELOW_USED,
        Facts(limit=8, used=6, reserved=3),
        {
            "8.1": "vhost backend memory slots limit is less than current number of present "
            "memory slots",
            "8.2-10.0": "vhost backend memory slots limit (8) is less than current number of "
            "used (6) and reserved (3) memory slots for memory devices.",
            "10.1": "vhost backend memory slots limit (8) is less than current number of used "
            "(6) and reserved (3) memory slots for memory devices.",
        },
    ),
    (
        Code.VHOST_USER_SLOTS_DECREASED,
        Facts(limit=509, required=32),
        "The backend specified a max ram slots limit of 32, when the prior validated limit was "
        "509. This limit should never decrease.",
    ),
    (Code.VHOST_NET_INIT_FAILED, Facts(), "vhost-net requested but could not be initialized"),
]


@pytest.mark.parametrize(
    ("code", "facts", "expected"), CASES, ids=lambda v: getattr(v, "value", "")
)
def test_each_code_prints_qemus_text_for_each_version(code, facts, expected) -> None:
    for rules in ALL:
        want = expected if isinstance(expected, str) else expected[rules.name]
        assert Refusal(code, facts).text(rules) == want, rules.name


def test_every_code_has_its_text_checked() -> None:
    checked = {code for code, _, _ in CASES} | {Code.UNPLUG_WHILE_PLUGGED}
    assert checked == set(Code)


def test_virtio_mem_unplug_wording_changed_in_9_1() -> None:
    plugged = Refusal(Code.UNPLUG_WHILE_PLUGGED, Facts(size=GiB))
    old = "virtio-mem device cannot get unplugged while 'size' != '0'"
    new = "virtio-mem device cannot get unplugged while some of its memory is still plugged"
    assert plugged.text(OLD) == old
    assert plugged.text(MID_90) == old
    assert plugged.text(rules_for(Machine(qemu_version="9.1"))) == new
    assert plugged.text(MID) == new and plugged.text(NEW) == new


def test_only_the_auto_decision_refusal_has_a_hint() -> None:
    assert hint(Code.VHOST_AFTER_AUTO_DECISION) == (
        "Try plugging this vhost backend before plugging such memory devices."
    )
    assert [c for c in Code if hint(c)] == [Code.VHOST_AFTER_AUTO_DECISION]


def test_report_carries_code_and_facts_beside_the_text() -> None:
    """Example 7 of the notes: the space check names the bytes in use and the total."""
    report = replay(
        config(
            machine(slots=1, maxmem=20 * GiB),
            memory=[dimm("d0", 12 * GiB), vmem("vmem0", 8 * GiB)],
            timeline=[("cold", "d0"), ("hotplug", "vmem0")],
        )
    )
    event = report.events[1]
    assert event.code is Code.NOT_ENOUGH_SPACE
    assert event.refusal is not None
    facts = event.refusal.facts
    assert (facts.in_use, facts.space, facts.size, facts.device) == (
        12 * GiB,
        16 * GiB,
        8 * GiB,
        "vmem0",
    )
    assert event.error == event.refusal.text(MID if report.rules == "8.2-10.0" else NEW)


def test_tap_wrapper_keeps_the_memslot_reason_as_its_cause() -> None:
    dimms = [dimm(f"d{i}", 1 * GiB) for i in range(70)]
    report = replay(
        config(
            machine(slots=80, maxmem=84 * GiB),
            memory=dimms,
            vhost=[{"kind": "vhost-kernel", "id": "net0"}],
            timeline=[*[("hotplug", d["id"]) for d in dimms], ("hotplug", "net0")],
        )
    )
    last = report.events[-1]
    assert last.code is Code.VHOST_NET_INIT_FAILED
    assert last.refusal is not None
    root = last.refusal.root
    assert root.code is Code.VHOST_LIMIT_BELOW_USED
    assert (root.facts.limit, root.facts.used, root.facts.reserved) == (64, 73, 0)


def test_startup_refusal_has_facts() -> None:
    report = replay(
        config(
            machine(ram=1 * GiB, maxmem=23 * GiB, slots=16, phys_bits=36, cpu_vendor="intel"),
            memory=[dimm("d", 1 * GiB)],
        )
    )
    assert report.startup_refusal is not None
    assert report.startup_refusal.code is Code.PHYS_BITS_TOO_LOW
    facts = report.startup_refusal.facts
    assert facts.phys_bits == 36 and facts.max_phys == (1 << 36) - 1
    assert report.startup_error == report.startup_refusal.text(NEW)


def test_qemus_warning_texts() -> None:
    from tui.engine.refusals import (
        warn_alignment,
        warn_invalid_max_mem_regions,
        warn_small_block_size,
        warn_vhost_over_limit,
    )

    assert warn_alignment(0x800000000) == (
        "the alignment (0x800000000) exceeds the expected maximum alignment, memory will get "
        "fragmented and not all 'maxmem' might be usable for memory devices."
    )
    assert warn_vhost_over_limit(9, 8) == (
        "used (9) vhost backend memory slots exceed the device limit (8)."
    )
    assert warn_invalid_max_mem_regions(0) == (
        "ignoring invalid max_mem_regions value in vhost module: 0"
    )
    assert warn_small_block_size(32 << 20) == (
        "'block-size' property is smaller than the default block size (20 MiB)"
    )
