"""Play a configuration on a real QEMU (no guest) and compare every event with the engine.

Why: the engine is a model of QEMU; this is how a user (and our test suite) checks it. The cold
part goes on the command line (a failed cold plug makes QEMU exit with the message on stderr,
prefixed by the `-device ...:` argument); each hot event goes over QMP. What QEMU decided is read
back: errors from the QMP `desc` (stderr for cold plugs and for a hung vhost-user netdev), and
virtio-mem memslots by counting the QOM children `memslot-<N>` of the device's virtio-backend.

The engine side is `replay(config)` for this host and this QEMU: no guest
(`guest_plugs_memory=False`), the QEMU version found, the accelerator used, KVM's real
KVM_CAP_NR_MEMSLOTS, the host's THP size. Devices this host cannot run are removed from both sides
and listed as "not verifiable here" with the reason.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tui.engine import replay
from tui.engine.kinds import MEMORY_KINDS, VHOST_KINDS, consumer_kind, is_netdev
from tui.engine.model import Config
from tui.engine.report import EventResult, Report
from tui.formats import qemu as qemu_format
from tui.qemu.launch import (
    DEFAULT_TIMEOUT,
    SUN_PATH_MAX,
    Processes,
    QemuInfo,
    Started,
    find_qemu,
    free_hugepages,
    kvm_memslots,
    parse_timeout,
    thp_size,
    vhost_max_mem_regions,
)
from tui.qemu.qmp import QmpCancelled, QmpClient, QmpClosed, QmpError, QmpTimeout

__all__ = [
    "Outcome",
    "QemuInfo",
    "VerifyResult",
    "VerifyRow",
    "find_qemu",
    "run_verify_cli",
    "verify",
]

Status = Literal["ok", "error", "pending", "skipped"]
UNPLUG_WAIT = 1.5
"""Seconds to wait for DEVICE_DELETED before calling an unplug pending (a powered-off PCIe slot
answers in milliseconds; ACPI and powered-on slots wait for a guest that never comes)."""
NETDEV_DEADLINE = 5.0
"""netdev_add answers in milliseconds unless QEMU loops reconnecting (the vhost-user hazard)."""
PREALLOC_LIMIT = 1 << 30
EXIT_OK, EXIT_MISMATCH, EXIT_UNUSABLE = 0, 1, 2


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class Outcome:
    """One side's verdict on one event."""

    status: Status
    error: str | None = None
    memslots: int | None = None
    address: int | None = None
    """Guest-physical address of a plugged memory device (pc-dimm `addr`, virtio `memaddr`)."""
    warnings: tuple[str, ...] = ()
    """warn_report() texts for this event (QEMU: stderr, without the "warning: " prefix)."""
    warnings_read: bool = True
    """False when QEMU hung or exited, so its warnings for this event could not be told apart."""
    detail: str = ""
    """How QEMU said it (e.g. "stderr; QMP never answered, QEMU killed")."""

    def text(self, width: int | None = None, address: bool = False) -> str:
        """Short human form for the table (`address`: append where the device landed)."""
        if self.status == "error":
            message = self.error or ""
            if width is not None and len(message) > width:
                message = message[: width - 1] + "…"
            return f"error: {message}"
        text: str = self.status
        if self.status == "ok" and self.memslots is not None:
            text = f"ok, {self.memslots} memslot{'s' if self.memslots != 1 else ''}"
        if address and self.address is not None:
            text += f" at 0x{self.address:x}"
        if address and self.warnings:
            text += "".join(f"; warning: {w}" for w in self.warnings)
        return text


@dataclass(frozen=True)
class VerifyRow:
    """One timeline event (index into the original timeline; -1 = QEMU start-up)."""

    index: int
    action: str
    device: str
    kind: str
    engine: Outcome | None
    qemu: Outcome | None
    """None: not verifiable here (see `note`)."""
    match: bool | None
    note: str = ""

    @property
    def label(self) -> str:
        """ "hotplug vm0" / "start"."""
        return "start" if self.index < 0 else f"{self.action} {self.device}"


