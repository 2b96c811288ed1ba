"""The worked examples of qemu-memslots.md §12, each checked for limit, memslots and message."""

from __future__ import annotations

from tui.engine import replay
from tui.engine.limits import LimitInputs, decision_limit
from tui.engine.report import Step
from tui.engine.units import GiB, MiB, TiB

from .conftest import config, dimm, machine, vmem

AUTO_DECISION_ERROR = (
    "some memory device (like virtio-mem) decided how many memory slots to use based on the "
    "overall number of memory slots; this vhost backend would further restricts the overall "
    "number of memory slots"
)
AUTO_DECISION_HINT = "Try plugging this vhost backend before plugging such memory devices."


def test_example_1_only_device_gets_the_whole_soft_limit():
    report = replay(config(machine(maxmem=68 * GiB), memory=[vmem("vmem0", 64 * GiB)]))
    event = report.events[0]
    assert (event.ok, event.memslot_limit, event.memslots) == (True, 256, 64)
    assert event.memslot_size == 1 * GiB
    budget = event.budget
    assert (budget.required_memslots, budget.used_memslots, budget.reserved_memslots) == (64, 0, 64)
    assert budget.auto_decision_active == 1
    # kfree before the device: 32764 − 10 boot slots
    assert any("KVM free 32754" in s.text for s in event.derivation)


def test_example_2_share_of_space_and_1g_floor():
    report = replay(config(machine(maxmem=132 * GiB), memory=[vmem("vmem0", 64 * GiB)]))
    assert (report.events[0].memslot_limit, report.events[0].memslots) == (128, 64)


def test_example_3_second_device_sees_reserved_and_used_region():
    report = replay(
        config(machine(maxmem=132 * GiB), memory=[vmem("vmem0", 64 * GiB), vmem("vmem1", 64 * GiB)])
    )
    second = report.events[1]
    assert (second.memslot_limit, second.memslots) == (192, 64)
    assert (second.budget.required_memslots, second.budget.reserved_memslots) == (128, 128)


def test_example_4_one_tib_gets_256_memslots_of_4g():
    report = replay(config(machine(maxmem=1028 * GiB), memory=[vmem("vmem0", 1 * TiB)]))
    event = report.events[0]
    assert (event.memslot_limit, event.memslots, event.memslot_size) == (256, 256, 4 * GiB)
    assert event.budget.required_memslots == 256


def test_example_5_soft_limit_exhaustion():
    report = replay(
        config(
            machine(maxmem=1040 * GiB),
            memory=[
                vmem("vmem0", 1 * TiB),
                vmem("vmem1", 8 * GiB),
                vmem("vmem2", 4 * GiB),
                vmem("vmem3", 4 * GiB),
            ],
        )
    )
    first, second, third, fourth = report.events[:4]
    assert (first.memslot_limit, first.memslots) == (253, 253)
    assert first.memslot_size == 4_347_396_096
    assert (second.memslot_limit, second.memslots, second.memslot_size) == (2, 2, 4 * GiB)
    assert (third.memslot_limit, third.memslots) == (1, 1)
    assert third.budget.required_memslots == 256
    assert third.budget.auto_decision_active == 2
    # a further device: 256 ≤ required → limit 1; then space runs out (1040 − 4 − 1036 = 0)
    assert fourth.memslot_limit == 1
    assert fourth.error == (
        "not enough space, currently 0x10300000000 in use of total space for "
        "memory devices 0x10300000000"
    )


def test_example_6_fractional_truncation():
    dimms = [dimm(f"d{i}", 1 * GiB) for i in range(10)]
    report = replay(
        config(machine(slots=10, maxmem=104 * GiB), memory=[*dimms, vmem("vmem0", 31 * GiB)])
    )
    event = report.events[10]
    assert event.budget.required_memslots == 41
    assert (event.memslot_limit, event.memslots) == (84, 31)
    small = replay(
        config(machine(slots=10, maxmem=104 * GiB), memory=[*dimms, vmem("vmem0", 256 * MiB)])
    )
    assert (small.events[10].memslot_limit, small.events[10].memslots) == (1, 1)


