"""Lesson files: read (with each step's configuration resolved), write, and list them.

A step's `preset` is looked up next to the lesson first, then by name in the preset library
(shipped, then the user's), so a lesson in the user directory can build on shipped presets.
Every failure is a ConfigError naming the lesson file, the field and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from tui.engine.model import Config
from tui.fileio import FileAccessError, write_text
from tui.formats.toml import ConfigError, load, to_dict
from tui.lessons import read_document
from tui.lessons.model import Lesson
from tui.presets import preset_dirs, shipped_preset_dir, user_preset_dir

LESSON_DIR = "lessons"


@dataclass(frozen=True)
class LoadedLesson:
    """A lesson and, per step, its configuration and where it came from."""

    path: Path
    lesson: Lesson
    configs: tuple[Config, ...]
    sources: tuple[str, ...]
    """Per step: the preset file's path, or "inline"."""


@dataclass(frozen=True)
class LessonInfo:
    """One lesson file as `lesson --list` and the picker show it."""

    path: Path
    title: str
    description: str
    steps: int
    user: bool
    error: str | None = None


def lesson_dirs() -> list[Path]:
    """Shipped lessons first, then the user's (…/memslot-explorer/presets/lessons)."""
    return [shipped_preset_dir() / LESSON_DIR, user_lesson_dir()]


def user_lesson_dir() -> Path:
    """Where the app saves a trainer's lessons by default."""
    return user_preset_dir() / LESSON_DIR


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or "[" in str(part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_lesson(data: Any, source: str) -> Lesson:
    """Validate parsed TOML into a Lesson; problems become one ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError(source, "", "a lesson must be a TOML table")
    if "steps" not in data and {"machine", "memory_devices", "timeline"} & set(data):
        raise ConfigError(
            source,
            "steps",
            "this is a configuration file, not a lesson (a lesson has [[steps]]; "
            "see docs/lessons.md)",
        )
    try:
        return Lesson.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        inner = [tuple(e["loc"]) for e in errors]
        problems = [
            (_where(tuple(e["loc"])), str(e["msg"]).removeprefix("Value error, "))
            for e in errors
            # a list whose items failed is also "too short" once they are dropped: say the
            # items' problems only
            if not (
                e["type"] == "too_short"
                and any(
                    loc[: len(e["loc"])] == tuple(e["loc"]) and loc != tuple(e["loc"])
                    for loc in inner
                )
            )
        ]
        raise ConfigError.many(source, problems) from None


def _document(path: Path) -> object:
    """read_document(), every failure a ConfigError naming the file."""
    source = str(path)
    try:
        return read_document(path)
    except FileAccessError as exc:
        raise ConfigError(source, "", exc.reason) from None
    except UnicodeDecodeError:
        raise ConfigError(source, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(source, "", "nested too deeply (arrays or inline tables)") from None


def read_lesson(path: Path | str) -> LoadedLesson:
    """Read a lesson file and load every step's configuration."""
    path = Path(path)
    source = str(path)
    lesson = parse_lesson(_document(path), source)
    configs: list[Config] = []
    sources: list[str] = []
    for number, step in enumerate(lesson.steps):
        if step.config is not None:
            configs.append(step.config)
            sources.append("inline")
            continue
        assert step.preset is not None
        preset = find_preset(step.preset, path.parent)
        if preset is None:
            raise ConfigError(
                source,
                f"steps[{number}].preset",
                f"no preset {step.preset!r} next to the lesson or in the preset library",
            )
        configs.append(load(preset))
        sources.append(str(preset))
    return LoadedLesson(path, lesson, tuple(configs), tuple(sources))


def find_preset(name: str, base: Path) -> Path | None:
    """`name` relative to the lesson's directory, else a file of that name in a preset dir."""
    candidate = Path(name).expanduser()
    if candidate.is_absolute():
        return candidate if candidate.is_file() else None
    if (base / candidate).is_file():
        return base / candidate
    for directory in preset_dirs():
        if (directory / candidate.name).is_file():
            return directory / candidate.name
    return None


def lesson_to_dict(lesson: Lesson) -> dict[str, Any]:
    """TOML-ready data; inline configurations written as configuration files are."""
    data: dict[str, Any] = {"schema_version": lesson.schema_version}
    if lesson.title:
        data["title"] = lesson.title
    if lesson.description:
        data["description"] = lesson.description
    steps = []
    for step in lesson.steps:
        out: dict[str, Any] = {}
        if step.title:
            out["title"] = step.title
        if step.preset is not None:
            out["preset"] = step.preset
        if step.narrative:
            out["narrative"] = step.narrative
        if step.question is not None:
            out["question"] = step.question.model_dump(
                mode="json", exclude_defaults=True, exclude_none=True
            )
            out["question"]["ask"] = step.question.ask
        if step.config is not None:
            config = to_dict(step.config)
            config.setdefault("timeline", [])  # an empty timeline stays empty
            out["config"] = config
        steps.append(out)
    data["steps"] = steps
    return data


def dumps_lesson(lesson: Lesson) -> str:
    """The lesson as TOML text; reading it back gives the same lesson."""
    return tomli_w.dumps(lesson_to_dict(lesson), multiline_strings=True)


def save_lesson(lesson: Lesson, path: Path | str) -> None:
    """Write with the one atomic writer (tui.fileio); ConfigError naming the file on failure."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, dumps_lesson(lesson))
    except FileAccessError as exc:
        raise ConfigError(str(path), "", exc.reason) from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot write: {exc.strerror or exc}") from None


def list_lessons(dirs: list[Path] | None = None) -> list[LessonInfo]:
    """Every lesson in the lesson dirs (a broken one is listed with its error)."""
    directories = lesson_dirs() if dirs is None else dirs
    user_dir = user_lesson_dir()
    found: list[LessonInfo] = []
    for directory in directories:
        try:
            paths = sorted(p for p in directory.glob("*.toml") if p.is_file())
        except OSError:
            continue
        user = directory == user_dir
        for path in paths:
            try:
                lesson = parse_lesson(_document(path), str(path))
            except ConfigError as exc:
                found.append(LessonInfo(path, path.stem, "", 0, user, str(exc)))
                continue
            found.append(
                LessonInfo(
                    path, lesson.title or path.stem, lesson.description, len(lesson.steps), user
                )
            )
    return found
