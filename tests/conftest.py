"""Suite-wide: `slow` tests (long property runs) only run when asked for with `-m slow`; a
helper for checks that need a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip slow tests unless the mark expression names them."""
    if "slow" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="slow property run: select it with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def fresh_interpreter(code: str, *argv: str) -> Any:
    """Run `code` (with `argv`) in a fresh interpreter on this tree and return the JSON it
    prints: what a module imports can only be seen before anything else imported it."""
    result = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
