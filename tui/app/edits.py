"""Pure edit operations: each takes a Config and returns a new, fully validated Config.

Every edit goes through `Config.model_validate` (model_copy would skip validation), so an
invalid edit raises and the caller keeps the last valid configuration. No Textual here, so
the edits are unit-testable and the app stays a thin coordinator.

An edit changes one field of the machine, one device or the timeline: the parts it does not
change go back in as the validated models they are (`fields`), which pydantic takes as they
are, so a 1,000-device configuration does not dump and re-validate 999 unchanged devices.
The changed part is a dict and is validated; the configuration's cross-device checks (ids,
timeline, shared backends) run on the whole as always. The result equals a full
`model_validate` of the dumped configuration (tests/app/test_edit_validation.py).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ValidationError

from tui.engine.model import Config, Machine
from tui.formats.problems import format_problem, validation_problems

from .catalog import FormField, Group, Template

Plug = Literal["cold", "hotplug", "none"]
GROUP_FIELD: dict[Group, str] = {
    "memory": "memory_devices",
    "vhost": "vhost_devices",
    "consumer": "consumers",
}


class EditError(ValueError):
    """An edit that cannot apply; the message says why, in the user's terms."""


def fields(config: Config) -> dict[str, Any]:
    """The top-level fields of a valid config as they are (models and tuples of models, not
    dumped): validating them again takes each model as it is and runs only the checks that
    span the configuration. Lists, so an edit can replace one item."""
    values = {name: getattr(config, name) for name in Config.model_fields}
    return {name: list(v) if isinstance(v, tuple) else v for name, v in values.items()}


def _get(item: Any, key: str) -> Any:
    """A field of a model, or a key of a dict (an item an edit made)."""
    return item[key] if isinstance(item, dict) else getattr(item, key)


def _with(item: Any, **changes: Any) -> dict[str, Any]:
    """An item with some fields changed, as a dict to validate."""
    return (item if isinstance(item, dict) else item.model_dump()) | changes


def rebuild(config: Config, **changes: Any) -> Config:
    """Config with these top-level fields replaced, validated as a whole."""
    return Config.model_validate(fields(config) | changes)


def describe(exc: Exception, data: dict[str, Any] | None = None) -> str:
    """Readable "field: reason" text for a pydantic or edit error: the same renderer as the
    CLI's "FILE: FIELD: REASON" lines, joined on one line for the status bar and forms."""
    if isinstance(exc, ValidationError):
        return "; ".join(format_problem(p) for p in validation_problems(exc, data))
    return str(exc)


# --------------------------------------------------------------------------- machine

_OPTIONAL_MACHINE = {"maxmem", "boot_kvm_slots", "boot_ram_sections"}
AUTO_MACHINE = frozenset({"boot_kvm_slots", "boot_ram_sections"})
"""Fields whose empty value shows as "auto" (the measured default): typing auto means that."""
_WHOLE = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]+", re.ASCII)
_INT_MACHINE = {"kvm_memslots", "slots", "phys_bits", "boot_kvm_slots", "boot_ram_sections"}


def machine_value(name: str, value: str | bool) -> object:
    """The model value for a machine field typed as text (or a bool from a switch)."""
    if isinstance(value, bool):
        return value
    text = value.strip()
    if name in _OPTIONAL_MACHINE and text == "":
        return None
    if name in AUTO_MACHINE and text.lower() == "auto":
        return None
    if name in _INT_MACHINE:
        # ASCII digits or 0x hex only: int() would also take "٤" and "1_0"
        if not _WHOLE.fullmatch(text):
            raise EditError(f"{name}: {text!r} is not a whole number")
        return int(text, 16) if text[:2] in ("0x", "0X") else int(text)
    return text


def set_machine(config: Config, name: str, value: str | bool) -> Config:
    """Config with one machine field changed (text parsed like the TOML would be)."""
    if name not in Machine.model_fields:
        raise EditError(f"unknown machine field {name!r}")
    machine = config.machine.model_dump() | {name: machine_value(name, value)}
    try:
        return rebuild(config, machine=machine)
    except ValidationError as exc:
        raise EditError(describe(exc).removeprefix("machine.")) from None


# --------------------------------------------------------------------------- devices


def unique_id(config: Config, base: str) -> str:
    """base0, base1, ... : the first id no device, back-end or consumer uses."""
    used = {d.id for d in config.all_devices()}
    n = 0
    while f"{base}{n}" in used:
        n += 1
    return f"{base}{n}"


def form_values(template: Template, raw: dict[str, str | bool]) -> dict[str, object]:
    """A device dict from form inputs; an emptied optional field is None (so an edit clears
    it instead of keeping the old value)."""
    values: dict[str, object] = {"kind": template.kind}
    for spec in template.fields:
        if spec.name not in raw:
            continue
        values[spec.name] = _field_value(spec, raw[spec.name])
    return values


def _field_value(spec: FormField, value: str | bool) -> object:
    if spec.kind == "bool":
        return bool(value)
    text = str(value).strip()
    if text == "" and (spec.optional or spec.kind != "text"):
        if spec.optional:
            return None
        raise EditError(f"{spec.name}: a value is required")
    if spec.kind == "int":
        try:
            return int(text, 16) if text[:2] in ("0x", "0X") else int(text)
        except ValueError:
            raise EditError(f"{spec.name}: {text!r} is not a whole number") from None
    return text


