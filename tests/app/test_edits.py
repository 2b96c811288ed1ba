"""The pure edit functions behind the panels (no Textual): every result is a validated Config."""

from __future__ import annotations

import pytest

from tui.app import edits
from tui.app.catalog import MEMORY_TEMPLATES, VHOST_TEMPLATES, template, template_for

from .conftest import base_config, order_config


def test_add_cold_goes_before_the_first_hot_event() -> None:
    config = order_config()  # two hotplugs
    new = edits.add_device(config, "consumer", {"kind": "rom", "id": "rom0"}, "cold")
    first = new.timeline[0]
    assert (first.action, first.device) == ("cold", "rom0")
    new = edits.add_device(config, "consumer", {"kind": "rom", "id": "rom0"}, "none")
    assert all(e.device != "rom0" for e in new.timeline)


def test_invalid_edits_raise_with_the_field_and_keep_nothing() -> None:
    config = base_config()
    with pytest.raises(edits.EditError, match="maxmem"):
        edits.set_machine(config, "maxmem", "1GiB")  # maxmem < ram is QEMU's start-up error now
    with pytest.raises(edits.EditError, match="not a whole number"):
        edits.set_machine(config, "slots", "٤")
    with pytest.raises(edits.EditError, match="not a whole number"):
        edits.set_machine(config, "slots", "four")
    with pytest.raises(edits.EditError, match="duplicate id"):
        edits.add_device(
            order_config(), "memory", {"kind": "pc-dimm", "id": "vmem0", "size": "1G"}, "cold"
        )


def test_machine_values_parse_like_the_toml() -> None:
    config = edits.set_machine(base_config(), "maxmem", "0x1100000000")
    assert config.machine.maxmem == 0x1100000000
    assert edits.set_machine(config, "maxmem", "").machine.maxmem is None
    assert edits.set_machine(config, "nvdimm", True).machine.nvdimm is True


def test_remove_takes_the_events_along_and_duplicate_plugs_the_same_way() -> None:
    config = order_config()
    assert [e.device for e in edits.remove_device(config, "fs0").timeline] == ["vmem0"]
    dup, new_id = edits.duplicate_device(config, "vmem0")
    assert new_id == "vmem1"
    assert [(e.action, e.device) for e in dup.timeline][-1] == ("hotplug", "vmem1")


def test_duplicate_drops_a_fixed_slot_and_address() -> None:
    config = base_config(
        memory_devices=[
            {"kind": "pc-dimm", "id": "d0", "size": "1G", "slot": 0, "addr": "0x180000000"}
        ]
    )
    dup, new_id = edits.duplicate_device(config, "d0")
    copy = dup.device(new_id)
    assert copy.slot is None and copy.addr is None


def test_rename_follows_into_the_timeline() -> None:
    config = order_config()
    device = config.device("fs0").model_dump() | {"id": "virtiofs"}
    new = edits.replace_device(config, "vhost", "fs0", device)
    assert "virtiofs" in [e.device for e in new.timeline]


def test_move_and_toggle() -> None:
    config = order_config()
    moved = edits.move_event(config, 1, -1)
    assert [e.device for e in moved.timeline] == ["fs0", "vmem0"]
    with pytest.raises(edits.EditError):
        edits.move_event(config, 0, -1)
    cold, index = edits.toggle_cold(config, 1)
    assert index == 0
    assert (cold.timeline[0].action, cold.timeline[0].device) == ("cold", "fs0")


def test_form_values_from_text() -> None:
    item = template("virtio-mem")
    values = edits.form_values(
        item,
        {
            "id": "v",
            "size": "8G",
            "block_size": "",
            "dynamic_memslots": True,
            "requested_size": "0",
        },
    )
    assert values["block_size"] is None and values["size"] == "8G"
    with pytest.raises(edits.EditError, match="slot"):
        edits.form_values(template("pc-dimm"), {"slot": "x"})


def test_catalog_limits_and_edit_template_lookup() -> None:
    limits = {
        t.key: t.defaults.get("max_mem_regions", t.defaults.get("max_mem_slots"))
        for t in VHOST_TEMPLATES
    }
    assert limits == {
        "vhost-net-64": 64,
        "vhost-net-509": 509,
        "vhost-user-8": 8,
        "virtiofsd-32": 32,
        "virtiofsd-509": 509,
        "qsd-509": 509,
        "vhost-vdpa": None,
    }
    assert {t.kind for t in MEMORY_TEMPLATES} == {
        "pc-dimm",
        "nvdimm",
        "virtio-pmem",
        "virtio-mem",
        "hv-balloon",
    }
    fs = order_config().device("fs0").model_dump(mode="json")
    assert template_for("vhost", fs).key == "virtiofsd-32"


def test_emptying_an_optional_field_in_the_edit_form_clears_it() -> None:
    config = base_config(memory_devices=[{"kind": "pc-dimm", "id": "d0", "size": "1G", "slot": 2}])
    item = template("pc-dimm")
    raw = {
        "id": "d0",
        "size": "1G",
        "backend": "ram",
        "share": False,
        "page_size": "4K",
        "prealloc": False,
        "slot": "",
        "addr": "",
    }
    current = config.device("d0").model_dump()
    new = edits.replace_device(config, "memory", "d0", current | edits.form_values(item, raw))
    assert new.device("d0").slot is None
