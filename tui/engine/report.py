"""What `replay` hands back: per event the decision, QEMU's verdict and the budget after it.

The report is the only thing the app, the CLI and the exporters read; none of them recomputes a
number. Names follow QEMU's DeviceMemoryState and vhost bookkeeping.

Everything here is a plain frozen slotted dataclass. replay() stores per event only the raw
counters (a `Counters` tuple) and the raw derivation steps; the `Budget` and the `Step` texts
are built when someone reads them — the app shows one event at a time, and a replay of 1,000
devices must not pay for 1,000 budgets nobody looks at.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from .model import Action
from .refusals import Code, Refusal
from .refusals import hint as hint_for
from .units import human_size
from .vhost import device_free


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a derivation: which rule, what it computed, with the numbers used."""

    rule: str
    value: int | float | None = None
    template: str = ""
    """str.format template of the text; formatted only when someone reads `text`."""
    args: tuple[object, ...] = ()

    @property
    def text(self) -> str:
        """The step in words, with the numbers used."""
        return _FORMATTER.format(self.template, *self.args) if self.args else self.template


class _StepFormatter(string.Formatter):
    """str.format, plus `{:bytes}` (a human size, "64 GiB") and `{:count}` (an unsigned 32-bit
    count, UINT_MAX by name): steps keep plain ints until someone reads their text."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "bytes":
            return human_size(int(value))
        if format_spec == "count":
            return "UINT_MAX" if value == 0xFFFFFFFF else str(int(value))
        return str(super().format_field(value, format_spec))


_FORMATTER = _StepFormatter()


RawStep = tuple[str, "int | float | None", str, tuple[object, ...]]
"""(rule, value, template, args): a step as replay() records it."""


def step(rule: str, text: str, value: int | float | None = None) -> RawStep:
    """A derivation step with its text written out."""
    return (rule, value, text, ())


def lazy(rule: str, value: int | float | None, template: str, *args: object) -> RawStep:
    """A derivation step whose text is formatted only when read."""
    return (rule, value, template, args)


@dataclass(frozen=True, slots=True)
class VhostBudget:
    """One registered vhost device as `vhost_get_free_memslots()` sees it."""

    id: str
    kind: str
    limit: int
    """memslots_limit: what the back-end allows (after QEMU's caps and fallbacks)."""
    used: int
    """Regions counted against it: its own nregions (10.1) or its class's global (8.2–10.0)."""
    regions: int
    """Sections this device actually maps right now (hdev->mem->nregions)."""
    free: int
    """limit - used as QEMU computes it (unsigned 32-bit before 10.1: may wrap to a huge value)."""


class VhostSnapshot(NamedTuple):
    """The raw vhost bookkeeping behind a budget; `Budget.vhost` derives each device's line.

    Every device of a class is compared with the same used count, so a budget stores the
    registered devices once (a tuple shared between events) plus two counts, not one line per
    device per event."""

    devices: tuple[tuple[str, str, str, int], ...]
    """(id, kind, class "shared"|"private", limit) in registration order."""
    used_shared: int
    used_private: int
    regions_shared: int
    regions_private: int
    free_wraps: bool
    """8.2 … 10.0.2: a device's free count wraps as unsigned 32 bits when over its limit."""


class Fixed(NamedTuple):
    """What every event of one replay shares: the machine's limits and the rules' arithmetic."""

    kvm_max: int | None
    """None without KVM, where QEMU does not ask."""
    device_memory_space: int
    vhost_free_wraps: bool
    """8.2 … 10.0.2: a device's free count wraps as unsigned 32 bits when over its limit."""


class Counters(NamedTuple):
    """The counters after an event, as replay() records them: the raw numbers only, cheap to
    make per event. `Budget.of` derives the rest (free counts, vhost max and free) when read."""

    fixed: Fixed
    kvm_used: int | None
    vhost_devices: tuple[tuple[str, str, str, int], ...]
    """(id, kind, class, limit) of the registered vhost devices (one tuple shared by every event
    until a device registers or leaves)."""
    used_shared: int
    """The used count every vhost-user device is compared with (its nregions in 10.1, else the
    class's global)."""
    used_private: int
    regions_shared: int
    """Sections a vhost-user device maps (hdev->mem->nregions)."""
    regions_private: int
    used_region_size: int
    required_memslots: int
    used_memslots: int
    auto_decision_active: int


SOFT_LIMIT = 256
"""MEMORY_DEVICES_SOFT_MEMSLOT_LIMIT."""
SAFE_MAX = 509
"""MEMORY_DEVICES_SAFE_MAX_MEMSLOTS."""


@dataclass(frozen=True, slots=True)
class Budget:
    """The counters after an event."""

    kvm_max: int | None
    kvm_used: int | None
    kvm_free: int | None
    vhost_max: int | None
    """min of the vhost limits; None when no vhost device is registered (QEMU: UINT_MAX)."""
    vhost_free: int | None
    used_region_size: int
    device_memory_space: int
    """maxram - ram: the space the "not enough space" check uses."""
    required_memslots: int
    used_memslots: int
    reserved_memslots: int
    auto_decision_active: int
    vhost_state: VhostSnapshot
    soft_limit: int = SOFT_LIMIT
    safe_max: int = SAFE_MAX

    @classmethod
    def of(cls, counters: Counters) -> Budget:
        """The budget behind recorded counters.

        vhost_get_max_memslots() is the smallest limit and vhost_get_free_memslots() the
        smallest of the devices' own free counts, as QEMU computes them over its devices."""
        c = counters
        fixed = c.fixed
        kvm_max = fixed.kvm_max
        state = VhostSnapshot(
            c.vhost_devices,
            c.used_shared,
            c.used_private,
            c.regions_shared,
            c.regions_private,
            fixed.vhost_free_wraps,
        )
        vhost_max = vhost_free = None
        if c.vhost_devices:
            vhost_max = min(limit for _id, _kind, _cls, limit in c.vhost_devices)
            vhost_free = min(
                device_free(
                    limit,
                    c.used_shared if vhost_cls == "shared" else c.used_private,
                    fixed.vhost_free_wraps,
                )
                for _id, _kind, vhost_cls, limit in c.vhost_devices
            )
        return cls(
            kvm_max,
            c.kvm_used,
            None if kvm_max is None or c.kvm_used is None else max(kvm_max - c.kvm_used, 0),
            vhost_max,
            vhost_free,
            c.used_region_size,
            fixed.device_memory_space,
            c.required_memslots,
            c.used_memslots,
            max(c.required_memslots - c.used_memslots, 0),
            c.auto_decision_active,
            state,
        )

    @property
    def vhost(self) -> tuple[VhostBudget, ...]:
        """Each registered vhost device's limit, used, regions and free memslots."""
        state = self.vhost_state
        lines = []
        for device_id, kind, cls, limit in state.devices:
            shared = cls == "shared"
            used = state.used_shared if shared else state.used_private
            lines.append(
                VhostBudget(
                    device_id,
                    kind,
                    limit,
                    used,
                    state.regions_shared if shared else state.regions_private,
                    device_free(limit, used, state.free_wraps),
                )
            )
        return tuple(lines)

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (the `budget` object of `check --json`)."""
        return {
            "kvm_max": self.kvm_max,
            "kvm_used": self.kvm_used,
            "kvm_free": self.kvm_free,
            "vhost_max": self.vhost_max,
            "vhost_free": self.vhost_free,
            "used_region_size": self.used_region_size,
            "device_memory_space": self.device_memory_space,
            "required_memslots": self.required_memslots,
            "used_memslots": self.used_memslots,
            "reserved_memslots": self.reserved_memslots,
            "auto_decision_active": self.auto_decision_active,
            "soft_limit": self.soft_limit,
            "safe_max": self.safe_max,
            "vhost": [
                {
                    "id": v.id,
                    "kind": v.kind,
                    "limit": v.limit,
                    "used": v.used,
                    "regions": v.regions,
                    "free": v.free,
                }
                for v in self.vhost
            ],
        }


Phase = Literal["cold", "hot"]


class Outcome(NamedTuple):
    """What QEMU did with one event: its verdict, and what it decided on the way (a refused
    device still shows the limit and memslots decided before the refusal).

    The handlers return one; `EventResult` keeps it whole and reads its fields, so an event
    costs one small tuple instead of a copy of every field."""

    steps: tuple[RawStep, ...] = ()
    warnings: tuple[str, ...] = ()
    refusal: Refusal | None = None
    stops_qemu: str | None = None
    """Set when QEMU can take no further event after this one (abort, stuck monitor)."""
    pending: bool = False
    memslot_limit: int | None = None
    memslots: int | None = None
    memslot_size: int | None = None
    address: int | None = None
    error: str | None = None
    """QEMU's message, verbatim (set by replay() from the refusal)."""
    skipped: bool = False
    """Never reached: QEMU had already exited (failed start-up or cold plug)."""


_ONLY_STEPS = tuple(Outcome._field_defaults[name] for name in Outcome._fields[2:])
"""Every Outcome field after steps and warnings, at its default."""


def accepted(steps: tuple[RawStep, ...], warnings: tuple[str, ...] = ()) -> Outcome:
    """The Outcome of an accepted event that decided nothing but its steps: made with
    tuple.__new__, without NamedTuple's Python-level __new__ (once per vhost event)."""
    return tuple.__new__(Outcome, (steps, warnings, *_ONLY_STEPS))


class EventAt(NamedTuple):
    """Which timeline event a result is about (made once per event and replay)."""

    position: int
    """The event's 0-based index in the timeline (`index` would shadow tuple.index)."""
    action: Action
    device: str
    kind: str


@dataclass(frozen=True, slots=True)
class EventResult:
    """QEMU's verdict on one timeline event.

    It stores four fields (a frozen dataclass pays a call per field when made, once per event);
    the rest are read from `at` and `outcome`."""

    at: EventAt
    ok: bool
    """QEMU accepted the event (False when refused or never reached)."""
    counters: Counters
    """The raw counters after the event; `budget` builds the Budget from them."""
    outcome: Outcome
    """What QEMU did; the properties below read it."""

    @classmethod
    def made(cls, at: EventAt, ok: bool, counters: Counters, outcome: Outcome) -> EventResult:
        """The result of one replayed event, made without the frozen dataclass's __init__
        (a checked setattr per field): replay() makes one per event."""
        result = _new(cls)
        _set_at(result, at)
        _set_ok(result, ok)
        _set_counters(result, counters)
        _set_outcome(result, outcome)
        return result

    @property
    def index(self) -> int:
        """0-based position in the timeline."""
        return self.at.position

    @property
    def action(self) -> Action:
        """cold, hotplug, unplug, resize, disconnect or reconnect."""
        return self.at.action

    @property
    def device(self) -> str:
        """The id of the device the event is about."""
        return self.at.device

    @property
    def kind(self) -> str:
        """That device's kind."""
        return self.at.kind

    @property
    def phase(self) -> Phase:
        """Cold plugs happen before the first reset; everything else is "hot"."""
        return "cold" if self.at.action == "cold" else "hot"

    @property
    def skipped(self) -> bool:
        """Never reached: QEMU had already exited (failed start-up or cold plug)."""
        return self.outcome.skipped

    @property
    def error(self) -> str | None:
        """QEMU's message, verbatim."""
        return self.outcome.error

    @property
    def refusal(self) -> Refusal | None:
        """Why QEMU refused it, as a code and typed facts (the error text is formatted from it)."""
        return self.outcome.refusal

    @property
    def hint(self) -> str | None:
        """error_append_hint() text (printed on stderr only)."""
        refusal = self.outcome.refusal
        return hint_for(refusal.code) if refusal is not None else None

    @property
    def pending(self) -> bool:
        """An unplug that needs the guest's cooperation to complete."""
        return self.outcome.pending

    @property
    def warnings(self) -> tuple[str, ...]:
        """What QEMU warned about (stderr), in order."""
        return self.outcome.warnings

    @property
    def memslot_limit(self) -> int | None:
        """memory_device_memslot_decision_limit(); None when the device does not decide."""
        return self.outcome.memslot_limit

    @property
    def memslots(self) -> int | None:
        """Memslots the memory device uses (get_memslots())."""
        return self.outcome.memslots

    @property
    def memslot_size(self) -> int | None:
        """The size of each of its memslots (the last may be smaller)."""
        return self.outcome.memslot_size

    @property
    def address(self) -> int | None:
        """Where the memory device sits in guest physical memory."""
        return self.outcome.address

    @property
    def raw_steps(self) -> tuple[RawStep, ...]:
        """The derivation as recorded: (rule, value, template, args)."""
        return self.outcome.steps

    @property
    def budget(self) -> Budget:
        """The counters after this event."""
        return Budget.of(self.counters)

    @property
    def derivation(self) -> tuple[Step, ...]:
        """How the engine got there, step by step, with the numbers used."""
        return tuple(Step(r, v, t, a) for r, v, t, a in self.outcome.steps)

    @property
    def code(self) -> Code | None:
        """The refusal code, if QEMU refused the event."""
        refusal = self.outcome.refusal
        return refusal.code if refusal is not None else None


def _slot_setter(name: str) -> Callable[[EventResult, Any], None]:
    """A slot's own setter (its member descriptor): what the frozen dataclass's __init__ ends
    up calling, minus the checks of its setattr."""
    setter: Callable[[EventResult, Any], None] = vars(EventResult)[name].__set__
    return setter


_new = object.__new__
_set_at = _slot_setter("at")
_set_ok = _slot_setter("ok")
_set_counters = _slot_setter("counters")
_set_outcome = _slot_setter("outcome")


@dataclass(frozen=True, slots=True)
class Report:
    """The whole replay of a configuration."""

    qemu_version: str
    rules: str
    """Which QEMU behaviour was modelled: "8.1" (≤ 8.1), "8.2-10.0", "10.1"."""
    final_counters: Counters
    startup_error: str | None = None
    startup_refusal: Refusal | None = None
    """Why QEMU does not start, as a code and facts."""
    device_memory_base: int | None = None
    device_memory_size: int | None = None
    events: tuple[EventResult, ...] = ()
    boot_counters: Counters | None = None
    warnings: tuple[str, ...] = ()

    @property
    def final(self) -> Budget:
        """The counters after the last event."""
        return Budget.of(self.final_counters)

    @property
    def boot_budget(self) -> Budget | None:
        """After the cold plugs and the first reset, before any hotplug."""
        return Budget.of(self.boot_counters) if self.boot_counters is not None else None

    @property
    def ok(self) -> bool:
        """Every event succeeded and QEMU started."""
        return self.startup_error is None and all(e.ok for e in self.events)

    @property
    def failures(self) -> tuple[EventResult, ...]:
        """Events QEMU refused (not those never reached)."""
        return tuple(e for e in self.events if not e.ok and not e.skipped)


def event_numbers(indexes: Sequence[int]) -> str:
    """0-based event indexes as the 1-based numbers users read, runs compacted: "2, 5–9"."""
    runs: list[list[int]] = []
    for number in sorted(i + 1 for i in indexes):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(
        str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}–{b}" for a, b in runs
    )
