"""`verify` input edges (issue 8 item 11): --timeout bounds, TMPDIR with a comma or too long for
a unix socket, ids too long for a socket path. Subprocesses run this tree's `python -m tui`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.cli import main
from tui.engine.model import Config
from tui.formats.toml import save
from tui.qemu.launch import TIMEOUT_RANGE, TMPDIR_BUDGET, parse_timeout, private_dir

REPO = Path(__file__).resolve().parents[2]
PRESET = REPO / "presets" / "ex01-virtio-mem-64-memslots.toml"


def _verify(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", "verify", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
        ("-inf", "not a finite number"),
        ("1e308", "outside 1..3600"),
        ("0", "outside 1..3600"),
        ("0.01", "outside 1..3600"),
        ("-5", "outside 1..3600"),
        ("soon", "not a number"),
    ],
)
def test_bad_timeout_is_a_usage_error(
    value: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if value == "nan":  # once through the real program
        result = _verify(str(PRESET), f"--timeout={value}")
        code, err = result.returncode, result.stderr
    else:
        code = main(["verify", str(PRESET), f"--timeout={value}"])
        err = capsys.readouterr().err
    assert code == 2
    assert "--timeout: " in err and reason in err
    assert "Traceback" not in err and "starting QEMU" not in err


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_timeout_accepts_exactly_finite_seconds_within_bounds(value: float) -> None:
    low, high = TIMEOUT_RANGE
    if value == value and low <= value <= high:
        assert parse_timeout(repr(value)) == value
    else:
        with pytest.raises(ValueError):
            parse_timeout(repr(value))


def test_timeout_bounds_are_inclusive() -> None:
    assert parse_timeout("1") == 1.0 and parse_timeout("3600") == 3600.0
    assert parse_timeout("7.5") == 7.5


def test_long_tmpdir_falls_back_to_a_short_private_dir(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    os.environ["TMPDIR"] = str(deep)
    try:
        import tempfile

        tempfile.tempdir = None
        made = private_dir("memslot-test-")
    finally:
        del os.environ["TMPDIR"]
        tempfile.tempdir = None
    try:
        assert len(str(made)) <= TMPDIR_BUDGET and made.is_dir()
        assert not list(deep.iterdir())
    finally:
        made.rmdir()


LONG_ID = "blk-" + "x" * 110
CONFIG = {
    "machine": {"ram": "1G", "maxmem": "5G", "memory_backend": "memfd"},
    "memory_devices": [
        {
            "kind": "virtio-mem",
            "id": "vm0",
            "size": "2G",
            "dynamic_memslots": True,
            "backend": "memfd",
            "share": True,
        }
    ],
    "vhost_devices": [
        {"kind": "vhost-user", "id": "fs0", "device": "fs", "max_mem_slots": 509},
        {"kind": "vhost-user", "id": LONG_ID, "device": "blk", "max_mem_slots": 32},
    ],
    "timeline": [
        {"action": "cold", "device": "fs0"},
        {"action": "cold", "device": "vm0"},
        {"action": "hotplug", "device": LONG_ID},
    ],
}


@pytest.mark.qemu
@pytest.mark.parametrize("tmpname", ["with,comma", "long-" + "y" * 100])
def test_awkward_tmpdir_and_long_id_verify(tmp_path: Path, tmpname: str, qemu_info) -> None:
    """A comma in TMPDIR (QEMU option escaping) and a TMPDIR or id too long for a unix socket
    path: verify still runs every event, matches, and leaves TMPDIR empty."""
    tmpdir = tmp_path / tmpname
    tmpdir.mkdir()
    config_file = tmp_path / "vm.toml"
    save(Config.model_validate(CONFIG), config_file)
    result = _verify(str(config_file), "--json", env={"TMPDIR": str(tmpdir)})
    assert "Traceback" not in result.stderr, result.stderr
    import json

    document = json.loads(result.stdout)
    assert document["error"] is None, document["error"]
    assert document["ok"], result.stdout
    # The long vhost-user id reached QEMU: the hotplug was refused by QEMU's vhost check, not
    # by a socket path problem.
    last = document["rows"][-1]
    assert last["device"] == LONG_ID and last["qemu"]["status"] == "error"
    assert "decided how many memory slots" in last["qemu"]["error"]
    assert not list(tmpdir.iterdir())


FS_IDS = ["fs-" + "z" * 60 + "-a", "fs-" + "z" * 60 + "-b"]
"""Two vhost-user-fs ids longer than virtio-fs's 36-byte tag that share their first 60 bytes."""


def test_a_long_virtiofs_id_gets_a_tag_qemu_takes() -> None:
    """The exporters use the id as the mount tag, shortened (start + hash) only where QEMU
    would refuse it ("tag property must be 36 bytes or less"): distinct ids, distinct tags."""
    from tui.formats.libvirt import domain_xml
    from tui.formats.qemu import VIRTIOFS_TAG_MAX, command_line, virtiofs_tag

    tags = [virtiofs_tag(device_id) for device_id in FS_IDS]
    assert all(len(tag.encode()) <= VIRTIOFS_TAG_MAX for tag in tags)
    assert len(set(tags)) == 2 and all(tag.startswith("fs-zzz") for tag in tags)
    assert virtiofs_tag("fs0") == "fs0" and virtiofs_tag("é" * 18) == "é" * 18
    config = Config.model_validate(
        {
            "machine": {"ram": "1G", "maxmem": "5G", "memory_backend": "memfd"},
            "vhost_devices": [
                {"kind": "vhost-user", "id": device_id, "device": "fs", "max_mem_slots": 509}
                for device_id in FS_IDS
            ],
        }
    )
    cli = " ".join(command_line(config))
    xml = domain_xml(config)
    for device_id, tag in zip(FS_IDS, tags, strict=True):
        assert f"tag={tag}" in cli and f"tag={device_id}" not in cli
        assert f'<target dir="{tag}"' in xml or f"<target dir='{tag}'" in xml


@pytest.mark.qemu
def test_a_long_virtiofs_id_verifies(tmp_path: Path, qemu_info) -> None:
    """QEMU refused the exported tag of a vhost-user-fs id over 36 bytes, which the engine
    (rightly: QEMU's limit is on the tag, not the id) accepts: verify reported a mismatch."""
    config_file = tmp_path / "vm.toml"
    config = {
        "machine": {"ram": "1G", "maxmem": "5G", "memory_backend": "memfd"},
        "vhost_devices": [
            {"kind": "vhost-user", "id": FS_IDS[0], "device": "fs", "max_mem_slots": 509}
        ],
        "timeline": [{"action": "cold", "device": FS_IDS[0]}],
    }
    save(Config.model_validate(config), config_file)
    result = _verify(str(config_file), "--json")
    import json

    document = json.loads(result.stdout)
    assert document["error"] is None, document["error"]
    assert document["ok"], result.stdout
