"""A small synchronous QMP client over a unix socket, with a deadline on every call.

Why our own: no new dependency, and every call must be able to give up. A hot-added vhost-user
netdev that fails its memslot check makes QEMU loop forever without answering QMP; the caller
then gets `QmpTimeout` and kills QEMU by its PID.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

DEFAULT_TIMEOUT = 10.0


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
    """QEMU closed the QMP connection (it exited)."""


class QmpClient:
    """One QMP session: `connect`, then `execute` commands and `wait_event` for events."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sock: socket.socket | None = None
        self.greeting: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._decoder = json.JSONDecoder()

    def connect(self, timeout: float = DEFAULT_TIMEOUT, alive: Any = None) -> dict[str, Any]:
        """Connect (retrying while QEMU creates the socket), read the greeting and negotiate.

        `alive` is an optional callable returning False once QEMU has exited, so a QEMU that
        fails at start-up is noticed at once instead of at the deadline.
        """
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                sock.connect(self.path)
                break
            except OSError:
                sock.close()
                if alive is not None and not alive():
                    raise QmpClosed(
                        "QEMU exited before its QMP socket accepted a connection"
                    ) from None
                if time.monotonic() >= deadline:
                    raise QmpTimeout(f"no QMP socket at {self.path} after {timeout:g}s") from None
                time.sleep(0.02)
        self.sock = sock
        self.greeting = self._read_message(deadline)
        self.execute("qmp_capabilities", timeout=max(0.1, deadline - time.monotonic()))
        return self.greeting

    def close(self) -> None:
        """Close the socket (QEMU keeps running; stop it by its PID)."""
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self) -> QmpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- commands

    def execute(
        self,
        command: str,
        arguments: dict[str, Any] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """Run one command; return its `return` value or raise QmpError / QmpTimeout."""
        if self.sock is None:
            raise QmpClosed("not connected")
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        deadline = time.monotonic() + timeout
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except TimeoutError:
            raise QmpTimeout(f"{command}: could not send within {timeout:g}s") from None
        except OSError as exc:
            raise QmpClosed(f"{command}: {exc}") from None
        while True:
            reply = self._read_message(deadline, what=command)
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                error = reply["error"]
                raise QmpError(command, error.get("class", ""), error.get("desc", ""))
            if "return" in reply:
                return reply["return"]

    def run(self, command: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Run a `{"execute": ..., "arguments": ...}` dict as built by tui.formats.qemu."""
        return self.execute(command["execute"], command.get("arguments"), timeout=timeout)

    def wait_event(
        self, name: str, *, timeout: float, match: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The first (already received or coming) event `name` whose data contains `match`;
        None when it does not come before the deadline."""

        def matches(event: dict[str, Any]) -> bool:
            if event.get("event") != name:
                return False
            data = event.get("data", {})
            return all(data.get(k) == v for k, v in (match or {}).items())

        for index, event in enumerate(self.events):
            if matches(event):
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self._read_message(deadline, what=f"event {name}")
            except QmpTimeout:
                return None
            if matches(message):
                return message
            if "event" in message:
                self.events.append(message)
        return None

    # ----------------------------------------------------------------- wire

    def _read_message(self, deadline: float, what: str = "greeting") -> dict[str, Any]:
        assert self.sock is not None
        while True:
            text = self._buffer.lstrip()
            if text:
                try:
                    value, end = self._decoder.raw_decode(text.decode("utf-8", "replace"))
                except json.JSONDecodeError:
                    pass
                else:
                    consumed = len(text.decode("utf-8", "replace")[:end].encode())
                    self._buffer = text[consumed:]
                    return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QmpTimeout(f"{what}: QEMU did not answer in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                raise QmpTimeout(f"{what}: QEMU did not answer in time") from None
            except OSError as exc:
                raise QmpClosed(f"{what}: {exc}") from None
            if not chunk:
                raise QmpClosed(f"{what}: QEMU closed the QMP connection")
            self._buffer += chunk
