"""Engine rules beyond the worked examples: versions, vhost counting, unplug, resize, start-up."""

from __future__ import annotations

import pytest

from tui.engine import replay
from tui.engine.advice import headroom, suggest
from tui.engine.units import GiB, MiB, TiB

from .conftest import config, dimm, machine, vmem

VHOST_NOT_ENOUGH = "a used vhost backend has not enough free memory slots left"


def _kata_s1(version: str):
    """S1: C virtiofsd without CONFIGURE_MEM_SLOTS (8) and one DIMM hotplugged per container."""
    dimms = [dimm(f"mem{i}", 1 * GiB, backend="memfd", share=True) for i in range(7)]
    return replay(
        config(
            machine(
                qemu_version=version, memory_backend="memfd", slots=10, ram=2 * GiB, maxmem=66 * GiB
            ),
            vhost=[{"kind": "vhost-user", "id": "fs0", "configure_mem_slots": False}],
            memory=dimms,
            timeline=[("cold", "fs0"), *[("hotplug", d["id"]) for d in dimms]],
        )
    )


def test_s1_kata_virtiofsd_8_runs_out_after_six_dimms():
    report = _kata_s1("10.1")
    # 2 GiB q35 boot RAM on memfd: 2 sections after the reset; 8 − 2 = 6 DIMMs fit
    assert [e.ok for e in report.events[1:]] == [True] * 6 + [False]
    assert report.events[-1].error == VHOST_NOT_ENOUGH


def test_s1_before_8_2_uses_the_old_message():
    report = _kata_s1("8.1")
    assert report.rules == "8.1"
    assert report.events[-1].error == "a used vhost backend has no free memory slots left"


def test_8_1_has_no_dynamic_memslots_and_no_hv_balloon():
    report = replay(
        config(machine(qemu_version="8.1", maxmem=68 * GiB), memory=[vmem("v", 64 * GiB)])
    )
    assert report.events[0].error == "Property 'virtio-mem-pci.dynamic-memslots' not found"
    balloon = replay(
        config(
            machine(qemu_version="8.0", maxmem=68 * GiB),
            memory=[{"kind": "hv-balloon", "id": "b", "size": 32 * GiB}],
        )
    )
    assert balloon.events[0].error == "'hv-balloon' is not a valid device model name"


def _global_counter_bug(version: str):
    """Two 509-slot vhost-user back-ends, 400 fd-backed regions elsewhere; unplug one, then
    hot-plug a 1 TiB virtio-mem. ≤ 10.0.2 zeroes the shared counter on teardown."""
    return replay(
        config(
            machine(qemu_version=version, accel="tcg", memory_backend="memfd", maxmem=1028 * GiB),
            consumers=[
                {
                    "kind": "custom",
                    "id": "bars",
                    "kvm_slots": 400,
                    "vhost_kernel_regions": 400,
                    "vhost_user_regions": 400,
                }
            ],
            vhost=[{"kind": "vhost-user", "id": "fs0"}, {"kind": "vhost-user", "id": "fs1"}],
            memory=[vmem("v", 1 * TiB, backend="memfd", share=True)],
            timeline=[
                ("cold", "bars"),
                ("cold", "fs0"),
                ("cold", "fs1"),
                ("unplug", "fs1"),
                ("hotplug", "v"),
            ],
        )
    )


def test_vhost_counting_before_10_1_overestimates_free_after_an_unplug():
    old = _global_counter_bug("10.0.2")
    new = _global_counter_bug("10.1")
    assert old.rules == "8.2-10.0" and new.rules == "10.1"
    # 10.1: free = 509 − 403 = 106 → limit 106; 10.0.2: the global is 0 → free 509 → limit 256
    assert new.events[4].memslot_limit == 106
    assert old.events[4].memslot_limit == 256
    assert old.events[3].budget.vhost[0].used == 0
    assert new.events[3].budget.vhost[0].used == 403


def test_10_1_warns_once_when_a_backend_is_over_its_limit():
    report = replay(
        config(
            machine(maxmem=68 * GiB, memory_backend="memfd", slots=2),
            consumers=[{"kind": "pci-ram-bar", "id": f"bar{i}"} for i in range(8)],
            vhost=[
                {"kind": "vhost-user", "id": "blk0", "device": "blk", "configure_mem_slots": False}
            ],
            memory=[dimm("d0", 1 * GiB, backend="memfd")],
            timeline=[
                ("cold", "blk0"),
                *[("cold", f"bar{i}") for i in range(8)],
                ("hotplug", "d0"),
            ],
        )
    )
    last = report.events[-1]
    assert last.error == VHOST_NOT_ENOUGH
    assert "used (11) vhost backend memory slots exceed the device limit (8)." in last.warnings


