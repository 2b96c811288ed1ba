"""Pinned pictures of the main screen and the add form (pytest-textual-snapshot).

Regenerate after an intended UI change: `python -m pytest tests/app/test_snapshots.py
--snapshot-update`, then look at the SVGs before committing them.
"""

from __future__ import annotations

from tui.app.app import make_app

from .conftest import advised, order_config, settle


async def _ready(pilot) -> None:
    """Suggestions come from a worker: wait for them so the picture is deterministic."""
    await advised(pilot)


def _app():  # a fixed config and theme: the picture must not depend on the user's setup
    app = make_app(order_config())
    app.theme = "textual-dark"
    return app


def test_main_screen_rejected_vhost(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.press("down")  # explain the rejected virtiofsd
        await _ready(pilot)

    assert snap_compare(_app(), terminal_size=(160, 50), run_before=run_before)


def test_main_screen_narrow(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_ready)


def test_add_vhost_form(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await _ready(pilot)
        await pilot.click("#vhost-add")
        await settle(pilot)
        form = pilot.app.screen
        form.query_one("#form-kind").value = "virtiofsd-32"
        await settle(pilot)

    assert snap_compare(_app(), terminal_size=(160, 50), run_before=run_before)
