"""What crosses the advisor's pipe: deltas against the last config, never a whole 1,000-device
Config per edit; the app gets exactly the fixes the engine computes."""

from __future__ import annotations

import pickle

from tui.app import edits
from tui.app.advisor import Advisor, _equal, _identical, compute, decode, encode
from tui.engine.model import Config
from tui.formats.toml import load
from tui.presets import repo_preset_dir

FAILING = repo_preset_dir() / "ex07-not-enough-space.toml"


def many(devices: int = 1000) -> Config:
    """A large valid configuration (virtio-mem devices, a vhost-net)."""
    return Config.model_validate(
        {
            "machine": {"ram": "4G", "maxmem": f"{4 + devices}G", "phys_bits": 46},
            "vhost_devices": [{"kind": "vhost-kernel", "id": "net0", "max_mem_regions": 509}],
            "memory_devices": [
                {"kind": "virtio-mem", "id": f"vmem{i}", "size": "1G"} for i in range(devices)
            ],
        }
    )


def test_a_machine_edit_sends_the_machine_only() -> None:
    config = many()
    edited = edits.set_machine(config, "kvm_memslots", "509")
    delta = encode(edited, config, _identical)
    assert list(delta) == ["machine"]
    assert len(pickle.dumps(delta)) < 2_000 < len(pickle.dumps(config))
    assert decode(delta, config) == edited


def test_a_device_edit_sends_the_device_and_positions() -> None:
    config = many()
    edited = edits.replace_device(
        config, "memory", "vmem7", config.device("vmem7").model_dump() | {"size": 2 << 30}
    )
    delta = encode(edited, config, _identical)
    assert set(delta) == {"memory_devices"}
    items = delta["memory_devices"]
    assert [i for i, item in enumerate(items) if type(item) is not int] == [7]
    assert decode(delta, config) == edited
    # equality (the process's view of a fix) finds the same unchanged items
    rebuilt = Config.model_validate(edited.model_dump())
    assert encode(rebuilt, config, _equal).keys() == {"memory_devices"}
    assert decode(encode(rebuilt, config, _equal), config) == edited


def test_a_removed_or_moved_device_shifts_positions_not_devices() -> None:
    config = many()
    removed = edits.remove_device(config, "vmem3")
    delta = encode(removed, config, _identical)
    assert all(type(item) is int for item in delta["memory_devices"])
    assert all(type(item) is int for item in delta["timeline"])
    assert decode(delta, config) == removed
    moved = edits.move_event(config, 10, 1)
    delta = encode(moved, config, _identical)
    assert list(delta) == ["timeline"] and delta["timeline"][10:12] == [11, 10]
    assert decode(delta, config) == moved
    rebuilt = Config.model_validate(removed.model_dump())  # the process compares by value
    assert all(type(item) is int for item in encode(rebuilt, config, _equal)["memory_devices"])


def test_without_a_base_everything_is_sent() -> None:
    config = load(FAILING)
    assert decode(encode(config, None, _identical), None) == config


def test_the_process_returns_the_engines_fixes_for_each_edit() -> None:
    """First a whole config, then deltas: the fixes (and their configs) are the engine's."""
    config = load(FAILING)
    advisor = Advisor()
    try:
        for step in range(3):
            result = advisor.run(config)
            expected = compute(config)
            assert result is not None and result.error is None
            assert expected.suggestions, "the preset fails: the engine has fixes"
            assert [s.title for s in result.suggestions] == [s.title for s in expected.suggestions]
            assert [s.config for s in result.suggestions] == [
                s.config for s in expected.suggestions
            ]
            config = edits.set_machine(config, "kvm_memslots", str(32000 + step))
    finally:
        advisor.close()
