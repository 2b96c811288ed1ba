"""Record a vhost-user-blk back-end restart on a real QEMU (verify does not drive restarts).

Why: a back-end that restarts (an SPDK or virtiofsd upgrade) is torn down by QEMU, limits
nothing while it is gone, and must pass every init check again when it reconnects, with
whatever memslot limit it now offers. This plays exactly that on a QEMU — a cold
vhost-user-blk back-end (ours, tui.qemu.vhost_user_backend) on a reconnecting chardev, DIMM
hotplugs, the back-end killed and started again with another limit — and appends what QEMU did
to tests/qemu/observed/qemu-<version>.json in the format tests/qemu/test_observed.py replays.

    python -m tests.qemu.record_restart --qemu PATH
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from tests.qemu.record import OBSERVED, SCHEMA, host_description
from tui.engine.model import Config
from tui.formats import qemu as qemu_format
from tui.qemu.launch import Processes, find_qemu, kvm_memslots, thp_size
from tui.qemu.qmp import QmpClient, QmpError

G = 1 << 30
SCENARIOS = {
    # name: (limit before, limit after the restart)
    "restart-blk-smaller-limit-refused": (32, 8),
    "restart-blk-init-check-fails": (3, 3),
    "restart-blk-upgraded-limit": (3, 64),
}
RECONNECT_WAIT = 2.0


def scenario_config(before: int, after: int, version: str, accel: str) -> Config:
    """The engine's side: the same machine, devices and events (no guest, this host)."""
    kvm = kvm_memslots() if accel == "kvm" else None
    machine: dict[str, Any] = {
        "ram": "1G",
        "slots": 6,
        "maxmem": "7G",
        "memory_backend": "memfd",
        "qemu_version": version,
        "accel": accel,
        "guest_plugs_memory": False,
        "host_thp_size": thp_size() or 2 << 20,
    }
    if kvm:
        machine["kvm_memslots"] = kvm
    dimms = [
        {"kind": "pc-dimm", "id": f"d{i}", "size": "1G", "backend": "memfd", "share": True}
        for i in range(4)
    ]
    return Config.model_validate(
        {
            "machine": machine,
            "memory_devices": dimms,
            "vhost_devices": [
                {"kind": "vhost-user", "id": "blk0", "device": "blk", "max_mem_slots": before}
            ],
            "timeline": [
                {"action": "cold", "device": "blk0"},
                {"action": "hotplug", "device": "d0"},
                {"action": "disconnect", "device": "blk0"},
                {"action": "hotplug", "device": "d1"},
                {"action": "reconnect", "device": "blk0", "max_mem_slots": after},
                {"action": "hotplug", "device": "d2"},
                {"action": "hotplug", "device": "d3"},
            ],
        }
    )


def _outcome(status: str, error: str | None = None) -> dict[str, Any]:
    return {
        "status": status,
        "error": error,
        "memslots": None,
        "address": None,
        "warnings": [],
        "warnings_read": False,
        "detail": "QMP; the reconnect's verdict from stderr",
    }


def play(info: Any, config: Config, after: int, accel: str) -> list[dict[str, Any]]:
    """QEMU's outcome of every event of `config` (see scenario_config for the order)."""
    option = "reconnect-ms=200" if info.version >= (9, 2, 0) else "reconnect=1"
    outcomes: list[dict[str, Any]] = []
    with Processes(prefix="memslot-verify-") as procs:
        sock = str(procs.tmpdir / "blk0.sock")
        before = config.vhost_devices[0].max_mem_slots  # type: ignore[union-attr]
        backend = procs.start_vhost_user_backend("vu-blk0", sock, before, True, config=True)
        qmp = str(procs.tmpdir / "qmp.sock")
        argv = qemu_format.command_line(
            config.model_copy(update={"timeline": ()}),
            accel=accel,
            qmp_socket=qmp,
            headless=True,
            binary=info.path,
        )
        argv += [
            "-chardev",
            f"socket,id={qemu_format.chardev_id('blk0')},path={sock},{option}",
            "-device",
            "vhost-user-blk-pci,id=blk0,chardev=chr-blk0,bus=pcie.0",
        ]
        qemu = procs.start("qemu", argv)
        client = QmpClient(qmp)
        client.connect(timeout=20, alive=qemu.alive)
        outcomes.append(_outcome("ok"))

        def dimm(index: int) -> dict[str, Any]:
            try:
                for command in qemu_format.event_commands(
                    config, config.timeline[[e.device for e in config.timeline].index(f"d{index}")]
                ):
                    client.execute(command["execute"], command.get("arguments"), timeout=20)
            except QmpError as exc:
                return _outcome("error", exc.desc)
            return _outcome("ok")

        outcomes.append(dimm(0))
        procs.stop(backend)
        if os.path.exists(sock):
            os.unlink(sock)
        time.sleep(RECONNECT_WAIT / 2)
        outcomes.append(_outcome("ok"))
        outcomes.append(dimm(1))
        seen = len(qemu.stderr())
        procs.start_vhost_user_backend("vu-blk0-2", sock, after, True, config=True)
        time.sleep(RECONNECT_WAIT)
        lines = [
            line.split(": ", 1)[1]
            for line in qemu.stderr()[seen:].splitlines()
            if ": " in line and "warning:" not in line
        ]
        outcomes.append(_outcome("error", lines[0]) if lines else _outcome("ok"))
        outcomes.append(dimm(2))
        outcomes.append(dimm(3))
        client.close()
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """Record every scenario on one QEMU (KVM when usable)."""
    parser = argparse.ArgumentParser(prog="python -m tests.qemu.record_restart")
    parser.add_argument("--qemu", required=True)
    args = parser.parse_args(argv)
    info = find_qemu(args.qemu)
    if not info.usable:
        print(f"record_restart: {info.reason}", file=sys.stderr)
        return 2
    accel = "kvm" if kvm_memslots() is not None else "tcg"
    path = OBSERVED / f"qemu-{info.version_string}.json"
    document: dict[str, Any] = (
        json.loads(path.read_text())
        if path.exists()
        else {"schema": SCHEMA, "qemu": info.version_text, "cases": {}}
    )
    for name, (before, after) in SCENARIOS.items():
        config = scenario_config(before, after, info.version_string, accel)
        events = play(info, config, after, accel)
        document["cases"][name] = {
            "engine_config": config.model_dump(mode="json"),
            "startup": _outcome("ok"),
            "events": events,
            "not_verifiable": [],
            "matched_at_recording": None,
            "host": host_description(accel),
        }
        print(name, [(e["status"], e["error"]) for e in events])
    document["cases"] = dict(sorted(document["cases"].items()))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1) + "\n")
    os.replace(tmp, Path(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
