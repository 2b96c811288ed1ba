"""export_text for every format and `memslot-explorer export` end to end (files, errors)."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.formats.cases import CASES
from tui.fileio import write_text as write_atomic
from tui.formats import toml
from tui.formats.export import FORMATS, export_text, run_export_cli
from tui.formats.libvirt import TIMELINE_NS, domain_name
from tui.formats.libvirt_import import parse_memory_devices

ROOT = Path(__file__).resolve().parents[2]


def _args(file: Path, to: str, output: Path | None = None) -> argparse.Namespace:
    return argparse.Namespace(file=file, to=to, output=output)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "vm.toml"
    path.write_text(toml.dumps(CASES["virtio_mem_vhost"]()), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- export_text


@pytest.mark.parametrize("case", sorted(CASES))
def test_toml_round_trip(case: str) -> None:
    config = CASES[case]()
    assert toml.loads(export_text(config, "toml")) == config


@pytest.mark.parametrize("case", sorted(CASES))
def test_qemu_names_every_cold_device(case: str) -> None:
    config = CASES[case]()
    text = export_text(config, "qemu")
    command = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    assert command.startswith("qemu-system-x86_64")
    consumers = {c.id for c in config.consumers}
    for event in config.timeline:
        if event.action == "cold" and event.device not in consumers:
            assert f"id={event.device}" in text, event.device


@pytest.mark.parametrize("case", sorted(CASES))
def test_qmp_one_json_command_per_line(case: str) -> None:
    config = CASES[case]()
    text = export_text(config, "qmp")
    hot = [(n, e) for n, e in enumerate(config.timeline, start=1) if e.action != "cold"]
    comments = [line for line in text.splitlines() if line.startswith("#")]
    commands = [json.loads(line) for line in text.splitlines() if line and line[0] != "#"]
    assert all("execute" in command for command in commands)
    if not hot:
        assert commands == [] and len(comments) == 1
        return
    headers = [line for line in comments if line.startswith("# event ")]
    assert [h.split(":")[0] for h in headers] == [f"# event {n}" for n, _ in hot]
    for (_, event), header in zip(hot, headers, strict=True):
        assert f"{event.action} {event.device}" in header
    consumers = {c.id for c in config.consumers}
    for _, event in hot:
        if event.device not in consumers:
            assert any(event.device in json.dumps(c) for c in commands), event.device


@pytest.mark.parametrize("case", sorted(CASES))
def test_libvirt_export_is_one_document_with_verdicts(case: str) -> None:
    config = CASES[case]()
    text = export_text(config, "libvirt")
    root = ET.fromstring(text)
    assert root.tag == "domain"
    hot = [e for e in config.timeline if e.action != "cold"]
    events = root.findall(f"metadata/{{{TIMELINE_NS}}}timeline/{{{TIMELINE_NS}}}event")
    assert [(e.get("action"), e.get("device")) for e in events] == [
        (e.action, e.device) for e in hot
    ]
    cold_memory = [
        e.device
        for e in config.timeline
        if e.action == "cold"
        and config.device(e.device).kind in ("pc-dimm", "nvdimm", "virtio-pmem", "virtio-mem")
    ]
    assert [d["id"] for d in parse_memory_devices(text)] == [
        d.replace(".", "_") for d in cold_memory
    ]
    if config.timeline:
        assert "memslot-explorer:" in text.split("<devices", 1)[1]


def test_libvirt_export_embeds_the_engine_decision() -> None:
    text = export_text(CASES["virtio_mem_vhost"](), "libvirt")
    assert "memslot-explorer: vmem0 decides" in text


def test_domain_names_are_valid_and_short() -> None:
    config = CASES["virtio_mem_vhost"]()
    assert domain_name(config) == "virtio-mem-virtiofs-vhost-net"
    assert domain_name(config, "my vm/1") == "my-vm-1"
    long = domain_name(
        config.model_copy(
            update={"title": "Worked example 10 / S6: virtiofsd (32 memslots) hotplugged after"}
        )
    )
    assert long == "Worked-example-10-S6-virtiofsd-32-memslots" and len(long) <= 48
    assert domain_name(CASES["empty"]()) == "memslot-explorer"
    assert domain_name(config, "///") == "memslot-explorer"


def test_qmp_unplug_waits_for_device_deleted() -> None:
    lines = export_text(CASES["dimm_ladder"](), "qmp").splitlines()
    delete = next(i for i, line in enumerate(lines) if '"device_del"' in line)
    assert "DEVICE_DELETED" in lines[delete + 1] and '"object-del"' in lines[delete + 2]


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        export_text(CASES["empty"](), "yaml")
    assert set(FORMATS) == {"qemu", "qmp", "libvirt", "toml", "kata", "kubevirt"}


# --------------------------------------------------------------------------- run_export_cli


@pytest.mark.parametrize("to", FORMATS)
def test_cli_stdout(config_file: Path, to: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_export_cli(_args(config_file, to)) == 0
    out, err = capsys.readouterr()
    assert out == export_text(toml.load(config_file), to, name="vm") and err == ""


def test_cli_writes_output_atomically(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "vm.xml"
    out.parent.mkdir()
    assert run_export_cli(_args(config_file, "libvirt", out)) == 0
    assert capsys.readouterr() == ("", "")
    text = out.read_text(encoding="utf-8")
    assert text == export_text(toml.load(config_file), "libvirt", name="vm")
    assert ET.fromstring(text).findtext("name") == "vm"  # the file's stem names the domain
    assert sorted(p.name for p in out.parent.iterdir()) == ["vm.xml"]  # no temp file left
    assert stat.S_IMODE(out.stat().st_mode) & 0o600 == 0o600


def test_cli_overwrites_and_keeps_mode(config_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "vm.sh"
    out.write_text("old\n", encoding="utf-8")
    os.chmod(out, 0o640)
    assert run_export_cli(_args(config_file, "qemu", out)) == 0
    assert "\nqemu-system-x86_64 \\\n" in out.read_text(encoding="utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_cli_unwritable_output(
    config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-dir" / "vm.xml"
    assert run_export_cli(_args(config_file, "libvirt", missing)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert str(missing) in err and err.count("\n") == 1 and "Traceback" not in err
    assert run_export_cli(_args(config_file, "toml", tmp_path)) == 2
    assert "Is a directory" in capsys.readouterr().err


def test_cli_failed_write_keeps_old_file(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "vm.toml"
    out.write_text("old\n", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    assert run_export_cli(_args(config_file, "toml", out)) == 2
    assert out.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vm.toml"]


def test_cli_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[machine]\nram = 'lots'\n", encoding="utf-8")
    assert run_export_cli(_args(bad, "qemu")) == 2
    out, err = capsys.readouterr()
    assert out == "" and "bad.toml" in err and "Traceback" not in err
    assert run_export_cli(_args(tmp_path / "missing.toml", "qemu")) == 2
    assert "missing.toml" in capsys.readouterr().err


def test_cli_dash_is_stdout(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_export_cli(_args(config_file, "toml", Path("-"))) == 0
    assert capsys.readouterr().out == export_text(toml.load(config_file), "toml")


def test_write_atomic_through_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.xml"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.xml"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new\n"


def test_write_atomic_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic(Path("plain.txt"), "x\n")
    assert (tmp_path / "plain.txt").read_text(encoding="utf-8") == "x\n"


def test_console_script_export(config_file: Path, tmp_path: Path) -> None:
    """The real CLI dispatches `export` here (one subprocess: the wiring, not the formats)."""
    out = tmp_path / "vm.qmp"
    result = subprocess.run(
        [sys.executable, "-m", "tui", "export", str(config_file), "--to", "qmp", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == export_text(toml.load(config_file), "qmp")


PRESETS = sorted((ROOT / "presets").glob("*.toml"))


@pytest.mark.skipif(not PRESETS, reason="no presets/*.toml in this checkout")
def test_every_preset_exports_in_every_format() -> None:
    """The shipped presets are what users export first: every format must work on each."""
    for path in PRESETS:
        config = toml.load(path)
        for to in FORMATS:
            text = export_text(config, to)
            assert text.endswith("\n"), (path.name, to)
        ET.fromstring(export_text(config, "libvirt"))
        assert toml.loads(export_text(config, "toml")) == config, path.name
