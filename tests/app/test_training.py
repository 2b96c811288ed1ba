"""Trainer tools driven through the real app: every shipped lesson start to end (right and
wrong answers), authoring a lesson, the preset library, compare and sweep."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Input, OptionList, Static, TextArea

from tui.app import training
from tui.app.app import make_app
from tui.app.screens.compare import CompareScreen
from tui.app.screens.dialogs import ConfirmScreen
from tui.app.screens.lesson import LessonScreen
from tui.app.screens.lesson_author import AddStepScreen, SaveLessonScreen
from tui.app.screens.open_file import OpenScreen, SaveAsScreen
from tui.app.screens.sweep import SweepScreen
from tui.formats.toml import load
from tui.lessons.files import read_lesson
from tui.presets import repo_preset_dir

from .conftest import flat, order_config, screen_lines, settle, shown

LESSONS = sorted((repo_preset_dir() / "lessons").glob("*.toml"))
SIZE = (120, 36)


async def fixes_ready(pilot) -> None:
    """The advisor starts after the first repaint, in a worker: wait until its fixes arrive."""
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)
        if pilot.app.suggestions:
            return
    raise AssertionError("the advisor never delivered its fixes")


async def _palette(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*text)
    await pilot.pause(0.3)  # the palette searches asynchronously
    await pilot.press("enter")
    await settle(pilot)


async def _answer(pilot, screen: LessonScreen, right: bool) -> str:
    """Answer the current step in its widget (highlight a choice, or fill in the number) and
    press enter, as the trainee does; returns what was answered."""
    asked = screen.step.asked
    assert asked is not None
    if asked.choices:
        pick = next(i for i, c in enumerate(asked.choices) if c.correct is right)
        choices = screen.query_one("#lesson-choices", OptionList)
        choices.focus()
        choices.highlighted = pick
        given = asked.choices[pick].label
    else:
        given = str(asked.number if right else (asked.number or 0) + 1)
        box = screen.query_one("#lesson-answer", Input)
        box.focus()
        box.value = given
    await pilot.press("enter")
    await pilot.pause()
    return given


async def test_every_lesson_start_to_end_answered_wrong_then_right() -> None:
    """Each shipped lesson through the widgets: every question answered wrong (the reveal says
    so and gives the engine's answer), then right; restart clears the answers."""
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for path in LESSONS:
            assert training.open_lesson(app, path)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, LessonScreen)
            questions = sum(1 for s in screen.steps if s.asked is not None)
            for number in range(1, len(screen.steps) + 1):
                assert screen.index == number - 1
                asked = screen.step.asked
                if asked is not None:
                    result = screen.query_one("#lesson-result")
                    assert "Answer, then Check" in flat(shown(app, result))  # nothing given away
                    given = await _answer(pilot, screen, right=False)
                    reveal = flat(shown(app, result))
                    assert f"✗ Not quite: you said {given}" in reveal, path
                    assert f"The engine: {asked.answer}"[:50] in reveal, path
                    given = await _answer(pilot, screen, right=True)
                    assert f"✓ Right: {given}" in flat(shown(app, result)), path
                await pilot.press("ctrl+n")
                await pilot.pause()
            progress = shown(app, screen.query_one("#lesson-progress"))
            assert f"step {len(screen.steps)} of {len(screen.steps)}" in progress
            assert f"{questions} of {questions} answered right" in progress
            await pilot.click("#lesson-restart")
            await pilot.pause()
            assert screen.index == 0 and screen.answers == {}
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, LessonScreen)