@dataclass
class VerifyResult:
    """Engine vs QEMU for a whole configuration."""

    qemu: QemuInfo
    accel: str = ""
    rows: list[VerifyRow] = field(default_factory=list)
    not_verifiable: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    """QEMU unusable or the run itself failed: nothing was compared."""
    report: Report | None = None
    """The engine's replay that was compared (for this host and QEMU, unverifiable devices
    removed)."""
    engine_config: Config | None = None
    """The configuration `report` replays (recorded observations keep it)."""

    @property
    def mismatches(self) -> list[VerifyRow]:
        """Rows where engine and QEMU disagree."""
        return [row for row in self.rows if row.match is False]

    @property
    def ok(self) -> bool:
        """Everything that could be compared matches (rows not verifiable are listed apart)."""
        return self.error is None and not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`verify --json`)."""
        return {
            "ok": self.ok,
            "error": self.error,
            "qemu": {
                "path": self.qemu.path,
                "version": self.qemu.version_string,
                "reason": self.qemu.reason,
            },
            "accel": self.accel,
            "seconds": round(self.seconds, 3),
            "argv": self.argv,
            "rows": [
                {
                    "index": r.index,
                    "event": r.label,
                    "action": r.action,
                    "device": r.device,
                    "kind": r.kind,
                    "engine": asdict(r.engine) if r.engine else None,
                    "qemu": asdict(r.qemu) if r.qemu else None,
                    "match": r.match,
                    "note": r.note,
                }
                for r in self.rows
            ],
            "not_verifiable": [{"device": d, "reason": why} for d, why in self.not_verifiable],
            "notes": self.notes,
        }


# --------------------------------------------------------------------------- host checks

_hv_cache: dict[tuple[str, str, str], str | None] = {}


def _hyperv_reason(info: QemuInfo, accel: str, machine: str) -> str | None:
    """Why this QEMU/host cannot create a VMBus (needed by hv-balloon), or None if it can."""
    key = (info.path or "", accel, machine)
    if key in _hv_cache:
        return _hv_cache[key]
    argv = [
        info.path or "",
        "-S",
        "-nodefaults",
        "-display",
        "none",
        "-no-user-config",
        "-machine",
        machine,
        "-accel",
        accel,
        "-cpu",
        f"qemu64,{qemu_format.HYPERV_CPU_FLAGS}",
        "-device",
        "vmbus-bridge",
        "-qmp",
        "stdio",
    ]
    try:
        out = subprocess.run(
            argv,
            input='{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        lines = [ln for ln in out.stderr.splitlines() if "warning:" not in ln]
        reason = (
            None
            if out.returncode == 0
            else (
                "hv-balloon needs a VMBus with Hyper-V SynIC and VP_INDEX, which this host/QEMU "
                f"refuses: {lines[-1] if lines else f'exit {out.returncode}'}"
            )
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = f"could not probe Hyper-V support: {exc}"
    _hv_cache[key] = reason
    return reason


def _unverifiable(config: Config, info: QemuInfo, accel: str) -> dict[str, str]:
    """device id → why this host/QEMU cannot run it."""
    reasons: dict[str, str] = {}
    for device in config.memory_devices:
        if device.page_size > 4096 and device.size is not None:
            free = free_hugepages(device.page_size) * device.page_size
            if free < device.size:
                reasons[device.id] = (
                    f"needs {device.size >> 20} MiB of free "
                    f"{device.page_size >> 10} KiB hugepages, host has "
                    f"{free >> 20} MiB"
                )
        if device.prealloc and (device.size or 0) > PREALLOC_LIMIT:
            reasons[device.id] = "prealloc=on would allocate more than 1 GiB of host memory"
        if device.kind == "hv-balloon":
            why = _hyperv_reason(info, accel, config.machine.type)
            if why:
                reasons[device.id] = why
    for vhost in config.vhost_devices:
        if vhost.kind == "vhost-kernel":
            node = {
                "net": "/dev/vhost-net",
                "scsi": "/dev/vhost-scsi",
                "vsock": "/dev/vhost-vsock",
            }[vhost.device]
            if not os.path.exists(node):
                reasons[vhost.id] = f"vhost-kernel {vhost.device} needs {node}, absent here"
            elif vhost.device == "net" and not os.path.exists("/dev/net/tun"):
                reasons[vhost.id] = "vhost-net needs a tap device (/dev/net/tun), absent here"
        elif vhost.kind == "vhost-vdpa" and not os.path.exists("/dev/vhost-vdpa-0"):
            reasons[vhost.id] = "vhost-vdpa needs a vDPA device (/dev/vhost-vdpa-0), absent here"
        elif vhost.kind == "vhost-user" and vhost.max_mem_slots > 2**31 - 1:
            reasons[vhost.id] = "max_mem_slots beyond what the test back-end can announce"
    for event in config.timeline:
        if event.action in ("disconnect", "reconnect"):
            reasons[event.device] = (
                "its back-end restarts (disconnect/reconnect), which verify does not drive"
            )
    for consumer in config.consumers:
        if consumer_kind(consumer).driver:
            continue  # a real QEMU device (virtio-balloon): verify plugs it
        reasons[consumer.id] = (
            f"consumer kind {consumer.kind!r} is an abstract slot consumer "
            "with no QEMU command-line form"
        )
    return reasons


def _prepare(
    config: Config, drop: set[str], accel: str, info: QemuInfo, notes: list[str]
) -> tuple[Config, Config, list[int]]:
    """(config QEMU runs, config the engine replays, original index of each kept event)."""
    data = config.model_dump(mode="python")
    data["memory_devices"] = [d for d in data["memory_devices"] if d["id"] not in drop]
    data["vhost_devices"] = [d for d in data["vhost_devices"] if d["id"] not in drop]
    data["consumers"] = [d for d in data["consumers"] if d["id"] not in drop]
    kept = [i for i, e in enumerate(config.timeline) if e.device not in drop]
    data["timeline"] = [data["timeline"][i] for i in kept]
    data["expect"] = None
    run = Config.model_validate(data)

    machine = dict(data["machine"])
    machine.update(accel=accel, guest_plugs_memory=False, qemu_version=info.version_string)
    thp = thp_size()
    if thp:
        machine["host_thp_size"] = thp
    if accel == "kvm":
        slots = kvm_memslots()
        if slots is not None and slots != config.machine.kvm_memslots:
            notes.append(
                f"engine uses this host's KVM_CAP_NR_MEMSLOTS {slots} "
                f"(configuration says {config.machine.kvm_memslots})"
            )
            machine["kvm_memslots"] = slots
    if info.version_string != config.machine.qemu_version:
        notes.append(
            f"engine replays QEMU {info.version_string} rules (configuration says "
            f"{config.machine.qemu_version})"
        )
    regions = vhost_max_mem_regions()
    for vhost in data["vhost_devices"]:
        if vhost["kind"] == "vhost-kernel" and regions and vhost["max_mem_regions"] != regions:
            notes.append(f"{vhost['id']}: engine uses this host's max_mem_regions {regions}")
            vhost["max_mem_regions"] = regions
    engine = Config.model_validate({**data, "machine": machine})
    return run, engine, kept


# --------------------------------------------------------------------------- the run


_PREFIXED = re.compile(r"^[^:\s]*qemu-system[^:]*: -(device|object|netdev|chardev) (\S+?): (.*)$")


def _attribute_cold_failure(stderr: str) -> tuple[str | None, str]:
    """(device id or None, message) of the error a QEMU that exited at start-up printed."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        match = _PREFIXED.match(line)
        if match and not match.group(3).startswith("warning:"):
            option, arg, message = match.groups()
            ident = re.search(r"(?:^|,)id=([^,]+)", arg)
            device = ident.group(1) if ident else None
            if device and option == "object" and device.startswith("mem-"):
                device = device[4:]
            elif device and option == "chardev" and device.startswith("chr-"):
                device = device[4:]
            return device, message
    errors = [ln.split(": ", 1)[1] if ": " in ln else ln for ln in lines if "warning:" not in ln]
    return None, errors[-1] if errors else "QEMU exited without a message"


