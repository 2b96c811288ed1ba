"""File formats: TOML configurations (and, from other modules, exporters)."""

from .toml import ConfigError, dumps, load, loads, save

__all__ = ["ConfigError", "dumps", "load", "loads", "save"]
