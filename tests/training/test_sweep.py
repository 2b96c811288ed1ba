"""Sweeps: each point is the engine's replay of the changed configuration."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.engine import replay
from tui.engine.units import GiB
from tui.formats.toml import load
from tui.params import ParamError, apply
from tui.presets import repo_preset_dir
from tui.sweep import run_sweep, values


@given(st.integers(0, 1 << 50), st.integers(0, 1 << 50), st.integers(1, 300), st.booleans())
def test_values_cover_the_range_in_order(start: int, stop: int, steps: int, size: bool) -> None:
    points = values(start, stop, steps, size)
    assert 1 <= len(points) <= steps
    assert len(set(points)) == len(points)
    low, high = min(start, stop), max(start, stop)
    if size:  # rounded to the largest power of two dividing both ends: never outside by more
        quantum = min(x & -x for x in (start, stop) if x) if (start or stop) else 1
        low, high = low - quantum, high + quantum
    assert all(low <= p <= high for p in points)
    assert points == sorted(points) or points == sorted(points, reverse=True)
    if not size:
        assert points[0] == start and (steps == 1 or points[-1] == stop)


def test_values_of_sizes_stay_aligned() -> None:
    assert values(4 * GiB, 1024 * GiB, 5, True) == [
        4 * GiB,
        260 * GiB,
        516 * GiB,
        768 * GiB,
        1024 * GiB,
    ]
    assert all(v % (4 * GiB) == 0 for v in values(68 * GiB, 132 * GiB, 17, True))
    with pytest.raises(ParamError):
        values(1, 2, 0, False)


def test_vhost_limit_sweep_crosses_509() -> None:
    """Worked examples 8/9: below 509 the virtio-mem gets limit 1, from 509 on it decides 64."""
    config = load(repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml")
    result = run_sweep(config, "net0.max_mem_regions", [64, 508, 509, 600])
    assert [p.limits["vmem0"] for p in result.points] == [1, 1, 256, 256]
    assert [p.memslots["vmem0"] for p in result.points] == [1, 1, 64, 64]
    assert [p.overall_max for p in result.points] == [64, 508, 509, 600]
    assert all(p.ok for p in result.points) and result.first_failing is None


def test_every_point_is_the_engine_replay() -> None:
    config = load(repo_preset_dir() / "s04a-neonvm-1g-dimms-vhost-net-64.toml")
    result = run_sweep(config, "net0.max_mem_regions", [60, 64, 80])
    for point in result.points:
        report = replay(apply(config, "net0.max_mem_regions", point.value))
        failure = next((e for e in report.events if not e.ok and not e.skipped), None)
        assert point.ok == report.ok
        assert point.first_failure == (failure.index + 1 if failure else None)
        assert point.failure_error == (failure.error if failure else None)
    assert result.first_failing is result.points[0]


def test_invalid_values_are_points_with_a_reason() -> None:
    config = load(repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml")
    result = run_sweep(config, "machine.phys_bits", [20, 40])
    assert result.points[0].invalid and "greater than or equal to 32" in result.points[0].invalid
    assert result.points[1].invalid is None and result.points[1].ok
    assert result.first_failing is None  # an invalid value is not a QEMU refusal


def test_a_value_qemu_refuses_at_start_up_is_a_failing_point() -> None:
    """maxmem below ram is QEMU's own start-up error, not an input error."""
    config = load(repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml")
    result = run_sweep(config, "machine.maxmem", [2 * GiB, 68 * GiB])
    low = result.points[0]
    assert low.invalid is None and not low.ok
    assert low.startup_error and low.startup_error.startswith("invalid value of maxmem")
    assert result.first_failing is low and result.points[1].ok
    with pytest.raises(ParamError, match="no such parameter"):
        run_sweep(config, "machine.nothing", [1])


def test_block_sizes_step_through_powers_of_two() -> None:
    mib = 1 << 20
    assert values(mib, 16 * mib, 50, True, doubling=True) == [
        mib,
        2 * mib,
        4 * mib,
        8 * mib,
        16 * mib,
    ]
    assert values(mib, 1024 * mib, 3, True, doubling=True) == [mib, 32 * mib, 1024 * mib]
    assert values(3 * mib, 5 * mib, 9, True, doubling=True) == [4 * mib]
    config = load(repo_preset_dir() / "ex01-virtio-mem-64-memslots.toml")
    result = run_sweep(config, "vmem0.block_size", values(mib, 1 << 30, 20, True, doubling=True))
    assert all(p.ok for p in result.points)  # every power of two divides 64G
