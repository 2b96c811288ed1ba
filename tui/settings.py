"""The user's settings file: `$XDG_CONFIG_HOME/memslot-explorer/settings.toml` (TOML).

```toml
theme = "nord"                      # any Textual theme name
layout = "auto"                     # auto | narrow | medium | wide
user_preset_dir = "~/vm-presets"    # where your presets are listed and saved

[machine]                           # defaults for a new configuration (not for files)
qemu_version = "10.0.2"
kvm_memslots = 509
cpu_vendor = "intel"
host_thp_size = "2M"
phys_bits = 46

[keys]                              # binding id = keys (comma-separated), as Textual's keymap
save = "ctrl+s,f10"
undo = "ctrl+z,u"
```

A bad value never stops anything: it is reported (file, field, reason) and its default is
used; the other values still apply. `MEMSLOT_EXPLORER_SETTINGS` names another file (tests,
scripts). Pure: no Textual; the app applies theme, layout and keys.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tui.fileio import FileAccessError, read_bytes

APP_NAME = "memslot-explorer"
ENV_FILE = "MEMSLOT_EXPLORER_SETTINGS"
MAX_SIZE = 1 << 20
LAYOUTS = ("auto", "narrow", "medium", "wide")
MACHINE_DEFAULTS = (
    "qemu_version",
    "accel",
    "kvm_memslots",
    "cpu_vendor",
    "host_thp_size",
    "phys_bits",
)
"""The machine fields a settings file may default: the modelled QEMU and the host facts."""
DEFAULT_THEME = "textual-dark"
_KEY = re.compile(r"[a-z0-9_+\-]+(?:,[a-z0-9_+\-]+)*")
_BINDING_ID = re.compile(r"[A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class Setting:
    """One effective value and where it came from ("default" or the settings file)."""

    value: Any
    source: str


@dataclass(frozen=True)
class Settings:
    """Effective settings, each with its source, and the problems found in the file."""

    path: Path
    found: bool
    values: dict[str, Setting] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def get(self, name: str) -> Any:
        """The effective value of a setting (dotted for tables: "machine.phys_bits")."""
        return self.values[name].value

    @property
    def theme(self) -> str:
        """Textual theme name."""
        return str(self.get("theme"))

    @property
    def layout(self) -> str:
        """auto, narrow, medium or wide."""
        return str(self.get("layout"))

    @property
    def user_preset_dir(self) -> Path | None:
        """The user's preset directory (None: the platform default)."""
        value = self.get("user_preset_dir")
        return Path(value).expanduser() if value else None

    @property
    def machine(self) -> dict[str, Any]:
        """Machine defaults for a new configuration (only those the file sets)."""
        return {
            name.removeprefix("machine."): s.value
            for name, s in self.values.items()
            if name.startswith("machine.") and s.source != "default"
        }

    @property
    def keymap(self) -> dict[str, str]:
        """binding id → keys, for App.set_keymap."""
        return {
            name.removeprefix("keys."): str(s.value)
            for name, s in self.values.items()
            if name.startswith("keys.")
        }


def settings_path() -> Path:
    """The settings file: $MEMSLOT_EXPLORER_SETTINGS, else the XDG config dir's."""
    override = os.environ.get(ENV_FILE)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME")
    if not base:
        try:
            base = str(Path.home() / ".config")
        except RuntimeError:  # no HOME and no passwd entry: no settings file
            base = os.devnull
    return Path(base) / APP_NAME / "settings.toml"


