"""Two configurations side by side: per event the outcome, limit and memslots, and the budget.

Reads two Reports and lines their events up; it computes nothing itself. Events are matched
by what they do (a plug — cold or hot —, an unplug or a resize of a device, the n-th time), so
a fix that moves an event earlier, or makes it a cold plug, still lines up with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.report import EventResult, Report

BUDGET_FIELDS = (
    "kvm_used",
    "kvm_free",
    "vhost_max",
    "vhost_free",
    "required_memslots",
    "used_memslots",
    "reserved_memslots",
    "auto_decision_active",
    "used_region_size",
)
EVENT_FIELDS = ("outcome", "memslot_limit", "memslots")


@dataclass(frozen=True)
class Side:
    """One event's verdict on one side."""

    number: int
    """1-based position in that side's timeline."""
    action: str
    """cold, hotplug, unplug or resize (a plug may be cold on one side, hot on the other)."""
    outcome: str
    """"ok", "pending", "skipped" or "FAILED"."""
    memslot_limit: int | None
    memslots: int | None
    error: str | None

    @classmethod
    def of(cls, result: EventResult) -> Side:
        """The fields of an EventResult a comparison shows."""
        if result.skipped:
            outcome = "skipped"
        elif not result.ok:
            outcome = "FAILED"
        else:
            outcome = "pending" if result.pending else "ok"
        return cls(
            result.index + 1,
            result.action,
            outcome,
            result.memslot_limit,
            result.memslots,
            result.error,
        )


@dataclass(frozen=True)
class Row:
    """One event, as it goes on each side (None: that side has no such event)."""

    action: str
    """plug, unplug or resize (each side's own action is in its Side)."""
    device: str
    a: Side | None
    b: Side | None

    @property
    def differs(self) -> tuple[str, ...]:
        """Which of outcome / memslot_limit / memslots differ (all of them if one side lacks it)."""
        if self.a is None or self.b is None:
            return EVENT_FIELDS
        if self.a.action != self.b.action:
            return (
                "action",
                *(f for f in EVENT_FIELDS if getattr(self.a, f) != getattr(self.b, f)),
            )
        return tuple(f for f in EVENT_FIELDS if getattr(self.a, f) != getattr(self.b, f))


@dataclass(frozen=True)
class BudgetLine:
    """One counter after the last event on each side."""

    name: str
    a: int | None
    b: int | None

    @property
    def delta(self) -> int | None:
        """b − a, or None when one side does not have the counter (e.g. no KVM)."""
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True)
class Comparison:
    """Everything `compare` shows."""

    a_ok: bool
    b_ok: bool
    a_startup_error: str | None
    b_startup_error: str | None
    rows: tuple[Row, ...]
    budget: tuple[BudgetLine, ...]

    @property
    def same(self) -> bool:
        """No event and no counter differs."""
        return (
            all(not r.differs for r in self.rows)
            and all(line.a == line.b for line in self.budget)
            and self.a_startup_error == self.b_startup_error
        )


def _key_events(report: Report) -> list[tuple[tuple[str, str, int], EventResult]]:
    seen: dict[tuple[str, str], int] = {}
    keyed: list[tuple[tuple[str, str, int], EventResult]] = []
    for result in report.events:
        kind = "plug" if result.action in ("cold", "hotplug") else result.action
        base = (kind, result.device)
        seen[base] = seen.get(base, 0) + 1
        keyed.append(((*base, seen[base]), result))
    return keyed


def compare(a: Report, b: Report) -> Comparison:
    """Line up the events of two reports and their final budgets."""
    right = dict(_key_events(b))
    keys: list[tuple[str, str, int]] = []
    rows: list[Row] = []
    for key, result in _key_events(a):
        other = right.get(key)
        keys.append(key)
        rows.append(Row(key[0], key[1], Side.of(result), Side.of(other) if other else None))
    # an event only B has goes right after the row of the event before it in B's timeline
    previous: tuple[str, str, int] | None = None
    for key, result in _key_events(b):
        if key not in keys:
            at = keys.index(previous) + 1 if previous is not None else 0
            keys.insert(at, key)
            rows.insert(at, Row(key[0], key[1], None, Side.of(result)))
        previous = key
    budget = tuple(
        BudgetLine(name, getattr(a.final, name), getattr(b.final, name)) for name in BUDGET_FIELDS
    )
    return Comparison(a.ok, b.ok, a.startup_error, b.startup_error, tuple(rows), budget)
