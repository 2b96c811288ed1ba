"""The trainer's tools in the app: lessons (run and author), compare, sweep, the library.

The app registers these as commands; everything here reads the app's current config and
report and opens a screen — the engine, the runner and the comparison do the work.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand

from tui.compare import compare
from tui.engine import replay
from tui.engine.model import Config
from tui.formats.toml import ConfigError
from tui.lessons import is_lesson
from tui.lessons.files import (
    list_lessons,
    read_lesson,
    save_lesson,
    user_lesson_dir,
)
from tui.lessons.markdown import render_markdown
from tui.lessons.model import Lesson, LessonStep
from tui.lessons.runner import QuestionError, ask_question, prepare
from tui.presets import LESSON_GROUP, PresetInfo, list_presets

from .screens.compare import CompareScreen
from .screens.dialogs import ConfirmScreen
from .screens.lesson import LessonScreen
from .screens.lesson_author import AddStepScreen, SaveLessonScreen
from .screens.open_file import OpenScreen

if TYPE_CHECKING:
    from .app import MemslotApp

_DRAFTS: weakref.WeakKeyDictionary[Any, list[LessonStep]] = weakref.WeakKeyDictionary()
_TITLES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_PATHS: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()
"""Per app: the draft's title and the file it was last saved to (suggested next time)."""


def draft(app: MemslotApp) -> list[LessonStep]:
    """The lesson the trainer is authoring in this app (steps in order)."""
    return _DRAFTS.setdefault(app, [])


def library() -> list[PresetInfo]:
    """Presets and lessons for the picker; lessons form their own group."""
    items = list_presets()
    for info in list_lessons():
        items.append(
            PresetInfo(
                path=info.path,
                title=info.title,
                description=info.description,
                error=info.error,
                group=LESSON_GROUP,
            )
        )
    return items


def preview(path: Path) -> str:
    """The engine's verdict on a preset (or a lesson's steps) for the picker."""
    if is_lesson(path):
        loaded = read_lesson(path)
        titles = [step.title or f"step {n}" for n, step in enumerate(loaded.lesson.steps, 1)]
        return f"Lesson, {len(titles)} steps: " + "; ".join(titles)
    from tui.formats.toml import load

    report = replay(load(path))
    if report.startup_error:
        return f"✗ QEMU does not start: {report.startup_error}"
    failures = report.failures
    if failures:
        first = failures[0]
        return f"✗ event {first.index + 1} ({first.action} {first.device}) fails: {first.error}" + (
            f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""
        )
    return f"✓ QEMU accepts all {len(report.events)} events"


def open_lesson(app: MemslotApp, path: Path) -> bool:
    """Lesson mode on a lesson file; a broken lesson is reported like a broken config."""
    try:
        loaded = read_lesson(path)
        steps = prepare(loaded.lesson.steps, loaded.configs, loaded.sources)
    except ConfigError as exc:
        app.show_load_error(exc)
        return False
    except QuestionError as exc:
        field, _, reason = str(exc).partition(": ")
        app.show_load_error(ConfigError(str(path), field, reason))
        return False
    title = loaded.lesson.title or path.stem

    def markdown() -> None:
        text = render_markdown(title, loaded.lesson.description, steps)
        app.files.ask_path(
            str(path.with_suffix(".md").name),
            lambda out: app.files.write_export(out, text),
            "the lesson as Markdown",
        )

    def explore(config: Config | None) -> None:
        if config is not None:
            app.open_unsaved(
                config, f"✓ lesson {path.name}: the step's configuration, unsaved (ctrl+z: back)"
            )

    app.push_screen(LessonScreen(title, steps, markdown), explore)
    app.set_status(f"✓ lesson {path.name}: {len(steps)} steps")
    return True


def open_any(app: MemslotApp, path: Path) -> None:
    """The picker's choice: a lesson opens lesson mode, anything else loads as a config."""
    if is_lesson(path):
        open_lesson(app, path)
    else:
        app.load(path)


def _check_step(step: LessonStep) -> str | None:
    """Why the engine cannot answer the step's question for its configuration."""
    if step.question is None or step.config is None:
        return None
    try:
        ask_question(step.question, step.config, replay(step.config))
    except QuestionError as exc:
        return str(exc)
    return None


def add_step(app: MemslotApp) -> None:
    """The current configuration as the next step of the draft lesson."""
    steps = draft(app)

    def added(step: LessonStep | None) -> None:
        if step is not None:
            steps.append(step)
            app.set_status(f"✓ step {len(steps)} added to the lesson draft")

    app.push_screen(
        AddStepScreen(app.config, len(steps) + 1, _check_step, app.selected_event), added
    )


def save_draft(app: MemslotApp) -> None:
    """Ask for the lesson's title and file, then write it atomically."""
    steps = draft(app)
    if not steps:
        app.set_status(
            "✗ the lesson draft has no steps: add the current configuration first", error=True
        )
        return

    def write(title: str, path: Path) -> None:
        try:
            save_lesson(Lesson(title=title, steps=tuple(steps)), path)
        except ConfigError as exc:
            app.set_status(f"✗ {exc}", error=True)
            return
        _PATHS[app] = path
        app.set_status(f"✓ saved lesson {path} ({len(steps)} steps)")

    def chosen(answer: tuple[str, Path] | None) -> None:
        if answer is None:
            return
        title, path = answer
        _TITLES[app] = title
        if path.exists() and path != _PATHS.get(app):
            app.push_screen(
                ConfirmScreen(f"{path} exists. Overwrite it?", yes="Overwrite"),
                lambda ok: write(title, path) if ok else app.set_status("lesson not saved"),
            )
        else:
            write(title, path)

    title = _TITLES.get(app, "")
    suggested = _PATHS.get(app, user_lesson_dir() / "my-lesson.toml")
    app.push_screen(SaveLessonScreen(title, suggested, len(steps)), chosen)


