"""Pinned pictures of lesson mode, compare and sweep (pytest-textual-snapshot).

Regenerate after an intended UI change: `python -m pytest tests/app/test_training_snapshots.py
--snapshot-update`, then look at the SVGs before committing them.
"""

from __future__ import annotations

from tui.app import training
from tui.app.app import make_app
from tui.formats.toml import load
from tui.presets import repo_preset_dir

from .conftest import order_config, settle
from .test_training import fixes_ready

SIZE = (120, 36)


def _app(config=None):  # a fixed config and theme: the picture must not depend on the user
    app = make_app(config or order_config())
    app.theme = "textual-dark"
    return app


def test_lesson_screen_after_an_answer(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        training.open_lesson(pilot.app, repo_preset_dir() / "lessons" / "vhost-ordering-509.toml")
        await settle(pilot)
        await pilot.press("6", "4", "enter")  # wrong: vhost-net 64 leaves vmem0 one memslot
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=SIZE, run_before=run_before)


def test_compare_screen_before_and_after_a_fix(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await fixes_ready(pilot)
        training.compare_fix(pilot.app)
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=SIZE, run_before=run_before)


def test_sweep_screen_chart(snap_compare) -> None:
    config = load(repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml")

    async def run_before(pilot) -> None:
        await settle(pilot)
        training.sweep(pilot.app)
        await settle(pilot)
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(_app(config), terminal_size=SIZE, run_before=run_before)
