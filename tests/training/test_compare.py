"""Compare: events matched by what they do, differences and budget deltas read off the reports."""

from __future__ import annotations

from pathlib import Path

import pytest

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
