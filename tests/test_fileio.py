"""The one atomic writer and the safe reader, on real special files and real signals."""

from __future__ import annotations

import os
import resource
import shlex
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui.fileio import FileAccessError, new_file_mode, read_bytes, write_text

ROOT = Path(__file__).resolve().parent.parent


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_new_file_respects_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        assert new_file_mode() == 0o640
        write_text(tmp_path / "new.txt", "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_existing_mode_and_exec_bit_kept(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o751)
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert _leftovers(tmp_path) == []


def test_read_only_target_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "locked.toml"
    target.write_text("precious\n")
    target.chmod(0o444)
    with pytest.raises(FileAccessError) as info:
        write_text(target, "new\n")
    assert str(info.value) == (
        f"{target}: cannot write: read-only file (mode 0444); not overwritten "
        "(make it writable or choose another name)"
    )
    assert target.read_text() == "precious\n"
    assert _leftovers(tmp_path) == []


def test_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text("old\n")
    real.chmod(0o600)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    write_text(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_device_node_is_written_in_place() -> None:
    write_text("/dev/null", "discarded\n")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_fifo_with_a_reader_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the reader is there first
    try:
        write_text(fifo, "through the pipe\n")
        assert os.read(reader, 100) == b"through the pipe\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file


def test_fifo_without_a_reader_is_an_error_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    with pytest.raises(FileAccessError) as info:
        write_text(fifo, "x")
    assert info.value.reason == "cannot write: a FIFO with no reader"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_failed_rename_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "vm.toml"
    target.write_text("precious")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_text(target, "new")
    assert target.read_text() == "precious" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_write_removes_the_temp_file(tmp_path: Path, signum: int) -> None:
    """The signal arrives between writing and renaming (fsync sends it): the process dies of
    that signal, the temp file is gone, the old file is intact."""
    target = tmp_path / "vm.toml"
    target.write_text("precious")
    script = textwrap.dedent(
        f"""
        import os, signal
        import tui.fileio as f
        real = os.fsync
        def fsync(fd):
            real(fd)
            os.kill(os.getpid(), {int(signum)})
        os.fsync = fsync
        f.write_text({str(target)!r}, "new")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -signum, proc.stderr  # Python re-raises an unhandled SIGINT too
    assert target.read_text() == "precious"
    assert _leftovers(tmp_path) == []


def test_temp_left_by_a_killed_writer_is_swept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    stale = tmp_path / f".vm.toml.{int(dead.stdout)}.abc123.tmp"
    stale.write_text("half")
    other = tmp_path / f".other.toml.{int(dead.stdout)}.abc123.tmp"
    other.write_text("not ours")
    write_text(tmp_path / "vm.toml", "new\n")
    assert not stale.exists() and other.exists()


def test_file_size_limit_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """Over `ulimit -f`, SIGXFSZ would kill the process mid-write; it must be an error."""
    target = tmp_path / "big.txt"
    script = f"import tui.fileio as f\nf.write_text({str(target)!r}, 'x' * 100000)\n"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )
    assert proc.returncode == 1
    assert f"FileAccessError: {target}: cannot write: File too large" in proc.stderr
    assert not target.exists() and _leftovers(tmp_path) == []


def test_read_refuses_fifo_device_and_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    for path, reason in (
        (fifo, "cannot read: a FIFO (named pipe), not a regular file"),
        (Path("/dev/zero"), "cannot read: a character device, not a regular file"),
        (tmp_path, "cannot read: Is a directory"),
    ):
        with pytest.raises(FileAccessError) as info:
            read_bytes(path, 100)
        assert info.value.reason == reason


def test_read_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"12345")
    assert read_bytes(path, 5) == b"12345"
    with pytest.raises(FileAccessError) as info:
        read_bytes(path, 4)
    assert str(info.value) == f"{path}: too large: 5 bytes, over the 4 bytes limit for this file"


def test_cli_export_to_dev_stdout_into_a_pipe(tmp_path: Path) -> None:
    """`-o /dev/stdout` with stdout a pipe: written in place (the old writer failed)."""
    source = tmp_path / "vm.toml"
    source.write_text('title = "piped"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "export", str(source), "--to", "toml", "-o", "/dev/stdout"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert 'title = "piped"' in proc.stdout


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
@pytest.mark.parametrize("redirect", [">>", ">"])
def test_cli_export_to_dev_stdout_redirected_to_a_file(
    tmp_path: Path, name: str, redirect: str
) -> None:
    """`-o /dev/stdout >> log` replaced log (the symlink was written through, atomically):
    the text now goes through the shell's descriptor, appended after what log held."""
    source = tmp_path / "vm.toml"
    source.write_text('title = "appended"\n')
    log = tmp_path / "log"
    log.write_text("earlier line\n")
    log.chmod(0o640)
    command = (
        f"{shlex.quote(sys.executable)} -m tui export {shlex.quote(str(source))} --to toml"
        f" -o {name} {redirect} {shlex.quote(str(log))}"
    )
    proc = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    text = log.read_text()
    assert text.startswith("earlier line\n") == (redirect == ">>"), text
    assert 'title = "appended"' in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o640  # the same file, not a replacement
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_export_over_the_file_size_limit_names_the_file(tmp_path: Path) -> None:
    """Issue 8 item 11: "File too large" came without the file."""
    source = tmp_path / "vm.toml"
    source.write_text('title = "' + "x" * 400 + '"\n')
    out = tmp_path / "out.toml"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    proc = subprocess.run(
        [sys.executable, "-m", "tui", "export", str(source), "--to", "toml", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
    )
    assert proc.returncode == 2
    assert proc.stderr == (f"memslot-explorer export: error: {out}: cannot write: File too large\n")
    assert not out.exists() and _leftovers(tmp_path) == []


def test_cli_import_output_read_only_target(tmp_path: Path) -> None:
    """`import -o` goes through the same writer: a 0444 target is refused, said once."""
    source = tmp_path / "vm.sh"
    source.write_text("qemu-system-x86_64 -machine q35 -m 4G\n")
    out = tmp_path / "vm.toml"
    out.write_text("precious\n")
    out.chmod(0o444)
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "import", str(source), "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.endswith(
        f"{out}: cannot write: read-only file (mode 0444); not overwritten "
        "(make it writable or choose another name)\n"
    )
    assert out.read_text() == "precious\n"
