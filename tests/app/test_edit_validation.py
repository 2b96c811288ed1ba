"""Edits re-validate only what they change (edits.fields): the result, or the error, must be
exactly what a full `Config.model_validate` of the dumped configuration gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.app import edits
from tui.engine.model import Config, Machine
from tui.formats import toml

PRESETS = sorted((Path(__file__).resolve().parents[2] / "presets").glob("*.toml"))
CONFIGS = [toml.load(path) for path in PRESETS]


def dumped(config: Config) -> dict[str, Any]:
    """The old way: every field dumped to plain data, so everything is validated again."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in config.model_dump().items()}


def outcome(edit: Any, config: Config) -> tuple[str, Any]:
    """("ok", config) or (the error's type, its message) of one edit: what the app catches."""
    try:
        result = edit(config)
    except (edits.EditError, ValueError, KeyError) as exc:
        return type(exc).__name__, str(exc)
    return "ok", result


MACHINE_VALUES = st.sampled_from(
    ["", "0", "1", "64", "509", "32764", "4G", "1G", "64G", "1T", "0x40000000", "auto", "x",
     "10.1", "8.1", "9.2.3", "5.0", "pc", "q35", "tcg", "kvm", "amd", "memfd", "48", "2M"]
)  # fmt: skip
DEVICES = st.sampled_from(
    [
        {"kind": "pc-dimm", "size": "1G"},
        {"kind": "pc-dimm", "size": "1G", "slot": 3},
        {"kind": "virtio-mem", "size": "4G", "dynamic_memslots": True},
        {"kind": "virtio-mem", "size": "3G", "requested_size": "1G"},
        {"kind": "virtio-mem", "size": "1G", "page_size": "2M"},  # refused: ram has no hugepages
        {"kind": "nvdimm", "size": "1G", "backend": "file", "readonly": True},
        {"kind": "hv-balloon"},
        {"kind": "pc-dimm", "size": "12Q"},
        {"kind": "pc-dimm", "size": "1G", "colour": "red"},
        {"kind": "pc-dimm", "memdev": "OWNER"},
        {"kind": "vhost-kernel", "max_mem_regions": 64},
        {"kind": "vhost-user", "max_mem_slots": 32},
        {"kind": "rom"},
        {"kind": "nope"},
    ]
)


@st.composite
def an_edit(draw: st.DrawFn, config: Config) -> Any:
    """One edit the app can make, with arguments drawn against `config`."""
    ids = [d.id for d in config.all_devices()]
    memory_ids = [d.id for d in config.memory_devices]
    n = len(config.timeline)
    index = draw(st.integers(-1, n + 1))
    kind = draw(st.sampled_from(["machine", "add", "replace", "remove", "dup", "move", "insert",
                                 "drop", "toggle"]))  # fmt: skip
    if kind == "machine":
        name = draw(st.sampled_from(sorted(Machine.model_fields)))
        value: Any = draw(st.booleans() | MACHINE_VALUES)
        return lambda c: edits.set_machine(c, name, value)
    if kind in ("add", "replace"):
        device = dict(draw(DEVICES))
        if device.get("memdev") == "OWNER":
            device["memdev"] = draw(st.sampled_from([*memory_ids, "nobody"]))
        group: edits.Group = (
            "vhost"
            if device["kind"].startswith("vhost")
            else "consumer"
            if device["kind"] in ("rom", "nope")
            else "memory"
        )
        if kind == "add" or not ids:
            device["id"] = draw(st.sampled_from([*ids, "new0", "bad id"]))
            plug = draw(st.sampled_from(["cold", "hotplug", "none"]))
            return lambda c: edits.add_device(c, group, device, plug)
        old = draw(st.sampled_from(ids))
        device["id"] = draw(st.sampled_from([old, "renamed0", *ids]))
        current = config.device(old).model_dump()
        merged = current | device if current["kind"] == device["kind"] else device
        return lambda c: edits.replace_device(c, group, old, merged)
    if kind in ("remove", "dup"):
        device_id = draw(st.sampled_from([*ids, "ghost"]))
        if kind == "remove":
            return lambda c: edits.remove_device(c, device_id)
        return lambda c: edits.duplicate_device(c, device_id)[0]
    if kind == "move":
        delta = draw(st.sampled_from([-1, 1]))
        return lambda c: edits.move_event(c, index, delta)
    if kind == "insert":
        event = {
            "action": draw(st.sampled_from(["cold", "hotplug", "unplug", "resize", "reconnect"])),
            "device": draw(st.sampled_from([*ids, "ghost"])),
            "requested_size": draw(st.sampled_from([None, "", "1G", "2G"])),
        }
        return lambda c: edits.insert_event(c, index, event)
    if kind == "drop":
        return lambda c: edits.remove_event(c, index)
    return lambda c: edits.toggle_cold(c, index)[0]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_an_edit_validates_like_a_full_model_validate(
    data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = data.draw(st.sampled_from(CONFIGS))
    for _ in range(data.draw(st.integers(1, 3))):
        edit = data.draw(an_edit(config))
        fast = outcome(edit, config)
        with monkeypatch.context() as m:
            m.setattr(edits, "fields", dumped)
            full = outcome(edit, config)
        assert fast == full
        if fast[0] == "ok":
            new = fast[1]
            assert new == Config.model_validate(new.model_dump())
            assert new.model_dump() == full[1].model_dump()
            config = new


def test_an_edit_keeps_the_unchanged_devices_as_they_are() -> None:
    """What makes an edit cheap at 1,000 devices: the 999 others are not rebuilt."""
    config = next(c for c in CONFIGS if len(c.memory_devices) >= 2)
    new = edits.set_machine(config, "kvm_memslots", "509")
    assert new.machine.kvm_memslots == 509
    assert all(a is b for a, b in zip(new.memory_devices, config.memory_devices, strict=True))
    first = config.memory_devices[0]
    renamed = edits.replace_device(config, "memory", first.id, first.model_dump() | {"id": "x0"})
    assert renamed.memory_devices[0].id == "x0"
    assert renamed.memory_devices[1] is config.memory_devices[1]
    assert all(e.device != first.id for e in renamed.timeline)
