"""The engine against recorded real QEMU answers (tests/qemu/observed/), on every run.

Why: the engine names three rule sets (≤ 8.1, 8.2–10.0, 10.1+). Each was run on a real QEMU of
that range (7.2, 10.0.2, 10.2.2; see docs/rules.md for how they were obtained) by
tests/qemu/record.py; this replays every recorded configuration through the engine and compares
event by event with the same rules `verify` uses — without QEMU, on any host. Each recording
states its QEMU and host; the configuration it stores already carries that host's facts (KVM
memslots, THP size, vendor, accelerator), so nothing here depends on the machine running it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from tui.engine import replay
from tui.engine.model import Config
from tui.qemu.verify import Outcome, _compare, _engine_outcome

OBSERVED = Path(__file__).parent / "observed"
FILES = sorted(OBSERVED.glob("qemu-*.json"))
MIN_CASES = 30


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _params() -> list[Any]:
    out = []
    for path in FILES:
        for name in _load(path)["cases"]:
            out.append(pytest.param(path, name, id=f"{path.stem}:{name}"))
    return out


def _outcome(data: dict[str, Any] | None) -> Outcome | None:
    if data is None:
        return None
    return Outcome(**{**data, "warnings": tuple(data.get("warnings", ()))})


def test_every_rule_set_is_recorded() -> None:
    """≥ 30 recorded cases for each QEMU the engine's rule sets were checked against."""
    versions = {path.stem.removeprefix("qemu-"): len(_load(path)["cases"]) for path in FILES}
    for prefix in ("7.2", "10.0.2", "10.2"):
        found = [v for v in versions if v.startswith(prefix)]
        assert found, f"no recorded observations of QEMU {prefix}: {sorted(versions)}"
        assert all(versions[v] >= MIN_CASES for v in found), versions


@pytest.mark.parametrize(("path", "name"), _params())
def test_engine_matches_recorded_qemu(path: Path, name: str) -> None:
    case = _load(path)["cases"][name]
    config = Config.model_validate(case["engine_config"])
    report = replay(config)
    where = f"{path.name} {name} (QEMU {case['engine_config']['machine']['qemu_version']})"
    start = _outcome(case["startup"])
    engine_start = Outcome("error", report.startup_error) if report.startup_error else Outcome("ok")
    if start is not None:
        assert _compare(engine_start, start), f"{where} start: engine {engine_start} != {start}"
    assert len(case["events"]) == len(report.events), where
    for number, (event, recorded) in enumerate(
        zip(report.events, case["events"], strict=True), start=1
    ):
        qemu = _outcome(recorded)
        if qemu is None:
            continue
        if qemu.status == "skipped" and qemu.detail:
            continue  # not reached for a reason of the run (QEMU stopped), not a verdict
        engine = _engine_outcome(event, config.device(event.device))
        assert _compare(engine, qemu), f"{where} event {number}: engine {engine} != QEMU {qemu}"