HOST_NOISE = ("host doesn't support requested feature", "Host physical bits")
"""Warnings about the host CPU, not about memory: never compared."""


def _warning_text(message: str) -> str | None:
    if not message.startswith("warning: "):
        return None
    text = message[len("warning: ") :].strip()
    return None if text.startswith(HOST_NOISE) else text


def _warnings(text: str) -> tuple[str, ...]:
    """Warnings in new stderr text (hot events): `qemu-system-x86_64: warning: ...` lines."""
    found: list[str] = []
    for line in text.splitlines():
        message = (
            line.split(": ", 1)[1]
            if ": " in line and "qemu-system" in line.split(": ", 1)[0]
            else line
        )
        warning = _warning_text(message.strip())
        if warning:
            found.append(warning)
    return tuple(found)


def _cold_warnings(stderr: str) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """Start-up stderr → (device id → its warnings, warnings not tied to a device)."""
    per_device: dict[str, list[str]] = {}
    general: list[str] = []
    for line in stderr.splitlines():
        match = _PREFIXED.match(line)
        if match:
            option, arg, message = match.groups()
            warning = _warning_text(message)
            ident = re.search(r"(?:^|,)id=([^,]+)", arg)
            if warning and ident:
                device = ident.group(1)
                if option in ("object", "chardev") and device.startswith(("mem-", "chr-")):
                    device = device[4:]
                per_device.setdefault(device, []).append(warning)
            continue
        general.extend(_warnings(line))
    return {k: tuple(v) for k, v in per_device.items()}, tuple(general)


def _first_error_line(text: str) -> str | None:
    """The message in new stderr text (hung netdev): not a hint, warning or retry line."""
    for line in text.splitlines():
        line = line.strip()
        if not line or "warning:" in line or line.startswith(("Try ", "failed to init")):
            continue
        if ": " in line and line.split(": ", 1)[0].endswith("qemu-system-x86_64"):
            line = line.split(": ", 1)[1]
        return line
    return None


