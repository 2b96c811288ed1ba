"""`verify` stopped by a real signal at a random moment leaves nothing behind (issue 8 item 2).

Each run gets its own TMPDIR and a unique marker in its environment, which every process verify
starts inherits (QEMU, qemu-storage-daemon, the Python vhost-user back-ends, the janitor): after
the signal, no process may carry the marker and the TMPDIR must be empty.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tui.engine.model import Config
from tui.formats.toml import save

pytestmark = pytest.mark.qemu

REPO = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("MEMSLOT_SIGNAL_SEED", "0")) or random.randrange(1, 10**6)
"""Printed on failure; set MEMSLOT_SIGNAL_SEED to replay the same moments."""
RNG = random.Random(SEED)

# Back-ends of both kinds, a dynamic virtio-mem, then a vhost-user NIC whose hot add fails its
# check: QEMU never answers netdev_add (the hazard that leaked a spinning QEMU).
CONFIG = {
    "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
    "memory_devices": [
        {
            "kind": "virtio-mem",
            "id": "vm0",
            "size": "8G",
            "dynamic_memslots": True,
            "backend": "memfd",
            "share": True,
        },
        {"kind": "pc-dimm", "id": "d0", "size": "1G", "backend": "memfd", "share": True},
    ],
    "vhost_devices": [
        {"kind": "vhost-user", "id": "fs0", "device": "fs", "max_mem_slots": 509},
        {"kind": "vhost-user", "id": "blk0", "device": "blk", "max_mem_slots": 509},
        {"kind": "vhost-user", "id": "net0", "device": "net", "max_mem_slots": 32},
    ],
    "timeline": [
        {"action": "cold", "device": "fs0"},
        {"action": "cold", "device": "blk0"},
        {"action": "cold", "device": "vm0"},
        {"action": "hotplug", "device": "d0"},
        {"action": "hotplug", "device": "net0"},
    ],
}


def _tagged(marker: str) -> list[int]:
    """PIDs of live processes whose environment holds `marker`."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ and state != "Z":
            found.append(int(entry))
    return found


def _run_and_signal(tmp_path: Path, signum: int, delay: float) -> tuple[int, str, list[int]]:
    config_file = tmp_path / "vm.toml"
    save(Config.model_validate(CONFIG), config_file)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    marker = f"MEMSLOT_SIGNAL_TEST={uuid.uuid4().hex}"
    key, value = marker.split("=")
    env = {**os.environ, "TMPDIR": str(tmpdir), key: value, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "verify", str(config_file), "--timeout", "10"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(delay)
    proc.send_signal(signum)
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
        pytest.fail(f"verify did not end within 30 s of {signal.Signals(signum).name}")
    deadline = time.monotonic() + 20  # generous: the host may be busy
    while (left := _tagged(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    while list(tmpdir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:  # never leave them to the next test, even when failing
        os.kill(pid, signal.SIGKILL)
    assert not list(tmpdir.iterdir()), (
        f"seed {SEED}: left in TMPDIR after {signal.Signals(signum).name} at {delay:.2f}s: "
        f"{sorted(p.name for p in tmpdir.iterdir())}"
    )
    return proc.returncode, err.decode(errors="replace"), left


SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL, signal.SIGINT]
MOMENTS = {signum: round(RNG.uniform(0.2, 3.0), 2) for signum in SIGNALS}
"""One random moment per signal and run: start-up, back-ends, QEMU, hot plugs, the hung netdev."""


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_verify_leaves_nothing_behind(tmp_path: Path, signum: int, qemu_info) -> None:
    delay = MOMENTS[signum]
    code, stderr, left = _run_and_signal(tmp_path, signum, delay)
    name = signal.Signals(signum).name
    assert not left, f"seed {SEED}: processes left after {name} at {delay:.2f}s: {left}"
    assert "Traceback" not in stderr, stderr
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        # 128 + signal when interrupted; -signal if the interpreter itself was still starting
        # (nothing started yet: the leak checks above still hold); 0/1 if verify had finished.
        assert code in (128 + signum, -signum, 0, 1), (code, stderr)


def _interpreter_start() -> float:
    """Seconds the bare interpreter needs to start here (its own `site` import cannot be
    protected by any code of ours: a Ctrl-C there is Python's, before `tui` exists)."""
    times = []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.monotonic() - started)
    return max(times)


@pytest.mark.parametrize("after", [0.05, 0.12, 0.2])
def test_ctrl_c_while_starting_prints_no_traceback(after: float) -> None:
    """Ctrl-C in the first ~0.2 s of our code (imports) ends quietly, for check and verify."""
    preset = REPO / "presets" / "ex01-virtio-mem-64-memslots.toml"
    delay = _interpreter_start() + after
    for verb in ("check", "verify"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui", verb, str(preset)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        text = err.decode(errors="replace")
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
        # -SIGINT: the interpreter itself was still starting (no handler yet, nothing printed)
        assert proc.returncode in (130, -signal.SIGINT, 0, 1), (verb, proc.returncode, text)


async def test_app_verify_worker_stops_on_quit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qemu_info
) -> None:
    """Quitting the app while its verify worker waits on the hung netdev: the wait gives up at
    once, QEMU and the back-ends are stopped and the private directory is gone."""
    import tempfile

    from tui.app.app import make_app

    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    marker = uuid.uuid4().hex
    monkeypatch.setenv("MEMSLOT_SIGNAL_TEST", marker)
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    app = make_app(config=Config.model_validate(CONFIG))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f5")
        for _ in range(300):
            await pilot.pause(0.05)
            if "hotplug net0" in app.status_text:
                break
        assert "hotplug net0" in app.status_text, app.status_text
        assert _tagged(marker), "verify should be running QEMU and its back-ends"
        started = time.monotonic()
        await pilot.press("ctrl+q")
    deadline = time.monotonic() + 10
    while (_tagged(marker) or list(tmpdir.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _tagged(marker)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left and not list(tmpdir.iterdir())
    assert time.monotonic() - started < 4  # not the 5 s netdev deadline, nor the 30 s timeout
