"""The type-check gate fails on a regression and only ever records lower counts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "mypy_baseline.py"
spec = importlib.util.spec_from_file_location("mypy_baseline", SCRIPT)
assert spec is not None and spec.loader is not None
gate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gate)

OUTPUT = """\
tui/formats/qemu.py:366: error: Item "VhostKernel" has no attribute "size"  [union-attr]
tui/formats/qemu.py:370:12: error: Item "Consumer" has no attribute "backend"  [union-attr]
tui/app/app.py:10: note: this is a note, not an error
tui/engine/units.py:5: error: Returning Any from function declared to return "int"  [no-any-return]
"""


def test_counts_errors_per_file_and_ignores_notes() -> None:
    assert gate.count_errors(OUTPUT) == {"tui/formats/qemu.py": 2, "tui/engine/units.py": 1}


def test_a_growing_count_or_a_new_file_is_a_regression() -> None:
    counts = gate.count_errors(OUTPUT)
    worse, better = gate.compare(counts, {"tui/formats/qemu.py": 1})
    assert worse == [
        "tui/engine/units.py: new file with 1 mypy error(s)",
        "tui/formats/qemu.py: 1 → 2 mypy error(s)",
    ]
    assert better == []


def test_a_shrinking_count_is_an_improvement() -> None:
    counts = gate.count_errors(OUTPUT)
    worse, better = gate.compare(
        counts, {"tui/formats/qemu.py": 3, "tui/engine/units.py": 1, "tui/gone.py": 2}
    )
    assert worse == []
    assert better == [
        "tui/formats/qemu.py: 3 → 2 mypy error(s)",
        "tui/gone.py: 2 → 0 mypy error(s)",
    ]