def test_s11_dynamic_memslots_4_of_1g_and_1_when_off():
    on = replay(
        config(
            machine(ram=4 * GiB, maxmem=24 * GiB),
            memory=[vmem("v", 4 * GiB, requested_size=4 * GiB)],
        )
    )
    assert (on.events[0].memslot_limit, on.events[0].memslots) == (51, 4)
    assert on.final.used_memslots == 4  # the guest plugged all 4 GiB after boot
    off = replay(
        config(
            machine(ram=4 * GiB, maxmem=24 * GiB),
            memory=[vmem("v", 4 * GiB, requested_size=4 * GiB, dynamic_memslots=False)],
        )
    )
    assert off.events[0].memslots == 1 and off.events[0].memslot_limit is None


def test_s12_three_mapped_memslots_beside_virtiofsd_509():
    report = replay(
        config(
            machine(ram=4 * GiB, maxmem=108 * GiB, memory_backend="memfd"),
            vhost=[{"kind": "vhost-user", "id": "fs0", "max_mem_slots": 509}],
            memory=[vmem("v", 4 * GiB, requested_size=3 * GiB, backend="memfd", share=True)],
        )
    )
    assert report.ok
    assert report.events[1].memslots == 4
    assert (report.final.used_memslots, report.final.reserved_memslots) == (3, 1)
    assert report.final.vhost[0].regions == 3 + 3  # boot RAM sections + 3 active memslots


def test_resize_maps_and_unmaps_memslots_and_unplug_needs_zero():
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            memory=[vmem("v", 64 * GiB)],
            timeline=[
                ("cold", "v"),
                ("resize", "v", 10 * GiB),
                ("unplug", "v"),
                ("resize", "v", 0),
                ("unplug", "v"),
            ],
        )
    )
    grow, refused, shrink, unplug = report.events[1:]
    assert (grow.budget.used_memslots, grow.budget.reserved_memslots) == (10, 54)
    assert refused.error == (
        "virtio-mem device cannot get unplugged while some of its memory is still plugged"
    )
    assert shrink.budget.used_memslots == 0
    assert unplug.ok and unplug.budget.required_memslots == 0


def test_unplug_messages_depend_on_version_and_guest():
    def run(version: str, guest: bool):
        return (
            replay(
                config(
                    machine(maxmem=68 * GiB, qemu_version=version, guest_plugs_memory=guest),
                    memory=[vmem("v", 8 * GiB, requested_size=2 * GiB)],
                    timeline=[("cold", "v"), ("unplug", "v")],
                )
            )
            .events[1]
            .error
        )

    assert run("9.0", True) == "virtio-mem device cannot get unplugged while 'size' != '0'"
    assert run("10.0.2", False) == (
        "virtio-mem device cannot get unplugged while 'requested-size' != '0'"
    )


def test_resize_errors_are_qemu_outcomes():
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            memory=[vmem("v", 8 * GiB)],
            timeline=[("cold", "v"), ("resize", "v", 3 * MiB), ("resize", "v", 16 * GiB)],
        )
    )
    assert report.events[1].error == (
        "'requested-size' has to be multiples of 'block-size' (0x200000)"
    )
    assert report.events[2].error == (
        "'requested-size' cannot exceed the memory backend size(0x200000000)"
    )


def test_failed_cold_plug_ends_qemu():
    report = replay(
        config(
            machine(maxmem=8 * GiB),
            memory=[dimm("d0", 1 * GiB), vmem("v", 64 * GiB, dynamic_memslots=False)],
            timeline=[("cold", "d0"), ("cold", "v")],
        )
    )
    assert report.events[0].error == ("no slots where allocated, please specify the 'slots' option")
    assert report.events[1].skipped and not report.events[1].ok


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slots": 4}, "slots specified but no max-size"),
        ({"slots": 300, "maxmem": 8 * GiB}, "unsupported amount of memory slots: 300"),
        (
            {"slots": 2, "maxmem": 4 * GiB},
            "invalid value of maxmem: memory slots were specified but maximum memory size "
            "(0x100000000) is equal to the initial memory size (0x100000000)",
        ),
        (
            {"maxmem": 2 * TiB, "phys_bits": 40, "cpu_vendor": "amd"},
            # AMD vCPU (qemu64): RAM above 4G moves to 1 TiB, device memory follows it
            "Address space limit 0xffffffffff < 0x3077fffffff phys-bits too low (40)",
        ),
        # S7 (Incus on a 36-bit Ivy Bridge host): 1G ram, maxmem 23G, 16 slots, Intel vCPU
        (
            {
                "ram": 1 * GiB,
                "maxmem": 23 * GiB,
                "slots": 16,
                "phys_bits": 36,
                "cpu_vendor": "intel",
            },
            "Address space limit 0xfffffffff < 0x127fffffff phys-bits too low (36)",
        ),
    ],
)
def test_startup_errors(overrides, message):
    report = replay(config(machine(**overrides), memory=[dimm("d", 1 * GiB)]))
    assert report.startup_error == message
    assert report.events[0].skipped


