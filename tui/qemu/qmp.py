"""QMP sessions on QEMU's own library, `qemu.qmp`, with a deadline on every call.

Why a layer over `qemu.qmp.QMPClient`: every call must be able to give up. A hot-added vhost-user
netdev that fails its memslot check makes QEMU loop forever without answering QMP; the caller
then gets `QmpTimeout` and kills QEMU by its PID. `qemu.qmp` itself waits forever, so each call is
wrapped in `asyncio.wait_for`, and its errors are turned into the three below, which carry QEMU's
own text.

Two ways to use it:
- `AsyncQmp` on a running event loop (the app's inspector, on Textual's loop);
- `QmpClient`, a blocking facade that drives an `AsyncQmp` on a private event loop (verify, the
  `inspect` verb, worker threads). It must not be used from inside a running event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from qemu.qmp import ConnectError, EventListener, ExecInterruptedError, ExecuteError, QMPClient
from qemu.qmp import QMPError as _LibError

DEFAULT_TIMEOUT = 10.0
CLOSE_TIMEOUT = 2.0
"""Disconnecting never waits longer than this (QEMU may be hung or already killed)."""
_RETRY = 0.02
_CANCEL_POLL = 0.05
_SETTLE_TRIES = 8
CANCEL_GRACE = 0.5
"""A cancel lets a call finish that QEMU answers in time (the current step completes, as
verify promises); a longer wait (QEMU hung) is given up."""
T = TypeVar("T")

logging.getLogger("qemu.qmp").propagate = False  # the library logs errors we report ourselves


class QmpError(Exception):
    """QEMU answered a command with an error: `desc` is QEMU's message, verbatim."""

    def __init__(self, command: str, error_class: str, desc: str) -> None:
        super().__init__(f"{command}: {desc}")
        self.command = command
        self.error_class = error_class
        self.desc = desc


class QmpTimeout(Exception):
    """QEMU did not answer (or send the awaited event) before the deadline."""


class QmpClosed(Exception):
    """The connection is gone (QEMU exited), or the peer does not speak QMP."""


class QmpCancelled(Exception):
    """The caller's cancel event was set while waiting for QEMU (the app quits)."""


def _describe(exc: BaseException) -> str:
    """One line for a library or OS error (ConnectError wraps the real cause)."""
    cause = getattr(exc, "exc", None)
    if isinstance(cause, BaseException) and cause is not exc:
        return _describe(cause)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, EOFError):
        return "the peer closed the connection"
    text = str(exc)
    return text or type(exc).__name__


class AsyncQmp:
    """One QMP session on the running event loop; every await has a deadline.

    Events (every kind) are kept from the moment the session is created, so an event that
    arrives while a command is running is not lost; `wait_event` and `events` read them."""

    def __init__(self, address: str, name: str = "memslot-explorer") -> None:
        self.address = address
        self.client = QMPClient(name)
        self.listener = EventListener()
        self.client.register_listener(self.listener)
        self.greeting: dict[str, Any] = {}
        self._kept: list[dict[str, Any]] = []

    async def connect(
        self, timeout: float = DEFAULT_TIMEOUT, alive: Callable[[], bool] | None = None
    ) -> dict[str, Any]:
        """Connect (retrying while QEMU creates the socket), read the greeting and negotiate.

        `alive` is an optional callable returning False once QEMU has exited, so a QEMU that
        fails at start-up is noticed at once instead of at the deadline. Without `alive` a
        refused or missing socket fails at once (nothing will create it)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QmpTimeout(f"no QMP greeting from {self.address} after {timeout:g}s")
            try:
                await asyncio.wait_for(self.client.connect(self.address), remaining)
                break
            except TimeoutError:
                await self._abort()
                raise QmpTimeout(
                    f"{self.address} accepted the connection but sent no QMP greeting "
                    f"within {timeout:g}s"
                ) from None
            except ConnectError as exc:
                cause = getattr(exc, "exc", None)
                retry = isinstance(cause, FileNotFoundError | ConnectionRefusedError)
                if not retry or alive is None:
                    raise QmpClosed(f"{self.address}: {_describe(exc)}") from None
                if not alive():
                    raise QmpClosed(
                        "QEMU exited before its QMP socket accepted a connection"
                    ) from None
                await asyncio.sleep(_RETRY)
        greeting = self.client.greeting
        self.greeting = greeting._asdict() if greeting is not None else {}
        return self.greeting

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """Run one command; its `return` value, or QmpError / QmpTimeout / QmpClosed."""
        try:
            return await asyncio.wait_for(self.client.execute(command, arguments), timeout)
        except ExecuteError as exc:
            raise QmpError(command, exc.error_class, str(exc)) from None
        except TimeoutError:
            raise QmpTimeout(f"{command}: QEMU did not answer within {timeout:g}s") from None
        except (ExecInterruptedError, _LibError, OSError, EOFError) as exc:
            raise QmpClosed(f"{command}: {_describe(exc)}") from None

    def _drain(self) -> None:
        self._kept.extend(dict(event) for event in self.listener.clear())

    def events(self) -> list[dict[str, Any]]:
        """Every event received and not yet taken by `wait_event`, oldest first (and forget
        them)."""
        self._drain()
        taken, self._kept = self._kept, []
        return taken

    async def wait_event(
        self, name: str, *, timeout: float, match: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The first (already received or coming) event `name` whose data contains `match`;
        None when it does not come before the deadline."""

        def matches(event: dict[str, Any]) -> bool:
            if event.get("event") != name:
                return False
            data = event.get("data", {})
            return all(data.get(k) == v for k, v in (match or {}).items())

        self._drain()
        for index, event in enumerate(self._kept):
            if matches(event):
                return self._kept.pop(index)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = dict(await asyncio.wait_for(self.listener.get(), remaining))
            except TimeoutError:
                return None
            if matches(event):
                return event
            self._kept.append(event)
        return None

    async def _abort(self) -> None:
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self.client.disconnect(), CLOSE_TIMEOUT)

    async def close(self) -> None:
        """Disconnect (QEMU keeps running; stop it by its PID). Never raises, never hangs."""
        await self._abort()