_MEMORY_KINDS = tuple(MEMORY_KINDS)


def _observe(client: QmpClient, device: Any, timeout: float) -> Outcome:
    """What QEMU shows of a memory device it accepted: memslots (virtio-mem) and address."""
    address = None
    # the address property comes from the kinds registry (vhost devices have none);
    # hv-balloon's is not read back
    kind = MEMORY_KINDS.get(device.kind)
    prop = kind.address_property if kind is not None and device.kind != "hv-balloon" else None
    if prop is not None:
        address = client.execute(
            "qom-get",
            {"path": f"/machine/peripheral/{device.id}", "property": prop},
            timeout=timeout,
        )
    return Outcome(
        "ok",
        memslots=_memslots(client, device, timeout),
        address=address if isinstance(address, int) else None,
    )


def _memslots(client: QmpClient, device: Any, timeout: float) -> int | None:
    """virtio-mem: count memslot-<N> children (dynamic-memslots=off: none, so 1)."""
    if device.kind != "virtio-mem":
        return None
    props = client.execute(
        "qom-list", {"path": f"/machine/peripheral/{device.id}/virtio-backend"}, timeout=timeout
    )
    count = sum(1 for p in props if re.match(r"memslot-\d+", p.get("name", "")))
    return count if device.dynamic_memslots else max(count, 1)


def _engine_outcome(event: EventResult, device: Any) -> Outcome:
    if event.skipped:
        return Outcome("skipped")
    if not event.ok:
        return Outcome("error", event.error, warnings=tuple(event.warnings))
    if event.pending:
        return Outcome("pending", warnings=tuple(event.warnings))
    placed = event.action in ("cold", "hotplug")
    memslots = event.memslots if device.kind == "virtio-mem" and placed else None
    return Outcome(
        "ok",
        memslots=memslots,
        address=event.address if placed else None,
        warnings=tuple(event.warnings),
    )


def _same_error(engine: str | None, qemu: str | None) -> bool:
    if engine is None or qemu is None:
        return engine == qemu
    return engine == qemu or engine in qemu


def _compare(engine: Outcome, qemu: Outcome) -> bool:
    if engine.status != qemu.status:
        return False
    if (
        engine.status != "skipped"
        and qemu.warnings_read
        and sorted(engine.warnings) != sorted(qemu.warnings)
    ):
        return False
    if engine.status == "error":
        return _same_error(engine.error, qemu.error)
    if engine.status == "ok":
        if (
            engine.memslots is not None
            and qemu.memslots is not None
            and engine.memslots != qemu.memslots
        ):
            return False
        if (
            engine.address is not None
            and qemu.address is not None
            and engine.address != qemu.address
        ):
            return False
    return True


