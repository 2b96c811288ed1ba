"""docs/schema.md stays true: its annotated TOML example loads, and replays as it says."""

from __future__ import annotations

import re
from pathlib import Path

from tui.engine import replay
from tui.engine.expect import check_expectation
from tui.formats.toml import dumps, loads

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def _example() -> str:
    match = re.search(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, "docs/schema.md lost its TOML example"
    return match.group(1)


def test_schema_example_loads_and_meets_its_expectation() -> None:
    config = loads(_example(), "docs/schema.md")
    assert [e.action for e in config.timeline] == ["cold", "cold", "resize"]
    assert {d.kind for d in config.all_devices()} >= {"virtio-mem", "vhost-kernel", "vfio-bar"}
    assert check_expectation(config, replay(config)) == []
    assert loads(dumps(config)) == config
