"""Shared QEMU lookup for the `qemu` suite: one `find_qemu()` for the whole session."""

from __future__ import annotations

import pytest

from tui.qemu.launch import QemuInfo, find_qemu


@pytest.fixture(scope="session")
def qemu_info() -> QemuInfo:
    """The QEMU under test; skips (with the reason) when none >= 8.2 is installed."""
    info = find_qemu()
    if not info.usable:
        pytest.skip(f"no usable QEMU: {info.reason}")
    return info
