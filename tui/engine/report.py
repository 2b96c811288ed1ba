"""What `replay` hands back: per event the decision, QEMU's verdict and the budget after it.

The report is the only thing the app, the CLI and the exporters read; none of them recomputes a
number. Names follow QEMU's DeviceMemoryState and vhost bookkeeping.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from .model import Action
from .units import human_size
from .vhost import device_free


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_M = TypeVar("_M", bound=BaseModel)


class Step(_Frozen):
    """One step of a derivation: which rule, what it computed, with the numbers used."""

    rule: str
    value: int | float | None = None
    template: str = Field(default="", exclude=True, repr=False)
    """str.format template of the text; formatted only when someone reads `text`."""
    args: tuple[object, ...] = Field(default=(), exclude=True, repr=False)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def text(self) -> str:
        """The step in words, with the numbers used."""
        return self.template.format(*self.args) if self.args else self.template


def trusted(cls: type[_M], **values: object) -> _M:
    """Build a report model from values the engine computed, without validation.

    replay() creates a budget, a result and several steps per event; pydantic's validation
    (or even model_construct) of thousands of them would cost more than all of QEMU's rules.
    Callers pass every field, already of the right type."""
    obj = _new(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_new = object.__new__
_set = object.__setattr__


def step(rule: str, text: str, value: int | float | None = None) -> Step:
    """A derivation step with its text written out."""
    return trusted(Step, rule=rule, value=value, template=text, args=())


def lazy(rule: str, value: int | float | None, template: str, *args: object) -> Step:
    """A derivation step whose text is formatted only when read: replay() makes thousands of
    steps and the app shows the derivation of one event at a time."""
    return trusted(Step, rule=rule, value=value, template=template, args=args)


class Bytes(int):
    """A byte count that formats itself as a human size ("64 GiB") in a step's text."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return human_size(int(self))


class Count(int):
    """An unsigned 32-bit count that formats UINT_MAX by name in a step's text."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        return "UINT_MAX" if self == 0xFFFFFFFF else str(int(self))


class VhostBudget(_Frozen):
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
    device per event — with 64 vhost devices and hundreds of events that matters."""

    devices: tuple[tuple[str, str, str, int], ...]
    """(id, kind, class "shared"|"private", limit) in registration order."""
    used_shared: int
    used_private: int
    regions_shared: int
    regions_private: int
    free_wraps: bool
    """8.2 … 10.0.2: a device's free count wraps as unsigned 32 bits when over its limit."""


class Budget(_Frozen):
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
    soft_limit: int = 256
    safe_max: int = 509
    vhost_state: VhostSnapshot = Field(exclude=True, repr=False)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def vhost(self) -> tuple[VhostBudget, ...]:
        """Each registered vhost device's limit, used, regions and free memslots."""
        state = self.vhost_state
        lines = []
        for device_id, kind, cls, limit in state.devices:
            shared = cls == "shared"
            used = state.used_shared if shared else state.used_private
            lines.append(
                trusted(
                    VhostBudget,
                    id=device_id,
                    kind=kind,
                    limit=limit,
                    used=used,
                    regions=state.regions_shared if shared else state.regions_private,
                    free=device_free(limit, used, state.free_wraps),
                )
            )
        return tuple(lines)


Phase = Literal["cold", "hot"]


class EventResult(_Frozen):
    """QEMU's verdict on one timeline event."""

    index: int
    action: Action
    device: str
    kind: str
    phase: Phase
    ok: bool
    skipped: bool = False
    """Never reached: QEMU had already exited (failed start-up or cold plug)."""
    error: str | None = None
    """QEMU's message, verbatim."""
    hint: str | None = None
    """error_append_hint() text (printed on stderr only)."""
    pending: bool = False
    """An unplug that needs the guest's cooperation to complete."""
    warnings: tuple[str, ...] = ()
    memslot_limit: int | None = None
    """memory_device_memslot_decision_limit(); None when the device does not decide."""
    memslots: int | None = None
    """Memslots the memory device uses (get_memslots())."""
    memslot_size: int | None = None
    address: int | None = None
    derivation: tuple[Step, ...] = ()
    budget: Budget


class Report(_Frozen):
    """The whole replay of a configuration."""

    qemu_version: str
    rules: str
    """Which QEMU behaviour was modelled: "8.1" (≤ 8.1), "8.2-10.0", "10.1"."""
    startup_error: str | None = None
    device_memory_base: int | None = None
    device_memory_size: int | None = None
    events: tuple[EventResult, ...] = ()
    boot_budget: Budget | None = None
    """After the cold plugs and the first reset, before any hotplug."""
    final: Budget
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every event succeeded and QEMU started."""
        return self.startup_error is None and all(e.ok for e in self.events)

    @property
    def failures(self) -> tuple[EventResult, ...]:
        """Events QEMU refused (not those never reached)."""
        return tuple(e for e in self.events if not e.ok and not e.skipped)
