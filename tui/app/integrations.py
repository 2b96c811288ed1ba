"""Guarded access to the modules other developers deliver in parallel.

The app must start even when a format, the preset list, the advisor or the QEMU verifier is
not there yet (or fails to import): each accessor returns None and the action that needs it
is shown disabled with the reason.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def toml() -> ModuleType | None:
    """tui.formats.toml: loads/load/dumps/save and ConfigError."""
    return _module("tui.formats.toml")


def presets() -> ModuleType | None:
    """tui.presets: default_config, list_presets, preset_dirs."""
    return _module("tui.presets")


def export() -> ModuleType | None:
    """tui.formats.export: export_text(config, to)."""
    return _module("tui.formats.export")


def advice() -> ModuleType | None:
    """tui.engine.advice: suggest(config, report) and headroom(config, report)."""
    return _module("tui.engine.advice")


def verify() -> ModuleType | None:
    """tui.qemu.verify: find_qemu and verify."""
    return _module("tui.qemu.verify")


def missing(what: str) -> str:
    """The reason shown when a guarded module is absent."""
    return f"{what} is not available in this build"
