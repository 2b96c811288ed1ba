"""Benchmark: QMP through qemu.qmp (tui.qemu.qmp) against a bare blocking socket client.

Run: python bench/qmp_client.py   (needs qemu-system-x86_64 >= 8.2; prints medians in ms)

The baseline is what the former hand-written client did: one blocking unix socket, one JSON
line out, read until the reply. Measured on the same QEMU in the same run: connect + greeting +
qmp_capabilities, one qom-get, a qom-list of a virtio-mem device with 16 memslots, a whole
`inspect` reading of that VM, and of one with 32 DIMMs and a 64-memslot virtio-mem.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tui.engine.model import Config
from tui.qemu.inspect import inspect_qmp
from tui.qemu.launch import Processes, kvm_memslots
from tui.qemu.qmp import QmpClient
from tui.qemu.verify import _Runner, find_qemu

ROUNDS = 200


class RawClient:
    """The baseline: blocking socket, newline-delimited JSON, no library."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.buffer = b""
        self._read()
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)  # type: ignore[no-any-return]

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            reply = self._read()
            if "return" in reply or "error" in reply:
                return reply.get("return")

    def close(self) -> None:
        self.sock.close()


def median_ms(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    info = find_qemu()
    if not info.usable:
        print(f"skipped: {info.reason}")
        return 0
    config = Config.model_validate(
        {
            "machine": {"ram": "2G", "maxmem": "18G"},
            "memory_devices": [
                {"kind": "virtio-mem", "id": "vm0", "size": "16G", "dynamic_memslots": True}
            ],
        }
    )
    with Processes(prefix="memslot-bench-") as procs:
        accel = "kvm" if kvm_memslots() is not None else "tcg"
        runner = _Runner(config, info, accel, 10, procs, lambda _t: None)
        monitor = str(procs.tmpdir / "bench.sock")
        assert runner.start_qemu(extra=("-qmp", f"unix:{monitor},server=on,wait=off")) is None
        get = {"path": "/machine", "property": "type"}
        lst = {"path": "/machine/peripheral/vm0/virtio-backend"}

        def connect_lib() -> None:
            client = QmpClient(monitor)
            client.connect(timeout=10)
            client.close()

        def connect_raw() -> None:
            RawClient(monitor).close()

        rows = [("connect + negotiate", median_ms(connect_lib, 50), median_ms(connect_raw, 50))]
        lib = QmpClient(monitor)
        lib.connect(timeout=10)
        rows.append(("qom-get", median_ms(lambda: lib.execute("qom-get", get)), 0.0))
        rows.append(
            ("qom-list (16 memslots)", median_ms(lambda: lib.execute("qom-list", lst)), 0.0)
        )
        lib.close()
        raw = RawClient(monitor)
        rows[1] = (rows[1][0], rows[1][1], median_ms(lambda: raw.execute("qom-get", get)))
        rows[2] = (rows[2][0], rows[2][1], median_ms(lambda: raw.execute("qom-list", lst)))
        raw.close()
        whole = median_ms(lambda: asyncio.run(inspect_qmp(monitor, timeout=10)), 20)
        runner.kill_qemu()
        big = Config.model_validate(
            {
                "machine": {"ram": "2G", "slots": 32, "maxmem": "70G"},
                "memory_devices": [
                    *({"kind": "pc-dimm", "id": f"d{i}", "size": "128M"} for i in range(32)),
                    {"kind": "virtio-mem", "id": "vm0", "size": "64G", "dynamic_memslots": True},
                ],
            }
        )
        runner = _Runner(big, info, accel, 10, procs, lambda _t: None)
        monitor = str(procs.tmpdir / "big.sock")
        assert (
            runner.start_qemu("big", extra=("-qmp", f"unix:{monitor},server=on,wait=off")) is None
        )
        large = median_ms(lambda: asyncio.run(inspect_qmp(monitor, timeout=10)), 5)
        runner.kill_qemu()
    print(f"{'':26}{'qemu.qmp':>10}{'raw socket':>12}   (median ms, QEMU {info.version_string})")
    for name, lib_ms, raw_ms in rows:
        print(f"{name:26}{lib_ms:10.3f}{raw_ms:12.3f}")
    print(f"{'inspect (whole VM)':26}{whole:10.3f}{'-':>12}")
    print(f"{'inspect (32 DIMMs + vmem)':26}{large:10.3f}{'-':>12}   (33 devices, 64+32 memslots)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
