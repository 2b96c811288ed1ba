"""Tests compare presets' `[expect]` with the engine through the product's own module."""

from tui.engine.expect import check_expectation, record_expectation

__all__ = ["check_expectation", "record_expectation"]
