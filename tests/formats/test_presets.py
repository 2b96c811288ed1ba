"""Acceptance test of the engine: every preset loads and replays to its hand-computed [expect].

The expected outcomes in presets/*.toml were computed from the domain notes (limits, memslots,
QEMU's exact messages), not copied from the engine; a mismatch here is an engine bug or a
preset bug, to be settled with QEMU's source.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tui.engine import replay
from tui.engine.expect import check_expectation
from tui.engine.host import ASSUMED_MACHINE_FIELDS
from tui.engine.model import Expectation, ExpectedEvent
from tui.formats.toml import load
from tui.presets import (
    default_config,
    list_presets,
    preset_dirs,
    repo_preset_dir,
    user_preset_dir,
)

PRESETS = sorted(repo_preset_dir().glob("*.toml"))

# Presets whose expectation the engine does not meet yet (each with the reason). strict:
# when the engine is fixed the test fails until the entry is removed.
KNOWN_ENGINE_GAPS: dict[str, str] = {}


def _params() -> list[object]:
    params = []
    for path in PRESETS:
        marks = []
        if path.stem in KNOWN_ENGINE_GAPS:
            marks.append(pytest.mark.xfail(reason=KNOWN_ENGINE_GAPS[path.stem], strict=True))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def test_there_are_enough_presets() -> None:
    assert len(PRESETS) >= 12


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_states_what_it_assumes_of_the_host(path: Path) -> None:
    """A shipped preset means the same on every host: it names its QEMU and host facts."""
    machine = tomllib.loads(path.read_text(encoding="utf-8"))["machine"]
    assert [f for f in ASSUMED_MACHINE_FIELDS if f not in machine] == []


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_is_documented(path: Path) -> None:
    config = load(path)
    assert config.title and len(config.description) > 80
    assert config.expect is not None and config.expect.events, "a preset must promise outcomes"
    assert config.timeline, "a preset shows a timeline"


@pytest.mark.parametrize("path", _params())
def test_preset_outcome_matches_expectation(path: Path) -> None:
    config = load(path)
    report = replay(config)
    assert check_expectation(config, report) == []


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_failing_presets_promise_qemus_message_and_a_fix(path: Path) -> None:
    """A refused event must be pinned to QEMU's exact words, and the description says the fix."""
    config = load(path)
    assert config.expect is not None
    for expected in config.expect.events:
        if expected.ok is False and not expected.skipped:
            assert expected.error, f"event {expected.event}: say which error QEMU prints"
    report = replay(config)
    if not report.ok:
        assert "Fix" in config.description or "fix" in config.description
        failed = {e.index + 1 for e in report.events if not e.ok and not e.skipped}
        promised = {e.event for e in config.expect.events if e.ok is False}
        assert failed <= promised or config.expect.startup_error, (
            f"events {sorted(failed - promised)} fail but [expect] does not say so"
        )


def test_presets_cover_failures_and_successes() -> None:
    verdicts = {path.stem: replay(load(path)).ok for path in PRESETS}
    assert any(verdicts.values()) and not all(verdicts.values())


# --------------------------------------------------------------------------- the checker itself


def _with_expect(path: str, expect: Expectation):
    return load(repo_preset_dir() / path).model_copy(update={"expect": expect})


def test_checker_reports_wrong_limit_and_memslots() -> None:
    config = _with_expect(
        "ex01-virtio-mem-64-memslots.toml",
        Expectation(events=(ExpectedEvent(event=1, memslot_limit=255, memslots=63),)),
    )
    problems = check_expectation(config, replay(config))
    assert problems == [
        "event 1 (cold vmem0): memslot_limit: expected 255, got 256",
        "event 1 (cold vmem0): memslots: expected 63, got 64",
    ]


def test_checker_compares_errors_verbatim() -> None:
    config = _with_expect(
        "ex07-not-enough-space.toml",
        Expectation(
            events=(
                ExpectedEvent(
                    event=2,
                    ok=False,
                    error="not enough space, currently 0x300000000 in use of total space for "
                    "memory devices 0x400000001",
                ),
            )
        ),
    )
    [problem] = check_expectation(config, replay(config))
    assert problem.startswith("event 2 (hotplug vmem0): error: expected ")


def test_checker_reports_totals_startup_and_missing_events() -> None:
    config = _with_expect(
        "ex01-virtio-mem-64-memslots.toml",
        Expectation(
            events=(ExpectedEvent(event=5, ok=True),),
            startup_error="boom",
            required_memslots=1,
            used_memslots=0,
            reserved_memslots=2,
        ),
    )
    problems = check_expectation(config, replay(config))
    assert problems == [
        "startup_error: expected 'boom', got None",
        "event 5: no such event (the timeline has 1 events, the report 1)",
        "final required_memslots: expected 1, got 64",
        "final reserved_memslots: expected 2, got 64",
    ]


def test_checker_without_expectation_is_silent() -> None:
    config = default_config()
    assert config.expect is None
    assert check_expectation(config, replay(config)) == []


# --------------------------------------------------------------------------- library


def test_default_config_is_valid_and_shows_the_509_rule() -> None:
    report = replay(default_config())
    assert report.ok
    vmem = report.events[-1]
    assert (vmem.memslot_limit, vmem.memslots) == (1, 1)


def test_preset_dirs_are_repo_then_user() -> None:
    dirs = preset_dirs()
    assert dirs[0] == repo_preset_dir() and dirs[0].is_dir()
    assert dirs[1] == user_preset_dir()
    assert dirs[1].parts[-2:] == ("memslot-explorer", "presets")


def test_list_presets_survives_a_broken_user_preset(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("[machine\n")
    (tmp_path / "fine.toml").write_text('title = "Mine"\ndescription = "d"\n')
    (tmp_path / "notes.txt").write_text("ignored")
    infos = list_presets([repo_preset_dir(), tmp_path, tmp_path / "missing"])
    by_name = {info.path.name: info for info in infos}
    assert len(infos) == len(PRESETS) + 2
    broken = by_name["broken.toml"]
    assert not broken.ok and broken.title == "broken"
    assert broken.error is not None and broken.error.startswith(f"{tmp_path / 'broken.toml'}: ")
    assert by_name["fine.toml"].ok and by_name["fine.toml"].title == "Mine"
    assert all(by_name[p.name].ok for p in PRESETS)


def test_list_presets_default_dirs_include_the_repo() -> None:
    names = {info.path.name for info in list_presets()}
    assert {p.name for p in PRESETS} <= names
