"""File formats: TOML configurations, the exporters and importers (see registry.py).

The TOML helpers are loaded on first use, so that reading the format registry (as every CLI
verb's --help does) does not import pydantic and the engine.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ConfigError", "dumps", "load", "loads", "save"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("tui.formats.toml"), name)
    raise AttributeError(f"module 'tui.formats' has no attribute {name!r}")
