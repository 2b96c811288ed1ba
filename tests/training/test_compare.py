"""Compare: events matched by what they do, differences and budget deltas read off the reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.compare import compare
from tui.engine import replay
from tui.formats.toml import load
from tui.presets import repo_preset_dir

PRESETS = sorted(repo_preset_dir().glob("*.toml"))


@pytest.mark.parametrize("path", PRESETS[::4], ids=lambda p: p.stem)
def test_a_configuration_equals_itself(path: Path) -> None:
    report = replay(load(path))
    result = compare(report, report)
    assert result.same
    assert len(result.rows) == len(report.events)
    assert all(line.delta in (0, None) for line in result.budget)


def test_fixed_order_lines_up_with_the_refused_hotplug() -> None:
    """ex10a (virtiofsd hotplugged after virtio-mem, refused) vs ex10b (virtiofsd first)."""
    a = replay(load(repo_preset_dir() / "ex10a-virtiofsd-32-after-virtio-mem.toml"))
    b = replay(load(repo_preset_dir() / "ex10b-virtiofsd-32-before-virtio-mem.toml"))
    result = compare(a, b)
    rows = {(r.action, r.device): r for r in result.rows}
    fs0 = rows[("plug", "fs0")]
    assert (fs0.a.action, fs0.a.outcome, fs0.b.action, fs0.b.outcome) == (
        "hotplug",
        "FAILED",
        "cold",
        "ok",
    )
    vmem = rows[("plug", "vmem0")]
    assert (vmem.a.memslots, vmem.b.memslots) == (64, 1)
    assert set(vmem.differs) == {"memslot_limit", "memslots"}
    assert rows[("plug", "fs1")].b is None
    reserved = {line.name: line for line in result.budget}["reserved_memslots"]
    assert (reserved.a, reserved.b, reserved.delta) == (64, 1, -63)
    assert not result.same
    # B-only events are placed after the event that precedes them in B
    back = compare(b, a)
    order = [r.device for r in back.rows]
    assert order == ["fs0", "fs1", "vmem0"]  # fs1 follows fs0, as in ex10a's timeline
    assert back.rows[1].a is None and back.rows[1].b.outcome == "ok"


REPORTS = {path.stem: replay(load(path)) for path in PRESETS}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(REPORTS)), st.sampled_from(sorted(REPORTS)))
def test_every_event_of_both_sides_appears_once_in_order(a_name: str, b_name: str) -> None:
    a, b = REPORTS[a_name], REPORTS[b_name]
    result = compare(a, b)
    a_side = [row.a.number for row in result.rows if row.a is not None]
    b_side = [row.b.number for row in result.rows if row.b is not None]
    assert a_side == list(range(1, len(a.events) + 1))  # A's order kept
    assert sorted(b_side) == list(range(1, len(b.events) + 1))
    for row in result.rows:
        for side, report in ((row.a, a), (row.b, b)):
            if side is not None:
                event = report.events[side.number - 1]
                assert event.device == row.device
                assert (side.memslot_limit, side.memslots) == (event.memslot_limit, event.memslots)
    assert compare(a, b).same == compare(b, a).same
