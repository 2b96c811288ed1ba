"""Suggestions computed in a separate process, so they never compete with typing.

Fixes are proven by replaying changed configurations; at 1,000 devices on a failing
configuration that takes seconds. A thread would hold the GIL against the UI (3 s per key
press was measured), so suggestions run in a separate process. A newer edit cancels a
running computation: the process is killed, not left to finish. A run over its time budget
is killed too, so suggestions are bounded. The process is `python -m tui.app.advisor`
(configs in on stdin, Advice out on stdout), reused while idle and never killed while it
starts up; after a kill the next run starts a fresh one.

What crosses the pipe is small, because pickling a 1,000-device Config takes ~10 ms of the
GIL in the app (against key presses): the process keeps the last config it was sent, and a
request carries only the top-level fields that changed, with unchanged devices and events
as their positions in that config (`encode`/`decode`); each fix's config comes back the
same way, relative to the request.

Process hygiene: it asks the kernel to kill it when the app dies (PR_SET_PDEATHSIG), and the
app kills it when it exits.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tui.engine.model import Config

TIME_BUDGET = 20.0
"""Seconds a run may compute before it is stopped (the panel then says so)."""
START_LIMIT = 60.0
"""Seconds the process may take to start (Python and the engine's imports, on a busy host)."""


@dataclass(frozen=True)
class Advice:
    """What the suggestions panel shows: fixes, headroom, or why there are none."""

    suggestions: tuple[Any, ...]
    headroom: Any
    error: str | None = None
    fixes: tuple[Delta, ...] = ()
    """On the pipe only: each suggestion's config as a Delta against the request's."""


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


Delta = dict[str, Any]
"""The top-level fields of a Config that differ from a base config; in a tuple field an int
stands for the base's item at that position."""


def encode(config: Config, base: Config | None, same: Callable[[Any, Any], bool]) -> Delta:
    """`config` as its differences from `base` (every field when there is no base). `same`
    tells an unchanged item: identity in the app (edits keep unchanged models), equality in
    the process (a fix's config is built anew)."""
    delta: Delta = {}
    for name in Config.model_fields:
        value = getattr(config, name)
        old = getattr(base, name) if base is not None else None
        if base is not None and same(value, old):
            continue
        if isinstance(value, tuple) and isinstance(old, tuple):
            value = _positions(value, old, same)
        delta[name] = value
    return delta


def _positions(
    items: tuple[Any, ...], old: tuple[Any, ...], same: Callable[[Any, Any], bool]
) -> list[Any]:
    """Each item as its position in `old` when it is there (an edit moves, inserts or removes
    a few: the others shift), else the item itself."""
    out: list[Any] = []
    where: dict[Any, int] | None = None
    for i, item in enumerate(items):
        if i < len(old) and same(item, old[i]):
            out.append(i)
            continue
        if where is None:  # something shifted: look the rest up (by identity, or by value)
            try:
                where = {_key(o, same): j for j, o in reversed(list(enumerate(old)))}
            except TypeError:  # an unhashable value: positions only
                where = {}
        try:
            j = where.get(_key(item, same))
        except TypeError:
            j = None
        out.append(j if j is not None and same(item, old[j]) else item)
    return out


def _key(item: Any, same: Callable[[Any, Any], bool]) -> Any:
    return id(item) if same is _identical else item


def decode(delta: Delta, base: Config | None) -> Config:
    """The config `encode` was given. Its parts were validated where they were made; the
    configuration's own checks run again on the whole (cheap with models as input)."""
    data: dict[str, Any] = {}
    for name in Config.model_fields:
        if name not in delta:
            data[name] = getattr(base, name)
            continue
        value = delta[name]
        if isinstance(value, list):
            old = getattr(base, name) if base is not None else ()
            value = [old[i] if type(i) is int else i for i in value]
        data[name] = value
    return Config.model_validate(data)


def _identical(new: Any, old: Any) -> bool:
    if new is old:
        return True
    return (
        isinstance(new, tuple)
        and isinstance(old, tuple)
        and len(new) == len(old)
        and all(a is b for a, b in zip(new, old, strict=True))
    )


def _equal(new: Any, old: Any) -> bool:
    return bool(new is old or new == old)


def serve() -> None:
    """The child: says it is ready (one byte), then answers requests (stdin) with their
    Advice (stdout), one at a time, until stdin closes. Messages are an 8-byte length and a
    pickle; a request is a Delta against the previous request's config."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's, not the advisor's
    import tui.engine.advice  # noqa: F401  (warm: imported before the first request)

    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sink.write(READY)
    sink.flush()
    last: Config | None = None
    while True:
        header = source.read(8)
        if len(header) < 8:
            return
        try:
            config = decode(pickle.loads(source.read(int.from_bytes(header, "big"))), last)
            last = config
            result = compute(config)
            fixes = tuple(encode(fix.config, config, _equal) for fix in result.suggestions)
            result = Advice(
                tuple(replace(fix, config=None) for fix in result.suggestions),
                result.headroom,
                result.error,
                fixes,
            )
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a bad request or unpicklable result: say so, not hang
            data = pickle.dumps(Advice((), None, f"advisor error: {type(exc).__name__}: {exc}"))
        sink.write(len(data).to_bytes(8, "big") + data)
        sink.flush()


READY = b"R"


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
    """One advice process, reused while idle. Only a process computing a stale request is
    killed (a newer run or `cancel`); one still starting up is kept and simply not asked, so
    bursts of edits never cost a new Python each."""

    def __init__(self, budget: float = TIME_BUDGET, in_process: bool = False) -> None:
        self.budget = budget
        self.in_process = in_process
        """Compute in the calling thread (the old way; the bench's baseline)."""
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        """The process waits for a request (it said so, or answered the last one)."""
        self._busy = False
        """A request was sent and its answer has not been read."""
        self._generation = 0
        self._closed = False
        self._sent: tuple[subprocess.Popen[bytes], Config] | None = None
        """The process and the config it last received: the next request is a delta."""

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
            if self._busy:  # computing a stale request: stop it now, not when it is done
                self._kill_locked()
            self._generation += 1
            generation = self._generation
            try:
                if self._process is None or self._process.poll() is not None:
                    self._process, self._ready = _spawn(), False
            except OSError:  # cannot start processes here: compute in place
                self.in_process = True
                return compute(config)
            process = self._process

        def stale() -> bool:
            return cancelled() or generation != self._generation

        if not self._wait_ready(process, stale, time.monotonic() + START_LIMIT):
            return None
        result = self._exchange(process, config, stale, time.monotonic() + self.budget)
        with self._lock:
            if self._process is process:
                if result is None or result.error:  # cancelled or over budget
                    self._kill_locked()
                else:
                    self._busy, self._ready = False, True
        return result

    def _wait_ready(
        self, process: subprocess.Popen[bytes], stale: Callable[[], bool], deadline: float
    ) -> bool:
        """Wait until the process can take a request, then claim it (busy)."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        while True:
            with self._lock:
                if self._process is not process or stale() or time.monotonic() > deadline:
                    return False
                if not self._ready:
                    try:
                        readable = select.select([fd], [], [], 0)[0]
                        byte = os.read(fd, 1) if readable else None
                    except (OSError, ValueError):
                        return False
                    if byte == b"":
                        return False  # it died
                    self._ready = byte == READY
                if self._ready:
                    self._ready, self._busy = False, True
                    return True
            time.sleep(0.02)

    def _exchange(
        self,
        process: subprocess.Popen[bytes],
        config: Config,
        stale: Callable[[], bool],
        deadline: float,
    ) -> Advice | None:
        assert process.stdin is not None and process.stdout is not None
        sent = self._sent
        base = sent[1] if sent is not None and sent[0] is process else None
        data = pickle.dumps(encode(config, base, _identical), protocol=pickle.HIGHEST_PROTOCOL)
        self._sent = None  # until the whole request is written
        try:
            process.stdin.write(len(data).to_bytes(8, "big") + data)
            process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return None  # killed (cancelled) before it read the request
        self._sent = (process, config)
        buffer = bytearray()
        needed = 8
        fd = process.stdout.fileno()
        while len(buffer) < needed:
            if stale():
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
            if not isinstance(result, Advice):
                return None
            suggestions = tuple(
                replace(fix, config=decode(delta, config))
                for fix, delta in zip(result.suggestions, result.fixes, strict=True)
            )
        except Exception:
            return None
        return Advice(suggestions, result.headroom, result.error)

    def _kill_locked(self) -> None:
        _stop(self._process)
        self._process = None
        self._busy = self._ready = False

    def warm(self) -> None:
        """Start the process now (Python's start-up off the first edit's path)."""
        with self._lock:
            if not self._closed and not self.in_process and self._process is None:
                with contextlib.suppress(OSError):
                    self._process, self._ready = _spawn(), False

    def cancel(self) -> None:
        """Stop the running advice, if any (its `run` returns None). No process is started
        here (the caller may be the UI thread); an idle or starting one is kept."""
        with self._lock:
            self._generation += 1
            if self._busy:
                self._kill_locked()

    def close(self) -> None:
        """Stop everything (app exit): the advice process, busy or idle."""
        with self._lock:
            self._closed = True
            self._generation += 1
            self._kill_locked()


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