async def test_explore_opens_the_steps_configuration_unsaved_and_undo_brings_back_mine(
    tmp_path: Path,
) -> None:
    """ctrl+g in lesson mode: the explorer shows the step's configuration (unsaved, replayed in
    every panel); ctrl+z brings back the user's configuration and its file; escape alone
    changes nothing."""
    mine = tmp_path / "mine.toml"
    mine.write_text(Path(repo_preset_dir() / "ex01-virtio-mem-64-memslots.toml").read_text())
    app = make_app(path=mine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.config
        lesson = repo_preset_dir() / "lessons" / "vhost-ordering-509.toml"
        training.open_lesson(app, lesson)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.config == before and app.path == mine and not app.dirty
        training.open_lesson(app, lesson)
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        step = app.screen.step
        assert isinstance(app.screen, LessonScreen) and step.number == 2
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not isinstance(app.screen, LessonScreen)
        assert app.config == step.config and app.path is None and app.dirty
        assert "untitled • modified" in app.sub_title
        assert app.report == step.report  # the panels show what the lesson showed
        assert "step's configuration, unsaved" in app.status_text
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.config == before and app.path == mine and not app.dirty


async def test_reveal_shows_outcome_and_derivation_and_previous_keeps_answers() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        training.open_lesson(app, repo_preset_dir() / "lessons" / "vhost-ordering-509.toml")
        await settle(pilot)
        screen = app.screen
        await _answer(pilot, screen, right=True)
        reveal = flat(shown(app, screen.query_one("#lesson-result")))
        assert "2. cold vmem0: ✓ limit 1 · 1 memslot" in reveal
        assert "[safe-max] max 64 < 509" in reveal  # Explain's derivation of the asked event
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert "✓ Right: 1" in flat(shown(app, screen.query_one("#lesson-result")))


async def test_trainer_authors_a_three_step_lesson_saves_reopens_and_exports(
    tmp_path: Path,
) -> None:
    app = make_app(order_config())
    configs = [
        order_config(),
        load(repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml"),
        order_config(vhost_first=True),
    ]
    questions = [("fix", None), ("memslots", "vmem0"), ("succeeds", None)]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for number, (config, (ask, device)) in enumerate(zip(configs, questions, strict=True), 1):
            app.commit(config, f"step {number}")
            await pilot.pause()
            if number == 1:
                await _palette(pilot, "add the current configuration")
            else:
                training.add_step(app)
                await pilot.pause()
            form = app.screen
            assert isinstance(form, AddStepScreen) and form.number == number
            await pilot.press(*f"Step {number}")
            form.query_one("#step-narrative", TextArea).text = f"Narrative {number}."
            form.query_one("#step-ask").value = ask
            if device:
                form.query_one("#step-device").value = device
            if ask == "succeeds":
                form.query_one("#step-event").value = 2
            await settle(pilot)
            await pilot.click("#step-ok")
            await settle(pilot)
            assert not isinstance(app.screen, AddStepScreen), flat(
                shown(app, form.query_one("#step-error"))
            )
            assert f"step {number} added" in app.status_text
        # a question the engine cannot answer is refused in the form, with the reason
        app.commit(load(repo_preset_dir() / "ex01-virtio-mem-64-memslots.toml"), "ok config")
        await pilot.pause()
        training.add_step(app)
        await pilot.pause()
        app.screen.query_one("#step-ask").value = "fix"
        await settle(pilot)
        await pilot.click("#step-ok")
        await settle(pilot)
        assert "every event succeeds" in shown(app, app.screen.query_one("#step-error"))
        await pilot.press("escape")
        await settle(pilot)

        target = tmp_path / "trainer.toml"
        await _palette(pilot, "save the draft")
        assert isinstance(app.screen, SaveLessonScreen)
        app.screen.query_one("#lesson-save-title", Input).value = "My first lesson"
        app.screen.query_one("#lesson-save-path", Input).value = str(target)
        await pilot.click("#lesson-save-ok")
        await settle(pilot)
        assert target.exists() and "saved lesson" in app.status_text
        saved = target.read_text()
        other = tmp_path / "other.toml"
        other.write_text("# someone else's file\n")
        training.save_draft(app)  # to another existing file: asked before overwriting
        await pilot.pause()
        assert app.screen.query_one("#lesson-save-path", Input).value == str(target)
        app.screen.query_one("#lesson-save-path", Input).value = str(other)
        await pilot.click("#lesson-save-ok")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert other.read_text() == "# someone else's file\n" and "not saved" in app.status_text
        assert target.read_text() == saved

        await pilot.press("ctrl+o", "y")  # "discard unsaved changes?" (the config was edited)
        await settle(pilot)
        assert isinstance(app.screen, OpenScreen)
        app.screen.query_one("#open-path", Input).value = str(target)
        await pilot.click("#open-ok")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LessonScreen) and len(screen.steps) == 3
        assert "My first lesson" in shown(app, screen.query_one("#lesson-progress"))
        assert screen.steps[1].asked.number == 1  # ex08: the engine's answer, computed now
        assert screen.steps[2].asked.answer == "yes"  # fs0 first: accepted
        assert any(c.correct for c in screen.steps[0].asked.choices)

        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, SaveAsScreen)
        markdown = tmp_path / "trainer.md"
        app.screen.query_one("#saveas-path", Input).value = str(markdown)
        await pilot.press("enter")
        await settle(pilot)
    text = markdown.read_text()
    assert text.startswith("# My first lesson") and text.count("## Step ") == 3
    assert "**Answer (the engine):** 1" in text and "Narrative 2." in text
    assert read_lesson(target).configs[1] == configs[1]