class _Runner:
    """Drives one QEMU through the timeline of `config`."""

    def __init__(
        self,
        config: Config,
        info: QemuInfo,
        accel: str,
        timeout: float,
        procs: Processes,
        progress: Callable[[str], None],
    ) -> None:
        self.config = config
        self.info = info
        self.accel = accel
        self.timeout = timeout
        self.procs = procs
        self.progress = progress
        self.qemu: Started | None = None
        self.client: QmpClient | None = None
        self.argv: list[str] = []
        self.cancel: threading.Event | None = None
        """verify's cancel event: a QMP wait in progress gives up when it is set."""
        self.wire: dict[str, str] = {}
        """Socket paths as the exporter names them → the (short) paths really used."""

    def socket(self, device_id: str) -> str:
        """Where a vhost-user device's back-end listens: `<tmpdir>/<id>.sock`, or a short
        `<tmpdir>/vu<N>.sock` (then relative to QEMU's working directory, the private
        directory) when that would not fit in a unix socket address."""
        named = qemu_format.socket_path(device_id, str(self.procs.tmpdir))
        if named not in self.wire:
            path = named
            if len(os.fsencode(path)) > SUN_PATH_MAX:
                path = str(self.procs.tmpdir / f"vu{len(self.wire)}.sock")
            if len(os.fsencode(path)) > SUN_PATH_MAX:
                path = f"vu{len(self.wire)}.sock"
            self.wire[named] = path
        return self.wire[named]

    def _rewrite(self, value: Any) -> Any:
        """argv / QMP arguments with every exporter socket path replaced by its wire path."""
        if isinstance(value, str):
            for named, path in self.wire.items():
                if named != path:
                    escaped = re.escape(f"path={named.replace(',', ',,')}")
                    value = re.sub(
                        escaped + r"(?=,(?!,)|$)", f"path={path}".replace("\\", "\\\\"), value
                    )
                    if value == named:
                        value = path
            return value
        if isinstance(value, list):
            return [self._rewrite(v) for v in value]
        if isinstance(value, dict):
            return {k: self._rewrite(v) for k, v in value.items()}
        return value

    def start_backends(self) -> None:
        """One back-end per vhost-user device, listening before QEMU connects."""
        for vhost in self.config.vhost_devices:
            if vhost.kind != "vhost-user":
                continue
            path = self.socket(vhost.id)
            if (
                vhost.device == "blk"
                and vhost.configure_mem_slots
                and vhost.max_mem_slots == 509
                and self.info.storage_daemon
            ):
                self.progress(f"starting qemu-storage-daemon for {vhost.id}")
                self.procs.start_storage_daemon(self.info.storage_daemon, f"qsd-{vhost.id}", path)
            else:
                self.progress(
                    f"starting vhost-user back-end for {vhost.id} ({vhost.max_mem_slots} slots)"
                )
                self.procs.start_vhost_user_backend(
                    f"vu-{vhost.id}",
                    path,
                    vhost.max_mem_slots,
                    vhost.configure_mem_slots,
                    config=vhost.device in ("blk", "vsock"),
                )
        for device in self.config.memory_devices:
            if device.backend == "file" and device.readonly:
                with open(qemu_format.file_path(device, str(self.procs.tmpdir)), "wb") as handle:
                    handle.truncate(device.size)

    def start_qemu(
        self, name: str = "qemu", extra: tuple[str, ...] = ()
    ) -> tuple[str | None, str] | None:
        """Start QEMU (`extra`: more options, e.g. a second QMP monitor for an inspector);
        None when it runs, else (device id or None, message) of its failure."""
        qmp = str(self.procs.tmpdir / f"{name}-qmp.sock")
        if len(os.fsencode(qmp)) > SUN_PATH_MAX:
            return None, (
                f"the private directory {self.procs.tmpdir} is too long for a QMP socket "
                f"(unix sockets take {SUN_PATH_MAX} bytes); set TMPDIR to a shorter directory"
            )
        for vhost in self.config.vhost_devices:
            if vhost.kind == "vhost-user":
                self.socket(vhost.id)
        self.argv = self._rewrite(
            qemu_format.command_line(
                self.config,
                accel=self.accel,
                qmp_socket=qmp,
                headless=True,
                socket_dir=str(self.procs.tmpdir),
                file_dir=str(self.procs.tmpdir),
                binary=self.info.path or qemu_format.QEMU_BINARY,
            )
        )
        self.argv += list(extra)
        self.progress("starting QEMU")
        self.qemu = self.procs.start(name, self.argv)
        self.client = QmpClient(qmp, cancel=self.cancel)
        try:
            self.client.connect(timeout=self.timeout, alive=self.qemu.alive)
            return None
        except (QmpClosed, QmpTimeout):
            try:
                self.qemu.popen.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.procs.stop(self.qemu)
                return None, f"QEMU neither started nor exited within {self.timeout:g}s"
            return _attribute_cold_failure(self.qemu.stderr())

    def kill_qemu(self) -> None:
        """Stop QEMU by its PID (after a hang)."""
        if self.client is not None:
            self.client.close()
        if self.qemu is not None:
            self.procs.stop(self.qemu)

    def _stderr_len(self) -> int:
        return len(self.qemu.stderr()) if self.qemu else 0

    def _try(self, command: dict[str, Any]) -> None:
        """Clean-up command: errors do not matter."""
        assert self.client is not None
        try:
            self.client.run(command, timeout=self.timeout)
        except QmpError:
            pass

    def hot_event(self, index: int) -> tuple[Outcome, bool]:
        """Play one hot event; (QEMU's outcome with its warnings, whether QEMU is usable)."""
        before = self._stderr_len()
        outcome, alive = self._hot_event(index)
        if alive and self.qemu is not None:
            warnings = _warnings(self.qemu.stderr()[before:])
            if warnings:
                outcome = replace(outcome, warnings=warnings)
        return outcome, alive

    def _hot_event(self, index: int) -> tuple[Outcome, bool]:
        assert self.client is not None
        event = self.config.timeline[index]
        device = self.config.device(event.device)
        commands = self._rewrite(
            qemu_format.event_commands(
                self.config,
                event,
                socket_dir=str(self.procs.tmpdir),
                file_dir=str(self.procs.tmpdir),
                headless=True,
            )
        )
        before = self._stderr_len()
        done: list[dict[str, Any]] = []
        try:
            for command in commands:
                name = command["execute"]
                if event.action == "unplug" and name != "device_del":
                    break  # the rest only after DEVICE_DELETED
                deadline = (
                    min(self.timeout, NETDEV_DEADLINE) if name == "netdev_add" else self.timeout
                )
                self.client.run(command, timeout=deadline)
                done.append(command)
        except QmpError as exc:
            self._undo(done)
            return Outcome("error", exc.desc, detail=f"QMP {exc.command}"), True
        except QmpCancelled:
            self.kill_qemu()
            return Outcome("skipped", detail="interrupted: cancelled"), False
        except QmpTimeout:
            text = self.qemu.stderr()[before:] if self.qemu else ""
            self.kill_qemu()
            message = _first_error_line(text)
            return Outcome(
                "error",
                message,
                warnings_read=False,
                detail="stderr; QMP never answered, QEMU killed by PID",
            ), False
        except QmpClosed:
            text = self.qemu.stderr()[before:] if self.qemu else ""
            self.kill_qemu()
            return Outcome(
                "error",
                _first_error_line(text) or "QEMU exited",
                warnings_read=False,
                detail="QEMU exited",
            ), False
        if event.action == "unplug":
            deleted = self.client.wait_event(
                "DEVICE_DELETED", timeout=UNPLUG_WAIT, match={"device": device.id}
            )
            if deleted is None:
                return Outcome("pending", detail="no DEVICE_DELETED without a guest"), True
            for command in commands[1:]:
                self._try(command)
            return Outcome("ok"), True
        if event.action == "hotplug":
            return _observe(self.client, device, self.timeout), True
        return Outcome("ok"), True

    def _undo(self, done: list[dict[str, Any]]) -> None:
        """Remove what a failed hotplug created (backend object, chardev, netdev)."""
        for command in reversed(done):
            arguments = command.get("arguments", {})
            name = command["execute"]
            if name == "object-add":
                self._try({"execute": "object-del", "arguments": {"id": arguments["id"]}})
            elif name == "chardev-add":
                self._try({"execute": "chardev-remove", "arguments": {"id": arguments["id"]}})
            elif name == "netdev_add":
                self._try({"execute": "netdev_del", "arguments": {"id": arguments["id"]}})


