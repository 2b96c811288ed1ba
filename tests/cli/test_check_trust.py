"""`check` over several files, [expect] verdicts, --no-suggestions, and hostile input that must
end in one clear line (never a traceback, a forged line or a terminal escape)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.engine import replay
from tui.engine.expect import record_expectation
from tui.formats.toml import dumps, load
from tui.presets import repo_preset_dir

ROOT = Path(__file__).resolve().parents[2]
EX08 = repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml"
FAILING = repo_preset_dir() / "ex07-not-enough-space.toml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_several_files_summary_and_worst_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[machine\n")
    code = main(["check", str(EX08), str(bad), str(FAILING), "--no-suggestions"])
    out, err = capsys.readouterr()
    assert code == 2  # the worst: bad input
    assert out.rstrip().splitlines()[-1] == (
        "Checked 3 files: 1 ok, 1 QEMU would fail, 1 bad input."
    )
    assert f"{bad}: line 1" in err and "Traceback" not in err
    assert out.count("Result:") == 2


def test_several_files_json_is_an_array(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    missing = tmp_path / "missing.toml"
    assert main(["check", "--json", "--no-suggestions", str(EX08), str(missing)]) == 2
    documents = json.loads(capsys.readouterr().out)
    assert [d["file"] for d in documents] == [str(EX08), str(missing)]
    assert documents[0]["ok"] is True and documents[0]["expect_mismatches"] == []
    assert "cannot read" in documents[1]["error"]


def test_expect_mismatch_is_exit_4_with_a_failed_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: a modified preset kept its [expect]; `check` said OK and nobody noticed."""
    config = load(EX08)
    changed = config.model_copy(
        update={
            "vhost_devices": (config.vhost_devices[0].model_copy(update={"max_mem_regions": 509}),)
        }
    )
    stale = tmp_path / "stale.toml"
    stale.write_text(dumps(changed))
    assert main(["check", str(stale)]) == 4
    out = capsys.readouterr().out
    assert "Expect: FAILED — [expect] disagrees with the engine:" in out
    assert "memslot_limit: expected 1, got" in out
    # recorded from the engine, the same file agrees again
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(
        dumps(changed.model_copy(update={"expect": record_expectation(changed, replay(changed))}))
    )
    assert main(["check", str(fixed)]) == 0
    assert "Expect: OK — the engine agrees with [expect]." in capsys.readouterr().out


def test_no_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FAILING)]) == 1
    assert "Suggestions" in capsys.readouterr().out
    assert main(["check", "--no-suggestions", str(FAILING)]) == 1
    out = capsys.readouterr().out
    assert "Suggestions" not in out and "Result: FAILED" in out


def test_title_control_characters_never_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.toml"
    path.write_text('title = "\\u001b]0;owned\\u0007\\u001b[2J red\\nsecond line"\n')
    main(["check", "--no-suggestions", str(path)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert out.splitlines()[0] == f"{path} — \\x1b]0;owned\\x07\\x1b[2J red\\nsecond line"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('"" = 1\n', "{path}: \"\": unknown key ''"),
        ('"a\\nb" = 1\n', "{path}: \"a\\nb\": unknown key 'a\\nb'"),
        (
            '[machine]\n"x\\ny: forged" = 1\n',
            "{path}: machine.\"x\\ny: forged\": unknown key 'x\\ny: forged'",
        ),
    ],
)
def test_hostile_keys_give_one_line_with_a_field(tmp_path: Path, text: str, line: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    proc = _cli("check", str(path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [line.format(path=path)]


@pytest.mark.parametrize("opener", ["[", "{a="])
def test_deep_nesting_is_bad_input_with_a_field(tmp_path: Path, opener: str) -> None:
    """Issue 8 item 8: deep nesting was exit 3 "internal error" (RecursionError)."""
    closer = "]" if opener == "[" else "}"
    path = tmp_path / "deep.toml"
    path.write_text('title = "deep"\nx = ' + opener * 5000 + "1" + closer * 5000 + "\n")
    proc = _cli("check", str(path))
    assert proc.returncode == 2
    assert proc.stderr == f"{path}: line 2: nested too deeply (arrays or inline tables)\n"


def test_fifo_is_refused_by_check(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "in.toml"
    os.mkfifo(fifo)
    proc = _cli("check", str(fifo))
    assert proc.returncode == 2
    assert proc.stderr == f"{fifo}: cannot read: a FIFO (named pipe), not a regular file\n"