def test_example_7_device_larger_than_space_left():
    report = replay(
        config(
            machine(slots=1, maxmem=20 * GiB),
            memory=[dimm("d0", 12 * GiB), vmem("vmem0", 8 * GiB)],
            timeline=[("cold", "d0"), ("hotplug", "vmem0")],
        )
    )
    event = report.events[1]
    assert event.memslot_limit == 510
    assert event.memslots == 8
    assert not event.ok
    assert event.error == (
        "not enough space, currently 0x300000000 in use of total space for "
        "memory devices 0x400000000"
    )
    assert event.budget.required_memslots == 1  # a failed plug leaves no state


def test_example_8_vhost_net_64_forces_one_memslot():
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            vhost=[{"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 64}],
            memory=[vmem("vmem0", 64 * GiB)],
            timeline=[("cold", "vmem0"), ("cold", "net0")],
        )
    )
    event = report.events[0]
    assert (event.ok, event.memslot_limit, event.memslots) == (True, 1, 1)
    assert event.budget.auto_decision_active == 0
    assert any("< 509" in s.text for s in event.derivation)
    assert report.events[1].ok  # -netdev is created before the machine, whatever its position


def test_example_9_fedora_509():
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            vhost=[
                {"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 509},
                {"kind": "vhost-kernel", "id": "net1", "device": "net", "max_mem_regions": 509},
            ],
            memory=[vmem("vmem0", 64 * GiB)],
            timeline=[("cold", "net0"), ("cold", "vmem0"), ("hotplug", "net1")],
        )
    )
    vm = report.events[1]
    assert (vm.memslot_limit, vm.memslots) == (256, 64)
    assert report.events[2].ok


def _virtiofsd(slots: int) -> dict:
    return {"kind": "vhost-user", "id": "fs0", "device": "fs", "max_mem_slots": slots}


def test_example_10_vhost_after_auto_decision_is_refused_with_hint():
    report = replay(
        config(
            machine(maxmem=68 * GiB, memory_backend="memfd"),
            memory=[vmem("vmem0", 64 * GiB, backend="memfd", share=True)],
            vhost=[_virtiofsd(32)],
            timeline=[("cold", "vmem0"), ("hotplug", "fs0")],
        )
    )
    event = report.events[1]
    assert not event.ok
    assert event.error == AUTO_DECISION_ERROR
    assert event.hint == AUTO_DECISION_HINT
    assert event.error == (
        "some memory device (like virtio-mem) decided how many memory slots to use based on the "
        "overall number of memory slots; this vhost backend would further restricts the overall "
        "number of memory slots"
    )


def test_example_10_same_virtiofsd_before_the_device_works():
    report = replay(
        config(
            machine(maxmem=68 * GiB, memory_backend="memfd"),
            memory=[vmem("vmem0", 64 * GiB, backend="memfd", share=True)],
            vhost=[_virtiofsd(32)],
            timeline=[("cold", "fs0"), ("cold", "vmem0")],
        )
    )
    assert report.ok
    assert (report.events[1].memslot_limit, report.events[1].memslots) == (1, 1)


def test_example_10_virtiofsd_509_after_the_device_passes():
    report = replay(
        config(
            machine(maxmem=68 * GiB, memory_backend="memfd", boot_ram_sections=2),
            memory=[vmem("vmem0", 64 * GiB, backend="memfd", share=True)],
            vhost=[_virtiofsd(509)],
            timeline=[("cold", "vmem0"), ("hotplug", "fs0")],
        )
    )
    event = report.events[1]
    assert event.ok
    assert any("used 2 + reserved 64 = 66 ≤ limit 509" in s.text for s in event.derivation)


