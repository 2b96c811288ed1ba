"""Trust: undo follows the save target, special files never freeze the app, shipped presets are
read-only, a new path starts a new file, and user text is never read as markup."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from textual.widgets import Input, RadioButton, TextArea

from tui.app.app import make_app
from tui.app.screens.dialogs import MessageScreen
from tui.app.screens.open_file import SaveAsScreen
from tui.app.screens.save_preset import SavePresetScreen
from tui.formats.toml import load, save
from tui.presets import repo_preset_dir

from .conftest import SIZE, base_config, order_config, screen_lines, settle, shown


async def test_undo_after_open_restores_the_save_target(tmp_path: Path) -> None:
    """Issue 8 item 1: undo after opening B went back to A's configuration but kept B as the
    save target; ctrl+s then wrote A's configuration into B without a prompt."""
    a_path, b_path = tmp_path / "a.toml", tmp_path / "b.toml"
    a, b = base_config(title="A"), order_config()
    save(a, a_path)
    save(b, b_path)
    b_text = b_path.read_text()
    app = make_app(path=a_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.load(b_path)
        await settle(pilot)
        assert app.path == b_path and "b.toml" in app.sub_title
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.config == a and app.path == a_path
        assert "a.toml" in app.sub_title and "modified" not in app.sub_title
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert b_path.read_text() == b_text  # B untouched
        assert load(a_path) == a
        await pilot.press("ctrl+y")  # redo: back on B, still saved
        await settle(pilot)
        assert app.path == b_path and app.config == b and not app.dirty


async def test_undo_after_save_as_knows_what_is_on_disk(tmp_path: Path) -> None:
    """Saved state follows the file: an undone edit of a saved file is "modified"."""
    target = tmp_path / "vm.toml"
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        app.commit(base_config(title="edited"), "edit")
        app.files.write_config(target)
        await settle(pilot)
        assert not app.dirty
        app.commit(base_config(title="again"), "edit")
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.config == base_config(title="edited") and not app.dirty
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.config == order_config()  # the starting configuration, untitled again
        assert app.path is None and "untitled" in app.sub_title


async def test_opening_a_fifo_does_not_freeze_the_app(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # no writer: a blocking read would never return
    app = make_app(base_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#open-path", Input).value = str(fifo)
        app.screen.query_one("#open-path", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        body = shown(app, app.screen.query_one("#message-body"))
        assert "a FIFO (named pipe), not a regular file" in body
        assert app.config == base_config() and app.path is None


async def test_fifo_on_the_command_line(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    app = make_app(path=fifo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "not a regular file" in shown(app, app.screen.query_one("#message-body"))


async def test_new_path_starts_a_new_configuration_saved_there(tmp_path: Path) -> None:
    target = tmp_path / "new.toml"
    app = make_app(path=target)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not target.exists()
        assert "new.toml • new file" in app.sub_title
        assert app.dirty  # quitting asks first
        # the default's machine and devices, not its title and description
        assert app.config.title == "new" and app.config.description == ""
        assert app.config.memory_devices and "Default" not in shown(app, app.screen)
        await pilot.press("ctrl+s")  # no dialog: the path was given
        await settle(pilot)
        assert not isinstance(app.screen, SaveAsScreen)
        assert load(target) == app.config
        assert "new.toml" in app.sub_title and "new file" not in app.sub_title


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a shipped preset in a directory the app treats as shipped (tests never write
    into the real presets/)."""
    import tui.presets

    directory = tmp_path / "shipped"
    directory.mkdir()
    source = repo_preset_dir() / "ex08-vhost-net-64-forces-limit-1.toml"
    preset = directory / source.name
    preset.write_bytes(source.read_bytes())
    monkeypatch.setattr(tui.presets, "shipped_preset_dirs", lambda: [directory])
    return preset


async def test_shipped_preset_is_saved_under_a_new_name(tmp_path: Path, shipped: Path) -> None:
    original = shipped.read_bytes()
    app = make_app(path=shipped)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "read-only preset" in app.sub_title
        app.commit(app.config.model_copy(update={"timeline": app.config.timeline[:1]}), "edit")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SavePresetScreen)
        screen = app.screen
        path = screen.query_one("#preset-path", Input).value
        assert path.startswith(str(Path(os.environ["XDG_DATA_HOME"])))  # user preset dir
        assert path.endswith(shipped.name)
        screen.query_one("#preset-title", Input).value = "My [b]copy[/b]"
        screen.query_one("#preset-description", TextArea).text = "one event only"
        assert screen.query_one("#expect-record", RadioButton).value
        await pilot.click("#preset-ok")
        await settle(pilot)
        saved = load(path)
        assert shipped.read_bytes() == original  # never overwritten
        assert saved.title == "My [b]copy[/b]" and saved.description == "one event only"
        assert saved.expect is not None
        assert [e.event for e in saved.expect.events] == [1]
        assert saved.expect.events[0].ok == app.report.events[0].ok  # type: ignore[union-attr]
        assert app.path == Path(path) and not app.read_only and not app.dirty
        # the typed path of a shipped preset is refused, too
        app.files.write_config(shipped)
        await settle(pilot)
        assert "shipped preset (read-only)" in app.status_text
        assert shipped.read_bytes() == original


async def test_shipped_preset_save_can_drop_expect(tmp_path: Path, shipped: Path) -> None:
    app = make_app(path=shipped)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SavePresetScreen)
        target = tmp_path / "mine.toml"
        app.screen.query_one("#preset-path", Input).value = str(target)
        await pilot.click("#expect-drop")
        await pilot.click("#preset-ok")
        await settle(pilot)
        assert load(target).expect is None and app.config.expect is None


async def test_export_save_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    """The old export-save wrote 0600 and dropped an exec bit."""
    target = tmp_path / "vm.sh"
    target.write_text("old\n")
    target.chmod(0o755)
    app = make_app(order_config())
    async with app.run_test(size=SIZE):
        assert app.files.write_export(target, "qemu-system-x86_64\n")
    assert target.read_text() == "qemu-system-x86_64\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


MARKUP_FILES = [
    '"[/]" = 1\n',
    '[[memory_devices]]\nkind = "[/]"\nid = "x"\n',
    '"[link=https://example.com]" = 1\n',
    'title = "[/]"\n[machine]\nram = "[bold]"\n',
]


async def test_markup_like_user_text_is_shown_as_plain_text(tmp_path: Path) -> None:
    """Issue 8 item 7: these crashed the app with MarkupError (edits lost, exit 0)."""
    app = make_app(base_config())
    async with app.run_test(size=SIZE) as pilot:
        app.commit(base_config(title="unsaved edit"), "edit")
        for number, text in enumerate(MARKUP_FILES):
            bad = tmp_path / f"markup{number}.toml"
            bad.write_text(text)
            assert not app.load(bad)
            await settle(pilot)
            assert isinstance(app.screen, MessageScreen)
            body = shown(app, app.screen.query_one("#message-body"))
            assert str(bad) in body
            assert "[/]" in body or "[link=" in body or "[bold]" in body
            await pilot.press("escape")
            await settle(pilot)
            assert app.is_running and app.config.title == "unsaved edit"
            assert "could not load" in shown(app, app.query_one("#status"))


async def test_markup_like_names_in_a_loaded_config_render_as_text() -> None:
    config = base_config(
        title="[/] [link=x]",
        vhost_devices=[
            {
                "kind": "vhost-user",
                "id": "fs0",
                "device": "fs",
                "backend_name": "[/]virtiofsd[bold]",
                "max_mem_slots": 32,
            }
        ],
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running
        assert app.status_text == "[/] [link=x]"
        assert "[/] [link=x]" in shown(app, app.query_one("#status"))


async def test_many_failures_are_listed_up_to_a_cap() -> None:
    """At 1,000 devices the Suggestions list drew every failing event on every edit."""
    from tui.app.panels.suggestions import MAX_FAILURES, SuggestionsPanel

    memory = [{"kind": "pc-dimm", "id": f"dimm{i}", "size": "1G"} for i in range(40)]
    timeline = [{"action": "hotplug", "device": d["id"]} for d in memory]
    config = base_config(memory_devices=memory, timeline=timeline)  # 4 slots: 36 hotplugs fail
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        failing = len(app.report.failures)  # type: ignore[union-attr]
        assert failing > MAX_FAILURES
        options = app.query_one(SuggestionsPanel).options
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert sum(p.startswith("✗ event") for p in prompts) == MAX_FAILURES
        assert f"… and {failing - MAX_FAILURES} more failing events (see the Timeline)" in prompts


_RAW_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
HOSTILE = "\x1b]2;owned\x07\x1b[2J\x9b31m"
"""Sets the terminal's title, clears the screen, turns text red: Textual passes ESC through."""


async def test_control_characters_in_user_text_never_reach_the_terminal(tmp_path: Path) -> None:
    """A title, a consumer note, a file name and a preset's description with escape sequences
    are shown as visible escapes (\\x1b), on the main screen and in the open dialog."""
    config = base_config(
        title=f"vm{HOSTILE}",
        consumers=[{"kind": "custom", "id": "c0", "kvm_slots": 1, "note": f"n{HOSTILE}"}],
    )
    preset_dir = Path(os.environ["XDG_DATA_HOME"]) / "memslot-explorer" / "presets"
    preset_dir.mkdir(parents=True, exist_ok=True)
    save(
        base_config(title=f"aaa{HOSTILE}", description=f"d{HOSTILE}\nline 2"), preset_dir / "p.toml"
    )
    path = tmp_path / f"f{HOSTILE}.toml".replace("/", "-")
    save(config, path)
    app = make_app(path=path)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        screen = screen_lines(app)
        assert not [line for line in screen if _RAW_CONTROL.search(line)]
        assert any("vm\\x1b]2;owned\\x07" in line for line in screen)
        assert app.sub_title.startswith("f\\x1b]2;owned")
        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#open-search", Input).value = "aaa"
        await settle(pilot)
        screen = screen_lines(app)
        assert any("aaa\\x1b]2;owned" in line for line in screen), screen
        assert not [line for line in screen if _RAW_CONTROL.search(line)]


async def test_text_fields_draw_control_characters_visibly() -> None:
    """Textual's Input and TextArea drew a value's ESC raw: a consumer note in its edit form,
    or text pasted into the import box, drove the terminal. Now ␛ stands in; the value is
    unchanged."""
    from tui.app.panels.consumers import ConsumersPanel
    from tui.app.screens.device_form import DeviceFormScreen
    from tui.app.screens.paste import PasteScreen

    config = base_config(
        consumers=[{"kind": "custom", "id": "c0", "kvm_slots": 1, "note": f"n{HOSTILE}"}]
    )
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.query_one(ConsumersPanel).table.focus()
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, DeviceFormScreen)
        values = [field.value for field in app.screen.query(Input)]
        assert f"n{HOSTILE}" in values  # the value itself is the note, unchanged
        screen = screen_lines(app)
        assert not [line for line in screen if _RAW_CONTROL.search(line)], screen
        assert any("n␛]2;owned" in line for line in screen), screen
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(PasteScreen())
        await settle(pilot)
        app.screen.query_one("#paste-text", TextArea).text = f"-m 4G{HOSTILE}"
        await settle(pilot)
        screen = screen_lines(app)
        assert not [line for line in screen if _RAW_CONTROL.search(line)], screen
        assert any("-m 4G␛]2;owned" in line for line in screen), screen


def test_every_text_field_of_the_app_comes_from_fields() -> None:
    """A field made from Textual's own Input or TextArea would draw control characters raw."""
    import ast

    app_dir = Path(__file__).resolve().parents[2] / "tui" / "app"
    direct = []
    for module in app_dir.rglob("*.py"):
        if module.name in ("fields.py", "text_area.py"):
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("textual"):
                fields = [a.name for a in node.names if a.name in ("Input", "TextArea")]
                direct += [f"{module.name}: {name}" for name in fields]
            if isinstance(node, ast.Attribute) and node.attr in ("Input", "TextArea"):
                if isinstance(node.value, ast.Name) and node.value.id == "widgets":
                    direct.append(f"{module.name}: widgets.{node.attr}")
    assert direct == []