def test_pc_dimm_slot_errors():
    def err(slot, slots=2, n=1):
        memory = [dimm(f"d{i}", 1 * GiB, slot=slot) for i in range(n)]
        return (
            replay(
                config(
                    machine(slots=slots, maxmem=16 * GiB),
                    memory=memory,
                    timeline=[("hotplug", m["id"]) for m in memory],
                )
            )
            .events[-1]
            .error
        )

    assert err(5) == "invalid slot number 5, valid range is [0-1]"
    assert err(-3) == "invalid slot number -3, valid range is [0-1]"
    assert err(1, n=2) == "slot 1 is busy"
    assert err(None, slots=2, n=3) == "no free slots available"


def test_vdpa_and_virtio_mem_exclude_each_other():
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            vhost=[{"kind": "vhost-vdpa", "id": "vdpa0"}],
            memory=[vmem("v", 8 * GiB)],
            timeline=[("cold", "vdpa0"), ("hotplug", "v")],
        )
    )
    assert report.events[1].error == "Discarding RAM is disabled"


def test_invalid_max_mem_regions_falls_back_to_64():
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            vhost=[{"kind": "vhost-kernel", "id": "n", "max_mem_regions": 0}],
        )
    )
    assert report.events[0].budget.vhost[0].limit == 64
    assert "ignoring invalid max_mem_regions value in vhost module: 0" in report.warnings


def test_suggestions_are_verified_fixes():
    cfg = config(
        machine(maxmem=68 * GiB, memory_backend="memfd"),
        memory=[vmem("vmem0", 64 * GiB, backend="memfd", share=True)],
        vhost=[{"kind": "vhost-user", "id": "fs0", "max_mem_slots": 32}],
        timeline=[("cold", "vmem0"), ("hotplug", "fs0")],
    )
    suggestions = suggest(cfg)
    titles = [s.title for s in suggestions]
    assert "Plug fs0 before vmem0" in titles
    assert "Give fs0 a back-end with 509 memslots" in titles
    for suggestion in suggestions:
        assert replay(suggestion.config).ok
        assert suggestion.fixes == (1,)


def test_suggestion_raises_maxmem_by_the_exact_amount():
    cfg = config(
        machine(slots=1, maxmem=20 * GiB),
        memory=[dimm("d0", 12 * GiB), vmem("vmem0", 8 * GiB)],
        timeline=[("cold", "d0"), ("hotplug", "vmem0")],
    )
    first = suggest(cfg)[0]
    assert first.title == "Raise maxmem by 4G to 24G"
    assert first.config.machine.maxmem == 24 * GiB


def test_suggestions_for_example_13_match_the_notes():
    cfg = config(
        machine(maxmem=36 * GiB), memory=[{"kind": "hv-balloon", "id": "hvb", "size": 32 * GiB}]
    )
    titles = [s.title for s in suggest(cfg)]
    assert titles == ["Raise maxmem to 62G", "Set slots=26"]


def test_no_suggestions_when_everything_works_and_headroom():
    cfg = config(machine(maxmem=68 * GiB), memory=[vmem("v", 64 * GiB)])
    assert suggest(cfg) == ()
    room = headroom(cfg)
    assert room.memslots == 32764 - 10 - 64  # 10 boot KVM slots, 64 reserved
    assert room.soft_limit_left == 192
    assert room.virtio_mem_bytes == 0


def test_tap_vhost_net_wraps_the_memslot_error_and_prints_it_on_stderr():
    """S3: 70 DIMMs hot-plugged, then a vhost-net NIC (max_mem_regions 64)."""
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
    assert last.error == "vhost-net requested but could not be initialized"
    assert (
        "vhost backend memory slots limit (64) is less than current number of used (73) and "
        "reserved (0) memory slots for memory devices."
    ) in last.warnings
    titles = [
        s.title
        for s in suggest(
            config(
                machine(slots=80, maxmem=84 * GiB),
                memory=dimms,
                vhost=[{"kind": "vhost-kernel", "id": "net0"}],
                timeline=[*[("hotplug", d["id"]) for d in dimms], ("hotplug", "net0")],
            )
        )
    ]
    assert "Give net0 a back-end with 509 memslots" in titles


def test_without_a_guest_unplug_of_a_cold_plugged_device_stays_pending():
    def run(machine_type: str, first: str):
        return replay(
            config(
                machine(type=machine_type, ram=1 * GiB, maxmem=9 * GiB, guest_plugs_memory=False),
                memory=[vmem("vm0", 8 * GiB)],
                timeline=[(first, "vm0"), ("unplug", "vm0")],
            )
        )

    cold = run("q35", "cold").events[1]
    assert cold.ok and cold.pending and cold.budget.required_memslots > 0
    hot = run("q35", "hotplug").events[1]
    assert hot.ok and not hot.pending and hot.budget.required_memslots == 0
    pc = run("pc", "hotplug").events[1]
    assert pc.pending