def _example_11(third_vmem: bool):
    memory = [vmem("vm0", 4 * GiB), vmem("vm1", 4 * GiB)]
    if third_vmem:
        memory.append(vmem("vm2", 4 * GiB))
    memory += [dimm(f"d{i}", 1 * GiB, backend="memfd", share=True) for i in range(4)]
    ids = [m["id"] for m in memory]
    return replay(
        config(
            machine(maxmem=68 * GiB, slots=4, memory_backend="memfd", boot_ram_sections=2),
            vhost=[
                {"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 64},
                {"kind": "vhost-user", "id": "blk0", "device": "blk", "configure_mem_slots": False},
            ],
            memory=memory,
            timeline=[("cold", "net0"), *[("cold", i) for i in ids], ("hotplug", "blk0")],
        )
    )


def test_example_11_used_plus_reserved_fits_exactly():
    report = _example_11(third_vmem=False)
    assert all(e.memslots == 1 for e in report.events if e.kind == "virtio-mem")
    last = report.events[-1]
    assert last.ok, last.error
    assert any("used 6 + reserved 2 = 8 ≤ limit 8" in s.text for s in last.derivation)


def test_example_11_one_more_reservation_is_refused():
    last = _example_11(third_vmem=True).events[-1]
    assert last.error == (
        "vhost backend memory slots limit (8) is less than current number of "
        "used (6) and reserved (3) memory slots for memory devices."
    )


def test_example_12_free_below_reserved_wraps_and_gives_one():
    inputs = LimitInputs(
        required=200,
        used=0,
        size=8 * GiB,
        space=64 * GiB,
        used_region_size=0,
        vhost_max=512,
        vhost_free=150,
        kvm_max=32764,
        kvm_free=32000,
    )
    limit, steps = decision_limit(inputs)
    assert limit == 1
    assert any("unsigned wrap" in Step(*s).text for s in steps)
    equal = LimitInputs(
        required=200,
        used=0,
        size=8 * GiB,
        space=64 * GiB,
        used_region_size=0,
        vhost_max=512,
        vhost_free=200,
        kvm_max=32764,
        kvm_free=32000,
    )
    assert decision_limit(equal)[0] == 1


def test_example_13_hv_balloon_fragmented_by_its_32g_alignment():
    balloon = {"kind": "hv-balloon", "id": "hvb", "size": 32 * GiB}
    report = replay(config(machine(maxmem=36 * GiB), memory=[balloon]))
    event = report.events[0]
    assert (event.memslot_limit, event.memslots) == (256, 256)
    assert event.error == (
        "could not find position in guest address space for memory device - "
        "memory fragmented due to alignments"
    )
    assert report.device_memory_base == 6 * GiB
    assert any(
        "the alignment (0x800000000) exceeds the expected maximum alignment" in w
        for w in event.warnings
    )


def test_example_13_fixes():
    balloon = {"kind": "hv-balloon", "id": "hvb", "size": 32 * GiB}
    wider = replay(config(machine(maxmem=62 * GiB), memory=[balloon])).events[0]
    assert (wider.ok, wider.memslot_limit, wider.memslots) == (True, 141, 128)
    assert wider.memslot_size == 256 * MiB
    assert wider.address == 32 * GiB
    slots = replay(config(machine(maxmem=36 * GiB, slots=26), memory=[balloon])).events[0]
    assert (slots.ok, slots.memslot_limit, slots.memslots) == (True, 256, 256)


def test_example_14_tcg_ignores_kvm_and_threshold_508_509():
    tcg = replay(config(machine(accel="tcg", maxmem=68 * GiB), memory=[vmem("v", 64 * GiB)]))
    assert (tcg.events[0].memslot_limit, tcg.events[0].memslots) == (256, 64)
    assert tcg.events[0].budget.kvm_free is None
    k508 = replay(config(machine(kvm_memslots=508, maxmem=68 * GiB), memory=[vmem("v", 64 * GiB)]))
    assert (k508.events[0].memslot_limit, k508.events[0].memslots) == (1, 1)
    k509 = replay(config(machine(kvm_memslots=509, maxmem=68 * GiB), memory=[vmem("v", 64 * GiB)]))
    assert k509.events[0].memslot_limit == 256


def test_example_15_hugetlb_1g_backend():
    huge = {"backend": "memfd", "page_size": 1 * GiB}
    ok = replay(config(machine(maxmem=68 * GiB), memory=[vmem("v", 64 * GiB, **huge)])).events[0]
    assert (ok.memslot_limit, ok.memslots, ok.memslot_size) == (256, 64, 1 * GiB)
    bad = replay(
        config(machine(maxmem=68 * GiB), memory=[vmem("v", 64 * GiB, block_size=512 * MiB, **huge)])
    ).events[0]
    assert bad.memslots == 1
    assert bad.error == "'block-size' property has to be at least the page size (0x40000000)"
