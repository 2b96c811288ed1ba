"""Lessons: the shipped ones load and teach; every answer comes from the engine at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.engine import replay
from tui.engine.model import Config
from tui.formats.toml import ConfigError, load
from tui.lessons.files import (
    dumps_lesson,
    lesson_dirs,
    list_lessons,
    parse_lesson,
    read_lesson,
    save_lesson,
)
from tui.lessons.markdown import ascii_bar, render_markdown
from tui.lessons.model import Lesson, LessonStep, Question
from tui.lessons.runner import NO_START, NOTHING, QuestionError, ask_question, prepare
from tui.presets import repo_preset_dir

LESSONS = sorted((repo_preset_dir() / "lessons").glob("*.toml"))


def _prepared(path: Path):
    loaded = read_lesson(path)
    return loaded, prepare(loaded.lesson.steps, loaded.configs, loaded.sources)


def test_four_shipped_lessons_with_four_steps_each() -> None:
    names = {p.stem for p in LESSONS}
    assert {
        "vhost-ordering-509",
        "soft-limit-fractional-shares",
        "dimms-vs-virtio-mem-vhost-net-64",
        "phys-bits-address-space",
    } <= names
    for path in LESSONS:
        loaded = read_lesson(path)
        assert len(loaded.lesson.steps) >= 4, path
        assert sum(1 for s in loaded.lesson.steps if s.question) >= 4, path


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_answer_is_what_the_engine_reports(path: Path) -> None:
    loaded, steps = _prepared(path)
    for step in steps:
        asked = step.asked
        if asked is None:
            continue
        question = loaded.lesson.steps[step.number - 1].question
        assert question is not None
        if question.ask in ("memslots", "limit"):
            plug = [
                e
                for e in step.report.events
                if e.device == question.device and e.action in ("cold", "hotplug")
            ][-1]
            value = plug.memslots if question.ask == "memslots" else plug.memslot_limit
            assert asked.number == value and asked.grade(str(value))
            assert not asked.grade(str((value or 0) + 1))
        elif question.ask == "succeeds":
            assert question.event is not None
            ok = step.report.events[question.event - 1].ok
            assert asked.grade("yes" if ok else "no") and not asked.grade("no" if ok else "yes")
        else:
            right = [c for c in asked.choices if c.correct]
            wrong = [c for c in asked.choices if not c.correct]
            assert right and wrong, "a choice question needs a right and a wrong answer"
            assert all(asked.grade(c.label) for c in right)
            assert not any(asked.grade(c.label) for c in wrong)


def test_the_vhost_lesson_teaches_the_509_threshold() -> None:
    """Worked examples 8-10 (docs): vhost 64 → 1 memslot, 509 → limit 256, a late 32-slot
    virtiofsd is refused, and of the fixes only those the engine proves are right."""
    _, steps = _prepared(repo_preset_dir() / "lessons" / "vhost-ordering-509.toml")
    assert steps[0].asked.number == 1
    assert steps[1].asked.number == 256
    assert steps[2].asked.answer == "no"
    verdicts = {c.label: c.correct for c in steps[3].asked.choices}
    assert verdicts["Plug fs0 before vmem0"] is True
    assert verdicts["Raise maxmem to 132G"] is False
    assert verdicts["A virtiofsd that reports 64 memslots"] is False  # 64 < 509
    assert verdicts[NOTHING] is False


def _config(**machine: object) -> Config:
    return Config.model_validate(
        {
            "machine": {"ram": "4G", "maxmem": "68G", **machine},
            "vhost_devices": [
                {"id": "net0", "kind": "vhost-kernel", "device": "net", "max_mem_regions": 64}
            ],
            "memory_devices": [
                {"id": "vmem0", "kind": "virtio-mem", "size": "64G", "dynamic_memslots": True}
            ],
        }
    )


def test_answers_follow_the_configuration_not_the_file() -> None:
    """The same question on two configurations gets two answers: nothing is hard-coded."""
    question = Question(ask="memslots", device="vmem0")
    low = _config()
    high = low.model_copy(
        update={
            "vhost_devices": (low.vhost_devices[0].model_copy(update={"max_mem_regions": 509}),)
        }
    )
    assert ask_question(question, low, replay(low)).number == 1
    assert ask_question(question, high, replay(high)).number == 64


def test_first_failure_names_a_failed_start() -> None:
    config = load(repo_preset_dir() / "s07a-incus-phys-bits-too-low.toml")
    asked = ask_question(Question(ask="first-failure"), config, replay(config))
    assert asked.answer == NO_START and asked.grade(NO_START)
    assert not asked.grade("none: every event succeeds")


def test_questions_the_engine_cannot_answer_are_input_errors() -> None:
    config = _config()
    with pytest.raises(QuestionError, match="no memory device 'vmem9'"):
        ask_question(Question(ask="limit", device="vmem9"), config, replay(config))
    with pytest.raises(QuestionError, match="every event succeeds"):
        ask_question(Question(ask="fix"), config, replay(config))
    with pytest.raises(QuestionError, match="2 events, not 7"):
        ask_question(Question(ask="succeeds", event=7), config, replay(config))


def test_bad_lesson_files_name_file_field_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[steps]]\npreset = "nope.toml"\n')
    with pytest.raises(ConfigError) as exc:
        read_lesson(bad)
    assert "bad.toml: steps[0].preset: no preset 'nope.toml'" in str(exc.value)
    with pytest.raises(ConfigError, match=r"steps\.0\.question\.ask|steps\[0\]\.question\.ask"):
        parse_lesson({"steps": [{"preset": "x", "question": {"ask": "colour"}}]}, "x.toml")
    with pytest.raises(ConfigError, match="either a preset or an inline"):
        parse_lesson({"steps": [{"narrative": "no config"}]}, "x.toml")
    (tmp_path / "syntax.toml").write_text("steps = [")
    with pytest.raises(ConfigError, match=r"syntax\.toml: not valid TOML"):
        read_lesson(tmp_path / "syntax.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        read_lesson(tmp_path / "missing.toml")
    # one line per problem: a step that fails is not also reported as "too few steps"
    with pytest.raises(ConfigError) as exc:
        parse_lesson({"steps": [{"config": 3}]}, "x.toml")
    assert str(exc.value).splitlines() == [
        "x.toml: steps[0].config: Input should be a valid dictionary or instance of Config"
    ]
    with pytest.raises(ConfigError, match=r"x\.toml: steps: .*at least 1 item"):
        parse_lesson({"steps": []}, "x.toml")  # no step at all is still said


def test_save_and_read_back_inline_steps(tmp_path: Path) -> None:
    config = _config()
    lesson = Lesson(
        title="mine",
        steps=(
            LessonStep(
                title="a",
                config=config,
                narrative="one\n\ntwo",
                question=Question(ask="memslots", device="vmem0"),
            ),
            LessonStep(title="b", preset="ex01-virtio-mem-64-memslots.toml"),
        ),
    )
    path = tmp_path / "sub" / "mine.toml"
    save_lesson(lesson, path)
    loaded = read_lesson(path)
    assert loaded.lesson == lesson
    assert loaded.configs[0] == config and loaded.sources == (
        "inline",
        str(repo_preset_dir() / "ex01-virtio-mem-64-memslots.toml"),
    )
    assert parse_lesson(__import__("tomllib").loads(dumps_lesson(lesson)), "x") == lesson
    assert [p.name for p in path.parent.iterdir()] == ["mine.toml"]  # no temp file left


def test_list_lessons_shipped_user_and_broken(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("title = 3")
    infos = list_lessons([lesson_dirs()[0], tmp_path])
    shipped = [i for i in infos if i.path.parent == lesson_dirs()[0]]
    assert len(shipped) == len(LESSONS) and all(i.error is None and i.steps >= 4 for i in shipped)
    broken = [i for i in infos if i.path.name == "broken.toml"]
    assert broken and broken[0].error


DEEP = "steps = " + "[" * 100_000 + "]" * 100_000 + "\n"
"""Deeper than tomllib's recursion allows."""


