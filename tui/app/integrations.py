"""The modules the app uses only for some actions, imported on first use.

Importing them lazily keeps start-up light (the QEMU verifier and the exporters are not needed
to show the first screen), and gives tests one seam to replace them (e.g. a fake verifier).
"""

from __future__ import annotations

import importlib
from types import ModuleType


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def toml() -> ModuleType:
    """tui.formats.toml: loads/load/dumps/save and ConfigError."""
    return _module("tui.formats.toml")


def presets() -> ModuleType:
    """tui.presets: default_config, list_presets, preset_dirs."""
    return _module("tui.presets")


def export() -> ModuleType:
    """tui.formats.export: export_text(config, to)."""
    return _module("tui.formats.export")


def importing() -> ModuleType:
    """tui.formats.importing: import_text, read_source, ImportResult (QEMU / libvirt)."""
    return _module("tui.formats.importing")


def advice() -> ModuleType:
    """tui.engine.advice: suggest(config, report) and headroom(config, report)."""
    return _module("tui.engine.advice")


def verify() -> ModuleType:
    """tui.qemu.verify: find_qemu and verify."""
    return _module("tui.qemu.verify")


def host() -> ModuleType:
    """tui.qemu.host: read_host() reads this machine's facts."""
    return _module("tui.qemu.host")
