"""`memslot-explorer import --pid`: the argv of a real, running QEMU becomes the configuration
its exporter would start again (the command line QEMU itself was started with)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.formats.roundtrip_rules import comparable, expected_after_qemu
from tui.engine.model import Config
from tui.formats import toml
from tui.formats.qemu import command_line
from tui.qemu.launch import QemuInfo

pytestmark = pytest.mark.qemu
REPO = Path(__file__).resolve().parents[2]
CONFIG = {
    "machine": {"type": "q35", "accel": "tcg", "ram": "1G", "maxmem": "5G", "slots": 2},
    "memory_devices": [
        {"id": "d0", "kind": "pc-dimm", "size": "1G", "backend": "memfd", "share": True},
        {"id": "vm0", "kind": "virtio-mem", "size": "2G", "dynamic_memslots": True},
    ],
}


def test_import_pid_of_a_running_qemu(qemu_info: QemuInfo, tmp_path: Path) -> None:
    config = Config.model_validate(CONFIG)
    assert qemu_info.path is not None
    argv = command_line(config, headless=True, binary=qemu_info.path)
    qemu = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not Path(f"/proc/{qemu.pid}/cmdline").read_bytes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert qemu.poll() is None, qemu.stderr.read() if qemu.stderr else ""
        out = tmp_path / "vm.toml"
        done = subprocess.run(
            [sys.executable, "-m", "tui", "import", "--pid", str(qemu.pid), "-o", str(out)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        qemu.kill()
        qemu.wait(timeout=20)
    assert done.returncode == 0, done.stderr
    imported = toml.load(out)
    expected = expected_after_qemu(config)
    actual = comparable(imported)
    for key, value in expected.items():
        assert actual[key] == value, key
