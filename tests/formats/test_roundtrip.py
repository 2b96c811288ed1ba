"""load(dump(c)) == c: for generated configurations, the default one and every preset."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui.engine.model import Config, Consumer, Event, Machine, PcDimm, VirtioMem
from tui.engine.units import GiB
from tui.formats.toml import dumps, load, loads, save
from tui.presets import default_config, repo_preset_dir

from .strategies import configs

PRESETS = sorted(repo_preset_dir().glob("*.toml"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_generated_configs_round_trip(config: Config) -> None:
    text = dumps(config)
    again = loads(text, "generated.toml")
    assert again == config
    assert dumps(again) == text  # stable: a second save changes nothing


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(), st.text())
@example("", "\r\n", "")  # TOML multi-line strings would turn CR LF into LF
@example('"""', "line\\\nnext \\", "\x00\x7f\t")
def test_any_text_round_trips(title: str, description: str, note: str) -> None:
    config = Config(title=title, description=description, consumers=(Consumer(id="c0", note=note),))
    assert loads(dumps(config)) == config


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_presets_round_trip(path: Path) -> None:
    config = load(path)
    assert loads(dumps(config)) == config


def test_default_config_round_trips() -> None:
    config = default_config()
    assert loads(dumps(config)) == config


def test_key_order_is_what_an_engineer_reads() -> None:
    config = Config(
        title="t",
        description="d",
        machine=Machine(ram=4 * GiB, maxmem=8 * GiB),
        memory_devices=(PcDimm(id="d0", size=GiB),),
        timeline=(Event(action="hotplug", device="d0"),),
    )
    text = dumps(config)
    order = [
        text.index(marker)
        for marker in (
            "schema_version",
            "title",
            "description",
            "[machine]",
            "[[memory_devices]]",
            "[[timeline]]",
        )
    ]
    assert order == sorted(order)
    assert text.startswith("schema_version = 1\n")


def test_sizes_are_written_as_human_strings() -> None:
    config = Config(
        machine=Machine(ram=4 * GiB, maxmem=68 * GiB),
        memory_devices=(VirtioMem(id="v", size=64 * GiB, dynamic_memslots=True),),
    )
    data = tomllib.loads(dumps(config))
    assert data["machine"]["maxmem"] == "68G"
    assert data["memory_devices"][0]["size"] == "64G"
    assert data["memory_devices"][0]["kind"] == "virtio-mem"
    assert "ram" not in data["machine"]  # the default is left out


def test_empty_timeline_stays_empty() -> None:
    """No timeline key means 'cold-plug everything'; an empty one must survive a save."""
    config = Config(memory_devices=(PcDimm(id="d0", size=GiB),), timeline=())
    assert loads(dumps(config)).timeline == ()
    implicit = loads('[[memory_devices]]\nid = "d0"\nkind = "pc-dimm"\nsize = "1G"\n')
    assert implicit.timeline == (Event(action="cold", device="d0"),)
    assert loads(dumps(implicit)) == implicit


def test_save_writes_atomically_and_loads_back(tmp_path: Path) -> None:
    target = tmp_path / "vm.toml"
    target.write_text("old contents")
    target.chmod(0o640)
    save(default_config(), target)
    assert load(target) == default_config()
    assert (target.stat().st_mode & 0o777) == 0o640  # the file keeps its permissions
    assert [p.name for p in tmp_path.iterdir()] == ["vm.toml"]  # no temp file left behind
