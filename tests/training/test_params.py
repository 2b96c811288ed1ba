"""Parameters: a path changes one value through the model, or says why it cannot."""

from __future__ import annotations

import pytest

from tui.engine.units import GiB
from tui.formats.toml import load
from tui.params import DIMMS, ParamError, apply, parameters, parse_value, value_of
from tui.presets import repo_preset_dir


def _preset(name: str):
    return load(repo_preset_dir() / name)


def test_machine_device_and_dimm_parameters() -> None:
    config = _preset("s04a-neonvm-1g-dimms-vhost-net-64.toml")
    paths = {p.path for p in parameters(config)}
    assert {"machine.maxmem", "machine.kvm_memslots", "net0.max_mem_regions", DIMMS} <= paths
    assert value_of(config, DIMMS) == sum(1 for d in config.memory_devices if d.kind == "pc-dimm")
    assert apply(config, "machine.maxmem", 90 * GiB).machine.maxmem == 90 * GiB
    assert apply(config, "net0.max_mem_regions", 509).device("net0").max_mem_regions == 509


def test_dimm_count_down_and_up_keeps_the_timeline_consistent() -> None:
    config = _preset("s04a-neonvm-1g-dimms-vhost-net-64.toml")
    fewer = apply(config, DIMMS, 3)
    assert [d.id for d in fewer.memory_devices] == ["dimm01", "dimm02", "dimm03"]
    assert {e.device for e in fewer.timeline} == {"net0", "dimm01", "dimm02", "dimm03"}
    total = value_of(config, DIMMS)
    more = apply(config, DIMMS, total + 2)
    assert value_of(more, DIMMS) == total + 2
    added = [d for d in more.memory_devices if d.id not in {x.id for x in config.memory_devices}]
    assert len(added) == 2 and all(d.size == config.memory_devices[-1].size for d in added)
    plugged = [e.device for e in more.timeline]
    assert all(d.id in plugged for d in added)  # each copy is plugged like the last DIMM


def test_values_the_model_refuses_name_the_path() -> None:
    config = _preset("ex08-vhost-net-64-forces-limit-1.toml")
    with pytest.raises(ParamError, match=r"machine\.phys_bits = 20: .*greater than or equal to 32"):
        apply(config, "machine.phys_bits", 20)
    with pytest.raises(ParamError, match="no device with id 'nope'"):
        apply(config, "nope.size", GiB)
    with pytest.raises(ParamError, match="no field 'colour'"):
        apply(config, "machine.colour", 1)
    with pytest.raises(ParamError, match="no pc-dimm"):
        apply(config, DIMMS, 3)
    with pytest.raises(ParamError, match="not a valid value"):
        parse_value("machine.maxmem", "12Q")
    assert parse_value("machine.maxmem", "68G") == 68 * GiB
    assert parse_value("net0.max_mem_regions", "0x40") == 64


@pytest.mark.parametrize(
    "name",
    [
        "ex05-soft-limit-exhaustion.toml",
        "ex10a-virtiofsd-32-after-virtio-mem.toml",
        "s04a-neonvm-1g-dimms-vhost-net-64.toml",
        "vm01-virtio-mem-resize-and-unplug.toml",
    ],
)
def test_setting_every_parameter_to_its_own_value_changes_nothing(name: str) -> None:
    config = _preset(name)
    for param in parameters(config):
        if param.value is None:
            continue
        assert apply(config, param.path, param.value) == config, param.path
