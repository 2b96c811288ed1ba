"""Issue 11's QEMU ≤ 10.0.2 behaviours, host facts and the CPU vendor, as worked examples.

Each case is the one a real QEMU answered (10.0.2 / 7.2 recordings in tests/qemu/observed/ hold
the same configurations); here they are checked across the rule sets, independent of the host.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.conftest import config, dimm, machine
from tui.engine import replay
from tui.engine.host import (
    ASSUMED_MACHINE_FIELDS,
    CPU_VENDOR_IDS,
    Fact,
    HostFacts,
    apply_host,
    host_changes,
    vendor_from_id,
)
from tui.engine.model import Config
from tui.engine.units import GiB, MiB, TiB

MEMFD = {"backend": "memfd", "share": True}
NOT_ENOUGH = "a used vhost backend has not enough free memory slots left"


def _vu(ident: str, slots: int, device: str) -> dict[str, Any]:
    return {"kind": "vhost-user", "id": ident, "device": device, "max_mem_slots": slots}


def _per_device_case(version: str) -> Config:
    """q35, 1G memfd RAM, maxmem 9G, 4 slots; cold vhost-user net (1 slot), hotplug vhost-user
    blk (3 slots), then two 1G memfd DIMMs."""
    return config(
        machine(
            ram=1 * GiB,
            maxmem=9 * GiB,
            slots=4,
            memory_backend="memfd",
            boot_kvm_slots=None,
            qemu_version=version,
        ),
        memory=[dimm("d0", 1 * GiB, **MEMFD), dimm("d1", 1 * GiB, **MEMFD)],
        vhost=[_vu("net0", 1, "net"), _vu("blk0", 3, "blk")],
        timeline=[("cold", "net0"), ("hotplug", "blk0"), ("hotplug", "d0"), ("hotplug", "d1")],
    )


def test_vhost_free_is_the_minimum_over_devices_in_10_0() -> None:
    """8.2–10.0: net0 is over its limit (1 - 2 wraps to ~4e9), blk0 has 3 - 2 = 1 free: d0
    takes it and d1 is refused, as QEMU 10.0.2 refused it."""
    report = replay(_per_device_case("10.0.2"))
    assert [e.ok for e in report.events] == [True, True, True, False]
    assert report.events[3].error == NOT_ENOUGH
    free = {line.id: line.free for line in report.events[2].budget.vhost}
    assert free == {"net0": (1 - 3) & 0xFFFFFFFF, "blk0": 0}


def test_vhost_free_is_zero_over_the_limit_in_10_1() -> None:
    """10.1: net0 over its limit has 0 free, so no memory device can be plugged at all."""
    report = replay(_per_device_case("10.1"))
    assert [e.ok for e in report.events] == [True, True, False, False]
    assert report.events[2].error == NOT_ENOUGH


def test_one_used_count_and_no_wrap_before_8_2() -> None:
    """≤ 8.1 (seen on 7.2): `limit > used` over one global count: net0 (1) ≤ used 2 refuses."""
    report = replay(_per_device_case("7.2"))
    assert [e.ok for e in report.events] == [True, True, False, False]
    assert report.events[2].error == "a used vhost backend has no free memory slots left"


@pytest.mark.parametrize("machine_type", ["q35", "pc"])
def test_cold_device_error_comes_before_the_boot_kvm_abort(machine_type: str) -> None:
    """Boot memory needs more KVM slots than the host's 4: QEMU realizes -device first, so the
    DIMM's own error is what the user sees (QEMU 10.0.2)."""
    report = replay(
        config(
            machine(
                type=machine_type, kvm_memslots=4, ram=1 * GiB, maxmem=4 * GiB, boot_kvm_slots=None
            ),
            memory=[dimm("d0", 1 * GiB)],
            timeline=[("cold", "d0")],
        )
    )
    assert report.startup_error is None
    assert report.events[0].error == "no slots where allocated, please specify the 'slots' option"


def test_boot_kvm_abort_after_the_devices_that_succeed() -> None:
    report = replay(
        config(
            machine(kvm_memslots=4, ram=1 * GiB, maxmem=4 * GiB, slots=2, boot_kvm_slots=None),
            memory=[dimm("d0", 1 * GiB), dimm("d1", 1 * GiB)],
            timeline=[("cold", "d0"), ("hotplug", "d1")],
        )
    )
    assert report.startup_error == "kvm_alloc_slot: no free slot available"
    assert report.events[0].ok and report.events[1].skipped


def test_boot_kvm_count_does_not_matter_under_tcg() -> None:
    report = replay(
        config(
            machine(accel="tcg", kvm_memslots=4, ram=1 * GiB, boot_kvm_slots=None),
            memory=[],
            timeline=[],
        )
    )
    assert report.startup_error is None