def test_a_pending_vhost_unplug_keeps_its_limit():
    report = replay(
        config(
            machine(ram=1 * GiB, maxmem=17 * GiB, memory_backend="memfd", guest_plugs_memory=False),
            vhost=[{"kind": "vhost-user", "id": "fs0", "max_mem_slots": 32}],
            memory=[vmem("vm0", 16 * GiB, backend="memfd", share=True)],
            timeline=[("cold", "fs0"), ("unplug", "fs0"), ("hotplug", "vm0")],
        )
    )
    assert report.events[1].pending
    assert (report.events[2].memslot_limit, report.events[2].memslots) == (1, 1)


def test_suggestions_survive_fixes_that_shorten_the_timeline():
    dimms = [dimm(f"mem{i}", 1 * GiB, backend="memfd", share=True) for i in range(7)]
    cfg = config(
        machine(memory_backend="memfd", slots=10, ram=2 * GiB, maxmem=66 * GiB),
        vhost=[{"kind": "vhost-user", "id": "fs0", "configure_mem_slots": False}],
        memory=dimms,
        timeline=[("cold", "fs0"), *[("hotplug", d["id"]) for d in dimms]],
    )
    suggestions = suggest(cfg)
    assert any(s.title.startswith("Replace the 7 DIMMs") for s in suggestions)
    for suggestion in suggestions:
        assert replay(suggestion.config).ok


def test_plugging_a_device_that_is_still_plugged():
    """Seen on QEMU 10.0.2: object-add of the backend fails before device_add would."""
    report = replay(
        config(
            machine(maxmem=68 * GiB),
            memory=[vmem("v", 8 * GiB, requested_size=2 * GiB)],
            timeline=[("cold", "v"), ("unplug", "v"), ("hotplug", "v")],
        )
    )
    assert report.events[1].error is not None  # refused: memory still plugged
    assert report.events[2].error == (
        "attempt to add duplicate property 'mem-v' to object (type 'container')"
    )


def test_fewer_larger_dimms_is_offered_when_it_fits():
    dimms = [dimm(f"mem{i}", 1 * GiB, backend="memfd", share=True) for i in range(7)]
    cfg = config(
        machine(memory_backend="memfd", slots=10, ram=2 * GiB, maxmem=66 * GiB),
        vhost=[{"kind": "vhost-user", "id": "fs0", "configure_mem_slots": False}],
        memory=dimms,
        timeline=[("cold", "fs0"), *[("hotplug", d["id"]) for d in dimms]],
    )
    larger = next(s for s in suggest(cfg) if s.title.startswith("Use "))
    assert larger.title == "Use 6 DIMMs of 1280M instead of 7"
    assert sum(d.size for d in larger.config.memory_devices) >= 7 * GiB


def test_phys_bits_suggestion_is_the_smallest_that_works():
    cfg = config(
        machine(ram=1 * GiB, maxmem=23 * GiB, slots=16, phys_bits=36, cpu_vendor="intel"),
        memory=[dimm("d", 1 * GiB)],
    )
    titles = [s.title for s in suggest(cfg)]
    assert titles == ["Use -cpu …,phys-bits=37", "Use fewer DIMM slots (slots=6)"]


def test_a_failed_hot_vhost_user_netdev_stops_qemu_answering():
    """Seen on QEMU 10.0.2: netdev_add never returns, so nothing after it happens."""
    report = replay(
        config(
            machine(ram=1 * GiB, maxmem=17 * GiB, memory_backend="memfd"),
            memory=[vmem("vm0", 16 * GiB, backend="memfd", share=True)],
            vhost=[{"kind": "vhost-user", "id": "net0", "device": "net", "max_mem_slots": 32}],
            timeline=[("hotplug", "vm0"), ("hotplug", "net0"), ("unplug", "vm0")],
        )
    )
    assert report.events[1].error.startswith("some memory device (like virtio-mem) decided")
    assert report.events[2].skipped
    assert report.events[2].warnings == ("never reached: QEMU stopped answering QMP after net0",)


def test_resize_of_a_missing_device_names_the_qom_path():
    report = replay(
        config(
            machine(ram=1 * GiB, maxmem=5 * GiB),
            memory=[vmem("m0", 256 * MiB, dynamic_memslots=False, requested_size=3 * MiB)],
            timeline=[("hotplug", "m0"), ("resize", "m0", 128 * MiB)],
        )
    )
    assert report.events[0].error == (
        "'requested-size' property has to be multiples of 'block-size' (0x200000)"
    )
    assert report.events[1].error == "Device '/machine/peripheral/m0' not found"
