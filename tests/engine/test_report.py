"""Report objects: frozen dataclasses whose budgets and step texts are built when read."""

from __future__ import annotations

import dataclasses

import pytest

from tui.engine import replay
from tui.engine.report import Budget, EventAt, EventResult, Outcome, Step, accepted

from .conftest import config, machine, vmem

GiB = 1 << 30


def test_step_text_formats_sizes_and_unsigned_counts_when_read() -> None:
    step = Step(
        "free",
        1,
        "{:bytes} of {:bytes}; free {:count} / {:count}; {:.2f}",
        (
            GiB,
            1536 << 20,
            0xFFFFFFFF,
            7,
            0.5,
        ),
    )
    assert step.text == "1 GiB of 1.5 GiB; free UINT_MAX / 7; 0.50"
    assert Step("x", None, "no {placeholders} read without args").text == (
        "no {placeholders} read without args"
    )


def test_example_1_derivation_reads_in_human_sizes() -> None:
    report = replay(config(machine(maxmem=68 * GiB), memory=[vmem("vmem0", 64 * GiB)]))
    texts = [s.text for s in report.events[0].derivation]
    assert texts[-3] == (
        "memslot size = max(ALIGN_UP(64 GiB / 256, block 2 MiB) = 256 MiB, max(block, 1 GiB) = "
        "1 GiB) = 1 GiB; memslots = ⌈64 GiB / 1 GiB⌉ = 64"
    )
    assert texts[-1] == "space: 0 B used + 64 GiB ≤ maxmem − ram 64 GiB"
    assert texts[0].startswith("max = min(no vhost device (UINT_MAX), KVM max 32764) = 32764")


def test_report_objects_are_frozen_and_budgets_built_on_read() -> None:
    report = replay(config(machine(maxmem=68 * GiB), memory=[vmem("vmem0", 64 * GiB)]))
    event = report.events[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.ok = False  # type: ignore[misc]
    assert isinstance(event.budget, Budget)
    assert event.budget == event.budget and event.budget is not event.budget
    assert report.final.required_memslots == event.budget.required_memslots == 64
    as_dict = report.final.as_dict()
    assert as_dict["required_memslots"] == 64 and as_dict["reserved_memslots"] == 64
    assert as_dict["vhost"] == []


def test_fast_constructors_build_what_the_classes_build() -> None:
    """EventResult.made and accepted() skip the classes' Python-level constructors (they run
    once per event): they must build equal objects, whatever fields the classes have."""
    counters = replay(config(machine(maxmem=68 * GiB), memory=[vmem("vmem0", 64 * GiB)]))
    final = counters.final_counters
    at = EventAt(3, "hotplug", "vmem0", "virtio-mem")
    steps = (("vhost-limit", 64, "max_mem_regions of the vhost module = 64", ()),)
    assert accepted(steps, ("w",)) == Outcome(steps=steps, warnings=("w",))
    assert accepted(()) == Outcome() and type(accepted(())) is Outcome
    outcome = Outcome(steps=steps, memslots=2)
    made = EventResult.made(at, True, final, outcome)
    assert made == EventResult(at, True, final, outcome) and type(made) is EventResult
    assert (made.index, made.device, made.memslots, made.budget) == (3, "vmem0", 2, counters.final)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.ok = False  # type: ignore[misc]