async def test_library_groups_search_preview_and_lessons() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, OpenScreen)
        options = picker.query_one("#open-presets", OptionList)
        headings = [
            str(options.get_option_at_index(i).prompt)
            for i in range(options.option_count)
            if not options.get_option_at_index(i).id
        ]
        assert [h.split(" (")[0] for h in headings] == [
            "Lessons",
            "Worked examples",
            "Field cases",
            "Version rules",
            "Device and machine rules",
        ]
        assert headings[0] == "Lessons (4)"
        await pilot.press(*"36-bit too low")
        await settle(pilot)
        assert options.option_count == 2  # the heading and the one match
        preview = flat(shown(app, picker.query_one("#open-preview")))
        assert "s07a-incus-phys-bits-too-low.toml" in preview
        content = str(picker.query_one("#open-preview", Static).content)  # scrolls below
        assert content.rstrip().endswith(
            "✗ QEMU does not start: Address space limit 0xfffffffff < 0x107fffffff "
            "phys-bits too low (36)"
        )
        assert "later capped maxmem and added limits.memory.hotplug." in content  # in full
        search = picker.query_one("#open-search", Input)
        search.value = "address space"
        await settle(pilot)
        assert "Lessons (1)" in flat(shown(app, options))
        await pilot.press("enter", "enter")  # to the list, open the highlighted lesson
        await settle(pilot)
        assert isinstance(app.screen, LessonScreen)
        assert "phys-bits and the address space" in shown(app, app.screen)


async def test_compare_before_and_after_a_fix_and_with_a_file() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await fixes_ready(pilot)
        training.compare_fix(app)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        events = shown(app, screen.query_one("#compare-events"))
        fs0 = next(line for line in events.splitlines() if "plug fs0" in line)
        assert "≠" in fs0 and "FAILED" in fs0 and "✓" in fs0
        budget = shown(app, screen.query_one("#compare-budget"))
        assert "reserved memslots" in budget
        assert not screen.comparison.same
        await pilot.press("escape")
        await settle(pilot)
        training.compare_with_file(app)
        await pilot.pause()
        assert isinstance(app.screen, OpenScreen)
        await pilot.press(*"fixed order")
        await settle(pilot)
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CompareScreen)
        assert app.screen.b.endswith("ex10b-virtiofsd-32-before-virtio-mem.toml")
        assert not app.screen.comparison.same
        await pilot.press("escape")
        await settle(pilot)
        training.compare_two_files(app)  # two files, whatever is open
        await pilot.pause()
        for path in ("ex08-vhost-net-64-forces-limit-1.toml", "ex09-vhost-net-509-fedora.toml"):
            app.screen.query_one("#open-path", Input).value = str(repo_preset_dir() / path)
            await pilot.click("#open-ok")
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.a.endswith("ex08-vhost-net-64-forces-limit-1.toml")
        vmem = next(r for r in screen.comparison.rows if r.device == "vmem0")
        assert (vmem.a.memslots, vmem.b.memslots) == (1, 64)  # the 509 threshold, side by side