def _defaults() -> dict[str, Setting]:
    from tui.engine.model import Machine

    machine = Machine()
    values = {
        "theme": Setting(DEFAULT_THEME, "default"),
        "layout": Setting("auto", "default"),
        "user_preset_dir": Setting("", "default"),
    }
    for name in MACHINE_DEFAULTS:
        values[f"machine.{name}"] = Setting(getattr(machine, name), "default")
    return values


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file (a missing file is fine: all defaults)."""
    path = settings_path() if path is None else path
    values = _defaults()
    problems: list[str] = []
    source = str(path)
    try:
        raw = read_bytes(path, MAX_SIZE)
    except FileAccessError as exc:
        if exc.errno == 2:  # ENOENT: no settings file, all defaults
            return Settings(path, False, values, [])
        return Settings(path, True, values, [f"{_p(source)}: {_p(exc.reason)} (defaults used)"])
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else f"invalid TOML: {exc}"
        if isinstance(exc, RecursionError):
            reason = "nested too deeply"
        return Settings(path, True, values, [f"{_p(source)}: {_p(reason)} (defaults used)"])

    def bad(name: str, reason: str) -> None:
        problems.append(f"{_p(source)}: {_p(name)}: {_p(reason)} (default used)")

    for name, value in data.items():
        if name in ("theme", "layout", "user_preset_dir"):
            if not isinstance(value, str) or not value.strip():
                bad(name, "must be a non-empty string")
            elif name == "layout" and value not in LAYOUTS:
                bad(name, f"{value!r} is not one of {', '.join(LAYOUTS)}")
            else:
                values[name] = Setting(value, source)
        elif name == "machine" and isinstance(value, dict):
            _machine(value, values, source, bad)
        elif name == "keys" and isinstance(value, dict):
            for binding, keys in value.items():
                key_name = f"keys.{binding}"
                if not _BINDING_ID.fullmatch(binding):
                    bad(key_name, "not a binding id")
                elif not isinstance(keys, str) or not _KEY.fullmatch(keys.replace(" ", "")):
                    bad(key_name, 'must be keys like "ctrl+s" or "f10,ctrl+s"')
                else:
                    values[key_name] = Setting(keys.replace(" ", ""), source)
        elif name in ("machine", "keys"):
            bad(name, "must be a table")
        else:
            bad(name, "unknown setting (known: theme, layout, user_preset_dir, [machine], [keys])")
    return Settings(path, True, values, problems)


def checked(
    settings: Settings,
    themes: Iterable[str],
    binding_ids: Iterable[str],
    clashes: Callable[[dict[str, str]], list[tuple[str, str, str]]] = lambda _keymap: [],
) -> Settings:
    """`settings` with the theme and the key map checked against the app's themes and binding
    ids, and the key map against itself (`clashes`: the action registry's key_clashes): a bad
    one is reported and its default used, like every other value. The names are passed in
    (the app its live ones, --print-config Textual's themes and the action registry), so both
    say the same and this module stays pure."""
    values = dict(settings.values)
    problems = list(settings.problems)
    source = _p(str(settings.path))
    theme = values["theme"].value
    if theme not in set(themes):
        problems.append(f"{source}: theme: unknown theme {_p(repr(theme))} (default used)")
        values["theme"] = _defaults()["theme"]
    known = sorted(set(binding_ids))
    for name in [n for n in values if n.startswith("keys.")]:
        if name.removeprefix("keys.") not in known:
            problems.append(
                f"{source}: {_p(name)}: no binding has this id (ids: {', '.join(known)})"
            )
            del values[name]
    for binding, key, other in clashes(replace(settings, values=values).keymap):
        name = f"keys.{binding}"
        if name in values:
            problems.append(
                f"{source}: {_p(name)}: {_p(key)} is already the key of {_p(other)} (default kept)"
            )
            del values[name]
    return replace(settings, values=values, problems=problems)


def _machine(table: dict[str, Any], values: dict[str, Setting], source: str, bad: Any) -> None:
    from pydantic import ValidationError

    from tui.engine.model import Machine

    for name, value in table.items():
        if name not in MACHINE_DEFAULTS:
            bad(f"machine.{name}", f"not a machine default (known: {', '.join(MACHINE_DEFAULTS)})")
            continue
        try:
            parsed = getattr(Machine.model_validate({name: value}), name)
        except ValidationError as exc:
            bad(f"machine.{name}", exc.errors()[0]["msg"])
            continue
        values[f"machine.{name}"] = Setting(parsed, source)


def _p(text: str) -> str:
    from tui.formats.toml import printable

    return printable(text)


def describe(settings: Settings) -> str:
    """`memslot-explorer --print-config`: every effective value and where it came from."""
    state = "" if settings.found else " (not found: all defaults)"
    lines = [f"# settings file: {_p(str(settings.path))}{state}"]
    width = max(len(name) for name in settings.values)
    for name, setting in settings.values.items():
        value = setting.value
        shown = f'"{value}"' if isinstance(value, str) else str(value)
        lines.append(f"{name.ljust(width)} = {_p(shown)}  # {_p(setting.source)}")
    return "\n".join(lines) + "\n"
