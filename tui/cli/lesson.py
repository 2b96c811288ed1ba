"""`memslot-explorer lesson`: list lessons, or print one as Markdown with the engine's answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from tui.cli.common import EXIT_BAD_INPUT, EXIT_OK, PROG, guard

SUMMARY = "lesson --list | FILE [--to markdown | --app]   list lessons; a handout; lesson mode"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} lesson",
        description="List the shipped and your own lessons, or print one lesson as Markdown: "
        "each step's narrative, its question with the answer the engine computes, the "
        "timeline's verdicts and ASCII budget bars. FILE is a path or a lesson's name "
        "(file name without .toml) from the lesson directories.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="lesson file or name")
    parser.add_argument("--list", action="store_true", help="list shipped and user lessons")
    parser.add_argument("--to", choices=["markdown"], default="markdown", help="output format")
    parser.add_argument("--app", action="store_true", help="open the lesson in the app instead")
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    if args.list:
        return guard(lambda: list_lessons_text(sys.stdout))
    if not args.file:
        print(f"{PROG} lesson: give a lesson FILE or --list", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.app:
        return guard(lambda: open_in_app(args.file))
    return guard(lambda: print_markdown(args.file, sys.stdout))


def open_in_app(name: str) -> int:
    """Check the lesson first (a broken one is exit 2 here, not a dialog), then run the app."""
    from tui.lessons.files import read_lesson

    path = resolve(name)
    read_lesson(path)
    from tui.app.training import run_lesson  # the app only when asked for

    return run_lesson(path)


def list_lessons_text(out: TextIO) -> int:
    """One line per lesson: where it comes from, its steps, name and title."""
    from tui.formats.problems import printable
    from tui.lessons.files import list_lessons

    lessons = list_lessons()
    if not lessons:
        out.write("no lessons found\n")
    for info in lessons:
        origin = "user" if info.user else "shipped"
        if info.error:
            error = printable(info.error.splitlines()[0])
            out.write(f"{origin:<8} {printable(info.path.stem)}: ✗ {error}\n")
            continue
        name, title = printable(info.path.stem), printable(info.title)
        out.write(f"{origin:<8} {name:<28} {info.steps:>2} steps  {title}\n")
    return EXIT_OK


def resolve(name: str) -> Path:
    """A path as given, else a lesson of that name in the lesson directories."""
    from tui.lessons.files import lesson_dirs

    path = Path(name).expanduser()
    if path.exists() or path.suffix == ".toml" or "/" in name:
        return path
    for directory in lesson_dirs():
        if (directory / f"{name}.toml").is_file():
            return directory / f"{name}.toml"
    return path


def print_markdown(name: str, out: TextIO) -> int:
    """Replay every step, ask the engine each question, print the Markdown."""
    from tui.formats.problems import printable_lines
    from tui.formats.toml import ConfigError
    from tui.lessons.files import read_lesson
    from tui.lessons.markdown import render_markdown
    from tui.lessons.runner import QuestionError, prepare

    path = resolve(name)
    loaded = read_lesson(path)
    try:
        steps = prepare(loaded.lesson.steps, loaded.configs, loaded.sources)
    except QuestionError as exc:
        field, _, reason = str(exc).partition(": ")
        raise ConfigError(str(path), field, reason) from None
    # user text (titles, narratives) as visible escapes: no lesson file drives the terminal
    out.write(
        printable_lines(render_markdown(loaded.lesson.title, loaded.lesson.description, steps))
    )
    return EXIT_OK
