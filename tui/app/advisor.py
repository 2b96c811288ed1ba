"""Suggestions computed in a separate process, so they never compete with typing.

Fixes are proven by replaying changed configurations; at 1,000 devices on a failing
configuration that takes seconds. A thread would hold the GIL against the UI (3 s per key
press was measured), so suggestions run in a separate process. A newer edit cancels a
running computation: the process is killed, not left to finish. A run over its time budget
is killed too, so suggestions are bounded. The process is `python -m tui.app.advisor`
(pickled configs in on stdin, pickled Advice out on stdout), reused while idle; after a kill
the next run starts a fresh one. Process hygiene: it asks the kernel to kill it when the app
dies (PR_SET_PDEATHSIG), and the app kills it when it exits.

Pure of Textual: the app calls `Advisor.run` from a worker thread, which only waits.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
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
        suggestions: tuple[Any, ...] = ()
        if not report.ok:  # the engine's own bounds (replays, seconds) apply as well
            suggestions = tuple(advice.advise(config, report).suggestions)
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
        if os.getppid() == 1:  # the parent died before prctl: go now
            os._exit(1)


def serve() -> None:
    """The child: configs in (stdin), their Advice out (stdout), one at a time, until stdin
    closes. Messages are an 8-byte length and a pickle."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's, not the advisor's
    import tui.engine.advice  # noqa: F401  (warm: imported before the first request)

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = source.read(8)
        if len(header) < 8:
            return
        config = pickle.loads(source.read(int.from_bytes(header, "big")))
        result = compute(config)
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result: say so instead of hanging
            data = pickle.dumps(Advice((), None, f"advisor error: {type(exc).__name__}: {exc}"))
        sink.write(len(data).to_bytes(8, "big") + data)
        sink.flush()


def _spawn() -> subprocess.Popen[bytes]:
    root = str(Path(__file__).resolve().parents[2])  # the tree this module runs from
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "tui.app.advisor"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        close_fds=True,
    )


class Advisor:
    """One advice process, reused while it is idle; a run still busy when a newer one starts
    (or on `cancel`) is killed with its process, and a fresh process is started warm."""

    def __init__(self, budget: float = TIME_BUDGET, in_process: bool = False) -> None:
        self.budget = budget
        self.in_process = in_process
        """Compute in the calling thread (the old way; the bench's baseline)."""
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._busy = False
        self._generation = 0
        self._closed = False

    @property
    def _running(self) -> subprocess.Popen[bytes] | None:
        """The process computing a run right now (None when idle)."""
        return self._process if self._busy else None

    def run(self, config: Config, cancelled: Callable[[], bool] = lambda: False) -> Advice | None:
        """Advice for `config`, or None when cancelled (by `cancel`, a newer run or
        `cancelled()`). Blocks the calling thread (never the UI thread) while it waits."""
        if self.in_process:
            return compute(config)
        with self._lock:
            if self._closed:
                return None
            if self._busy:  # a stale run: stop it now, not when it is done
                self._kill_locked(respawn=False)
            self._generation += 1
            generation = self._generation
            try:
                process = self._process
                if process is None or process.poll() is not None:
                    process = self._process = _spawn()
            except OSError:  # cannot start processes here: compute in place
                self.in_process = True
                return compute(config)
            self._busy = True
        result = self._exchange(process, config, generation, cancelled)
        with self._lock:
            if self._process is process:
                if result is None or result.error:  # cancelled or over budget: restart it
                    self._kill_locked(respawn=not self._closed)
                self._busy = False
        return result

    def _exchange(
        self,
        process: subprocess.Popen[bytes],
        config: Config,
        generation: int,
        cancelled: Callable[[], bool],
    ) -> Advice | None:
        assert process.stdin is not None and process.stdout is not None
        data = pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            process.stdin.write(len(data).to_bytes(8, "big") + data)
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return None  # killed (cancelled) before it read the request
        buffer = bytearray()
        needed = 8
        deadline = time.monotonic() + self.budget
        fd = process.stdout.fileno()
        while len(buffer) < needed:
            if cancelled() or generation != self._generation:
                return None
            if time.monotonic() > deadline:
                return Advice((), None, f"suggestions stopped after {self.budget:g} s")
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(fd, 1 << 20)
            except (OSError, ValueError):
                return None  # closed by a kill
            if not chunk:
                return None  # killed
            buffer += chunk
            if needed == 8 and len(buffer) >= 8:
                needed = 8 + int.from_bytes(buffer[:8], "big")
        try:
            result = pickle.loads(bytes(buffer[8:needed]))
        except Exception:
            return None
        return result if isinstance(result, Advice) else None

    def _kill_locked(self, respawn: bool) -> None:
        _stop(self._process)
        self._process = None
        self._busy = False
        if respawn:
            with contextlib.suppress(OSError):
                self._process = _spawn()  # warm for the next run

    def cancel(self) -> None:
        """Stop the running advice, if any (its `run` returns None). No new process is
        started here (the caller may be the UI thread): the next `run` starts one."""
        with self._lock:
            self._generation += 1
            if self._busy:
                self._kill_locked(respawn=False)

    def close(self) -> None:
        """Stop everything (app exit): the advice process, busy or idle."""
        with self._lock:
            self._closed = True
            self._generation += 1
            self._kill_locked(respawn=False)


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()
    with contextlib.suppress(Exception):
        process.wait(2)
    for stream in (process.stdin, process.stdout):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.close()


if __name__ == "__main__":
    # run as tui.app.advisor, not __main__: the pickled Advice must name its real module
    from tui.app.advisor import serve as _serve

    _serve()
