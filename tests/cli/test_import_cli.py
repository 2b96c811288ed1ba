"""`memslot-explorer import`: sources (file, stdin, --pid), -o, exit codes, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli import main
from tui.formats import toml

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "formats" / "import_samples"


def test_file_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(SAMPLES / "proxmox-dimm-ladder.sh")]) == 0
    out, err = capsys.readouterr()
    config = toml.loads(out)
    assert [d.id for d in config.memory_devices] == ["dimm0", "dimm1", "dimm2", "dimm3"]
    assert "warning: -id: not understood" in err
    assert "assumed: net0.max_mem_regions = 64" in err


def test_output_file_then_check(tmp_path: Path) -> None:
    out = tmp_path / "vm.toml"
    assert main(["import", str(SAMPLES / "libvirt-virtio-mem-virtiofs.xml"), "-o", str(out)]) == 0
    assert toml.load(out).memory_devices[0].kind == "virtio-mem"
    assert main(["check", str(out)]) in (0, 1)


def test_format_forced(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    xml = tmp_path / "domain.txt"
    xml.write_text((SAMPLES / "nvdimm-virtio-pmem.xml").read_text())
    assert main(["import", str(xml), "--format", "libvirt"]) == 0
    assert main(["import", str(xml), "--format", "qemu"]) == 2
    assert "no QEMU command found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["import", "/nonexistent/vm.sh"], "cannot read"),
        (["import"], "give SOURCE"),
        (["import", "x", "--pid", "1"], "not both"),
        (["import", "--format", "yaml", "x"], "invalid choice"),
    ],
)
def test_usage_and_missing_files_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def _run(*args: str, stdin: bytes = b"", timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui", "import", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_stdin_fifo_and_pid_end_to_end(tmp_path: Path) -> None:
    """One process per case is slow, so the subprocess cases share a test."""
    done = _run("-", stdin=(SAMPLES / "kata-like.sh").read_bytes())
    assert done.returncode == 0, done.stderr
    assert b'kind = "nvdimm"' in done.stdout
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = _run(str(fifo), timeout=20)  # must not block on the FIFO
    assert done.returncode == 2 and b"not a regular file" in done.stderr
    assert b"Traceback" not in done.stderr
    # a running process that is not QEMU: a clear refusal, not a guess
    done = _run("--pid", str(os.getpid()))
    assert done.returncode == 2 and b"is not a QEMU binary" in done.stderr
    done = _run("-", stdin=b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert done.returncode == 2 and b"not UTF-8" in done.stderr


def test_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing-dir" / "vm.toml"
    assert main(["import", str(SAMPLES / "kata-like.sh"), "-o", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_never_writes_over_the_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "vm.xml"
    text = (SAMPLES / "nvdimm-virtio-pmem.xml").read_text()
    source.write_text(text)
    assert main(["import", str(source), "-o", str(source)]) == 2
    assert source.read_text() == text
    assert "is the source" in capsys.readouterr().err
