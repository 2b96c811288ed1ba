"""Compare what a preset promises (`[expect]`) with what the engine replayed.

Pure: no I/O. Presets carry outcomes computed by hand from QEMU's rules, so this comparison is
the acceptance test of the engine; every mismatch becomes one human-readable line.
"""

from __future__ import annotations

from .model import Config, Expectation, ExpectedEvent
from .report import EventResult, Report

_EVENT_FIELDS = ("ok", "skipped", "memslot_limit", "memslots", "error")
_TOTALS = ("required_memslots", "used_memslots", "reserved_memslots")


def check_expectation(config: Config, report: Report) -> list[str]:
    """Mismatch lines between `config.expect` and `report`; empty when all is as promised.

    Events are numbered from 1 as in the `[expect]` block. Errors compare verbatim, because
    QEMU's wording is what an engineer searches for.
    """
    expect = config.expect
    if expect is None:
        return []
    problems: list[str] = []
    if expect.startup_error is not None and report.startup_error != expect.startup_error:
        problems.append(
            f"startup_error: expected {expect.startup_error!r}, got {report.startup_error!r}"
        )
    events = report.events
    for expected in expect.events:
        position = expected.event - 1
        if position >= len(config.timeline) or position >= len(events):
            problems.append(
                f"event {expected.event}: no such event (the timeline has "
                f"{len(config.timeline)} events, the report {len(events)})"
            )
            continue
        problems.extend(_compare_event(expected, events[position], config))
    for name in _TOTALS:
        wanted = getattr(expect, name)
        if wanted is None:
            continue
        got = getattr(report.final, name)
        if got != wanted:
            problems.append(f"final {name}: expected {wanted}, got {got}")
    return problems


def _compare_event(expected: ExpectedEvent, got: EventResult, config: Config) -> list[str]:
    number = expected.event
    event = config.timeline[number - 1]
    label = f"event {number} ({event.action} {event.device})"
    lines = []
    for name in _EVENT_FIELDS:
        wanted = getattr(expected, name)
        if wanted is None:
            continue
        value = getattr(got, name)
        if value != wanted:
            if name == "error":
                lines.append(f"{label}: error: expected {wanted!r}, got {value!r}")
            else:
                lines.append(f"{label}: {name}: expected {wanted}, got {value}")
    return lines


def record_expectation(config: Config, report: Report) -> Expectation:
    """The `[expect]` block that `report` satisfies: every event's outcome as the engine
    decided it (a preset saved with it re-checks those outcomes on every `check`)."""
    events = []
    for number, result in enumerate(report.events, start=1):
        if number > len(config.timeline):
            break
        events.append(
            ExpectedEvent(
                event=number,
                ok=result.ok,
                skipped=result.skipped or None,
                error=result.error,
                memslot_limit=result.memslot_limit if result.ok else None,
                memslots=result.memslots if result.ok else None,
            )
        )
    final = report.final
    return Expectation(
        events=tuple(events),
        startup_error=report.startup_error,
        required_memslots=final.required_memslots,
        used_memslots=final.used_memslots,
        reserved_memslots=final.reserved_memslots,
    )
