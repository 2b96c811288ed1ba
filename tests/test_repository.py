"""The repository holds the product only: product docs, no machine paths, no work logs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_DOCS = {"rules.md", "schema.md", "architecture.md", "lessons.md"}
# a developer machine's paths (not examples such as /tmp/x in tests or /usr/bin/qemu-*)
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home/[a-z][\w-]*)/")


def _tracked() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_docs_hold_product_docs_only() -> None:
    docs = {p.name for p in (ROOT / "docs").iterdir() if p.is_file()}
    assert docs <= PRODUCT_DOCS, f"not product docs: {sorted(docs - PRODUCT_DOCS)}"


def test_no_absolute_machine_path_in_any_tracked_file() -> None:
    found = []
    for path in _tracked():
        if path.suffix == ".svg" or not path.is_file():
            continue  # snapshots embed the terminal's text, checked through their sources
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in MACHINE_PATH.finditer(text)]
    assert found == []
