"""Save, re-open, load errors, overwrite confirmation and the unsaved-changes warning."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tui.app.app import make_app
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.vhost import VhostPanel
from tui.app.screens.dialogs import ConfirmScreen, MessageScreen
from tui.app.screens.export import ExportScreen
from tui.app.screens.open_file import OpenScreen, SaveAsScreen

from .conftest import SIZE, base_config, flat, order_config, settle, shown


async def test_save_and_reopen(tmp_path: Path) -> None:
    target = tmp_path / "vm.toml"
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(MemoryPanel).table.focus()
        await pilot.press("c")  # duplicate vmem0 → vmem1: an unsaved change
        await settle(pilot)
        assert "modified" in app.sub_title
        await pilot.press("ctrl+s")  # no file yet: save as
        await settle(pilot)
        assert isinstance(app.screen, SaveAsScreen)
        path_input = app.screen.query_one("#saveas-path", Input)
        path_input.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.exists()
        assert "vm.toml" in app.sub_title and "modified" not in app.sub_title
        assert "saved" in shown(app, app.query_one("#status"))

        # save as over another existing file: asked first, "n" keeps it
        other = tmp_path / "exists.toml"
        other.write_text("# precious\n")
        for answer in ("n", "y"):
            await pilot.press("f2")
            await settle(pilot)
            app.screen.query_one("#saveas-path", Input).value = str(other)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            assert "Overwrite" in shown(app, app.screen.query_one("#confirm-dialog"))
            await pilot.press(answer)
            await settle(pilot)
            if answer == "n":
                assert other.read_text() == "# precious\n"
        assert "schema_version" in other.read_text()
        assert "exists.toml" in app.sub_title

    reopened = make_app(path=target)
    async with reopened.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert reopened.config == app.config
        text = shown(reopened, reopened.query_one(MemoryPanel))
        assert "vmem0" in text and "vmem1" in text
        assert "vm.toml" in reopened.sub_title and "modified" not in reopened.sub_title


async def test_open_from_the_picker_and_a_bad_file_keeps_the_config(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    bad = tmp_path / "bad.toml"
    app = make_app(base_config())
    async with app.run_test(size=SIZE) as pilot:
        from tui.formats.toml import save

        save(order_config(), good)
        bad.write_text('schema_version = 1\n[machine]\nram = "lots"\n')

        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, OpenScreen)
        app.screen.query_one("#open-path", Input).value = str(bad)
        app.screen.query_one("#open-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        body = shown(app, app.screen.query_one("#message-body"))
        assert f"file: {bad}" in flat(body)
        assert "machine.ram: " in body and "lots" in body  # FIELD: REASON, as the CLI prints
        assert "keeps the configuration it had" in body
        await pilot.press("escape")
        await settle(pilot)
        assert app.config == base_config()

        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#open-path", Input).value = str(good)
        app.screen.query_one("#open-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "fs0" in shown(app, app.query_one(VhostPanel))
        assert "good.toml" in app.sub_title


async def test_bad_file_on_the_command_line_opens_the_default_with_the_reason(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[machine\n")
    app = make_app(path=bad)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert str(bad) in shown(app, app.screen.query_one("#message-body"))
        await pilot.press("escape")
        await settle(pilot)
        assert app.path is None
        assert "untitled" in app.sub_title


async def test_quit_warns_about_unsaved_changes() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(MemoryPanel).table.focus()
        await pilot.press("d")
        await settle(pilot)
        # opening another file asks first, too
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Discard unsaved changes" in shown(app, app.screen.query_one("#confirm-question"))
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, (ConfirmScreen, OpenScreen))
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "unsaved changes" in shown(app, app.screen.query_one("#confirm-question"))
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    assert app.return_value == 0


async def test_export_preview_and_copy() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        text = shown(app, app.screen.query_one("#export-text"))
        assert "schema_version" in text and "vmem0" in text
        assert app.screen.query_one("#export-text").read_only
        app.screen.query_one("#export-format").value = "qemu"
        await settle(pilot)
        assert "\nqemu-system-x86_64 \\\n" in app.screen.text
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == app.screen.text
        # "Save to file" names what it saves and proposes the format's suffix (registry)
        app.screen.query_one("#export-format").value = "libvirt"
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SaveAsScreen)
        assert "Save the libvirt domain XML" in shown(app, app.screen.query_one("#saveas-dialog"))
        assert app.screen.query_one("#saveas-path", Input).value == "memslots.xml"
        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one("#export-format").value = "kubevirt"
        await settle(pilot)
        assert "maxGuest:" in app.screen.text
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+q")  # nothing changed: quits without asking
        await settle(pilot)
    assert app.return_value == 0


async def test_opening_a_file_changes_nothing(tmp_path: Path) -> None:
    """Regression: a Select's mount-time Changed event overwrote a loaded memfd backend."""
    from tui.formats.toml import save

    path = tmp_path / "memfd.toml"
    config = base_config().model_validate(
        base_config().model_dump()
        | {
            "machine": base_config().machine.model_dump()
            | {"memory_backend": "memfd", "type": "pc", "accel": "tcg", "nvdimm": True}
        }
    )
    save(config, path)
    app = make_app(path=path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.config == config
        assert "modified" not in app.sub_title
        machine = shown(app, app.query_one("#machine"))
        assert "memfd" in machine and "pc " in machine and "tcg" in machine

    # the same file opened in a running app (widgets already mounted)
    app = make_app(base_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.load(path)
        await settle(pilot)
        await pilot.pause(0.1)
        assert app.config == config
        assert "modified" not in app.sub_title
        assert "memfd" in shown(app, app.query_one("#machine"))