def _cold_end(timeline: list[Any]) -> int:
    """Index just after the last cold plug (where a new cold plug goes)."""
    return sum(1 for e in timeline if _get(e, "action") == "cold")


def add_device(config: Config, group: Group, device: dict[str, object], plug: Plug) -> Config:
    """Config with the device appended to its list and, unless plug == "none", plugged."""
    data = fields(config)
    data[GROUP_FIELD[group]] = [*data[GROUP_FIELD[group]], device]
    timeline = list(data["timeline"])
    if plug == "cold":
        timeline.insert(_cold_end(timeline), {"action": "cold", "device": device["id"]})
    elif plug == "hotplug":
        timeline.append({"action": "hotplug", "device": device["id"]})
    data["timeline"] = timeline
    return _validate(data)


def replace_device(config: Config, group: Group, old_id: str, device: dict[str, object]) -> Config:
    """Config with one device replaced in place (events follow a renamed id)."""
    data = fields(config)
    items = list(data[GROUP_FIELD[group]])
    data[GROUP_FIELD[group]] = items
    index = next((i for i, d in enumerate(items) if _get(d, "id") == old_id), None)
    if index is None:
        raise EditError(f"no device with id {old_id!r}")
    items[index] = device
    new_id = device["id"]
    if new_id != old_id:
        data["timeline"] = [
            _with(e, device=new_id) if _get(e, "device") == old_id else e for e in data["timeline"]
        ]
    return _validate(data)


def remove_device(config: Config, device_id: str) -> Config:
    """Config without the device and without every event that plugs, unplugs or resizes it."""
    data = fields(config)
    found = False
    for name in GROUP_FIELD.values():
        kept = [d for d in data[name] if _get(d, "id") != device_id]
        found |= len(kept) != len(data[name])
        data[name] = kept
    if not found:
        raise EditError(f"no device with id {device_id!r}")
    data["timeline"] = [e for e in data["timeline"] if _get(e, "device") != device_id]
    return _validate(data)


def duplicate_device(config: Config, device_id: str) -> tuple[Config, str]:
    """Config with a copy of the device under a fresh id, plugged the same way as the original."""
    device = config.device(device_id)
    group = group_of(config, device_id)
    base = device_id.rstrip("0123456789") or "dev"
    copy = device.model_dump() | {"id": unique_id(config, base)}
    first = next((e for e in config.timeline if e.device == device_id), None)
    plug: Plug = "none" if first is None else ("cold" if first.action == "cold" else "hotplug")
    # pc-dimm/nvdimm with a fixed slot or addr would collide: let QEMU pick for the copy.
    for key in ("slot", "addr", "memaddr"):
        if copy.get(key) is not None:
            copy[key] = None
    return add_device(config, group, copy, plug), str(copy["id"])


def group_of(config: Config, device_id: str) -> Group:
    """Which list holds this id."""
    for group, name in GROUP_FIELD.items():
        if any(d.id == device_id for d in getattr(config, name)):
            return group
    raise EditError(f"no device with id {device_id!r}")


# --------------------------------------------------------------------------- timeline


def move_event(config: Config, index: int, delta: int) -> Config:
    """Config with one timeline event moved up (delta < 0) or down."""
    data = fields(config)
    timeline = data["timeline"]
    target = index + delta
    if not (0 <= index < len(timeline)) or not (0 <= target < len(timeline)):
        raise EditError("the event is already at the end of the timeline")
    event = timeline.pop(index)
    timeline.insert(target, event)
    return _validate(data)


def insert_event(config: Config, index: int, event: dict[str, object]) -> Config:
    """Config with a new event inserted at index (clamped to the timeline)."""
    data = fields(config)
    timeline = data["timeline"]
    event = {k: v for k, v in event.items() if v not in (None, "")}
    timeline.insert(max(0, min(index, len(timeline))), event)
    return _validate(data)


def remove_event(config: Config, index: int) -> Config:
    """Config without one event (the device stays in its list)."""
    data = fields(config)
    timeline = data["timeline"]
    if not 0 <= index < len(timeline):
        raise EditError("no such event")
    timeline.pop(index)
    return _validate(data)


def toggle_cold(config: Config, index: int) -> tuple[Config, int]:
    """Config with a cold plug turned into a hotplug or back, moved to the cold/hot boundary.

    Returns the event's new index. Cold plugs must precede every hot event, so the event moves
    to the boundary instead of failing validation.
    """
    data = fields(config)
    timeline = data["timeline"]
    if not 0 <= index < len(timeline):
        raise EditError("no such event")
    event = timeline.pop(index)
    action = _get(event, "action")
    if action not in ("cold", "hotplug"):
        raise EditError(f"only plug events can switch between cold and hot, not {action}")
    event = _with(event, action="hotplug" if action == "cold" else "cold")
    where = _cold_end(timeline)
    timeline.insert(where, event)
    return _validate(data), where


def _validate(data: dict[str, Any]) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise EditError(describe(exc, data)) from None
