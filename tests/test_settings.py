"""The settings file: effective values with their source, and bad values reported (file,
field, reason) with their defaults kept — never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.settings import describe, load_settings, settings_path

ROOT = Path(__file__).resolve().parent.parent


def print_config(config_dir: Path) -> subprocess.CompletedProcess[str]:
    """`memslot-explorer --print-config` with XDG_CONFIG_HOME=config_dir, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "tui", "--print-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_CONFIG_HOME": str(config_dir)},
    )


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("MEMSLOT_EXPLORER_SETTINGS", raising=False)
    directory = tmp_path / "memslot-explorer"
    directory.mkdir()
    return directory / "settings.toml"


def test_missing_file_is_all_defaults(config_home: Path) -> None:
    settings = load_settings()
    assert settings_path() == config_home and not settings.found
    assert settings.problems == [] and settings.theme == "textual-dark"
    assert settings.layout == "auto" and settings.machine == {} and settings.keymap == {}
    assert all(s.source == "default" for s in settings.values.values())


def test_values_and_sources(config_home: Path) -> None:
    config_home.write_text(
        'theme = "nord"\nlayout = "narrow"\nuser_preset_dir = "~/mine"\n'
        '[machine]\nqemu_version = "10.0.2"\nkvm_memslots = 509\nhost_thp_size = "1G"\n'
        '[keys]\nsave = "f10, ctrl+s"\n'
    )
    settings = load_settings()
    assert settings.problems == []
    assert settings.theme == "nord" and settings.layout == "narrow"
    assert settings.user_preset_dir == Path("~/mine").expanduser()
    assert settings.machine == {
        "qemu_version": "10.0.2",
        "kvm_memslots": 509,
        "host_thp_size": 1 << 30,
    }
    assert settings.keymap == {"save": "f10,ctrl+s"}
    text = describe(settings)
    assert f'theme                 = "nord"  # {config_home}' in text
    assert "machine.phys_bits     = 40  # default" in text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('layout = "sideways"\n', "layout: 'sideways' is not one of auto, narrow, medium, wide"),
        ("theme = 3\n", "theme: must be a non-empty string"),
        (
            "[machine]\nphys_bits = 99\n",
            "machine.phys_bits: Input should be less than or equal to 64",
        ),
        ('[machine]\nram = "4G"\n', "machine.ram: not a machine default"),
        ("[keys]\nundo = 5\n", 'keys.undo: must be keys like "ctrl+s" or "f10,ctrl+s"'),
        ('"\\u001b[2J" = 1\n', "\\x1b[2J: unknown setting"),
        ("keys = 1\n", "keys: must be a table"),
        ("theme = [\n", "invalid TOML"),
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
    ],
)
def test_bad_settings_are_reported_and_defaults_kept(
    config_home: Path, text: str, problem: str
) -> None:
    config_home.write_text('theme = "nord"\n' + text if "theme" not in text else text)
    settings = load_settings()
    assert len(settings.problems) == 1, settings.problems
    assert settings.problems[0].startswith(f"{config_home}: ")
    assert problem in settings.problems[0]
    assert "\x1b" not in settings.problems[0]
    assert settings.layout == "auto"


def test_fifo_settings_file_does_not_hang(config_home: Path) -> None:
    os.mkfifo(config_home)
    settings = load_settings()
    assert settings.problems == [
        f"{config_home}: cannot read: a FIFO (named pipe), not a regular file (defaults used)"
    ]


def test_print_config_cli(config_home: Path, tmp_path: Path) -> None:
    config_home.write_text('theme = "nord"\nlayout = "bad"\n')
    proc = print_config(tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[0] == f"# settings file: {config_home}"
    assert f'theme                 = "nord"  # {config_home}' in proc.stdout
    assert 'layout                = "auto"  # default' in proc.stdout
    assert proc.stderr == (
        f"{config_home}: layout: 'bad' is not one of auto, narrow, medium, wide (default used)\n"
    )


def test_print_config_checks_the_theme_and_binding_ids_as_the_app_does(
    config_home: Path, tmp_path: Path
) -> None:
    """An unknown theme or binding id: --print-config listed it as effective (exit 0) while the
    app rejected it; now both report it and show the default in effect."""
    config_home.write_text('theme = "nosuch"\n[keys]\nnosuch = "x"\nsave = "ctrl+s,f10"\n')
    proc = print_config(tmp_path)
    assert proc.returncode == 2
    assert 'theme                 = "textual-dark"  # default' in proc.stdout
    assert "keys.nosuch" not in proc.stdout and "keys.save" in proc.stdout
    problems = proc.stderr.splitlines()
    assert problems[0] == f"{config_home}: theme: unknown theme 'nosuch' (default used)"
    assert problems[1].startswith(f"{config_home}: keys.nosuch: no binding has this id (ids: ")
    assert len(problems) == 2


def test_a_key_another_live_binding_has_is_reported_and_the_default_kept(
    config_home: Path, tmp_path: Path
) -> None:
    """undo = "ctrl+s" left save on ctrl+s too: Textual ran one of them and the footer read
    "^s Undo"; now the clash is reported (file, field, reason) and undo keeps ctrl+z."""
    from tui.app.actions import BY_ID, binding_ids, key_clashes
    from tui.settings import checked

    def check(keys: str) -> tuple[dict[str, str], list[str]]:
        config_home.write_text("[keys]\n" + keys)
        settings = checked(load_settings(), ["textual-dark"], binding_ids(), key_clashes)
        return settings.keymap, settings.problems

    keymap, problems = check('undo = "ctrl+s"\n')
    assert keymap == {}
    assert problems == [
        f"{config_home}: keys.undo: ctrl+s is already the key of save (default kept)"
    ]
    # a key of a list (lists) clashing with one of the Timeline panel (timeline): both live
    # when the Timeline's table has the focus
    assert (BY_ID["event_remove"].scope, BY_ID["last_row"].scope) == ("timeline", "lists")
    keymap, problems = check('last_row = "d"\n')
    assert keymap == {} and "keys.last_row" in problems[0]
    # swapped keys, a key free everywhere, a key bound only where the other is never live
    assert check('undo = "ctrl+s"\nsave = "ctrl+z"\n') == ({"undo": "ctrl+s", "save": "ctrl+z"}, [])
    assert check('undo = "f12"\n') == ({"undo": "f12"}, [])
    proc = print_config(tmp_path)
    assert proc.returncode == 0 and 'keys.undo             = "f12"' in proc.stdout
    config_home.write_text('[keys]\nundo = "ctrl+s"\n')
    proc = print_config(tmp_path)
    assert proc.returncode == 2 and "keys.undo" not in proc.stdout
    assert "ctrl+s is already the key of save" in proc.stderr