def test_deeply_nested_lesson_files_are_one_clear_error(tmp_path: Path) -> None:
    from tui.lessons import is_lesson

    deep = tmp_path / "deep.toml"
    deep.write_text(DEEP)
    with pytest.raises(ConfigError, match=r"deep\.toml: nested too deeply"):
        read_lesson(deep)
    assert not is_lesson(deep)  # the configuration loader then says why
    listed = [i for i in list_lessons([tmp_path]) if i.path == deep]
    assert listed and "nested too deeply" in (listed[0].error or "")


def test_markdown_has_answers_tables_and_bars() -> None:
    loaded, steps = _prepared(repo_preset_dir() / "lessons" / "vhost-ordering-509.toml")
    text = render_markdown(loaded.lesson.title, loaded.lesson.description, steps)
    assert text.startswith("# vhost ordering and the 509 threshold\n")
    assert text.count("## Step ") == len(steps)
    assert "**Answer (the engine):** 256" in text
    assert "| 2 | cold vmem0 | virtio-mem | 1 | 1 | ok |" in text
    assert "net0 kernel" in text and "[#" in text


def test_ascii_bar() -> None:
    assert ascii_bar(0, 0, 10, 10) == "[..........]"
    assert ascii_bar(5, 2, 10, 10) == "[#####++...]"
    assert ascii_bar(1, 1, 32764, 10) == "[#+........]"  # never hides a non-zero count
    assert ascii_bar(20, 0, 10, 10) == "[##########]"


def test_docs_lessons_example_parses_and_runs() -> None:
    """docs/lessons.md stays true: its example is a valid lesson the engine can answer."""
    import re
    import tomllib

    doc = (repo_preset_dir().parent / "docs" / "lessons.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", doc, re.S)
    assert example, "docs/lessons.md lost its TOML example"
    lesson = parse_lesson(tomllib.loads(example.group(1)), "docs/lessons.md")
    configs = tuple(
        s.config if s.config is not None else load(repo_preset_dir() / s.preset)
        for s in lesson.steps
    )
    steps = prepare(lesson.steps, configs, ("doc",) * len(configs))
    assert steps[0].asked.number == 1
    assert steps[2].asked.answer == NO_START


def test_a_fifo_or_directory_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "lesson.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_lesson(fifo)
    with pytest.raises(ConfigError, match="a directory"):
        read_lesson(tmp_path)


def test_a_configuration_file_is_not_taken_for_a_lesson() -> None:
    with pytest.raises(ConfigError, match="this is a configuration file, not a lesson"):
        read_lesson(repo_preset_dir() / "ex01-virtio-mem-64-memslots.toml")


def test_lessons_compare_sweep_and_params_never_import_textual() -> None:
    """The pure pieces stay usable from the CLI without the app (and fast to import)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import tui.lessons.runner, tui.lessons.files, tui.lessons.markdown\n"
        "import tui.compare, tui.sweep, tui.params\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')"
        " or m.startswith('tui.app'))\n"
        "print(bad)\n"
    )
    root = repo_preset_dir().parent
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
