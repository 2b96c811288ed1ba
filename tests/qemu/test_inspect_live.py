"""`inspect` against real QEMUs started by the project's own exporter and changed over QMP.

Every scenario: start QEMU with a second QMP monitor, play the setup events (hotplug, resize,
unplug), inspect through a recording proxy, then check that
- only commands of the allowlist reached QEMU (read-only by construction and by observation);
- the inspected configuration replays to what QEMU shows (decided memslots per device, used
  memslots, the device-memory base: `disagreements` is empty), with the devices QEMU still has,
  their sizes, requested sizes and (virtio-mem) the memslots `verify` read at plug time;
- when the scenario has a `next` device: the engine's what-if (that hotplug appended after the
  live state) says what QEMU then really does with it (same verdict, same message, same memslots).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import ValidationError

from tests.qemu.test_differential import EXTRA, SEEDS, generate
from tests.qemu.test_inspect import JsonStream
from tests.qemu.timelines import events as _ev
from tui.engine.model import Config
from tui.qemu.inspect import (
    HANDSHAKE,
    QUERY_COMMANDS,
    LiveSession,
    LiveState,
    inspect_qmp,
    with_hotplug,
)
from tui.qemu.launch import Processes, kvm_memslots
from tui.qemu.verify import Outcome, _Runner, _same_error

pytestmark = pytest.mark.qemu

ACCEL = os.environ.get("MEMSLOT_QEMU_ACCEL") or ("kvm" if kvm_memslots() is not None else "tcg")
"""KVM when this host has a usable /dev/kvm, else TCG (MEMSLOT_QEMU_ACCEL forces one)."""
MEMFD = {"backend": "memfd", "share": True}


def _vmem(ident: str, size: str, dynamic: bool = True, **extra: Any) -> dict[str, Any]:
    return {"kind": "virtio-mem", "id": ident, "size": size, "dynamic_memslots": dynamic, **extra}


def _dimm(ident: str, size: str = "1G", **extra: Any) -> dict[str, Any]:
    return {"kind": "pc-dimm", "id": ident, "size": size, **extra}


def _vu(ident: str, slots: int | None, device: str = "fs") -> dict[str, Any]:
    """A vhost-user device; `slots` None: a back-end without CONFIGURE_MEM_SLOTS (QEMU: 8)."""
    return {
        "kind": "vhost-user",
        "id": ident,
        "device": device,
        "max_mem_slots": slots or 8,
        "configure_mem_slots": slots is not None,
    }


SCENARIOS: dict[str, dict[str, Any]] = {
    "dimms-cold": {
        "machine": {"ram": "2G", "slots": 4, "maxmem": "6G"},
        "memory_devices": [_dimm("d0"), _dimm("d1"), _dimm("d2")],
        "timeline": _ev("cold:d0", "cold:d1"),
        "next": "d2",
    },
    "dimm-hotplugged-then-vmem": {
        "machine": {"ram": "2G", "slots": 2, "maxmem": "12G"},
        "memory_devices": [_dimm("d0"), _dimm("d1"), _vmem("vm0", "4G")],
        "timeline": _ev("cold:d0", "hotplug:d1"),
        "next": "vm0",
    },
    "vmem-dynamic-16G-then-8G": {
        "machine": {"ram": "4G", "maxmem": "36G"},
        "memory_devices": [_vmem("vm0", "16G"), _vmem("vm1", "8G")],
        "timeline": _ev("cold:vm0"),
        "next": "vm1",
    },
    "vmem-dynamic-off-then-on": {
        "machine": {"ram": "2G", "maxmem": "34G"},
        "memory_devices": [_vmem("vm0", "8G", dynamic=False), _vmem("vm1", "16G")],
        "timeline": _ev("cold:vm0"),
        "next": "vm1",
    },
    "virtiofsd-509-then-32-refused": {
        "machine": {"ram": "2G", "maxmem": "18G", "memory_backend": "memfd"},
        "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
        "vhost_devices": [_vu("fs0", 509), _vu("fs1", 32)],
        "timeline": _ev("cold:fs0", "cold:vm0"),
        "next": "fs1",
    },
    "virtiofsd-32-before-vmem": {
        "machine": {"ram": "2G", "slots": 2, "maxmem": "20G", "memory_backend": "memfd"},
        "memory_devices": [_vmem("vm0", "16G", **MEMFD), _dimm("d0", **MEMFD)],
        "vhost_devices": [_vu("fs0", 32)],
        "timeline": _ev("cold:fs0", "cold:vm0"),
        "next": "d0",
    },
    "vhost-user-net-baseline-8": {
        "machine": {"ram": "2G", "maxmem": "26G", "memory_backend": "memfd"},
        "memory_devices": [_vmem("vm0", "16G", **MEMFD), _vmem("vm1", "8G", **MEMFD)],
        "vhost_devices": [_vu("net0", None, "net")],
        "timeline": _ev("cold:net0", "cold:vm0"),
        "next": "vm1",
    },
    "two-vmems-then-a-third": {
        "machine": {"ram": "4G", "maxmem": "60G"},
        "memory_devices": [_vmem("vm0", "32G"), _vmem("vm1", "16G"), _vmem("vm2", "8G")],
        "timeline": _ev("cold:vm0", "hotplug:vm1"),
        "next": "vm2",
    },
    "nvdimm-and-dimm": {
        "machine": {"ram": "1G", "slots": 3, "maxmem": "4G", "nvdimm": True},
        "memory_devices": [
            {
                "kind": "nvdimm",
                "id": "nv0",
                "size": "1G",
                "backend": "file",
                "share": True,
                "label_size": "128K",
            },
            _dimm("d0"),
            _dimm("d1"),
        ],
        "timeline": _ev("cold:nv0", "hotplug:d0"),
        "next": "d1",
    },
    "virtio-pmem-hotplugged": {
        "machine": {"ram": "1G", "maxmem": "6G"},
        "memory_devices": [
            {"kind": "virtio-pmem", "id": "pm0", "size": "1G", **MEMFD},
            _vmem("vm0", "4G"),
        ],
        "timeline": _ev("hotplug:pm0"),
        "next": "vm0",
    },
    "pc-machine-dimms-vhost-user-8": {
        "machine": {
            "type": "pc",
            "ram": "1G",
            "slots": 4,
            "maxmem": "5G",
            "memory_backend": "memfd",
        },
        "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(4)],
        "vhost_devices": [_vu("fs0", None)],
        "timeline": _ev("cold:fs0", "cold:d0", "cold:d1", "hotplug:d2"),
        "next": "d3",
    },
    "storage-daemon-509-blk": {
        "machine": {"ram": "2G", "maxmem": "34G", "memory_backend": "memfd"},
        "memory_devices": [_vmem("vm0", "16G", **MEMFD), _vmem("vm1", "8G", **MEMFD)],
        "vhost_devices": [_vu("blk0", 509, "blk")],
        "timeline": _ev("cold:blk0", "cold:vm0"),
        "next": "vm1",
    },
    "dimm-unplug-pending": {
        "machine": {"ram": "1G", "slots": 3, "maxmem": "4G"},
        "memory_devices": [_dimm("d0"), _dimm("d1"), _dimm("d2")],
        "timeline": _ev("cold:d0", "cold:d1", "unplug:d0"),
        "next": "d2",
    },
    "ten-dimms-then-vmem-fractional": {
        "machine": {"ram": "2G", "slots": 10, "maxmem": "44G"},
        "memory_devices": [*(_dimm(f"d{i}") for i in range(10)), _vmem("vm0", "20G")],
        "timeline": _ev(
            *(f"cold:d{i}" for i in range(6)), *(f"hotplug:d{i}" for i in range(6, 10))
        ),
        "next": "vm0",
    },
    "vmem-requested-at-cold-no-guest": {
        "machine": {"ram": "2G", "maxmem": "18G"},
        "memory_devices": [_vmem("vm0", "8G", requested_size="2G"), _vmem("vm1", "8G")],
        "timeline": _ev("cold:vm0"),
        "next": "vm1",
    },
    "hotplugged-vmem-unplugged-at-once": {
        "machine": {"ram": "2G", "maxmem": "18G"},
        "memory_devices": [_vmem("vm0", "8G"), _vmem("vm1", "8G"), _vmem("vm2", "8G")],
        "timeline": _ev("cold:vm0", "hotplug:vm1", "unplug:vm1"),
        "next": "vm2",
    },
    "resized-vmem-cannot-unplug": {
        "machine": {"ram": "2G", "maxmem": "18G"},
        "memory_devices": [_vmem("vm0", "8G"), _vmem("vm1", "4G")],
        "timeline": _ev("hotplug:vm0", "resize:vm0:2G", "unplug:vm0"),
        "next": "vm1",
    },
}


class RecordingProxy:
    """A unix socket that forwards to QEMU's and records every command a client sends."""

    def __init__(self, target: str, path: str) -> None:
        self.target = target
        self.path = path
        self.commands: list[str] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        stream = JsonStream()
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
                if record:
                    self.commands += [message["execute"] for message in stream.feed(chunk)]
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