@pytest.mark.parametrize(
    ("vendor", "end"),
    [("amd", "0x2087fffffff"), ("intel", "0x1097fffffff")],
)
def test_vendor_decides_the_1_tib_relocation(vendor: str, end: str) -> None:
    """The two messages QEMU 10.0.2 gave for the same command line with each vendor."""
    report = replay(
        config(
            machine(ram=4 * GiB, maxmem=1028 * GiB, phys_bits=40, cpu_vendor=vendor),
            memory=[{"kind": "virtio-mem", "id": "vm0", "size": 1 * TiB, "dynamic_memslots": True}],
            timeline=[("cold", "vm0")],
        )
    )
    assert (
        report.startup_error == f"Address space limit 0xffffffffff < {end} phys-bits too low (40)"
    )


# ---------------------------------------------------------------- host facts


def _facts(**values: Any) -> HostFacts:
    base = {
        "kvm_memslots": 509,
        "vhost_max_mem_regions": None,
        "thp_size": 2 * MiB,
        "cpu_vendor": "amd",
        "cpu_vendor_id": "AuthenticAMD",
        "phys_bits": 48,
        "qemu_version": "10.0.2",
    }
    base.update(values)
    return HostFacts(
        **{
            k: Fact(v, "test", "" if v is not None else "not readable here")
            for k, v in base.items()
        }
    )


