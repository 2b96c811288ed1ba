"""The verify machinery itself: back-end handshake, process clean-up, QMP deadlines, parsing,
QEMU discovery and the CLI. Only the tests marked `qemu` need a QEMU binary."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import socket
import struct
import threading
import time
import warnings
from pathlib import Path

import pytest

from tui.qemu import vhost_user_backend as vu
from tui.qemu.launch import Processes, find_qemu
from tui.qemu.qmp import QmpClient, QmpTimeout
from tui.qemu.verify import _attribute_cold_failure, _first_error_line, run_verify_cli

REPO = Path(__file__).resolve().parents[2]


def _request(
    conn: socket.socket, request: int, flags: int = vu.VERSION, payload: bytes = b""
) -> None:
    conn.sendall(vu.HEADER.pack(request, flags, len(payload)) + payload)


def _reply_u64(conn: socket.socket) -> tuple[int, int, int]:
    request, flags, size = vu.HEADER.unpack(conn.recv(vu.HEADER.size, socket.MSG_WAITALL))
    assert flags & vu.FLAG_REPLY and size == 8
    return request, flags, struct.unpack("=Q", conn.recv(8, socket.MSG_WAITALL))[0]


@pytest.mark.parametrize(("slots", "configure"), [(32, True), (508, True), (509, False)])
def test_vhost_user_backend_handshake(slots: int, configure: bool) -> None:
    with Processes() as procs:
        path = str(procs.tmpdir / "vu.sock")
        procs.start_vhost_user_backend("vu", path, slots, configure)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5)
            conn.connect(path)
            _request(conn, vu.GET_FEATURES)
            assert _reply_u64(conn)[2] & vu.F_PROTOCOL_FEATURES
            _request(conn, vu.GET_PROTOCOL_FEATURES)
            protocol = _reply_u64(conn)[2]
            assert bool(protocol & vu.PROTOCOL_F_CONFIGURE_MEM_SLOTS) == configure
            _request(conn, vu.SET_PROTOCOL_FEATURES, payload=struct.pack("=Q", protocol))
            _request(conn, vu.SET_OWNER, flags=vu.VERSION | vu.FLAG_NEED_REPLY)
            assert _reply_u64(conn)[:1] == (vu.SET_OWNER,)
            _request(conn, vu.GET_QUEUE_NUM)
            assert _reply_u64(conn)[2] >= 1
            _request(conn, vu.GET_MAX_MEM_SLOTS)
            assert _reply_u64(conn)[2] == slots


def test_processes_are_stopped_by_pid_on_ctrl_c() -> None:
    tmpdir = None
    pid = None
    with pytest.raises(KeyboardInterrupt), Processes() as procs:
        tmpdir = procs.tmpdir
        pid = procs.start("sleeper", ["sleep", "60"]).pid
        raise KeyboardInterrupt
    assert pid is not None and tmpdir is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not tmpdir.exists()


def test_qmp_call_has_a_deadline(tmp_path: Path) -> None:
    """A QEMU that stops answering (the vhost-user netdev hazard) gives QmpTimeout, no hang."""
    path = str(tmp_path / "qmp.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def fake_qemu() -> None:
        conn, _ = server.accept()
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
        conn.recv(4096)
        conn.sendall(b'{"return": {}}\r\n')
        time.sleep(3)  # never answers the next command
        conn.close()

    thread = threading.Thread(target=fake_qemu, daemon=True)
    thread.start()
    client = QmpClient(path)
    client.connect(timeout=5)
    started = time.monotonic()
    with pytest.raises(QmpTimeout):
        client.execute("netdev_add", {"type": "vhost-user"}, timeout=0.3)
    assert time.monotonic() - started < 2
    client.close()
    server.close()


def test_interrupted_call_still_disconnects(tmp_path: Path, monkeypatch) -> None:
    """SIGTERM (or Ctrl-C) that lands inside a QMP call's task: closing must still disconnect.

    The interrupted call's task keeps the KeyboardInterrupt and raises it again when closing
    resumes it; close() used to stop there, so `AsyncQmp.close` was never awaited and the
    library's tasks were destroyed pending: tracebacks on stderr after "verify: interrupted"."""
    path = str(tmp_path / "qmp.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    seen_eof = threading.Event()

    def fake_qemu() -> None:
        conn, _ = server.accept()
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
        conn.recv(4096)
        conn.sendall(b'{"return": {}}\r\n')
        conn.settimeout(5)
        with contextlib.suppress(OSError):
            while conn.recv(4096):
                pass
            seen_eof.set()
        conn.close()

    thread = threading.Thread(target=fake_qemu, daemon=True)
    thread.start()
    client = QmpClient(path)
    client.connect(timeout=5)
    session = client._session
    assert session is not None

    async def signal_lands_here(*_args: object, **_kwargs: object) -> None:
        await asyncio.sleep(0)
        raise KeyboardInterrupt  # what SIGINT's handler, or verify's SIGTERM one, raises

    monkeypatch.setattr(session.client, "execute", signal_lands_here)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            client.execute("query-status", timeout=5)
        gc.collect()
    assert seen_eof.wait(5), "the QMP connection was not closed"
    assert not [w for w in caught if "never awaited" in str(w.message)]
    server.close()


def test_signal_while_the_private_loop_is_built_waits(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C while QmpClient builds its event loop is held until the loop exists (it raised
    inside the constructor: "unclosed event loop" and an AttributeError traceback at exit)."""
    import signal

    from tui.qemu import qmp

    built: list[bool] = []
    real_new_loop = asyncio.new_event_loop

    def interrupted_while_building() -> asyncio.AbstractEventLoop:
        # to this thread: the CLI's verify has no other thread that could take it
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        loop = real_new_loop()
        built.append(True)
        return loop

    monkeypatch.setattr(qmp.asyncio, "new_event_loop", interrupted_while_building)
    client = QmpClient(str(tmp_path / "none.sock"))
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            client.connect(timeout=1)
    finally:
        signal.signal(signal.SIGINT, previous)
    client.close()
    assert built == [True]


@pytest.mark.qemu
def test_signal_during_a_hot_event_closes_the_qmp_session(qemu_info, monkeypatch) -> None:
    """A signal between QMP calls (verify's hot events): the session is closed on the way out.

    It was left open: QEMU was killed by its PID, but the private loop's pending tasks were
    destroyed at exit with "Task was destroyed but it is pending!" and library tracebacks on
    stderr after "verify: interrupted"."""
    from tui.formats.toml import load
    from tui.qemu import verify as verify_module

    clients: list[QmpClient] = []
    real_init = QmpClient.__init__

    def remember(self: QmpClient, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        clients.append(self)

    def signal_lands_here(self: object, index: int) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(QmpClient, "__init__", remember)
    monkeypatch.setattr(verify_module._Runner, "hot_event", signal_lands_here)
    preset = load(REPO / "presets" / "ex10a-virtiofsd-32-after-virtio-mem.toml")
    with pytest.raises(KeyboardInterrupt):
        verify_module.verify(preset, qemu=qemu_info.path, timeout=20)
    assert clients, "QEMU should have been started"
    assert all(client._loop is None for client in clients), "a QMP session was left open"


def test_cold_failure_is_attributed_to_its_device() -> None:
    stderr = (
        "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.01H:ECX.pni\n"
        "qemu-system-x86_64: -device pc-dimm,id=d1,memdev=mem-d1,slot=5: invalid slot number 5, "
        "valid range is [0-1]\n"
    )
    assert _attribute_cold_failure(stderr) == ("d1", "invalid slot number 5, valid range is [0-1]")
    device, message = _attribute_cold_failure(
        "qemu-system-x86_64: slots specified but no max-size\n"
    )
    assert device is None and message == "slots specified but no max-size"
    assert _attribute_cold_failure(
        "qemu-system-x86_64: -object memory-backend-memfd,id=mem-vm0,size=1T: unable to map\n"
    ) == ("vm0", "unable to map")


def test_hung_netdev_message_skips_hints() -> None:
    text = (
        "some memory device (like virtio-mem) decided ...\n"
        "Try plugging this vhost backend before plugging such memory devices.\n"
        "failed to init vhost_net for queue 0\n"
    )
    assert _first_error_line(text) == "some memory device (like virtio-mem) decided ..."


def test_find_qemu_reasons(tmp_path: Path) -> None:
    assert not find_qemu(str(tmp_path / "nope")).usable
    old = tmp_path / "qemu-old"
    old.write_text("#!/bin/sh\necho 'QEMU emulator version 7.1.0'\n")
    old.chmod(0o755)
    info = find_qemu(str(old))
    assert not info.usable and "7.2" in (info.reason or "")
    new = tmp_path / "qemu-new"
    new.write_text("#!/bin/sh\necho 'QEMU emulator version 9.2.0 (whatever)'\n")
    new.chmod(0o755)
    assert find_qemu(str(new)).version == (9, 2, 0)


def _args(file: Path, **extra: object) -> argparse.Namespace:
    return argparse.Namespace(
        file=file,
        qemu=extra.get("qemu"),
        accel=extra.get("accel"),
        json=extra.get("json", False),
        timeout=extra.get("timeout"),
    )


def test_cli_bad_input_and_unusable_qemu(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[machine]\nram = 'lots'\n")
    assert run_verify_cli(_args(bad)) == 2
    preset = REPO / "presets" / "ex01-virtio-mem-64-memslots.toml"
    assert run_verify_cli(_args(preset, qemu=tmp_path / "no-qemu")) == 2
    assert "not" in capsys.readouterr().err


@pytest.mark.qemu
def test_cli_table_and_json(qemu_info, capsys) -> None:
    preset = REPO / "presets" / "ex10a-virtiofsd-32-after-virtio-mem.toml"
    assert run_verify_cli(_args(preset, qemu=qemu_info.path)) == 0
    out = capsys.readouterr().out
    assert "engine says" in out and "QEMU says" in out and "0 mismatched" in out
    assert run_verify_cli(_args(preset, qemu=qemu_info.path, json=True)) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True and document["rows"][0]["event"] == "start"


@pytest.mark.qemu
@pytest.mark.parametrize("preset", sorted(p.name for p in (REPO / "presets").glob("*.toml")))
def test_every_preset_verifies(preset: str, qemu_info) -> None:
    """Every shipped preset, run on this QEMU, matches the engine (unverifiable parts listed)."""
    from tui.formats.toml import load
    from tui.qemu.verify import format_table, verify

    result = verify(load(REPO / "presets" / preset), qemu=qemu_info.path, timeout=20)
    assert result.error is None, result.error
    assert not result.mismatches, format_table(result)
    assert any(row.match for row in result.rows if row.index >= 0) or result.not_verifiable


@pytest.mark.qemu
def test_cancel_stops_after_the_current_step(qemu_info) -> None:
    import threading

    from tui.engine.model import Config
    from tui.qemu.verify import verify

    config = Config.model_validate(
        {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "5G"},
            "memory_devices": [
                {"kind": "pc-dimm", "id": f"d{i}", "size": "512M"} for i in range(3)
            ],
            "timeline": [{"action": "hotplug", "device": f"d{i}"} for i in range(3)],
        }
    )
    cancel = threading.Event()
    seen: list[str] = []

    def progress(text: str) -> None:
        seen.append(text)
        if text.startswith("event 1/"):
            cancel.set()

    result = verify(config, qemu=qemu_info.path, progress=progress, cancel=cancel)
    rows = [row for row in result.rows if row.index >= 0]
    assert rows[0].match is True
    assert [row.note for row in rows[1:]] == ["not reached: cancelled"] * 2
    assert result.report is not None and result.ok
