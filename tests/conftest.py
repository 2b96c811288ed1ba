"""Suite-wide: `slow` tests (long property runs) only run when asked for with `-m slow`."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip slow tests unless the mark expression names them."""
    if "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="slow property run: select it with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