def _limits(config: Config) -> dict[str, int | None]:
    return {
        v.id: (v.max_mem_slots if v.configure_mem_slots else None)
        for v in config.vhost_devices
        if v.kind == "vhost-user"
    }


@contextmanager
def _live_vm(config: Config, qemu_info: Any) -> Iterator[tuple[_Runner, str]]:
    with Processes(prefix="memslot-inspect-") as procs:
        runner = _Runner(config, qemu_info, ACCEL, 10, procs, lambda _text: None)
        runner.start_backends()
        monitor = str(procs.tmpdir / "insp.sock")
        failure = runner.start_qemu(extra=("-qmp", f"unix:{monitor},server=on,wait=off"))
        assert failure is None, failure
        proxy = RecordingProxy(monitor, str(procs.tmpdir / "proxy.sock"))
        try:
            yield runner, proxy.path
        finally:
            proxy.close()
            assert proxy.commands and proxy.commands[0] == HANDSHAKE
            assert "query-memory-devices" in proxy.commands
            assert not [c for c in proxy.commands if c not in QUERY_COMMANDS | {HANDSHAKE}], (
                proxy.commands
            )
            runner.kill_qemu()


def _inspect(path: str, config: Config) -> LiveState:
    return asyncio.run(inspect_qmp(path, timeout=10, vhost_limits=_limits(config)))


