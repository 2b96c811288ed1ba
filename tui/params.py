"""Named parameters of a configuration that a sweep or a lesson choice can change.

A parameter path is `machine.FIELD` (maxmem, ram, slots, kvm_memslots, phys_bits, …),
`DEVICE_ID.FIELD` (a virtio-mem's size or block_size, a vhost back-end's max_mem_regions or
max_mem_slots, …) or `dimms` (how many pc-dimm devices: the last one is copied, or DIMMs are
dropped from the end). A change always goes through the configuration model, so a value the
model refuses is a ParamError naming the path and the reason, never a half-changed Config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from tui.engine.model import Config, Machine
from tui.engine.units import parse_size

DIMMS = "dimms"
"""The pseudo-parameter for the number of pc-dimm devices."""

_NUMERIC_MACHINE = ("maxmem", "ram", "slots", "kvm_memslots", "phys_bits", "host_thp_size")
_NUMERIC_DEVICE = (
    "size",
    "requested_size",
    "block_size",
    "label_size",
    "max_mem_regions",
    "max_mem_slots",
    "kvm_slots",
    "vhost_kernel_regions",
    "vhost_user_regions",
)
_SIZE_FIELDS = frozenset(
    {"maxmem", "ram", "host_thp_size", "size", "requested_size", "block_size", "label_size"}
)


_POWER_OF_TWO_FIELDS = frozenset({"block_size", "host_thp_size"})


class ParamError(ValueError):
    """A parameter path that does not exist, or a value the configuration cannot take."""


@dataclass(frozen=True)
class Param:
    """A parameter the current configuration has, with its current value."""

    path: str
    value: int | None
    is_size: bool
    """Written with a size suffix ("64G") rather than as a count."""


def is_size(path: str) -> bool:
    """Whether values of `path` are byte sizes (parsed and printed with K/M/G suffixes)."""
    return path.rsplit(".", 1)[-1] in _SIZE_FIELDS


def is_power_of_two(path: str) -> bool:
    """Whether QEMU only takes powers of two for `path` (a sweep then steps by doubling)."""
    return path.rsplit(".", 1)[-1] in _POWER_OF_TWO_FIELDS


def parse_value(path: str, text: str) -> int:
    """A value for `path` from the command line or a form: sizes take QEMU's suffixes."""
    try:
        if is_size(path):
            return parse_size(text.strip())
        return int(text.strip(), 0)
    except (ValueError, TypeError) as exc:
        raise ParamError(f"{path}: {text!r} is not a valid value: {exc}") from None


def parameters(config: Config) -> list[Param]:
    """The numeric parameters this configuration has (what a sweep can vary)."""
    found = [
        Param(f"machine.{name}", getattr(config.machine, name), name in _SIZE_FIELDS)
        for name in _NUMERIC_MACHINE
    ]
    for device in config.all_devices():
        for name in _NUMERIC_DEVICE:
            if name in type(device).model_fields:
                value = getattr(device, name)
                if value is None and name not in ("block_size", "requested_size"):
                    continue
                found.append(Param(f"{device.id}.{name}", value, name in _SIZE_FIELDS))
    dimms = sum(1 for d in config.memory_devices if d.kind == "pc-dimm")
    if dimms:
        found.append(Param(DIMMS, dimms, False))
    return found


def value_of(config: Config, path: str) -> int | None:
    """The current value of a parameter."""
    for param in parameters(config):
        if param.path == path:
            return param.value
    raise ParamError(f"{path}: no such parameter in this configuration")


def apply(config: Config, path: str, value: object) -> Config:
    """A new Config with `path` set to `value` (validated by the model)."""
    data = config.model_dump()
    if path == DIMMS:
        _set_dimms(data, _count(path, value))
    else:
        head, _, name = path.partition(".")
        if not name:
            raise ParamError(f"{path}: expected machine.FIELD, DEVICE_ID.FIELD or {DIMMS}")
        if head == "machine":
            if name not in Machine.model_fields:
                raise ParamError(f"{path}: the machine has no field {name!r}")
            data["machine"][name] = value
        else:
            item = _find(data, head)
            if item is None:
                raise ParamError(f"{path}: no device with id {head!r}")
            if name in ("id", "kind"):
                raise ParamError(f"{path}: {name} cannot be varied")
            item[name] = value
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(_reason(error) for error in exc.errors())
        raise ParamError(f"{path} = {_show(path, value)}: {reasons}") from None


def _reason(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if not str(p).startswith("function"))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _show(path: str, value: object) -> str:
    from tui.engine.units import format_size

    if isinstance(value, int) and is_size(path):
        return format_size(value)
    return str(value)


def _count(path: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParamError(f"{path}: {value!r} is not a count (0 or more)")
    return value


def _find(data: dict[str, Any], device_id: str) -> dict[str, Any] | None:
    for key in ("memory_devices", "vhost_devices", "consumers"):
        for item in data[key]:
            if item["id"] == device_id:
                return item  # type: ignore[no-any-return]
    return None


def _set_dimms(data: dict[str, Any], count: int) -> None:
    """Keep the first `count` pc-dimms, or copy the last one (and its plug event) up to it."""
    for key in ("memory_devices", "timeline"):
        data[key] = list(data[key])  # model_dump gives tuples
    dimms = [d for d in data["memory_devices"] if d["kind"] == "pc-dimm"]
    if not dimms:
        raise ParamError(f"{DIMMS}: the configuration has no pc-dimm to vary")
    if count < len(dimms):
        gone = {d["id"] for d in dimms[count:]}
        data["memory_devices"] = [d for d in data["memory_devices"] if d["id"] not in gone]
        data["timeline"] = [e for e in data["timeline"] if e["device"] not in gone]
        return
    taken = {
        item["id"] for key in ("memory_devices", "vhost_devices", "consumers") for item in data[key]
    }
    template = dimms[-1]
    stem = template["id"].rstrip("0123456789") or "dimm"
    events = data["timeline"]
    plug = next(
        (
            i
            for i, e in enumerate(events)
            if e["device"] == template["id"] and e["action"] in ("cold", "hotplug")
        ),
        None,
    )
    number = 0
    position = plug
    for _ in range(count - len(dimms)):
        while f"{stem}{number}" in taken:
            number += 1
        new_id = f"{stem}{number}"
        taken.add(new_id)
        copy = {**template, "id": new_id}
        for fixed in ("slot", "addr"):
            copy[fixed] = None
        data["memory_devices"].append(copy)
        if position is not None:
            position += 1
            events.insert(
                position,
                {"action": events[plug]["action"], "device": new_id, "requested_size": None},
            )
