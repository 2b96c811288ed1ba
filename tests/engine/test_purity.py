"""tui.engine must stay pure: no Textual, no Rich, no I/O modules of ours."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("textual", "rich", "tui.app", "tui.formats", "tui.qemu", "tui.cli", "subprocess")


def test_engine_imports_neither_textual_nor_rich():
    code = (
        "import sys, tui.engine, tui.engine.advice\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN[:2]!r} "
        f"or any(m == f or m.startswith(f + '.') for f in {FORBIDDEN[2:]!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
