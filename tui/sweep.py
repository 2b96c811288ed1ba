"""Vary one parameter over a range and record what the engine decides at each point.

The sweep computes no memslot itself: each point is a changed Config (tui.params) replayed by
the engine; the point keeps the report's per-device limits and memslots, the first failing
event and the headroom. A value the configuration cannot take is a point with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.engine import replay
from tui.engine.advice import headroom
from tui.engine.model import Config
from tui.params import ParamError, apply, value_of

MAX_POINTS = 10_000


@dataclass(frozen=True)
class Point:
    """The engine's decisions at one value of the parameter."""

    value: int
    invalid: str | None = None
    """Why the configuration cannot take this value (the model's reason); nothing replayed."""
    ok: bool = False
    startup_error: str | None = None
    first_failure: int | None = None
    """1-based number of the first event QEMU refuses."""
    failure_device: str | None = None
    failure_error: str | None = None
    limits: dict[str, int | None] = field(default_factory=dict)
    """memslot decision limit per memory device (None where it decides nothing / never plugged)."""
    memslots: dict[str, int | None] = field(default_factory=dict)
    overall_max: int | None = None
    """min(KVM max, vhost max) after the last event: under 509, deciders get limit 1."""
    headroom: int | None = None
    """More 1-memslot devices KVM and every vhost back-end still accept after the last event."""


@dataclass(frozen=True)
class Sweep:
    """A parameter, its values, and one Point per value."""

    param: str
    points: tuple[Point, ...]
    devices: tuple[str, ...]
    """The memory devices of the configuration, in order (the columns of a table or a chart)."""

    @property
    def first_failing(self) -> Point | None:
        """The first point at which QEMU refuses an event or does not start."""
        return next((p for p in self.points if p.invalid is None and not p.ok), None)


def values(start: int, stop: int, steps: int, size: bool, doubling: bool = False) -> list[int]:
    """`steps` values from start to stop (both included), evenly spread, without repeats.

    Sizes are rounded to the largest power of two that divides both ends (a sweep from 4G to
    1T moves in multiples of 4G), so intermediate points stay as aligned as the ends. With
    `doubling` (a block size: QEMU takes powers of two only) the values are the powers of two
    between the ends, at most `steps` of them, evenly spread."""
    if steps < 1 or steps > MAX_POINTS:
        raise ParamError(f"steps must be between 1 and {MAX_POINTS}, not {steps}")
    if doubling:
        low, high = sorted((start, stop))
        powers = [1 << b for b in range(max(low, 1).bit_length() - 1, high.bit_length())]
        powers = [p for p in powers if low <= p <= high] or [low]
        if start > stop:
            powers.reverse()
        if len(powers) <= steps:
            return powers
        picked = [powers[(len(powers) - 1) * i // max(steps - 1, 1)] for i in range(steps)]
        return list(dict.fromkeys(picked))
    if steps == 1 or start == stop:
        return [start]
    quantum = 1
    if size:
        quantum = _pow2_divisor(start) if start else _pow2_divisor(stop)
        quantum = min(quantum, _pow2_divisor(stop)) if stop else quantum
    out: list[int] = []
    for i in range(steps):
        raw = start + ((stop - start) * i * 2 + (steps - 1)) // ((steps - 1) * 2)  # exact
        value = (raw + quantum // 2) // quantum * quantum
        if not out or value != out[-1]:
            out.append(value)
    return out


def _pow2_divisor(value: int) -> int:
    return value & -value if value > 0 else 1


def run_sweep(config: Config, param: str, points: list[int]) -> Sweep:
    """Replay `config` with `param` at each value."""
    value_of(config, param)  # an unknown path fails at once, not once per point
    devices = tuple(d.id for d in config.memory_devices)
    out = []
    for value in points:
        try:
            changed = apply(config, param, value)
        except ParamError as exc:
            out.append(Point(value=value, invalid=str(exc)))
            continue
        out.append(_point(changed, value))
    if param == "dimms" and points:
        devices = tuple(dict.fromkeys(d for p in out for d in p.limits))
    return Sweep(param=param, points=tuple(out), devices=devices)


def _point(config: Config, value: int) -> Point:
    report = replay(config)
    limits: dict[str, int | None] = {d.id: None for d in config.memory_devices}
    memslots: dict[str, int | None] = {d.id: None for d in config.memory_devices}
    for event in report.events:
        if event.device in limits and event.action in ("cold", "hotplug") and event.ok:
            limits[event.device] = event.memslot_limit
            memslots[event.device] = event.memslots
    failure = next((e for e in report.events if not e.ok and not e.skipped), None)
    final = report.final
    maxima = [m for m in (final.kvm_max, final.vhost_max) if m is not None]
    return Point(
        value=value,
        ok=report.ok,
        startup_error=report.startup_error,
        first_failure=failure.index + 1 if failure else None,
        failure_device=failure.device if failure else None,
        failure_error=failure.error if failure else report.startup_error,
        limits=limits,
        memslots=memslots,
        overall_max=min(maxima) if maxima else None,
        headroom=headroom(config, report).memslots,
    )
