"""Suggestions computed in a separate process, so they never compete with typing.

Fixes are proven by replaying changed configurations; at 1,000 devices on a failing
configuration that takes seconds. A thread would hold the GIL against the UI (3 s per key
press was measured), so each run is a process forked from a `forkserver` that has the engine
imported already (a run starts in milliseconds). A newer edit cancels the running one: its
process is killed, not left to finish. A run that exceeds its time budget is killed too, so
suggestions are bounded. Process hygiene: a run dies with the app (the forkserver exits when
the app goes away, and each run asks the kernel to kill it when its parent dies).

Pure of Textual: the app calls `Advisor.run` from a worker thread, which only waits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from tui.engine.model import Config

TIME_BUDGET = 20.0
"""Seconds a run may take before it is stopped (the panel then says so)."""


@dataclass(frozen=True)
class Advice:
    """What the suggestions panel shows: fixes, headroom, or why there are none."""

    suggestions: tuple[Any, ...]
    headroom: Any
    error: str | None = None


def compute(config: Config) -> Advice:
    """The engine's suggestions and headroom for `config` (in whatever process calls it)."""
    from tui.engine import advice, replay

    try:
        report = replay(config)
        suggestions = tuple(advice.suggest(config, report)) if not report.ok else ()
        return Advice(suggestions, advice.headroom(config, report))
    except Exception as exc:  # an engine bug must not take the explorer down
        return Advice((), None, f"advisor error: {type(exc).__name__}: {exc}")


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent exits (no orphaned advisors)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)


def _child(connection: Connection, config: Config) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's, not the advisor's
    try:
        result = compute(config)
        try:
            connection.send(result)
        except Exception as exc:  # e.g. an unpicklable result: say so instead of hanging
            connection.send(Advice((), None, f"advisor error: {type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def _context() -> Any:
    """forkserver where available (no fork of a threaded app), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["tui.app.advisor", "tui.engine.advice"])
        with _SERVERS_LOCK:
            _start_servers()
    return context


_SERVERS_LOCK = threading.Lock()


def _start_servers() -> None:
    """Start the forkserver and resource tracker with the real stderr: inside a running
    Textual app sys.stderr is a capture object without a file descriptor, which
    multiprocessing would try to hand to them."""
    from multiprocessing import forkserver, resource_tracker

    saved = sys.stderr
    try:
        if _broken_fileno(sys.stderr):
            sys.stderr = sys.__stderr__ if not _broken_fileno(sys.__stderr__) else saved
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        sys.stderr = saved


def _broken_fileno(stream: Any) -> bool:
    try:
        return bool(stream is None or stream.fileno() < 0)
    except Exception:
        return True


class Advisor:
    """One advice run at a time; `cancel` (or a newer `run`) kills the running one."""

    def __init__(self, budget: float = TIME_BUDGET, in_process: bool = False) -> None:
        self.budget = budget
        self.in_process = in_process
        """Compute in the calling thread (tests that replace the engine's advice)."""
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._generation = 0

    def run(self, config: Config, cancelled: Callable[[], bool] = lambda: False) -> Advice | None:
        """Advice for `config`, or None when cancelled (by `cancel`, a newer run or
        `cancelled()`). Blocks the calling thread (never the UI thread) while it waits."""
        if self.in_process:
            return compute(config)
        receive, send = multiprocessing.Pipe(duplex=False)
        with self._lock:
            self._kill_locked()
            self._generation += 1
            generation = self._generation
            try:
                process = _context().Process(
                    target=_child, args=(send, config), daemon=True, name="memslot-advisor"
                )
                process.start()
            except (OSError, ValueError, RuntimeError):  # no processes here: compute in place
                self.in_process = True
                send.close()
                receive.close()
                return compute(config)
            self._process = process
        send.close()
        try:
            waited = 0.0
            while not receive.poll(0.05):
                waited += 0.05
                if cancelled() or generation != self._generation or not process.is_alive():
                    if receive.poll(0):  # it finished just now
                        break
                    return None
                if waited >= self.budget:
                    self._kill(process)
                    return Advice((), None, f"suggestions stopped after {self.budget:g} s")
            try:
                result: Advice = receive.recv()
            except (EOFError, OSError):
                return None  # killed
            return result
        finally:
            receive.close()
            self._kill(process)

    def _kill(self, process: BaseProcess) -> None:
        with self._lock:
            if self._process is process:
                self._kill_locked()
            else:
                _stop(process)

    def _kill_locked(self) -> None:
        if self._process is not None:
            _stop(self._process)
            self._process = None

    def cancel(self) -> None:
        """Stop the running advice, if any (its `run` returns None)."""
        with self._lock:
            self._generation += 1
            self._kill_locked()


def _stop(process: BaseProcess) -> None:
    with contextlib.suppress(ValueError):  # ValueError: already closed
        if process.is_alive():
            process.kill()
        process.join(2)
        process.close()
