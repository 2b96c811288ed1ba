"""Live mode: the app follows a running VM, read-only, and answers what-ifs on top of it.

Why here and not in the engine: this is the app's side of `tui.qemu.inspect` — when to read the
VM again (a key, or QMP's DEVICE_DELETED / MEMORY_DEVICE_SIZE_CHANGE) and how the user's
what-ifs (devices and timeline events added after the live state) survive a refresh. Nothing is
ever sent to the VM but the inspector's query commands; a what-if is a timeline event the engine
replays after the live state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from tui.engine.model import Config

LIVE_IDLE = 3600.0
"""Seconds between two waits for an event when nothing happens (the wait is simply renewed)."""


def merge_what_ifs(live: Config, previous: Config | None, current: Config) -> tuple[Config, int]:
    """The VM as read now, plus what the user added after the previous live state: devices not
    in it and the timeline events after its own. Events that no longer apply (their device is
    gone from the VM, or the sequence became invalid) are dropped; returns (config, dropped)."""
    if previous is None:
        return live, 0
    prefix = len(previous.timeline)
    tail = (
        list(current.timeline[prefix:])
        if current.timeline[:prefix] == previous.timeline
        else [e for e in current.timeline if e.device not in {d.id for d in previous.all_devices()}]
    )
    known = {d.id for d in live.all_devices()}
    previous_ids = {d.id for d in previous.all_devices()}
    added = [d for d in current.all_devices() if d.id not in previous_ids and d.id not in known]
    data = live.model_dump(mode="python")
    for device in added:
        group = (
            "memory_devices"
            if device in current.memory_devices
            else "vhost_devices"
            if device in current.vhost_devices
            else "consumers"
        )
        data[group] = [*data[group], device.model_dump(mode="python")]
    ids = known | {d.id for d in added}
    kept: list[dict[str, Any]] = []
    dropped = 0
    for event in tail:
        if event.device not in ids:
            dropped += 1
            continue
        candidate = {**data, "timeline": [*data["timeline"], *kept, event.model_dump()]}
        try:
            Config.model_validate(candidate)
        except ValidationError:
            dropped += 1
            continue
        kept.append(event.model_dump())
    data["timeline"] = [*data["timeline"], *kept]
    return Config.model_validate(data), dropped


class LiveFollower:
    """Reads the VM now, then again on a refresh request or a QMP event, until cancelled.

    `show(state, reason)` is called on the app's loop with every new reading; `fail(text)` when
    the VM cannot be read (the follower then waits for a refresh request to try again)."""

    def __init__(
        self,
        session_factory: Callable[[], Any],
        show: Callable[[Any, str], None],
        fail: Callable[[str], None],
    ) -> None:
        self.session_factory = session_factory
        self.show = show
        self.fail = fail
        self.refresh_requested = asyncio.Event()
        self.session: Any = None

    def refresh(self) -> None:
        """Read the VM again now (the refresh key)."""
        self.refresh_requested.set()

    async def run(self) -> None:
        """The worker body: never sends anything but the inspector's queries."""
        from tui.qemu.inspect import InspectError

        self.session = self.session_factory()
        reason = "opened"
        try:
            try:
                await self.session.open()
            except InspectError as exc:
                self.fail(str(exc))
                return
            while True:
                self.refresh_requested.clear()
                try:
                    self.show(await self.session.read(), reason)
                except InspectError as exc:
                    self.fail(str(exc))
                reason = await self._next_reason()
        finally:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self.session.close(), 2)

    async def _next_reason(self) -> str:
        waits: dict[asyncio.Task[Any], str] = {
            asyncio.ensure_future(self.refresh_requested.wait()): "refresh",
        }
        if self.session.has_events:
            waits[asyncio.ensure_future(self.session.wait_change(LIVE_IDLE))] = "event"
        try:
            done, _pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
        for task in done:
            if waits[task] == "refresh":
                return "refreshed"
            event = task.result()
            if event is not None:
                return f"refreshed after {event.get('event')}"
        return "refreshed"
