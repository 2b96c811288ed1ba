"""The read-only way to a running VM: the allowlist of QMP queries and the transports.

Why apart from the inspector: this is the guarantee that nothing but a query ever reaches the
VM. `ReadOnly.query` refuses any command outside QUERY_COMMANDS before it is sent; the
transports are a QMP unix socket (through qemu.qmp) and `virsh qemu-monitor-command`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import stat
from collections.abc import Iterable
from typing import Any, Protocol

from tui.qemu.launch import SUN_PATH_MAX, child_setup
from tui.qemu.qmp import AsyncQmp, QmpClosed, QmpError, QmpTimeout

QUERY_COMMANDS: frozenset[str] = frozenset(
    {
        "query-version",  # QEMU's version: which rules apply
        "query-status",  # running / prelaunch: is there a guest that plugs virtio-mem memory
        "query-kvm",  # accelerator
        "query-memory-devices",  # every memory device, its address, size and memdev
        "query-memdev",  # memory backends: size, share, prealloc
        "query-memory-size-summary",  # boot RAM
        "query-cpus-fast",  # the vCPU's QOM path (vendor, phys-bits)
        "qom-list",  # peripherals, virtio-mem memslot-<N> children
        "qom-get",  # machine memory and boot split, backends, device properties, memslots
        "x-query-virtio",  # virtio devices (vhost front-ends)
        "x-query-virtio-status",  # a virtio-net's back-end features (vhost-user or not)
        "query-chardev",  # vhost-user sockets (shown to the user)
    }
)
"""Every command the inspector may send. `qmp_capabilities` (the session handshake, sent by the
QMP library when it connects) is the only other message."""
HANDSHAKE = "qmp_capabilities"
DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for each answer."""


class InspectError(Exception):
    """The VM could not be read: one line saying where and why (`exit_code` for the CLI)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Transport(Protocol):
    """Something that runs one QMP command with a deadline (a QMP socket, or virsh)."""

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """The command's `return` value, or QmpError / QmpTimeout / QmpClosed."""
        ...

    async def close(self) -> None:
        """Let go of the VM (never stops it)."""
        ...


class ReadOnly:
    """The only way the inspector talks to a VM: commands outside QUERY_COMMANDS are refused
    before anything is sent."""

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.transport = transport
        self.timeout = timeout

    async def query(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run a query command under the deadline."""
        if command not in QUERY_COMMANDS:
            raise PermissionError(f"inspect sends only query commands; {command!r} is not one")
        return await self.transport.execute(command, arguments, timeout=self.timeout)

    async def get(self, path: str, prop: str, default: Any = None) -> Any:
        """qom-get, or `default` when the object or property does not exist."""
        try:
            return await self.query("qom-get", {"path": path, "property": prop})
        except QmpError:
            return default

    async def optional(self, command: str) -> list[Any]:
        """A list-valued query QEMU may refuse (none of its kind, or an x- command missing in
        this version): [] then."""
        try:
            result = await self.query(command)
        except QmpError:
            return []
        return result if isinstance(result, list) else []

    async def children(self, path: str) -> list[dict[str, Any]]:
        """qom-list, or [] when the object does not exist."""
        try:
            result = await self.query("qom-list", {"path": path})
        except QmpError:
            return []
        return [item for item in result if isinstance(item, dict)]


# --------------------------------------------------------------------------- transports


def parse_address(text: str) -> str:
    """`unix:PATH` or a bare PATH → PATH; checked so that a bad address fails at once, clearly."""
    path = text[5:] if text.startswith("unix:") else text
    if not path:
        raise InspectError(f"{text!r}: no socket path given (use --qmp unix:PATH)")
    if text.startswith(("tcp:", "vsock:", "fd:")):
        raise InspectError(f"{text}: only unix sockets are supported (use --qmp unix:PATH)")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InspectError(f"{path}: no such socket (is the VM running with -qmp?)") from None
    except OSError as exc:
        raise InspectError(f"{path}: {exc.strerror or exc}") from None
    if not stat.S_ISSOCK(info.st_mode):
        raise InspectError(f"{path}: not a socket (QEMU's -qmp unix:PATH,server=on makes one)")
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise InspectError(
            f"{path}: longer than a unix socket address can be ({SUN_PATH_MAX} bytes); "
            "use a shorter path or a symlink to its directory"
        )
    return path


class QmpTransport:
    """A QMP unix socket, through qemu.qmp (events are kept for the live view)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.session = AsyncQmp(path)

    async def connect(self, timeout: float) -> None:
        """Greeting + negotiation, or InspectError saying what the socket did instead."""
        try:
            await self.session.connect(timeout)
        except QmpTimeout:
            raise InspectError(
                f"{self.path}: no QMP greeting within {timeout:g}s (not a QMP socket, "
                "or another client holds QEMU's only monitor connection)"
            ) from None
        except QmpClosed as exc:
            raise InspectError(f"{self.path}: not a usable QMP socket ({_reason(exc)})") from None

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """See Transport."""
        return await self.session.execute(command, arguments, timeout=timeout)

    def events(self) -> list[dict[str, Any]]:
        """Events received since the last call."""
        return self.session.events()

    async def wait_event(self, names: Iterable[str], timeout: float) -> dict[str, Any] | None:
        """The next event among `names`, or None after `timeout` seconds."""
        wanted = set(names)
        for event in self.session.events():
            if event.get("event") in wanted:
                return event
        deadline = asyncio.get_running_loop().time() + timeout
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                event = dict(await asyncio.wait_for(self.session.listener.get(), remaining))
            except TimeoutError:
                return None
            if event.get("event") in wanted:
                return event
        return None

    async def close(self) -> None:
        """Disconnect (the VM keeps running)."""
        await self.session.close()


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("/") and ": " in text else text


class VirshTransport:
    """`virsh qemu-monitor-command DOMAIN JSON`: one virsh process per command, killed by PID
    at the deadline."""

    def __init__(self, domain: str, virsh: str | None = None) -> None:
        found = virsh or shutil.which("virsh")
        if found is None:
            raise InspectError(
                "--virsh needs libvirt's virsh, which is not installed here "
                "(or use --qmp unix:PATH on QEMU's own monitor socket)",
                exit_code=3,
            )
        self.virsh = found
        self.domain = domain

    async def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float
    ) -> Any:
        """See Transport."""
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        proc = await asyncio.create_subprocess_exec(
            self.virsh,
            "qemu-monitor-command",
            self.domain,
            json.dumps(message),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=child_setup(),
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except (TimeoutError, asyncio.CancelledError):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(proc.wait(), 2)
            raise QmpTimeout(f"{command}: virsh did not answer within {timeout:g}s") from None
        if proc.returncode != 0:
            text = err.decode(errors="replace").strip().splitlines()
            raise QmpClosed(f"virsh: {text[-1] if text else f'exit {proc.returncode}'}")
        try:
            reply = json.loads(out)
        except ValueError:
            raise QmpClosed(f"virsh gave no JSON for {command}") from None
        if isinstance(reply, dict) and "error" in reply:
            error = reply["error"] or {}
            raise QmpError(command, str(error.get("class", "")), str(error.get("desc", "")))
        return reply.get("return") if isinstance(reply, dict) else None

    async def close(self) -> None:
        """Nothing stays open between commands."""
