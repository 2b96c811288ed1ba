"""The one way memslot-explorer reads and writes user files (CLI and app alike).

Writing (`write_text`) never leaves a half-written file, a stray temp file or a surprise:

- a regular target is replaced atomically: the text goes to a temp file in the same directory,
  is fsync'ed, gets its mode, and is renamed over the target; the directory is fsync'ed too;
- a new file gets 0666 minus the umask (what `>` in a shell gives); an existing file keeps its
  mode, exec bit included, and (where permitted) its owner;
- a read-only target (no write bit, e.g. 0444) is refused with a clear error, never silently
  replaced, even when running as root;
- symlinks are written through: the link stays, the file it points to gets the new text;
- a target that exists and is not a regular file (a device node such as /dev/null, a FIFO,
  /dev/stdout into a pipe or a terminal) is written in place, never replaced by a file;
- a name of one of this process's open descriptors (/dev/stdout, /dev/stderr, /dev/fd/N,
  /proc/self/fd/N) is written through that descriptor, whatever it is open on: `-o /dev/stdout
  >> log` appends to log as the shell opened it, never replaces it;
- the temp file (`.NAME.PID.XXXX.tmp`, same directory) is removed on any error, on Ctrl-C,
  SIGTERM and SIGHUP; one left by a SIGKILLed writer is removed by the next write of the same
  target;
- over `ulimit -f` the write fails with "File too large" (SIGXFSZ would kill the process).

Reading (`read_bytes`) refuses what is not a regular file (a FIFO would block forever) and
files over a size limit, with the file and the reason in the error.

Pure of the app and of Textual: only the standard library.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

__all__ = ["FileAccessError", "new_file_mode", "read_bytes", "write_text"]


class FileAccessError(OSError):
    """A file that cannot be read or written: str() is "FILE: REASON"."""

    def __init__(self, path: Path | str, reason: str, code: int = 0) -> None:
        # strerror is the bare cause ("File too large"), as callers that print
        # "FILE: cannot write: {strerror}" expect; `reason` says what was being done
        cause = (
            reason.split(": ", 1)[1]
            if reason.startswith(("cannot read: ", "cannot write: "))
            else reason
        )
        super().__init__(code, cause, str(path))
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


MAX_FILE_SIZE = 16 << 20
"""Larger configuration and lesson files are refused (and /dev/zero cannot hang a reader)."""

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


# --------------------------------------------------------------------------- reading


def read_bytes(path: Path | str, max_size: int) -> bytes:
    """The bytes of a regular file of at most `max_size` bytes, or FileAccessError.

    Opened non-blocking and checked with fstat on the open descriptor: a FIFO, a device or a
    directory is refused before a single byte is read (no hang, no race with a rename).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {_reason(exc)}", exc.errno or 0) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileAccessError(path, "cannot read: Is a directory", errno.EISDIR)
        if not stat.S_ISREG(info.st_mode):
            raise FileAccessError(
                path, f"cannot read: {_kind(info.st_mode)}, not a regular file", errno.EINVAL
            )
        if info.st_size > max_size:
            raise FileAccessError(path, _too_large(info.st_size, max_size), errno.EFBIG)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= max_size:
            chunk = os.read(fd, min(1 << 20, max_size + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_size:  # it grew while we read
            raise FileAccessError(path, _too_large(size, max_size), errno.EFBIG)
        return b"".join(chunks)
    except FileAccessError:
        raise
    except OSError as exc:
        raise FileAccessError(path, f"cannot read: {_reason(exc)}", exc.errno or 0) from None
    finally:
        os.close(fd)


def _too_large(size: int, limit: int) -> str:
    return f"too large: {size} bytes, over the {_human(limit)} limit for this file"


def _human(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


# --------------------------------------------------------------------------- writing


def new_file_mode() -> int:
    """0666 minus the umask: the mode a shell's `>` gives a new file.

    Read from /proc (no change of the process-wide umask, which other threads may be using);
    elsewhere the umask is set and restored under a lock.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


_UMASK_LOCK = threading.Lock()


class _Interrupted(BaseException):
    """A termination signal arrived during a write: unwind (removing the temp file), then
    re-deliver the signal with its previous handler."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_unwind() -> Iterator[None]:
    """SIGTERM/SIGHUP unwind the write like Ctrl-C does; SIGXFSZ (over `ulimit -f`) becomes
    an EFBIG error instead of killing the process. Only the main thread can do this."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, object] = {}

    def unwind(signum: int, _frame: FrameType | None) -> None:
        raise _Interrupted(signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, unwind)
    previous[signal.SIGXFSZ] = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        yield
    except _Interrupted as exc:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        previous.clear()
        os.kill(os.getpid(), exc.signum)
        raise KeyboardInterrupt from None  # a handler that returned: stop as Ctrl-C would
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


def write_text(path: Path | str, text: str) -> None:
    """Write UTF-8 `text` to `path` by the policy in the module docstring; FileAccessError on
    any failure (the message names the file and the reason; the old content is intact)."""
    data = text.encode("utf-8")
    with _signals_unwind():
        _write(Path(path), data)


_DESCRIPTOR_NAME = re.compile(r"/dev/(stdout|stderr|fd/(\d+))|/proc/(self|\d+)/fd/(\d+)")
"""Names of a process's own open descriptors (Linux)."""


def _own_descriptor(path: Path) -> int | None:
    """The descriptor `path` names in this process, when it names one that is open."""
    found = _DESCRIPTOR_NAME.fullmatch(str(path))
    if found is None:
        return None
    stream, dev_fd, pid, proc_fd = found.groups()
    if pid is not None and pid != "self" and int(pid) != os.getpid():
        return None
    number = dev_fd or proc_fd
    fd = int(number) if number is not None else {"stdout": 1, "stderr": 2}[stream]
    try:
        os.fstat(fd)
    except OSError:
        return None  # not open here: the name is resolved as a path
    return fd


def _write_descriptor(path: Path, fd: int, data: bytes) -> None:
    """Write through an open descriptor of ours (its offset, its O_APPEND), then leave it open."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None and stream.fileno() == fd:
                stream.flush()  # what was printed before comes first
    _write_all(path, fd, data)


def _write_all(path: Path, fd: int, data: bytes) -> None:
    """Every byte of `data` to `fd` (a pipe or device may take part of it per write)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise FileAccessError(path, f"cannot write: {_reason(exc)}", exc.errno or 0) from None


def _write(path: Path, data: bytes) -> None:
    fd = _own_descriptor(path)
    if fd is not None:
        _write_descriptor(path, fd, data)
        return
    try:
        info: os.stat_result | None = os.stat(path)  # follows symlinks: the target decides
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise FileAccessError(path, f"cannot write: {_reason(exc)}", exc.errno or 0) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise FileAccessError(path, "cannot write: Is a directory", errno.EISDIR)
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(path, data, info.st_mode)
        return
    if info is not None and not info.st_mode & 0o222:
        raise FileAccessError(
            path,
            f"cannot write: read-only file (mode {stat.S_IMODE(info.st_mode):04o}); not "
            "overwritten (make it writable or choose another name)",
            errno.EACCES,
        )
    target = Path(os.path.realpath(path))  # through a symlink: the link stays, its file changes
    mode = stat.S_IMODE(info.st_mode) if info is not None else new_file_mode()
    try:
        _replace(target, data, mode, info)
    except OSError as exc:
        raise FileAccessError(path, f"cannot write: {_reason(exc)}", exc.errno or 0) from None


def _write_in_place(path: Path, data: bytes, mode: int) -> None:
    """A device, FIFO or pipe: open it and write; a FIFO without a reader is an error, not a
    hang."""
    if stat.S_ISSOCK(mode):
        raise FileAccessError(path, "cannot write: a socket, not a file", errno.EINVAL)
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        reason = "a FIFO with no reader" if exc.errno == errno.ENXIO else _reason(exc)
        raise FileAccessError(path, f"cannot write: {reason}", exc.errno or 0) from None
    try:
        os.set_blocking(fd, True)
    except OSError as exc:
        os.close(fd)
        raise FileAccessError(path, f"cannot write: {_reason(exc)}", exc.errno or 0) from None
    try:
        _write_all(path, fd, data)
    finally:
        os.close(fd)


def _replace(target: Path, data: bytes, mode: int, info: os.stat_result | None) -> None:
    directory = target.parent
    prefix = f".{target.name}.{os.getpid()}."
    fd, temp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            if info is not None and (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.fchown(fd, info.st_uid, info.st_gid)
                    os.fchmod(fd, mode)  # chown clears set-id bits
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(directory)
    _sweep_stale(directory, target.name)


def _sweep_stale(directory: Path, name: str) -> None:
    """Remove temp files an earlier writer of this target left when it was SIGKILLed (the
    one signal no handler sees): `.NAME.PID.*.tmp` whose PID no longer runs."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp$")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        match = pattern.match(entry)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(match.group(1)), 0)
            continue  # its writer is still running
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, entry))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