def _expected_present(config: Config, outcomes: dict[int, Outcome]) -> set[str]:
    """Devices QEMU must still have after the setup events."""
    present: set[str] = set()
    for index, event in enumerate(config.timeline):
        outcome = outcomes.get(index)
        if event.action == "cold" or (
            event.action == "hotplug" and outcome is not None and outcome.status == "ok"
        ):
            present.add(event.device)
        elif event.action == "unplug" and outcome is not None and outcome.status == "ok":
            present.discard(event.device)
    return present


def _check_state(
    config: Config, state: LiveState, outcomes: dict[int, Outcome], plugged_memslots: dict[str, int]
) -> None:
    assert state.disagreements == [], state.disagreements
    present = _expected_present(config, outcomes)
    seen = {d.id for d in state.memory} | {v.id for v in state.vhost}
    assert seen == present
    requested = {d.id: getattr(d, "requested_size", None) for d in config.memory_devices}
    for index, event in enumerate(config.timeline):
        if event.action == "resize" and outcomes[index].status == "ok":
            requested[event.device] = event.requested_size
    for live in state.memory:
        original = config.device(live.id)
        assert live.kind == original.kind and live.size == original.size
        model = state.config.device(live.id)
        if live.kind == "virtio-mem":
            assert model.requested_size == requested[live.id]
            assert model.dynamic_memslots == original.dynamic_memslots
            if live.id in plugged_memslots:
                assert live.memslots == plugged_memslots[live.id]
            # No guest ever ran: dynamic memslots are all reserved; without them the memdev is
            # mapped whole at plug time (one used memslot).
            assert live.mapped == (0 if original.dynamic_memslots else 1)
    for vhost in state.vhost:
        assert vhost.kind == config.device(vhost.id).kind


def _setup(config: Config, runner: _Runner) -> tuple[dict[int, Outcome], dict[str, int]]:
    """Play the non-cold events; QEMU's outcomes and the virtio-mem memslots read at plug."""
    outcomes: dict[int, Outcome] = {}
    memslots: dict[str, int] = {}
    for index, event in enumerate(config.timeline):
        if event.action == "cold":
            continue
        outcome, alive = runner.hot_event(index)
        assert alive
        outcomes[index] = outcome
        if event.action == "hotplug" and outcome.memslots is not None:
            memslots[event.device] = outcome.memslots
    return outcomes, memslots


def _device_dict(config: Config, ident: str) -> dict[str, Any]:
    return config.device(ident).model_dump(mode="python")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_inspect_matches_qemu(name: str, qemu_info) -> None:
    scenario = dict(SCENARIOS[name])
    upcoming = scenario.pop("next", None)
    full = Config.model_validate(
        {**scenario, "timeline": [*scenario["timeline"], *_ev(f"hotplug:{upcoming}")]}
        if upcoming
        else scenario
    )
    setup = full.model_copy(update={"timeline": full.timeline[: len(scenario["timeline"])]})
    with _live_vm(full, qemu_info) as (runner, path):
        runner.config = setup
        outcomes, memslots = _setup(setup, runner)
        state = _inspect(path, setup)
        _check_state(setup, state, outcomes, memslots)
        if upcoming is None:
            return
        predicted = with_hotplug(state.config, _device_dict(full, upcoming))
        from tui.engine import replay

        engine = replay(predicted).events[-1]
        runner.config = full
        qemu, _alive = runner.hot_event(len(full.timeline) - 1)
        if engine.ok:
            assert qemu.status == "ok", (qemu, engine)
            if full.device(upcoming).kind == "virtio-mem":
                assert qemu.memslots == engine.memslots
        else:
            assert qemu.status == "error", (qemu, engine)
            assert _same_error(engine.error, qemu.error), (engine.error, qemu.error)


