"""App behaviour details users tripped over: each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.app.app import make_app
from tui.app.panels.budget import BudgetPanel
from tui.app.panels.explain import ExplainPanel
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.suggestions import SuggestionsPanel
from tui.app.panels.timeline import TimelinePanel

from .conftest import order_config, screen_lines, settle


async def test_footer_keeps_save_as_export_and_verify_at_120_columns() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for panel in (TimelinePanel, MemoryPanel):
            app.query_one(panel).table.focus()
            await settle(pilot)
            footer = screen_lines(app)[-1]
            for key in ("f2", "^e", "f5", "f1"):
                assert f"{key} " in footer, (panel.__name__, footer)


@pytest.mark.parametrize(
    "panel_id, panel_type",
    [
        ("explain", ExplainPanel),
        ("suggestions", SuggestionsPanel),
        ("budget", BudgetPanel),
        ("timeline", TimelinePanel),
    ],
)
async def test_every_panel_can_be_maximized_and_restored(panel_id: str, panel_type: type) -> None:
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_focus_panel(panel_id)
        await settle(pilot)
        panel = app.query_one(panel_type)
        before = panel.region.height
        await pilot.press("m")
        await settle(pilot)
        assert app.screen.maximized is panel
        assert panel.region.height > before
        assert panel.region.height >= 36
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.maximized is None
        assert panel.region.height == before


async def test_palette_screenshot_says_where_it_went_or_why_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Screenshot")
        await pilot.pause(0.3)  # the palette searches asynchronously
        await pilot.press("enter")
        await settle(pilot)
        saved = list(tmp_path.glob("*.svg"))
        assert len(saved) == 1
        assert app.status_text == f"✓ screenshot saved to {saved[0]}"

        app.action_screenshot(path=str(tmp_path / "missing-dir"))
        await settle(pilot)
        assert app.status_text.startswith(f"✗ screenshot not saved in {tmp_path / 'missing-dir'}")
        assert "No such file or directory" in app.status_text