def test_apply_host_changes_each_fact_once_and_says_which() -> None:
    cfg = config(
        machine(cpu_vendor="intel", qemu_version="10.1"),
        vhost=[{"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 64}],
        timeline=[("cold", "net0")],
    )
    new, changes = apply_host(cfg, _facts(vhost_max_mem_regions=509))
    where = {c.where: (c.old, c.new) for c in changes}
    assert where == {
        "machine.kvm_memslots": (32764, 509),
        "machine.cpu_vendor": ("intel", "amd"),
        "machine.qemu_version": ("10.1", "10.0.2"),
        "vhost_devices[0].max_mem_regions": (64, 509),
    }
    assert new.machine.kvm_memslots == 509 and new.machine.cpu_vendor == "amd"
    assert new.vhost_devices[0].max_mem_regions == 509
    assert apply_host(new, _facts(vhost_max_mem_regions=509))[1] == []


def test_unknown_facts_change_nothing() -> None:
    cfg = config(machine(), timeline=[])
    facts = _facts(kvm_memslots=None, thp_size=None, cpu_vendor=None, qemu_version=None)
    assert host_changes(cfg, facts) == []


def test_tcg_keeps_qemu64_amd_whatever_the_host() -> None:
    cfg = config(machine(accel="tcg", cpu_vendor="intel"), timeline=[])
    changes = host_changes(cfg, _facts(cpu_vendor="intel", cpu_vendor_id="GenuineIntel"))
    assert {c.where: c.new for c in changes}["machine.cpu_vendor"] == "amd"


def test_vendor_ids() -> None:
    assert CPU_VENDOR_IDS == {"amd": "AuthenticAMD", "intel": "GenuineIntel"}
    assert vendor_from_id("GenuineIntel") == "intel"
    assert vendor_from_id("HygonGenuine") is None


def test_a_saved_file_states_its_host_assumptions() -> None:
    from tui.formats.toml import dumps, loads

    text = dumps(Config())
    for name in ASSUMED_MACHINE_FIELDS:
        assert f"\n{name} = " in text, name
    assert loads(text) == Config()


# ---------------------------------------------------------------- vhost-user back-end restart


def _restart_case(version: str, slots: int, timeline: list[tuple[str, ...]]) -> Config:
    from tui.engine.model import Event

    data = {
        "machine": {
            "ram": "1G",
            "slots": 8,
            "maxmem": "9G",
            "memory_backend": "memfd",
            "qemu_version": version,
        },
        "memory_devices": [dimm(f"d{i}", 1 * GiB, **MEMFD) for i in range(6)],
        "vhost_devices": [_vu("blk0", slots, "blk")],
        "timeline": [
            Event(action=e[0], device=e[1], max_mem_slots=int(e[2]))
            if len(e) > 2
            else Event(action=e[0], device=e[1])
            for e in timeline
        ],
    }
    return Config.model_validate(data)


def test_a_disconnected_back_end_limits_nothing_and_may_not_shrink() -> None:
    """vhost-user-blk (limit 3) is torn down while its back-end is gone: DIMMs plug past its
    limit; a restarted back-end offering fewer slots than validated before is refused (stderr
    only) and the device stays disconnected."""
    report = replay(
        _restart_case(
            "10.0.2",
            3,
            [
                ("hotplug", "blk0"),
                ("hotplug", "d0"),
                ("hotplug", "d1"),
                ("disconnect", "blk0"),
                ("hotplug", "d2"),
                ("reconnect", "blk0", "2"),
                ("hotplug", "d3"),
            ],
        )
    )
    oks = [e.ok for e in report.events]
    assert oks == [True, True, False, True, True, False, True]
    assert report.events[5].error == (
        "The backend specified a max ram slots limit of 2, when the prior validated limit was 3. "
        "This limit should never decrease."
    )
    assert report.events[5].refusal is not None
    assert any("stays disconnected" in w for w in report.events[5].warnings)


def test_reconnect_reruns_the_init_checks() -> None:
    """Back with the same limit 3 while 5 DIMM regions are in use: refused, stays down; an
    upgraded back-end (64) is accepted and limits again."""
    base = [
        ("hotplug", "blk0"),
        ("disconnect", "blk0"),
        ("hotplug", "d0"),
        ("hotplug", "d1"),
        ("hotplug", "d2"),
    ]
    same = replay(_restart_case("10.1", 3, [*base, ("reconnect", "blk0")]))
    assert same.events[-1].error == (
        "vhost backend memory slots limit (3) is less than current number of used (5) and "
        "reserved (0) memory slots for memory devices."
    )
    upgraded = replay(
        _restart_case("10.1", 3, [*base, ("reconnect", "blk0", "64"), ("hotplug", "d3")])
    )
    assert [e.ok for e in upgraded.events[-2:]] == [True, True]
    assert [line.limit for line in upgraded.events[-1].budget.vhost] == [64]


@pytest.mark.parametrize(
    ("events", "field"),
    [
        ([("reconnect", "blk0")], "timeline[0].device"),
        ([("hotplug", "blk0"), ("reconnect", "blk0")], "is not disconnected"),
        ([("hotplug", "d0"), ("disconnect", "d0")], "only vhost-user back-ends"),
    ],
)
def test_restart_events_are_checked(events: list[tuple[str, ...]], field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        _restart_case("10.1", 3, events)


def test_virtio_balloon_takes_no_memslot_and_allows_one_balloon() -> None:
    """QEMU 10.0.2: a second balloon (virtio or hv) is "Only one balloon device is supported";
    a virtio-balloon maps nothing, so the KVM count is the same with or without it."""
    cfg = config(
        machine(ram=4 * GiB, maxmem=8 * GiB, boot_kvm_slots=None),
        memory=[{"kind": "hv-balloon", "id": "hvb", "size": 2 * GiB}],
        consumers=[
            {"id": "bal0", "kind": "virtio-balloon"},
            {"id": "bal1", "kind": "virtio-balloon"},
        ],
        timeline=[("cold", "bal0"), ("hotplug", "bal1")],
    )
    report = replay(cfg)
    assert report.events[0].ok
    assert report.events[1].error == "Only one balloon device is supported"
    alone = replay(config(machine(ram=4 * GiB, boot_kvm_slots=None), timeline=[]))
    assert report.final.kvm_used == alone.final.kvm_used
    hv_after = replay(
        config(
            machine(ram=4 * GiB, maxmem=8 * GiB, boot_kvm_slots=None),
            memory=[{"kind": "hv-balloon", "id": "hvb", "size": 2 * GiB}],
            consumers=[{"id": "bal0", "kind": "virtio-balloon"}],
            timeline=[("cold", "bal0"), ("cold", "hvb")],
        )
    )
    assert hv_after.events[1].error == "Only one balloon device is supported"


def test_a_backend_backs_one_device() -> None:
    """QEMU 10.0.2 and 7.2: the busy-memdev refusal in each kind's words, after the pre-plug
    checks; a device naming a backend whose owner is not plugged finds no object."""
    cfg = config(
        machine(ram=1 * GiB, slots=4, maxmem=8 * GiB, boot_kvm_slots=None),
        memory=[
            dimm("d0", 2 * GiB, backend="memfd", share=True),
            {"kind": "virtio-mem", "id": "vm0", "size": 1, "memdev": "d0"},
            {"kind": "virtio-mem", "id": "vm1", "size": 1, "memdev": "d0"},
            dimm("d1", 1, memdev="d0"),
        ],
        timeline=[("hotplug", "vm0"), ("hotplug", "d0"), ("hotplug", "vm1"), ("hotplug", "d1")],
    )
    assert cfg.memory_devices[1].size == 2 * GiB and cfg.memory_devices[1].backend == "memfd"
    errors = [e.error for e in replay(cfg).events]
    assert errors == [
        "Device 'mem-d0' not found",
        None,
        "'memdev' property specifies a busy memdev: mem-d0",
        "can't use already busy memdev: mem-d0",
    ]


def test_memdev_must_name_a_device_with_its_own_backend() -> None:
    with pytest.raises(ValueError, match=r"memory_devices\[1\]\.memdev"):
        config(
            machine(),
            memory=[dimm("d0", GiB), dimm("d1", GiB, memdev="nope")],
            timeline=[],
        )
