"""App behaviour details users tripped over: each test failed before its fix."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.widgets import Checkbox, Input
from textual.widgets._help_panel import HelpPanel

from tui.app import edits, integrations, view
from tui.app.advisor import Advice
from tui.app.app import make_app
from tui.app.panels.budget import BudgetPanel
from tui.app.panels.explain import ExplainPanel
from tui.app.panels.machine import MachinePanel
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.suggestions import SuggestionsPanel
from tui.app.panels.timeline import TimelinePanel
from tui.app.panels.vhost import VhostPanel
from tui.app.screens.device_form import DeviceFormScreen
from tui.app.screens.dialogs import MessageScreen
from tui.formats import toml

from .conftest import (
    advised,
    base_config,
    flat,
    order_config,
    screen_lines,
    settle,
    shown,
    wait_for,
)


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


@pytest.mark.parametrize("width", [80, 100, 120])
async def test_the_palette_key_ends_the_footer_with_nothing_showing_through(width: int) -> None:
    """The compact footer's right margin on the docked palette key let the keys scrolled
    under it show through the last cell: '^p palettee' at 80 columns, 'paletter' at 100."""
    app = make_app(order_config())
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-1]
        assert len(footer) == width
        assert footer.endswith("▏^p palette"), footer


async def test_every_panel_can_be_maximized_and_restored() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for panel_id, panel_type in (
            ("explain", ExplainPanel),
            ("suggestions", SuggestionsPanel),
            ("budget", BudgetPanel),
            ("timeline", TimelinePanel),
        ):
            app.action_focus_panel(panel_id)
            await settle(pilot)
            panel = app.query_one(panel_type)
            before = panel.region.height
            await pilot.press("m")
            await settle(pilot)
            assert app.screen.maximized is panel, panel_id
            assert panel.region.height >= 36, panel_id
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen.maximized is None
            assert panel.region.height == before, panel_id


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


async def test_column_widths_shrink_again_after_a_long_id_is_undone() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        vhost = app.query_one(VhostPanel)
        assert "outcome" in shown(app, vhost)
        width = {key.value: c.content_width for key, c in vhost.table.columns.items()}
        long_id = "fs" + "x" * 60
        device = app.config.device("fs0").model_dump() | {"id": long_id}
        app.commit(edits.replace_device(app.config, "vhost", "fs0", device), "rename")
        await settle(pilot)
        assert "outcome" not in shown(app, vhost)  # pushed out by the long id
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert {key.value: c.content_width for key, c in vhost.table.columns.items()} == width
        assert "outcome" in shown(app, vhost)


async def test_switches_say_on_or_off_and_tab_selects_a_field() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        nvdimm = app.query_one("#m-nvdimm", Checkbox)
        assert str(nvdimm.label) == "nvdimm: off"
        assert str(app.query_one("#m-guest_plugs_memory", Checkbox).label) == "guest plugs: on"
        nvdimm.focus()
        await pilot.press("space")
        await settle(pilot)
        assert app.config.machine.nvdimm is True
        assert "nvdimm: on" in shown(app, app.query_one(MachinePanel))
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert str(nvdimm.label) == "nvdimm: off"

        app.open_form("memory", None, "pc-dimm")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DeviceFormScreen)
        # tabbing into a field selects its text: typing replaces it (not "1G512G")
        await pilot.press("tab")
        await settle(pilot)
        size = form.focused
        assert isinstance(size, Input) and size.id == "f-size" and size.value
        await pilot.press(*"512G")
        assert size.value == "512G"
        share = form.query_one("#f-share", Checkbox)
        assert str(share.label) == ("on" if share.value else "off")
        share.focus()
        await pilot.press("space")
        await settle(pilot)
        assert str(share.label) == ("on" if share.value else "off")


async def test_counts_are_english() -> None:
    one = base_config(
        memory_devices=[{"kind": "pc-dimm", "id": "dimm0", "size": "1G"}],
        timeline=[{"action": "cold", "device": "dimm0"}],
    )
    app = make_app(one)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert app.query_one(TimelinePanel).border_subtitle == "1 event"
        panel = app.query_one(SuggestionsPanel)
        panel.show_advice([SimpleNamespace(title="Plug it earlier", detail="")], None)
        assert panel.border_subtitle == "1 fix"
    assert view.plural(3, "fix", "fixes") == "3 fixes"
    assert view.plural(1, "memslot") == "1 memslot"


async def test_machine_help_fits_at_120x40_and_explains_the_host_fields() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.query_one("#m-ram", Input).focus()
        await pilot.press("f1")
        await settle(pilot)
        text = flat(shown(app, app.screen.query_one(HelpPanel)))
        for name in ("boot KVM", "boot vhost", "guest plugs", "host THP", "CPU vendor"):
            assert f"{name}:" in text, name
        assert "moves RAM above the 1 TiB hole" in text  # the last line is not cut


async def test_suggestions_never_show_the_previous_files_fixes(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(toml.dumps(order_config(vhost_first=True)), encoding="utf-8")
    app = make_app(order_config())
    async with app.run_test(size=(160, 50)) as pilot:
        await advised(pilot)
        panel = app.query_one(SuggestionsPanel)
        assert panel.suggestions  # the failing file has fixes on screen
        assert app.load(good)
        prompts = [str(o.prompt) for o in panel.options.options]
        assert not any("fix" in p for p in prompts), prompts


async def test_after_a_resize_to_80x24_the_focused_panel_is_in_view() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        app.action_focus_panel("suggestions")
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await wait_for(pilot, lambda: app.screen.has_class("-narrow"))
        focused = app.screen.focused
        assert focused is not None
        await wait_for(pilot, lambda: 0 <= focused.region.y < 24 and focused.region.height > 0)


class _TableVerify:
    """A verifier whose table has as wide cells as it is asked for."""

    class Info:
        path = "/usr/bin/qemu-system-x86_64"
        reason = None

    def find_qemu(self) -> object:
        return self.Info()

    def verify(self, config: object, progress=None, cancel=None) -> object:
        if progress:
            progress("starting QEMU")
        return object()

    def format_table(self, result: object, width: int = 56) -> str:
        cell = ("limit 256 · 64 memslots " * 10)[:width]
        rows = [f"{n}  hotplug vmem{n}  {cell}  {cell}  yes" for n in (1, 2)]
        return "\n".join(["QEMU 10.0.2", "#  event  engine says  QEMU says  match", *rows, ""])


async def test_verify_rows_stay_on_one_line_and_the_status_clears_on_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(integrations, "verify", lambda: _TableVerify())
    app = make_app(order_config())
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        lines = shown(app, app.screen.query_one("#message-body")).splitlines()
        rows = [line.strip() for line in lines if "hotplug vmem" in line]
        assert len(rows) == 2  # one screen line per row
        assert all(row.endswith("yes") for row in rows)
        assert len(rows[0]) > 120  # the cells use the width there is
        await pilot.press("escape")
        await settle(pilot)
        assert app.status_text == ""


async def test_lists_and_fields_behave() -> None:
    """Duplicate selects the copy (d removes it); Home/End move the cursor; `auto` can be
    typed where it is shown; copying does not claim the terminal took it."""
    app = make_app(order_config())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        memory = app.query_one(MemoryPanel)
        memory.table.focus()
        await pilot.press("c")
        await settle(pilot)
        assert [d.id for d in app.config.memory_devices] == ["vmem0", "vmem1"]
        assert memory.selected == "vmem1"
        await pilot.press("d")
        await settle(pilot)
        assert [d.id for d in app.config.memory_devices] == ["vmem0"]

        timeline = app.query_one(TimelinePanel)
        timeline.table.focus()
        await pilot.press("end")
        await settle(pilot)
        assert timeline.cursor == 1
        await pilot.press("home")
        await settle(pilot)
        assert timeline.cursor == 0
        assert app.query_one(ExplainPanel).border_subtitle == "event 1"

        field = app.query_one("#m-boot_kvm_slots", Input)
        assert field.placeholder == "auto"
        field.focus()
        field.value = "5"
        await pilot.press("enter")
        await settle(pilot)
        assert app.config.machine.boot_kvm_slots == 5
        field.value = "auto"
        await pilot.press("enter")
        await settle(pilot)
        assert app.config.machine.boot_kvm_slots is None
        assert app.query_one(MachinePanel).errors == {}

        app.action_copy_toml()
        assert "copied" not in app.status_text
        assert "OSC 52" in app.status_text and "if pasting gives something else" in app.status_text


async def test_suggestions_start_only_after_the_first_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    app = make_app(order_config())
    real = app.advisor.run

    def run(*args: object, **kwargs: object) -> object:
        seen.append(app._first_frame_shown)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app.advisor, "run", run)
    async with app.run_test(size=(120, 40)) as pilot:
        await advised(pilot)
        assert seen and all(seen)  # the advisor ran, and never before the first frame
        assert app.query_one(SuggestionsPanel).suggestions


async def test_fixes_arriving_while_the_app_closes_are_dropped() -> None:
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await advised(pilot)
        panel = app.query_one(SuggestionsPanel)
        await panel.query_one("#headroom").remove()  # as when the screen is torn down
        app._show_advice(app.config, Advice((), "late headroom"))  # must not raise NoMatches
        await panel.remove()
        app._show_advice(app.config, Advice((), "later still"))


async def test_a_settings_key_clash_is_reported_and_undo_keeps_its_key() -> None:
    """[keys] undo = "ctrl+s" made ctrl+s both save and undo (the footer read "^s Undo"):
    the app reports the clash and keeps undo on ctrl+z and save on ctrl+s."""
    import os
    from pathlib import Path as _Path

    settings = _Path(os.environ["XDG_CONFIG_HOME"]) / "memslot-explorer" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('[keys]\nundo = "ctrl+s"\n')
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "keys.undo: ctrl+s is already the key of save" in app.status_text
        footer = screen_lines(app)[-1]
        assert "^z Undo" in footer and "^s Save" in footer and "^s Undo" not in footer


async def test_the_machine_form_keeps_its_rows_beside_the_help_panel() -> None:
    """F1 at 120 columns narrows the form: a select's value wrapped one character a line
    (the form grew by a dozen lines); now it is cut with an ellipsis and every row stays."""
    app = make_app(order_config())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        machine = app.query_one(MachinePanel)
        height = machine.size.height
        await pilot.press("f1")
        await settle(pilot)
        assert app.screen.query_one(HelpPanel).display
        assert machine.size.width < 50
        assert machine.size.height == height
