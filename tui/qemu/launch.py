"""Find QEMU, start it (and vhost-user back-ends) headless, and always stop what we started.

Every process is started by `Processes` and stopped by its PID (SIGTERM, then SIGKILL) when the
`with` block ends, on every path: normal end, exception, timeout and Ctrl-C. Nothing is ever
stopped by name.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tui.qemu import host

MIN_VERSION = (7, 2)
"""The oldest QEMU checked for real (docs/rules.md: 7.2, 10.0.2, 10.2.2)."""
QEMU_NAME = "qemu-system-x86_64"
QSD_NAME = "qemu-storage-daemon"
_VERSION_RE = re.compile(r"version (\d+)\.(\d+)(?:\.(\d+))?")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class QemuInfo:
    """A QEMU binary and whether `verify` can use it (`reason` says why not)."""

    path: str | None
    version: tuple[int, int, int] | None = None
    version_text: str = ""
    reason: str | None = None
    storage_daemon: str | None = None

    @property
    def usable(self) -> bool:
        """QEMU found and new enough (>= 7.2)."""
        return self.reason is None

    @property
    def version_string(self) -> str:
        """ "10.0.2" (the engine's qemu_version form)."""
        return ".".join(str(p) for p in self.version) if self.version else ""


def find_qemu(path: str | None = None) -> QemuInfo:
    """Locate qemu-system-x86_64 (or `path`) and check `--version` >= 7.2."""
    binary = path or shutil.which(QEMU_NAME)
    if binary is None:
        return QemuInfo(
            None,
            reason=f"{QEMU_NAME} not found on PATH (install QEMU >= 7.2, "
            "e.g. bash .ci/install-qemu.sh)",
        )
    if not os.access(binary, os.X_OK):
        return QemuInfo(binary, reason=f"{binary} is not an executable file")
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return QemuInfo(binary, reason=f"{binary} --version failed: {exc}")
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    match = _VERSION_RE.search(first)
    if out.returncode != 0 or not match:
        return QemuInfo(binary, reason=f"{binary} --version gave no QEMU version: {first!r}")
    version = (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
    qsd_dir = Path(binary).resolve().parent / QSD_NAME
    qsd = str(qsd_dir) if qsd_dir.exists() else shutil.which(QSD_NAME)
    if version[:2] < MIN_VERSION:
        return QemuInfo(
            binary,
            version,
            first,
            reason=f"{binary} is QEMU {'.'.join(map(str, version))}; verify needs QEMU >= 7.2",
            storage_daemon=qsd,
        )
    return QemuInfo(binary, version, first, storage_daemon=qsd)


DEFAULT_TIMEOUT = 30.0
TIMEOUT_RANGE = (1.0, 3600.0)
"""`verify --timeout` bounds, in seconds: below 1 s QEMU cannot even start (a false
"mismatch"); above an hour is a typo."""


def parse_timeout(text: str) -> float:
    """`--timeout S`: a finite number of seconds within TIMEOUT_RANGE, else ValueError saying
    why (argparse turns it into a usage error, exit 2)."""
    low, high = TIMEOUT_RANGE
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a number of seconds") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text!r} is not a finite number of seconds")
    if not low <= value <= high:
        raise ValueError(f"{text} s is outside {low:g}..{high:g} s")
    return value


# --------------------------------------------------------------------------- host facts


def kvm_memslots() -> int | None:
    """KVM_CAP_NR_MEMSLOTS of this host, or None when /dev/kvm cannot be opened
    (tui.qemu.host reads it, with the reason)."""
    return _int(host.read_kvm_memslots().value)


def thp_size() -> int | None:
    """Transparent huge page size QEMU reads for virtio-mem's default block size."""
    return _int(host.read_thp_size().value)


def vhost_max_mem_regions() -> int | None:
    """The vhost module's max_mem_regions (None: module not loaded)."""
    return _int(host.read_vhost_max_mem_regions().value)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def free_hugepages(page_size: int) -> int:
    """Free hugetlb pages of `page_size` bytes (0 when none are configured)."""
    path = Path(f"/sys/kernel/mm/hugepages/hugepages-{page_size // 1024}kB/free_hugepages")
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return 0


# --------------------------------------------------------------------------- processes

PR_SET_PDEATHSIG = 1
SUN_PATH_MAX = 107
"""sockaddr_un.sun_path holds 108 bytes including the terminating NUL."""
SHORT_TMP_BASES = ("/tmp", "/dev/shm")
"""Where the private directory goes when TMPDIR is too long for the sockets inside it."""
TMPDIR_BUDGET = 64
"""Longest private-directory path kept, so `<dir>/qemu-qmp.sock` etc. fit in sun_path."""

_prctl: Any = None
with contextlib.suppress(OSError, AttributeError):  # not Linux: the janitor alone cleans up
    _prctl = ctypes.CDLL(None, use_errno=True).prctl


def set_pdeathsig(signum: int = signal.SIGKILL, parent: int | None = None) -> None:
    """Receive `signum` when the parent (thread) dies; in a child between fork and exec, or
    first thing in a helper. `parent`: the pid that must still be the parent (default: the
    current one); if it is gone already, exit at once, since nobody would stop us."""
    expected = parent if parent is not None else os.getppid()
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != expected:
        os._exit(1)


def child_setup() -> Callable[[], None]:
    """preexec_fn for a child of this process: SIGKILL when we die."""
    return functools.partial(set_pdeathsig, signal.SIGKILL, os.getpid())


def quote_opt(value: str) -> str:
    """A value inside a QEMU `key=value,...` option: commas doubled."""
    return value.replace(",", ",,")


_JANITOR = r"""
import os, shutil, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
    signal.signal(s, signal.SIG_IGN)
tmpdir = sys.argv[1]
pids = {}
def start_time(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
for line in sys.stdin:
    word, _, rest = line.strip().partition(" ")
    if word == "+":
        pid, _, when = rest.partition(" ")
        pids[int(pid)] = when
    elif word == "-":
        pids.pop(int(rest), None)
    elif word == "done":
        sys.exit(0)
for pid, when in pids.items():
    if start_time(pid) == when:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
shutil.rmtree(tmpdir, ignore_errors=True)
"""
"""The janitor: a tiny process in its own session that holds the read end of a pipe. When the
pipe reaches EOF without "done" (the parent died, even by SIGKILL), it kills every process the
parent started and still listed (checking the start time, so a reused PID is never hit) and
removes the private directory. Signals to the terminal's process group do not reach it."""


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def private_dir(prefix: str) -> Path:
    """A new private directory short enough for unix sockets inside it (TMPDIR first)."""
    first = Path(tempfile.mkdtemp(prefix=prefix))
    if len(os.fsencode(str(first))) <= TMPDIR_BUDGET:
        return first
    for base in SHORT_TMP_BASES:
        try:
            short = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
        except OSError:
            continue
        first.rmdir()
        return short
    return first


@dataclass
class Started:
    """One process we started: its Popen and where its stderr goes."""

    name: str
    popen: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def pid(self) -> int:
        """Its process id (what we stop it by)."""
        return self.popen.pid

    def alive(self) -> bool:
        """Still running."""
        return self.popen.poll() is None

    def stderr(self) -> str:
        """Everything it wrote to stderr so far."""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""


@dataclass
class Processes:
    """A temp directory plus every process started in it; all stopped by PID on exit."""

    prefix: str = "memslot-verify-"
    started: list[Started] = field(default_factory=list)
    tmpdir: Path = field(init=False)

    janitor: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __enter__(self) -> Processes:
        # No signal between creating the directory and the janitor that will remove it: they
        # wait (blocked) until both exist, then clean-up covers them.
        blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            self.tmpdir = private_dir(self.prefix)
            try:
                self.janitor = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _JANITOR, str(self.tmpdir)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except BaseException:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
                raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop_all()
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self._tell("done")
            if self.janitor is not None:
                with contextlib.suppress(OSError):
                    assert self.janitor.stdin is not None
                    self.janitor.stdin.close()
                with contextlib.suppress(BaseException):
                    self.janitor.wait(timeout=5)

    def _tell(self, line: str) -> None:
        """One line to the janitor (a dead janitor is not an error here)."""
        if self.janitor is None or self.janitor.stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.janitor.stdin.write(line.encode() + b"\n")
            self.janitor.stdin.flush()

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Started:
        """Start `argv` with stdout discarded and stderr in a file (no pipe can fill up)."""
        stderr_path = self.tmpdir / f"{name}.stderr"
        handle: IO[bytes] = open(stderr_path, "wb")
        try:
            popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=handle,
                env=env,
                cwd=self.tmpdir,
                start_new_session=True,
                preexec_fn=child_setup(),
            )
        finally:
            handle.close()
        self._tell(f"+ {popen.pid} {_start_time(popen.pid)}")
        started = Started(name, popen, stderr_path)
        self.started.append(started)
        return started

    def stop(self, proc: Started, grace: float = 2.0) -> None:
        """SIGTERM by PID, SIGKILL by PID after `grace` seconds, then reap."""
        if proc.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.popen.wait(timeout=10)
        else:
            proc.popen.wait()
        self._tell(f"- {proc.pid}")

    def stop_all(self) -> None:
        """Stop every process we started, newest first (QEMU before its back-ends)."""
        for proc in reversed(self.started):
            try:
                self.stop(proc)
            except BaseException:  # keep stopping the others, even on Ctrl-C
                with contextlib.suppress(ProcessLookupError, OSError):
                    os.kill(proc.pid, signal.SIGKILL)

    # ----------------------------------------------------------------- back-ends

    def start_vhost_user_backend(
        self,
        name: str,
        socket_path: str,
        max_mem_slots: int,
        configure_mem_slots: bool,
        timeout: float = 10.0,
        config: bool = False,
    ) -> Started:
        """Our own back-end (tui.qemu.vhost_user_backend) listening on `socket_path`;
        `config` for devices that read their config space from it (blk, vsock)."""
        argv = [
            sys.executable,
            "-m",
            "tui.qemu.vhost_user_backend",
            "--socket",
            socket_path,
            "--max-mem-slots",
            str(max_mem_slots),
        ]
        if not configure_mem_slots:
            argv.append("--no-configure-mem-slots")
        if config:
            argv.append("--config")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
        )
        proc = self.start(name, argv, env=env)
        self._wait_socket(proc, socket_path, timeout)
        return proc

    def start_storage_daemon(
        self, qsd: str, name: str, socket_path: str, timeout: float = 10.0
    ) -> Started:
        """qemu-storage-daemon exporting a null block device over vhost-user-blk (509 slots)."""
        argv = [
            qsd,
            "--blockdev",
            f"driver=null-co,node-name={name}-null,size=67108864",
            "--export",
            f"type=vhost-user-blk,id={name}-exp,node-name={name}-null,"
            f"addr.type=unix,addr.path={quote_opt(socket_path)},writable=on",
        ]
        proc = self.start(name, argv)
        self._wait_socket(proc, socket_path, timeout)
        return proc

    def _wait_socket(self, proc: Started, path: str, timeout: float) -> None:
        """Until a connection to `path` succeeds: the socket file appears at bind(), before
        listen(), and a QEMU connecting in between would be refused."""
        deadline = time.monotonic() + timeout
        full = path if os.path.isabs(path) else str(self.tmpdir / path)
        while True:
            if os.path.exists(full):
                if len(os.fsencode(full)) > SUN_PATH_MAX:  # cannot probe it from here
                    time.sleep(0.1)
                    return
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.settimeout(max(0.05, deadline - time.monotonic()))
                    try:
                        probe.connect(full)
                        return
                    except OSError:
                        pass
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited: {proc.stderr().strip()}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{proc.name}: no socket {path} after {timeout:g}s")
            time.sleep(0.02)