def verify(
    config: Config,
    *,
    qemu: str | None = None,
    accel: str | None = None,
    timeout: float = 30,
    progress: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> VerifyResult:
    """Run `config` on a real QEMU and compare each event with `replay`.

    Blocking; the app runs it in a worker thread. `progress` gets one line per step; setting
    `cancel` stops after the current step (QEMU and back-ends are stopped, the remaining events
    are reported as not reached).
    """
    started = time.monotonic()
    say = progress or (lambda _text: None)
    info = find_qemu(qemu)
    result = VerifyResult(qemu=info)
    if not info.usable:
        result.error = info.reason
        return result
    chosen = accel or config.machine.accel
    if chosen == "kvm" and kvm_memslots() is None:
        if accel == "kvm":
            result.error = "--accel kvm: /dev/kvm is not usable here"
            return result
        result.notes.append("no usable /dev/kvm: running under TCG (KVM checks do not apply)")
        chosen = "tcg"
    result.accel = chosen

    used = {event.device for event in config.timeline}
    reasons = {k: v for k, v in _unverifiable(config, info, chosen).items() if k in used}
    result.not_verifiable = sorted(reasons.items())
    run_config, engine_config, kept = _prepare(config, set(reasons), chosen, info, result.notes)
    if reasons:
        result.notes.append(
            "devices not verifiable here were removed from both QEMU and the "
            "engine replay; the other events are compared without them"
        )
    report = replay(engine_config)

    result.report = report
    result.engine_config = engine_config
    try:
        qemu_rows = _run(run_config, info, chosen, timeout, say, result, cancel)
    except QmpCancelled:
        # Every process was stopped on the way out of _run; nothing is compared.
        result.error = "cancelled"
        result.seconds = time.monotonic() - started
        return result
    _fill_rows(result, config, run_config, report, kept, qemu_rows, reasons)
    result.seconds = time.monotonic() - started
    return result


def _run(
    config: Config,
    info: QemuInfo,
    accel: str,
    timeout: float,
    say: Callable[[str], None],
    result: VerifyResult,
    cancel: threading.Event | None = None,
) -> dict[int, Outcome]:
    """QEMU's outcome per event index of `config` (-1: start-up)."""
    outcomes: dict[int, Outcome] = {}
    with Processes() as procs, contextlib.ExitStack() as on_exit:
        runner = _Runner(config, info, accel, timeout, procs, say)
        on_exit.callback(runner.kill_qemu)  # also on a signal: no QMP session left open
        runner.cancel = cancel
        try:
            runner.start_backends()
        except RuntimeError as exc:
            result.error = f"could not start a vhost-user back-end: {exc}"
            return outcomes
        failure = runner.start_qemu()
        result.argv = runner.argv
        cold = [i for i, e in enumerate(config.timeline) if e.action == "cold"]
        if failure is not None:
            device_id, message = failure
            failed_at = next((i for i in cold if config.timeline[i].device == device_id), None)
            if failed_at is None:
                outcomes[-1] = Outcome(
                    "error", message, warnings_read=False, detail="stderr at start-up"
                )
                for i in range(len(config.timeline)):
                    outcomes[i] = Outcome("skipped")
                return outcomes
            outcomes[-1] = Outcome("ok", warnings_read=False)
            reached = _reached_before(config, cold, failed_at)
            observed = _prefix_observe(config, reached, info, accel, timeout, procs, say)
            for i in range(len(config.timeline)):
                if i in reached:
                    outcomes[i] = (
                        replace(observed[i], warnings_read=False)
                        if i in observed
                        else Outcome(
                            "ok",
                            warnings_read=False,
                            detail="QEMU exited later; memslots and address not read",
                        )
                    )
                elif i == failed_at:
                    outcomes[i] = Outcome(
                        "error", message, warnings_read=False, detail="stderr (QEMU exited 1)"
                    )
                else:
                    outcomes[i] = Outcome("skipped")
            return outcomes
        assert runner.client is not None and runner.qemu is not None
        per_device, general = _cold_warnings(runner.qemu.stderr())
        outcomes[-1] = Outcome("ok", warnings=general)
        for i in cold:
            device = config.device(config.timeline[i].device)
            outcomes[i] = replace(
                _observe(runner.client, device, timeout), warnings=per_device.get(device.id, ())
            )
        alive = True
        for i, event in enumerate(config.timeline):
            if event.action == "cold":
                continue
            if cancel is not None and cancel.is_set():
                outcomes[i] = Outcome("skipped", detail="not reached: cancelled")
                continue
            if not alive:
                outcomes[i] = Outcome("skipped", detail="not reached: QEMU had to be stopped")
                continue
            say(f"event {i + 1}/{len(config.timeline)}: {event.action} {event.device}")
            outcomes[i], alive = runner.hot_event(i)
        runner.kill_qemu()
    return outcomes


def _is_netdev(device: Any) -> bool:
    return device.kind in VHOST_KINDS and is_netdev(device)


def _reached_before(config: Config, cold: list[int], failed_at: int) -> list[int]:
    """Cold events QEMU completed before the one that made it exit, in QEMU's start-up order:
    every `-netdev` is created before the machine and every `-device`."""
    failed = config.device(config.timeline[failed_at].device)
    netdevs = [i for i in cold if _is_netdev(config.device(config.timeline[i].device))]
    if _is_netdev(failed):
        return [i for i in netdevs if i < failed_at]
    others = [i for i in cold if i < failed_at and i not in netdevs]
    return sorted([*netdevs, *others])


def _prefix_observe(
    config: Config,
    reached: list[int],
    info: QemuInfo,
    accel: str,
    timeout: float,
    procs: Processes,
    say: Callable[[str], None],
) -> dict[int, Outcome]:
    """A cold plug failed: rerun QEMU with only the cold plugs QEMU completed before it, to read
    what those memory devices got (memslots, address). Empty when nothing to read or it fails."""
    earlier = [config.timeline[i] for i in reached]
    if not any(config.device(e.device).kind in _MEMORY_KINDS for e in earlier):
        return {}
    say("rerunning QEMU without the failed cold plug to read what the others got")
    runner = _Runner(
        config.model_copy(update={"timeline": tuple(earlier)}), info, accel, timeout, procs, say
    )
    try:
        if runner.start_qemu("qemu-prefix") is not None or runner.client is None:
            return {}
        return {
            i: _observe(runner.client, config.device(e.device), timeout)
            for i, e in zip(reached, earlier, strict=True)
        }
    except (QmpError, QmpTimeout, QmpClosed):
        return {}
    finally:
        runner.kill_qemu()


def _fill_rows(
    result: VerifyResult,
    original: Config,
    run_config: Config,
    report: Report,
    kept: list[int],
    qemu: dict[int, Outcome],
    reasons: dict[str, str],
) -> None:
    if not qemu:  # the run failed before QEMU started
        return
    engine_start = Outcome("error", report.startup_error) if report.startup_error else Outcome("ok")
    start = qemu.get(-1, Outcome("ok"))
    result.rows.append(
        VerifyRow(
            -1, "start", "", "", engine_start, start, _compare(engine_start, start), start.detail
        )
    )
    by_original = {orig: i for i, orig in enumerate(kept)}
    for orig_index, event in enumerate(original.timeline):
        device = original.device(event.device)
        kind = getattr(device, "kind", "")
        if orig_index not in by_original:
            result.rows.append(
                VerifyRow(
                    orig_index,
                    event.action,
                    event.device,
                    kind,
                    None,
                    None,
                    None,
                    f"not verifiable here: {reasons[event.device]}",
                )
            )
            continue
        i = by_original[orig_index]
        engine = _engine_outcome(report.events[i], run_config.device(event.device))
        side = qemu.get(i)
        if side is None:
            result.rows.append(
                VerifyRow(
                    orig_index,
                    event.action,
                    event.device,
                    kind,
                    engine,
                    None,
                    None,
                    "QEMU gave no answer",
                )
            )
            continue
        if side.status == "skipped" and engine.status != "skipped" and side.detail:
            result.rows.append(
                VerifyRow(
                    orig_index, event.action, event.device, kind, engine, side, None, side.detail
                )
            )
            continue
        result.rows.append(
            VerifyRow(
                orig_index,
                event.action,
                event.device,
                kind,
                engine,
                side,
                _compare(engine, side),
                side.detail,
            )
        )


# --------------------------------------------------------------------------- CLI


def format_table(result: VerifyResult, width: int = 56) -> str:
    """The human table: event · engine says · QEMU says · match, then details."""
    lines: list[str] = []
    version = result.qemu.version_string or "?"
    lines.append(
        f"QEMU {version} ({result.qemu.path}), accel {result.accel}, {result.seconds:.1f}s"
    )
    if result.error:
        lines.append(f"error: {result.error}")
    header = ("#", "event", "engine says", "QEMU says", "match")
    table: list[tuple[str, ...]] = [header]
    for row in result.rows:
        engine = row.engine.text(width) if row.engine else "-"
        qemu = row.qemu.text(width) if row.qemu else "not verifiable here"
        mark = {True: "yes", False: "NO", None: "-"}[row.match]
        table.append(("" if row.index < 0 else str(row.index + 1), row.label, engine, qemu, mark))
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    for r in table:
        lines.append("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(r)).rstrip())
    for row in result.mismatches:
        lines.append("")
        lines.append(f"mismatch at {row.label}:")
        lines.append(f"  engine: {row.engine.text(address=True) if row.engine else '-'}")
        lines.append(
            f"  QEMU:   {row.qemu.text(address=True) if row.qemu else '-'}"
            + (f"  ({row.qemu.detail})" if row.qemu and row.qemu.detail else "")
        )
    if result.not_verifiable:
        lines.append("")
        lines.append("not verifiable here:")
        lines += [f"  {device}: {why}" for device, why in result.not_verifiable]
    unanswered = [row for row in result.rows if row.match is None and row.qemu is not None]
    if unanswered:
        lines.append("")
        lines.append("not compared:")
        lines += [f"  {row.label}: {row.note}" for row in unanswered]
    if result.notes:
        lines.append("")
        lines += [f"note: {note}" for note in result.notes]
    matched = sum(1 for r in result.rows if r.match)
    lines.append("")
    lines.append(
        f"{matched} matched, {len(result.mismatches)} mismatched, "
        f"{sum(1 for r in result.rows if r.match is None)} not compared"
    )
    return "\n".join(lines)


def run_verify_cli(args: argparse.Namespace) -> int:
    """`memslot-explorer verify FILE [--qemu PATH] [--accel kvm|tcg] [--json] [--timeout S]`:
    0 all match, 1 a mismatch, 2 bad input or no usable QEMU."""
    from tui.formats.toml import ConfigError, load

    try:
        config = load(args.file)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    qemu = str(args.qemu) if getattr(args, "qemu", None) else None
    raw = getattr(args, "timeout", None)
    try:
        timeout = DEFAULT_TIMEOUT if raw is None else parse_timeout(str(raw))
    except ValueError as exc:
        print(f"verify: --timeout: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    as_json = bool(getattr(args, "json", False))
    progress = None if as_json else (lambda text: print(f"… {text}", file=sys.stderr))
    try:
        result = verify(
            config,
            qemu=qemu,
            accel=getattr(args, "accel", None),
            timeout=timeout,
            progress=progress,
        )
    except KeyboardInterrupt as exc:
        print("verify: interrupted (every process started was stopped)", file=sys.stderr)
        return 128 + int(getattr(exc, "signum", 2))
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    elif result.error:
        print(f"verify: {result.error}", file=sys.stderr)
    else:
        print(format_table(result))
    if result.error:
        return EXIT_UNUSABLE
    return EXIT_OK if result.ok else EXIT_MISMATCH


def _main() -> int:  # pragma: no cover - convenience: python -m tui.qemu.verify FILE
    parser = argparse.ArgumentParser(prog="python -m tui.qemu.verify")
    parser.add_argument("file", type=Path)
    parser.add_argument("--qemu")
    parser.add_argument("--accel", choices=("kvm", "tcg"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--timeout", type=float)
    return run_verify_cli(parser.parse_args())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
