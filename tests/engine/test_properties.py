"""Invariants of replay() over generated configurations (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine import Config, replay
from tui.engine.limits import SOFT_LIMIT
from tui.engine.units import GiB, MiB

SIZES = st.sampled_from([128 * MiB, 512 * MiB, 1 * GiB, 3 * GiB, 8 * GiB, 64 * GiB, 1024 * GiB])


@st.composite
def memory_device(draw: Any, index: int) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["pc-dimm", "virtio-mem", "virtio-mem", "virtio-pmem", "hv-balloon"])
    )
    device: dict[str, Any] = {
        "kind": kind,
        "id": f"m{index}",
        "size": draw(SIZES),
        "backend": draw(st.sampled_from(["ram", "memfd"])),
    }
    if kind == "virtio-mem":
        device["dynamic_memslots"] = draw(st.booleans())
        device["requested_size"] = draw(st.sampled_from([0, 128 * MiB, 1 * GiB, 4 * GiB]))
    return device


@st.composite
def vhost_device(draw: Any, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["vhost-kernel", "vhost-user"]))
    if kind == "vhost-kernel":
        return {
            "kind": kind,
            "id": f"v{index}",
            "device": draw(st.sampled_from(["net", "vsock"])),
            "max_mem_regions": draw(st.sampled_from([8, 64, 509, 1024])),
        }
    return {
        "kind": kind,
        "id": f"v{index}",
        "device": draw(st.sampled_from(["fs", "blk", "net"])),
        "configure_mem_slots": draw(st.booleans()),
        "max_mem_slots": draw(st.sampled_from([32, 508, 509])),
    }


@st.composite
def configs(draw: Any) -> Config:
    ram = draw(st.sampled_from([1 * GiB, 4 * GiB, 16 * GiB]))
    maxmem = ram + draw(st.sampled_from([0, 8 * GiB, 64 * GiB, 1100 * GiB]))
    machine = {
        "ram": ram,
        "maxmem": maxmem,
        "slots": draw(st.integers(0, 8)) if maxmem > ram else 0,
        "accel": draw(st.sampled_from(["kvm", "tcg"])),
        "phys_bits": 48,
        "kvm_memslots": draw(st.sampled_from([509, 32764])),
        "memory_backend": draw(st.sampled_from(["ram", "memfd"])),
        "qemu_version": draw(st.sampled_from(["8.1", "9.2", "10.0.2", "10.1"])),
    }
    memory = [draw(memory_device(i)) for i in range(draw(st.integers(0, 6)))]
    vhost = [draw(vhost_device(i)) for i in range(draw(st.integers(0, 3)))]
    ids = [d["id"] for d in memory + vhost]
    order = draw(st.permutations(ids))
    cold = draw(st.integers(0, len(order)))
    timeline: list[dict[str, Any]] = [{"action": "cold", "device": i} for i in order[:cold]]
    timeline += [{"action": "hotplug", "device": i} for i in order[cold:]]
    return Config.model_validate(
        {"machine": machine, "memory_devices": memory, "vhost_devices": vhost, "timeline": timeline}
    )


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(configs())
def test_replay_is_deterministic(config: Config):
    assert replay(config) == replay(config)


@PROPERTY
@given(configs())
def test_decided_memslots_never_exceed_the_limit(config: Config):
    for event in replay(config).events:
        if event.memslot_limit is not None and event.memslots is not None:
            assert 1 <= event.memslots <= max(event.memslot_limit, 1)


@PROPERTY
@given(configs())
def test_auto_decisions_never_push_required_over_the_soft_limit(config: Config):
    for event in replay(config).events:
        if event.ok and event.memslot_limit is not None and (event.memslots or 0) > 1:
            assert event.budget.required_memslots <= SOFT_LIMIT


@PROPERTY
@given(configs())
def test_counters_are_consistent(config: Config):
    report = replay(config)
    for event in report.events:
        budget = event.budget
        assert budget.reserved_memslots == max(budget.required_memslots - budget.used_memslots, 0)
        assert budget.used_region_size <= budget.device_memory_space or event.skipped
        if budget.kvm_max is not None and budget.kvm_used is not None:
            assert budget.kvm_used + budget.kvm_free == budget.kvm_max


@PROPERTY
@given(configs())
def test_a_refused_hotplug_leaves_no_state(config: Config):
    report = replay(config)
    previous = report.boot_budget
    for event in report.events:
        if event.phase != "hot" or event.skipped:
            continue
        if not event.ok and previous is not None:
            assert event.budget == previous
        previous = event.budget


@PROPERTY
@given(configs())
def test_the_free_counts_a_budget_shows_are_those_the_next_hotplug_checks(config: Config):
    """A budget derives KVM and vhost free when read (vhost: the smallest of the devices' own
    free counts); a hotplug's checks compute kvm_get_free_memslots() and
    vhost_get_free_memslots() as the replay runs. Between two events nothing changes, so the
    two must agree."""
    report = replay(config)
    previous = report.boot_budget
    for event in report.events:
        if event.phase != "hot" or event.skipped:
            continue
        if previous is not None:
            for step in event.derivation:
                if step.rule == "vhost-check":
                    assert step.value == previous.vhost_free
                elif step.rule == "kvm-check":
                    assert step.value == previous.kvm_free
        previous = event.budget


@PROPERTY
@given(configs())
def test_hotplug_then_unplug_restores_the_counters(config: Config):
    report = replay(config)
    if not report.ok or report.boot_budget is None:
        return
    # unplug every hot-plugged memory device, newest first; skip configurations with one that
    # cannot leave (before 8.2 no virtio memory device can be unplugged: QEMU 7.2 refuses it)
    stays = {"virtio-pmem", "hv-balloon", "nvdimm"} | (
        {"virtio-mem"} if report.rules == "8.1" else set()
    )
    hot = [
        e.device
        for e in report.events
        if e.action == "hotplug" and e.kind in ("pc-dimm", "virtio-mem")
    ]
    if not hot or any(e.action == "hotplug" and e.kind in stays for e in report.events):
        return
    data = config.model_dump(mode="json")
    for device in reversed(hot):
        item = next(d for d in data["memory_devices"] if d["id"] == device)
        if item["kind"] == "virtio-mem" and item.get("requested_size") not in (0, "0"):
            data["timeline"].append({"action": "resize", "device": device, "requested_size": 0})
        data["timeline"].append({"action": "unplug", "device": device})
    unplugged = replay(Config.model_validate(data))
    last = unplugged.events[-1].budget
    before = _budget_before_hotplugs(report, hot)
    assert all(e.ok for e in unplugged.events[len(report.events) :])
    assert (
        last.required_memslots,
        last.used_memslots,
        last.used_region_size,
        last.auto_decision_active,
        last.kvm_used,
    ) == (
        before.required_memslots,
        before.used_memslots,
        before.used_region_size,
        before.auto_decision_active,
        before.kvm_used,
    )


def _budget_before_hotplugs(report, hot):
    first = next(e.index for e in report.events if e.device in hot and e.action == "hotplug")
    earlier = [e for e in report.events if e.index < first and e.phase == "hot"]
    return earlier[-1].budget if earlier else report.boot_budget


@PROPERTY
@given(configs(), st.integers(1, 12))
def test_every_suggestion_is_what_it_says_and_the_search_keeps_its_bounds(
    config: Config, max_replays: int
) -> None:
    """Each fix fixes the events it names, breaks nothing that worked, lists as remaining
    exactly what still fails, and the search never replays more than its cap."""
    from tui.engine.advice import Bounds, advise

    report = replay(config)
    result = advise(config, report, Bounds(max_replays=max_replays))
    assert result.replays <= max_replays
    assert result.complete == (result.stopped_by is None)
    worked = {config.timeline[e.index].device for e in report.events if e.ok}
    for fix in result.suggestions:
        new = replay(fix.config)
        assert new.startup_error is None
        assert fix.remaining == tuple(e.index for e in new.events if not e.ok and not e.skipped)
        assert fix.partial == bool(fix.remaining)
        for index in fix.fixes:
            assert not report.events[index].ok
        still_there = {fix.config.timeline[e.index].device for e in new.events if e.ok}
        # every device that plugged before still plugs, unless the fix removed it
        kept = {d.id for d in fix.config.all_devices()}
        assert worked & kept <= still_there | {
            e.device for e in fix.config.timeline if e.action not in ("cold", "hotplug")
        }
