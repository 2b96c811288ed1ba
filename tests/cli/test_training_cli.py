"""compare, sweep and lesson verbs: golden outputs (exact text), exit codes, bad input.

Regenerate the golden files after an intended change with MEMSLOT_UPDATE_GOLDEN=1 and read the
diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"

CASES = {
    "compare_ex10a_ex10b.txt": [
        "compare",
        "presets/ex10a-virtiofsd-32-after-virtio-mem.toml",
        "presets/ex10b-virtiofsd-32-before-virtio-mem.toml",
    ],
    "compare_ex10a_ex10b.json": [
        "compare",
        "presets/ex10a-virtiofsd-32-after-virtio-mem.toml",
        "presets/ex10b-virtiofsd-32-before-virtio-mem.toml",
        "--json",
    ],
    "sweep_ex08_vhost_limit.txt": [
        "sweep",
        "presets/ex08-vhost-net-64-forces-limit-1.toml",
        "--param",
        "net0.max_mem_regions",
        "--from",
        "64",
        "--to",
        "576",
        "--steps",
        "9",
    ],
    "sweep_s04a_dimms.csv": [
        "sweep",
        "presets/s04a-neonvm-1g-dimms-vhost-net-64.toml",
        "--param",
        "dimms",
        "--from",
        "60",
        "--to",
        "64",
        "--steps",
        "5",
        "--csv",
    ],
    "sweep_ex05_maxmem.txt": [
        "sweep",
        "presets/ex05-soft-limit-exhaustion.toml",
        "--param",
        "machine.maxmem",
        "--from",
        "1000G",
        "--to",
        "2T",
        "--steps",
        "6",
    ],
    "lesson_vhost_ordering.md": ["lesson", "vhost-ordering-509", "--to", "markdown"],
}
EX01 = "presets/ex01-virtio-mem-64-memslots.toml"
EXIT = {"compare_ex10a_ex10b.txt": 1, "compare_ex10a_ex10b.json": 1}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Relative paths in the output; no user lessons from the developer's machine."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_output(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(CASES[name])
    out = capsys.readouterr().out
    assert code == EXIT.get(name, 0)
    golden = GOLDEN / name
    if os.environ.get("MEMSLOT_UPDATE_GOLDEN"):
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_compare_same_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    path = "presets/ex01-virtio-mem-64-memslots.toml"
    assert main(["compare", path, path, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "memslot-explorer/compare/1" and document["same"] is True
    assert all(not row["differs"] for row in document["events"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "presets/nope.toml", EX01], "nope.toml"),
        (
            ["sweep", EX01, "--param", "vmem0.size", "--from", "12Q", "--to", "1G"],
            "vmem0.size: '12Q' is not a valid value",
        ),
        (
            ["sweep", EX01, "--param", "net9.size", "--from", "1", "--to", "2"],
            "no such parameter",
        ),
        (
            ["sweep", EX01, "--param", "machine.slots", "--from", "1", "--to", "2", "--steps", "0"],
            "steps must be between 1 and",
        ),
        (["lesson", "no-such-lesson"], "no-such-lesson"),
        (["lesson"], "give a lesson FILE or --list"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_lesson_list_shows_shipped_and_user_lessons(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    user = tmp_path / "xdg" / "memslot-explorer" / "presets" / "lessons"
    user.mkdir(parents=True)
    (user / "mine.toml").write_text(
        'title = "My lesson"\n[[steps]]\npreset = "ex01-virtio-mem-64-memslots.toml"\n'
    )
    assert main(["lesson", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    shipped = [line for line in lines if line.startswith("shipped")]
    assert len(shipped) >= 4 and any("vhost-ordering-509" in line for line in shipped)
    assert any(line.startswith("user") and "My lesson" in line for line in lines)


def test_lesson_app_opens_lesson_mode_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.app.training as training

    opened: list[Path] = []
    monkeypatch.setattr(training, "run_lesson", lambda path: opened.append(path) or 0)
    assert main(["lesson", "vhost-ordering-509", "--app"]) == 0
    assert opened and opened[0].name == "vhost-ordering-509.toml"
    opened.clear()
    assert main(["lesson", "no-such-lesson", "--app"]) == 2  # checked before the app starts
    assert opened == []


def test_a_lesson_file_given_to_the_app_opens_lesson_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`memslot-explorer LESSON.toml` is `lesson LESSON.toml --app`; a configuration file is
    not mistaken for a lesson, and a broken lesson is exit 2 before any app starts."""
    import tui.app.app as app_module
    import tui.app.training as training

    lessons: list[Path] = []
    configs: list[Path | None] = []
    monkeypatch.setattr(training, "run_lesson", lambda path: lessons.append(path) or 0)
    monkeypatch.setattr(app_module, "run_app", lambda path=None: configs.append(path) or 0)
    lesson = ROOT / "presets" / "lessons" / "vhost-ordering-509.toml"
    assert main([str(lesson)]) == 0
    assert lessons == [lesson] and configs == []

    preset = ROOT / "presets" / "ex01-virtio-mem-64-memslots.toml"
    assert main([str(preset)]) == 0
    assert configs == [preset] and lessons == [lesson]

    broken = tmp_path / "broken.toml"
    broken.write_text('title = "x"\n[[steps]]\npreset = "no-such-preset.toml"\n')
    assert main([str(broken)]) == 2
    assert "no-such-preset.toml" in capsys.readouterr().err
    assert lessons == [lesson]

    # too deep for tomllib: not a lesson, so the app gets it (and says why it cannot load it)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert main([str(deep)]) == 0
    assert configs == [preset, deep] and lessons == [lesson]


def test_lesson_text_with_control_characters_is_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A lesson's title, step title and narrative with escape sequences: `lesson FILE` and
    `lesson --list` print them as visible escapes (printed raw, they drove the terminal)."""
    user = tmp_path / "xdg" / "memslot-explorer" / "presets" / "lessons"
    user.mkdir(parents=True)
    (user / "evil.toml").write_text(
        'title = "L\\u001b]2;owned\\u0007"\n[[steps]]\ntitle = "S\\u001b[31m"\n'
        'narrative = "N\\u009b2J"\npreset = "ex01-virtio-mem-64-memslots.toml"\n'
    )
    assert main(["lesson", "--list"]) == 0
    listed = capsys.readouterr().out
    assert main(["lesson", str(user / "evil.toml")]) == 0
    printed = capsys.readouterr().out
    for text in (listed, printed):
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text), text
    assert "L\\x1b]2;owned\\x07" in listed
    assert "S\\x1b[31m" in printed and "N\\x9b2J" in printed


def test_compare_prints_titles_with_control_characters_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    evil = tmp_path / "evil.toml"
    text = (ROOT / "presets" / "ex01-virtio-mem-64-memslots.toml").read_text()
    evil.write_text(re.sub(r'(?m)^title = ".*"$', 'title = "T\\\\u001b]2;owned\\\\u0007"', text))
    assert main(["compare", str(evil), "presets/ex01-virtio-mem-64-memslots.toml"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out), out
    assert "T\\x1b]2;owned\\x07" in out
