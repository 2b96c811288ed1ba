"""`inspect` without a QEMU: the read-only allowlist (a fake QMP server and a fake virsh record
every command), and bad addresses (missing path, not a socket, a socket that is not QMP, one
that never answers) → one clear message and the right exit code within the deadline."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tui.cli import main
from tui.qemu.inspect import HANDSHAKE, QUERY_COMMANDS, ReadOnly, inspect_qmp
from tui.qemu.qmp import run_sync

REPO = Path(__file__).resolve().parents[2]
GiB = 1 << 30

# A q35 VM with 4G RAM, maxmem 20G, 2 slots, one pc-dimm and one dynamic virtio-mem (4 memslots
# decided, one mapped), shaped as QEMU 10.0 answers.
QOM: dict[tuple[str, str], Any] = {
    ("/machine", "type"): "pc-q35-10.0-machine",
    ("/machine", "memory"): {"size": 4 * GiB, "slots": 2, "max-size": 20 * GiB},
    ("/machine", "nvdimm"): False,
    ("/machine", "memory-backend"): "",
    ("/machine/q35", "below-4g-mem-size"): 2 * GiB,
    ("/machine/q35", "above-4g-mem-size"): 2 * GiB,
    ("/machine/device-memory[0]", "addr"): 6 * GiB,
    ("/machine/device-memory[0]", "size"): 18 * GiB,
    ("/machine/unattached/device[0]", "vendor"): "GenuineIntel",
    ("/machine/unattached/device[0]", "phys-bits"): 40,
    ("/objects/mem-d0", "type"): "memory-backend-ram",
    ("/objects/mem-vm0", "type"): "memory-backend-ram",
    ("/machine/peripheral/vm0", "hotplugged"): True,
    ("/machine/peripheral/vm0/virtio-backend", "dynamic-memslots"): True,
    ("/machine/peripheral/vm0/virtio-backend", "unplugged-inaccessible"): "on",
    **{
        (f"/machine/peripheral/vm0/virtio-backend/memslot-{n}[0]", "size"): 2 * GiB
        for n in range(4)
    },
    ("/machine/peripheral/vm0/virtio-backend/memslot-0[0]", "container"): "/machine/x",
}
REPLIES: dict[str, Any] = {
    "query-version": {"qemu": {"major": 10, "minor": 0, "micro": 2}, "package": ""},
    "query-status": {"status": "running", "running": True},
    "query-kvm": {"enabled": False, "present": False},
    "query-memdev": [
        {"id": "mem-d0", "size": GiB, "share": False, "prealloc": False},
        {"id": "mem-vm0", "size": 8 * GiB, "share": False, "prealloc": False},
    ],
    "query-cpus-fast": [{"qom-path": "/machine/unattached/device[0]", "cpu-index": 0}],
    "query-memory-devices": [
        {
            "type": "dimm",
            "data": {
                "id": "d0",
                "memdev": "/objects/mem-d0",
                "addr": 6 * GiB,
                "size": GiB,
                "slot": 0,
                "hotplugged": False,
            },
        },
        {
            "type": "virtio-mem",
            "data": {
                "id": "vm0",
                "memdev": "/objects/mem-vm0",
                "memaddr": 8 * GiB,
                "size": 2 * GiB,
                "requested-size": 2 * GiB,
                "block-size": 2 << 20,
                "max-size": 8 * GiB,
            },
        },
    ],
    "query-chardev": [],
}


def answer(
    command: str,
    arguments: dict[str, Any],
    replies: dict[str, Any] | None = None,
    qom: dict[tuple[str, str], Any] | None = None,
) -> dict[str, Any]:
    """What the fake QEMU answers (an error for anything it does not know, as QEMU does)."""
    replies = REPLIES if replies is None else replies
    qom = QOM if qom is None else qom
    if command == "qom-get":
        key = (arguments.get("path"), arguments.get("property"))
        if key in qom:
            return {"return": qom[key]}
        return {"error": {"class": "DeviceNotFound", "desc": f"Device '{key[0]}' not found"}}
    if command == "qom-list":
        devices = replies["query-memory-devices"]
        present = {d["data"]["id"] for d in devices if isinstance(d, dict)}
        if arguments.get("path") == "/machine/peripheral/vm0/virtio-backend" and "vm0" in present:
            return {
                "return": [
                    {"name": f"memslot-{n}[0]", "type": "child<memory-region>"} for n in range(4)
                ]
            }
        if arguments.get("path") == "/machine/peripheral":
            return {
                "return": [{"name": "vm0", "type": "child<virtio-mem-pci>"}]
                if "vm0" in present
                else []
            }
        return {"return": []}
    if command in replies:
        return {"return": replies[command]}
    if command == HANDSHAKE:
        return {"return": {}}
    return {
        "error": {"class": "CommandNotFound", "desc": f"The command {command} has not been found"}
    }


class JsonStream:
    """Splits a byte stream into JSON values (QMP clients need not end messages with a
    newline: qemu.qmp does not)."""

    def __init__(self) -> None:
        self.buffer = ""
        self.decoder = json.JSONDecoder()

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self.buffer += chunk.decode()
        values = []
        while text := self.buffer.lstrip():
            try:
                value, end = self.decoder.raw_decode(text)
            except ValueError:
                break
            values.append(value)
            self.buffer = text[end:]
        return values


class FakeQemu:
    """A QMP server on a unix socket that records every command it receives."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.commands: list[str] = []
        self.replies = copy.deepcopy(REPLIES)
        self.qom = dict(QOM)
        self.conn: socket.socket | None = None
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        threading.Thread(target=self._serve, daemon=True).start()

    def unplug(self, ident: str) -> None:
        """The VM loses a memory device (as after a completed device_del)."""
        self.replies["query-memory-devices"] = [
            d for d in self.replies["query-memory-devices"] if d["data"]["id"] != ident
        ]

    def emit(self, name: str, data: dict[str, Any]) -> None:
        """Send a QMP event to the connected client."""
        event = {"event": name, "data": data, "timestamp": {"seconds": 0, "microseconds": 0}}
        with self.lock:
            assert self.conn is not None
            self.conn.sendall(json.dumps(event).encode() + b"\r\n")

    def _serve(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        self.conn = conn
        with conn:
            conn.sendall(
                b'{"QMP": {"version": {"qemu": {"major": 10, "minor": 0, "micro": 2}, '
                b'"package": ""}, "capabilities": ["oob"]}}\r\n'
            )
            stream = JsonStream()
            while chunk := conn.recv(65536):
                for message in stream.feed(chunk):
                    self.commands.append(message["execute"])
                    reply = answer(
                        message["execute"], message.get("arguments") or {}, self.replies, self.qom
                    )
                    if "id" in message:
                        reply["id"] = message["id"]
                    with self.lock:
                        conn.sendall(json.dumps(reply).encode() + b"\r\n")


def test_only_query_commands_reach_the_vm(tmp_path: Path) -> None:
    fake = FakeQemu(str(tmp_path / "qmp.sock"))
    state = run_sync(inspect_qmp(fake.path, timeout=5))
    assert fake.commands[0] == HANDSHAKE
    assert set(fake.commands[1:]) <= QUERY_COMMANDS
    assert {"query-memory-devices", "qom-list", "qom-get"} <= set(fake.commands)
    # ...and what it read is the VM: the dimm, the virtio-mem with 4 decided memslots, 1 used.
    assert [(d.id, d.kind, d.memslots, d.mapped) for d in state.memory] == [
        ("d0", "pc-dimm", 1, 1),
        ("vm0", "virtio-mem", 4, 1),
    ]
    machine = state.config.machine
    assert (machine.type, machine.accel, machine.ram, machine.maxmem) == (
        "q35",
        "tcg",
        4 * GiB,
        20 * GiB,
    )
    assert machine.qemu_version == "10.0.2" and machine.cpu_vendor == "intel"
    vm0 = state.config.device("vm0")
    assert vm0.requested_size == 2 * GiB and vm0.dynamic_memslots and vm0.memaddr == 8 * GiB
    assert [e.action for e in state.config.timeline] == ["cold", "hotplug"]
    assert state.config.machine.guest_plugs_memory  # plugged size == requested size
    # The fake's 4 memslots are not what QEMU decides for this machine: the engine says so.
    assert "vm0: QEMU decided 4 memslots, the engine 8" in state.disagreements


def test_read_only_refuses_before_sending() -> None:
    sent: list[str] = []

    class Recorder:
        async def execute(self, command: str, arguments: Any = None, *, timeout: float) -> Any:
            sent.append(command)
            return {}

        async def close(self) -> None:
            return None

    q = ReadOnly(Recorder())
    for command in ("device_add", "device_del", "qom-set", "quit", "human-monitor-command"):
        with pytest.raises(PermissionError):
            run_sync(q.query(command))
    assert sent == []


def _inspect(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tui", "inspect", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, time.monotonic() - started


def _server(path: str, behaviour: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def run() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        if behaviour == "garbage":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\nthis is not json\r\n")
            time.sleep(3)
        elif behaviour == "silent":
            time.sleep(5)
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    return server


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing", "no such socket"),
        ("file", "not a socket"),
        ("dir", "not a socket"),
        ("garbage", "not a usable QMP socket"),
        ("silent", "no QMP greeting within 1s"),
        ("closes", "not a usable QMP socket"),
        ("refused", "not a usable QMP socket"),
    ],
)
def test_bad_address_is_a_clear_message(
    tmp_path: Path, setup: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "qmp.sock"
    server = None
    if setup == "file":
        path.write_text("{}")
    elif setup == "dir":
        path.mkdir()
    elif setup in ("garbage", "silent", "closes"):
        server = _server(str(path), setup)
    elif setup == "refused":
        server = _server(str(path), "closes")
        server.close()  # the socket file stays, nobody listens
    started = time.monotonic()
    if setup == "garbage":  # once through the real program
        result, _ = _inspect("--qmp", f"unix:{path}", "--timeout", "1")
        code, out, err = result.returncode, result.stdout, result.stderr
    else:
        code = main(["inspect", "--qmp", f"unix:{path}", "--timeout", "1"])
        out, err = capsys.readouterr()
    seconds = time.monotonic() - started
    if server is not None:
        server.close()
    assert code == 2, (out, err)
    assert expected in err and str(path) in err
    assert "Traceback" not in err and out == ""
    assert seconds < 10


def test_virsh_missing_is_exit_3(tmp_path: Path) -> None:
    result, _ = _inspect("--virsh", "vm1", env={"PATH": str(tmp_path)})
    assert result.returncode == 3
    assert "virsh" in result.stderr and "not installed" in result.stderr


FAKE_VIRSH = """#!/bin/sh
# A fake `virsh qemu-monitor-command DOMAIN JSON`: the reply for JSON from a table (exact
# message first, else by command), every command logged.
[ "$1" = qemu-monitor-command ] && [ "$2" = vm1 ] || exit 2
name=$(printf '%s' "$3" | sed 's/^{"execute": "\\([^"]*\\)".*/\\1/')
printf '%s\\n' "$name" >> "$0.log"
reply=$(grep -F -x -A1 -- "$3" "$0.table" | sed -n 2p)
[ -n "$reply" ] || reply=$(grep -F -x -A1 -- "$name" "$0.table" | sed -n 2p)
[ -n "$reply" ] || reply='{"error": {"class": "GenericError", "desc": "not found"}}'
printf '%s\\n' "$reply"
"""


def _message(command: str, arguments: dict[str, Any] | None = None) -> str:
    """The JSON the inspector hands to virsh for one command."""
    message: dict[str, Any] = {"execute": command}
    if arguments:
        message["arguments"] = arguments
    return json.dumps(message)


def test_virsh_path_is_read_only_too(tmp_path: Path) -> None:
    """A fake virsh answering like libvirt's qemu-monitor-command; it logs what it is asked."""
    fake = tmp_path / "virsh"
    fake.write_text(FAKE_VIRSH)
    fake.chmod(0o755)
    table: list[str] = []
    for command in REPLIES:
        table += [command, json.dumps(answer(command, {}))]
    for path, prop in QOM:
        arguments = {"path": path, "property": prop}
        table += [_message("qom-get", arguments), json.dumps(answer("qom-get", arguments))]
    for path in ("/machine/peripheral/vm0/virtio-backend", "/machine/peripheral"):
        arguments = {"path": path}
        table += [_message("qom-list", arguments), json.dumps(answer("qom-list", arguments))]
    table += ["qom-list", json.dumps({"return": []})]
    Path(f"{fake}.table").write_text("\n".join(table) + "\n")
    result, _ = _inspect(
        "--virsh", "vm1", "--json", env={"PATH": f"{tmp_path}:{os.environ['PATH']}"}
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "virsh:vm1"
    assert [d["id"] for d in document["memory_devices"]] == ["d0", "vm0"]
    assert [d["memslots"] for d in document["memory_devices"]] == [1, 4]
    asked = Path(f"{fake}.log").read_text().split()
    assert "query-memory-devices" in asked and set(asked) <= QUERY_COMMANDS


def test_what_if_is_replayed_not_sent(tmp_path: Path) -> None:
    fake = FakeQemu(str(tmp_path / "qmp.sock"))
    out = tmp_path / "live.toml"
    result, _ = _inspect(
        "--qmp",
        f"unix:{fake.path}",
        "--hotplug",
        "virtio-mem,size=64G,dynamic-memslots=on",
        "-o",
        str(out),
    )
    # 64G does not fit in maxmem 20G: the engine says so; QEMU was never asked.
    assert result.returncode == 1, result.stderr
    assert "not enough space" in result.stdout
    assert "device_add" not in fake.commands and "object-add" not in fake.commands
    saved = out.read_text()
    assert 'device = "whatif1"' in saved and "hotplug" in saved


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_inspect_stopped_by_a_signal_ends_cleanly(tmp_path: Path, signum: int) -> None:
    """Waiting on a VM that never answers, then a signal: exit 128 + signal, no traceback."""
    path = tmp_path / "qmp.sock"
    server = _server(str(path), "silent")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "inspect", "--qmp", f"unix:{path}", "--timeout", "30"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=10)
    server.close()
    assert proc.returncode == 128 + signum, err
    assert b"Traceback" not in err and out == b""


def test_machine_outside_the_model_is_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeQemu(str(tmp_path / "qmp.sock"))
    fake.qom[("/machine", "type")] = "microvm-machine"
    assert main(["inspect", "--qmp", f"unix:{fake.path}", "--timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert "machine type 'microvm' is not modelled" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("query-memory-devices", {"not": "a list"}),
        ("query-memdev", "text"),
        ("query-version", [1, 2, 3]),
        ("query-cpus-fast", [{"qom-path": 7}]),
    ],
)
def test_odd_answers_are_a_clear_message(
    tmp_path: Path, command: str, reply: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """A peer that speaks QMP but answers what QEMU never would: exit 2, one line, no trace."""
    fake = FakeQemu(str(tmp_path / "qmp.sock"))
    fake.replies[command] = reply
    code = main(["inspect", "--qmp", f"unix:{fake.path}", "--timeout", "5"])
    _out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err
    assert code in (0, 2), err
    if code == 2:
        assert str(fake.path) in err and len(err.strip().splitlines()) == 1


def test_virsh_error_is_passed_on(tmp_path: Path) -> None:
    """virsh's own error (domain not running, libvirtd down) is the message, exit 2."""
    fake = tmp_path / "virsh"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'error: Requested operation is not valid: domain is not running' >&2\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    result, _ = _inspect("--virsh", "vm1", env={"PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert result.returncode == 2
    assert (
        "virsh:vm1: virsh: error: Requested operation is not valid: domain is not running"
        in result.stderr
    )