async def test_sweep_screen_runs_off_the_ui_thread_and_plots() -> None:
    app = make_app(load(repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _palette(pilot, "sweep a parameter")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert screen.result is not None and screen.result.param == "net0.max_mem_regions"
        screen.query_one("#sweep-from", Input).value = "400"
        screen.query_one("#sweep-to", Input).value = "600"
        screen.query_one("#sweep-steps", Input).value = "201"
        await pilot.click("#sweep-run")
        await app.workers.wait_for_complete()
        await settle(pilot)
        result = screen.result
        assert len(result.points) == 201
        limits = {p.value: p.limits["vmem0"] for p in result.points}
        assert limits[508] == 1 and limits[509] == 256  # the 509 threshold on the chart
        plot = flat(shown(app, screen.query_one("#sweep-plot")))
        assert "vmem0 limit" in plot and "vmem0 memslots" in plot
        assert "every event succeeds" in shown(app, screen.query_one("#sweep-summary"))
        bad = screen.query_one("#sweep-from", Input)
        bad.value = "12Q"
        bad.focus()
        await pilot.press("enter")  # Enter in a field runs the sweep, as the Run button does
        await settle(pilot)
        assert "not a valid value" in shown(app, screen.query_one("#sweep-summary"))


async def test_hostile_lesson_text_is_shown_verbatim(tmp_path: Path) -> None:
    """Titles, narratives and choice labels are text, never markup."""
    lesson = tmp_path / "hostile.toml"
    lesson.write_text(
        'title = "[bold]x[/"\n'
        "[[steps]]\n"
        'title = "[red]step"\n'
        'preset = "ex10a-virtiofsd-32-after-virtio-mem.toml"\n'
        'narrative = "see [link=x]here[/link] and [/]"\n'
        "[steps.question]\n"
        'ask = "fix"\n'
        'distractors = [{ label = "[b]maxmem[/b] 132G", set = { "machine.maxmem" = "132G" } }]\n'
    )
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert training.open_lesson(app, lesson)
        await pilot.pause()
        screen = app.screen
        assert "Lesson: [bold]x[/" in shown(app, screen.query_one("#lesson-progress"))
        story = flat(shown(app, screen.query_one("#lesson-story")))
        assert "Step 1: [red]step" in story and "see [link=x]here[/link] and [/]" in story
        assert "[b]maxmem[/b] 132G" in shown(app, screen.query_one("#lesson-choices"))


async def test_lesson_app_starts_in_lesson_mode() -> None:
    app = training.lesson_app(repo_preset_dir() / "lessons" / "phys-bits-address-space.toml")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonScreen)
        assert "phys-bits and the address space" in shown(
            app, app.screen.query_one("#lesson-progress")
        )
        await pilot.press("escape")
        await pilot.pause()
        assert app.query_one("#timeline")  # the explorer underneath


async def test_lesson_text_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    """A user lesson's title, step title and narrative with escape sequences are shown as
    visible escapes (\\x1b): raw, they reached the terminal."""
    lesson = tmp_path / "evil.toml"
    lesson.write_text(
        'title = "L\\u001b]2;owned\\u0007"\n[[steps]]\ntitle = "S\\u001b[31m"\n'
        'narrative = "N\\u009b2J"\npreset = "ex01-virtio-mem-64-memslots.toml"\n'
    )
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert training.open_lesson(app, lesson)
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", screen), screen
        assert "L\\x1b]2;owned\\x07" in screen and "S\\x1b[31m" in screen and "N\\x9b2J" in screen