def clear_draft(app: MemslotApp) -> None:
    """Start a new lesson draft (asks first when it has steps)."""
    steps = draft(app)
    if not steps:
        app.set_status("the lesson draft is already empty")
        return

    def answer(ok: bool | None) -> None:
        if ok:
            steps.clear()
            _TITLES.pop(app, None)
            _PATHS.pop(app, None)
            app.set_status("✓ lesson draft cleared")

    app.push_screen(
        ConfirmScreen(f"Forget the {len(steps)} steps of the lesson draft?", yes="Forget"), answer
    )


def pick_lesson(app: MemslotApp) -> None:
    """The library, lessons only."""
    lessons = [item for item in library() if item.group == LESSON_GROUP]

    def chosen(path: Path | str | None) -> None:
        if isinstance(path, Path):  # not the dialog's Paste (an import)
            open_lesson(app, path)

    app.push_screen(OpenScreen(lessons, preview, title="Open a lesson"), chosen)


def compare_with_file(app: MemslotApp) -> None:
    """The current configuration (A) against a preset or file (B)."""

    def chosen(path: Path | str | None) -> None:
        if not isinstance(path, Path):  # cancelled, or the dialog's Paste (an import)
            return
        from tui.formats.toml import load

        try:
            other = load(path)
        except ConfigError as exc:
            app.show_load_error(exc)
            return
        show_compare(app, app.config, other, _name(app), str(path))

    app.push_screen(
        OpenScreen(list_presets(), preview, title="Compare the current configuration with…"),
        chosen,
    )


def compare_two_files(app: MemslotApp) -> None:
    """Two presets or files side by side (A, then B), whatever the app has open."""
    from tui.formats.toml import load

    def pick(title: str, then: Callable[[Path, Any], None]) -> None:
        def chosen(path: Path | str | None) -> None:
            if not isinstance(path, Path):  # cancelled, or the dialog's Paste (an import)
                return
            try:
                config = load(path)
            except ConfigError as exc:
                app.show_load_error(exc)
                return
            then(path, config)

        app.push_screen(OpenScreen(list_presets(), preview, title=title), chosen)

    def second(a_path: Path, a_config: Any) -> None:
        pick(
            f"Compare {a_path.name} (A) with… (B)",
            lambda b_path, b_config: show_compare(
                app, a_config, b_config, str(a_path), str(b_path)
            ),
        )

    pick("Compare two configurations: A is…", second)


def compare_fix(app: MemslotApp) -> None:
    """The current configuration before (A) and after (B) the highlighted fix."""
    suggestions = app.suggestions
    if not suggestions:
        app.set_status(
            "✗ no fix to compare with (nothing fails, or the fixes are not ready)", error=True
        )
        return
    from .panels.suggestions import SuggestionsPanel

    highlighted = app.query_one(SuggestionsPanel).highlighted_fix()
    fix = suggestions[highlighted if highlighted is not None else 0]
    show_compare(app, app.config, fix.config, f"{_name(app)} (before)", f"after: {fix.title}")


def show_compare(app: MemslotApp, a: Any, b: Any, a_name: str, b_name: str) -> None:
    """Replay both (the engine), compare the reports, show them side by side."""
    app.push_screen(CompareScreen(compare(replay(a), replay(b)), a_name, b_name))


def _name(app: MemslotApp) -> str:
    return str(app.path) if app.path else "the current configuration"


def sweep(app: MemslotApp) -> None:
    """Sweep a parameter of the current configuration (the chart library loads on first use)."""
    from .screens.sweep import SweepScreen

    app.push_screen(SweepScreen(app.config))


def commands(app: MemslotApp) -> Iterator[SystemCommand]:
    """The palette entries of the trainer's tools."""
    yield SystemCommand("Lesson: open a lesson…", "Lesson mode", lambda: pick_lesson(app))
    yield SystemCommand(
        "Lesson: add the current configuration as a step…",
        f"Authoring ({len(draft(app))} steps so far)",
        lambda: add_step(app),
    )
    yield SystemCommand("Lesson: save the draft…", "Title and file", lambda: save_draft(app))
    yield SystemCommand("Lesson: new draft", "Forget the draft's steps", lambda: clear_draft(app))
    yield SystemCommand(
        "Compare with a preset or file…", "Side by side", lambda: compare_with_file(app)
    )
    yield SystemCommand(
        "Compare two presets or files…", "Side by side", lambda: compare_two_files(app)
    )
    yield SystemCommand(
        "Compare before / after the highlighted fix", "Side by side", lambda: compare_fix(app)
    )
    yield SystemCommand("Sweep a parameter…", "Chart what the engine decides", lambda: sweep(app))


def lesson_app(path: Path) -> MemslotApp:
    """The app that opens in lesson mode on `path` (the explorer is underneath)."""
    from .app import MemslotApp

    class LessonApp(MemslotApp):
        def on_mount(self) -> None:  # runs after MemslotApp.on_mount (Textual calls both)
            open_lesson(self, path)

    return LessonApp()


def run_lesson(path: Path) -> int:
    """`memslot-explorer lesson FILE --app`: run the app in lesson mode; the exit code."""
    return int(lesson_app(path).run() or 0)