def test_hotplug_resize_unplug_sequence(qemu_info) -> None:
    """Inspect after every step of a hotplug → resize → resize → unplug sequence; the live view
    follows (the session refreshes on DEVICE_DELETED) and always replays to what QEMU shows."""
    config = Config.model_validate(
        {
            "machine": {"ram": "2G", "maxmem": "26G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "8G", **MEMFD), _vmem("vm1", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 509)],
            "timeline": _ev(
                "cold:fs0",
                "cold:vm0",
                "hotplug:vm1",
                "resize:vm1:4G",
                "resize:vm1:0",
                "unplug:vm1",
            ),
        }
    )
    with _live_vm(config, qemu_info) as (runner, path):

        async def follow() -> list[LiveState]:
            states = []
            session = LiveSession.qmp(path, timeout=10, vhost_limits=_limits(config))
            await session.open()
            try:
                states.append(await session.read())
                outcomes: dict[int, Outcome] = {}
                memslots: dict[str, int] = {}
                for index in range(2, len(config.timeline)):
                    outcome, alive = await asyncio.to_thread(runner.hot_event, index)
                    assert alive and outcome.status == "ok", outcome
                    outcomes[index] = outcome
                    if outcome.memslots is not None:
                        memslots[config.timeline[index].device] = outcome.memslots
                    if config.timeline[index].action == "unplug":
                        event = await session.wait_change(5)
                        assert event is not None and event["event"] == "DEVICE_DELETED"
                    state = await session.read()
                    step = config.model_copy(update={"timeline": config.timeline[: index + 1]})
                    _check_state(step, state, outcomes, memslots)
                    states.append(state)
            finally:
                await session.close()
            return states

        states = asyncio.run(follow())
    assert [len(s.memory) for s in states] == [1, 2, 2, 2, 1]
    resized = states[2].config.device("vm1")
    assert resized.requested_size == 4 << 30
    assert states[1].required_memslots == states[0].required_memslots + 16


@pytest.mark.parametrize(
    "seed", SEEDS[1::2] + [1000 + random.randrange(10**6) for _ in range(EXTRA)]
)
def test_inspect_random_configuration(seed: int, qemu_info) -> None:
    """The differential generator's configurations (half its fixed seeds, ones whose command
    line QEMU accepts; MEMSLOT_QEMU_FUZZ=N adds N random ones), played on QEMU, then
    inspected: the
    rebuilt configuration replays to what QEMU shows (plug order, holes left by unplugs and
    vhost devices hot-plugged among memory devices included)."""
    try:
        config = Config.model_validate(generate(seed))
    except ValidationError:
        pytest.skip(f"seed {seed}: generated an invalid configuration")
    with Processes(prefix="memslot-inspect-") as procs:
        runner = _Runner(config, qemu_info, ACCEL, 10, procs, lambda _text: None)
        runner.start_backends()
        monitor = str(procs.tmpdir / "insp.sock")
        if runner.start_qemu(extra=("-qmp", f"unix:{monitor},server=on,wait=off")) is not None:
            pytest.skip(f"seed {seed}: QEMU refuses the cold part")
        try:
            outcomes: dict[int, Outcome] = {}
            memslots: dict[str, int] = {}
            for index, event in enumerate(config.timeline):
                if event.action == "cold":
                    continue
                outcome, alive = runner.hot_event(index)
                if not alive:
                    pytest.skip(f"seed {seed}: QEMU had to be stopped at event {index + 1}")
                outcomes[index] = outcome
                if event.action == "hotplug" and outcome.memslots is not None:
                    memslots[event.device] = outcome.memslots
            state = _inspect(monitor, config)
            assert not state.disagreements, f"seed {seed}: {state.disagreements}"
            seen = {d.id for d in state.memory} | {v.id for v in state.vhost}
            assert seen == _expected_present(config, outcomes), f"seed {seed}"
        finally:
            runner.kill_qemu()