class QmpClient:
    """A blocking QMP session: `connect`, then `execute` commands and `wait_event` for events.

    Drives an `AsyncQmp` on a private event loop, so the callers of the former hand-written
    client (verify, its worker thread in the app, the CLI) keep their synchronous shape."""

    def __init__(self, path: str, cancel: threading.Event | None = None) -> None:
        self.path = path
        self.cancel = cancel
        """Set from another thread: a call still waiting CANCEL_GRACE seconds later raises
        QmpCancelled."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: AsyncQmp | None = None
        self.greeting: dict[str, Any] = {}

    def _run(self, work: Callable[[AsyncQmp], Awaitable[T]]) -> T:
        if self._loop is None or self._session is None:
            raise QmpClosed("not connected")
        session = self._session

        async def call() -> T:
            if self.cancel is None:
                return await work(session)
            job = asyncio.ensure_future(work(session))
            began = time.monotonic()
            while not job.done():
                if self.cancel.is_set() and time.monotonic() - began >= CANCEL_GRACE:
                    job.cancel()
                    with contextlib.suppress(BaseException):
                        await job
                    raise QmpCancelled("cancelled")
                await asyncio.wait([job], timeout=_CANCEL_POLL)
            return job.result()

        task = self._loop.create_task(call())
        try:
            return self._loop.run_until_complete(task)
        except (KeyboardInterrupt, SystemExit, QmpCancelled):
            # A signal or a cancel mid-call: leave no task pending on the private loop, no
            # error unread.
            task.cancel()
            self.close()
            if task.done() and not task.cancelled():
                task.exception()
            raise

    def connect(
        self, timeout: float = DEFAULT_TIMEOUT, alive: Callable[[], bool] | None = None
    ) -> dict[str, Any]:
        """See AsyncQmp.connect; the session is closed again when connecting fails."""
        self.close()
        self._loop = _new_loop()

        async def make() -> AsyncQmp:
            return AsyncQmp(self.path)

        self._session = self._loop.run_until_complete(make())
        try:
            self.greeting = self._run(lambda s: s.connect(timeout, alive))
        except BaseException:
            self.close()
            raise
        return self.greeting

    def execute(
        self,
        command: str,
        arguments: dict[str, Any] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """Run one command; return its `return` value or raise QmpError / QmpTimeout."""
        return self._run(lambda s: s.execute(command, arguments, timeout=timeout))

    def run(self, command: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Run a `{"execute": ..., "arguments": ...}` dict as built by tui.formats.qemu."""
        return self.execute(command["execute"], command.get("arguments"), timeout=timeout)

    def wait_event(
        self, name: str, *, timeout: float, match: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """See AsyncQmp.wait_event."""
        return self._run(lambda s: s.wait_event(name, timeout=timeout, match=match))

    def events(self) -> list[dict[str, Any]]:
        """Events received and not yet taken, oldest first."""
        return self._session.events() if self._session is not None else []

    def close(self) -> None:
        """Disconnect and drop the private loop; never raises, never hangs."""
        loop, session = self._loop, self._session
        self._loop, self._session = None, None
        if loop is None:
            return
        try:
            if session is not None and not loop.is_running():
                _settle(loop, loop.create_task(session.close()))
            _cancel_all(loop)
        except BaseException:  # closing after Ctrl-C: best effort, the PIDs are killed anyway
            pass
        finally:
            with contextlib.suppress(BaseException):
                loop.close()

    def __enter__(self) -> QmpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _new_loop() -> asyncio.AbstractEventLoop:
    """A private loop, built with SIGINT, SIGTERM and SIGHUP held back until it exists: a
    signal's exception inside the constructor leaves a half-built loop whose finaliser prints
    a traceback at exit."""
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        return asyncio.new_event_loop()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and reap every task left on a private loop, and read their outcome, so nothing
    warns at exit (a call interrupted by a signal ends with QmpClosed once disconnected)."""
    tasks = list(asyncio.all_tasks(loop))
    for task in tasks:
        if not task.done():
            task.cancel()
    if any(not task.done() for task in tasks):

        async def reap() -> None:
            await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)

        _settle(loop, loop.create_task(reap()))
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()


def _settle(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
    """Run the private loop until `task` is done, after a call a signal interrupted.

    What the interrupted run leaves behind ends a run early: a call's task that kept the
    KeyboardInterrupt (or SIGTERM's Terminated) raises it again when it resumes, and a call
    that had just finished has its "stop the loop" callback still queued ("Event loop stopped
    before Future completed"). Both are the signal already being handled, so the loop runs on;
    a few tries bound a signal that keeps coming."""
    for _ in range(_SETTLE_TRIES):
        with contextlib.suppress(KeyboardInterrupt, SystemExit, RuntimeError):
            loop.run_until_complete(task)
        if task.done():
            return


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine on a fresh private loop (CLI paths that use AsyncQmp directly)."""
    return asyncio.run(coro)
