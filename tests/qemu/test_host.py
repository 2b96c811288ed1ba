"""Reading host facts (tui/qemu/host.py) and the `host` verb: every fact or its reason, never a
traceback or a hang — on any host (nothing here assumes this machine's CPU, KVM or THP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tui.qemu.host import read_cpu, read_host, read_kvm_memslots, read_thp_size

ROOT = Path(__file__).resolve().parents[2]
AMD = (
    "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
    "address sizes\t: 48 bits physical, 48 bits virtual\n"
)
INTEL = "vendor_id\t: GenuineIntel\naddress sizes\t: 46 bits physical, 57 bits virtual\n"


def test_kvm_reasons(tmp_path: Path) -> None:
    missing = read_kvm_memslots(str(tmp_path / "kvm"))
    assert missing.value is None and "does not exist" in missing.reason
    plain = tmp_path / "plain"
    plain.write_text("")
    not_kvm = read_kvm_memslots(str(plain))
    assert not_kvm.value is None and "is not KVM" in not_kvm.reason


def test_sysfs_numbers(tmp_path: Path) -> None:
    good = tmp_path / "hpage_pmd_size"
    good.write_text("2097152\n")
    assert read_thp_size(str(good)).value == 2097152
    bad = tmp_path / "bad"
    bad.write_text("٤\n")  # a non-ASCII digit is not a number here either
    fact = read_thp_size(str(bad))
    assert fact.value is None and "not a number" in fact.reason
    assert "no transparent huge pages" in read_thp_size(str(tmp_path / "none")).reason


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fact = read_thp_size(str(fifo))
    assert fact.value is None and "not a regular file" in fact.reason


def test_cpuinfo_vendor_and_bits(tmp_path: Path) -> None:
    for text, vendor, raw, bits in (
        (AMD, "amd", "AuthenticAMD", 48),
        (INTEL, "intel", "GenuineIntel", 46),
    ):
        path = tmp_path / "cpuinfo"
        path.write_text(text)
        got = read_cpu(str(path))
        assert (got[0].value, got[1].value, got[2].value) == (vendor, raw, bits)
    path.write_text("vendor_id\t: HygonGenuine\n")
    vendor, raw, bits = read_cpu(str(path))
    assert vendor.value is None and "neither AMD nor Intel" in vendor.reason
    assert raw.value == "HygonGenuine" and bits.value is None


def test_every_fact_is_a_value_or_a_reason() -> None:
    for name, fact in read_host().items():
        assert fact.known or fact.reason, name


def test_host_verb_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui", "host", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["schema"] == "memslot-explorer/host/1"
    assert set(document["facts"]) >= {"kvm_memslots", "thp_size", "cpu_vendor", "qemu_version"}
    for name, fact in document["facts"].items():
        assert (fact["value"] is None) == (fact["reason"] is not None), name


def test_check_host_says_what_it_changed(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[machine]\nkvm_memslots = 1\nqemu_version = "9.0"\n')
    out = subprocess.run(
        [sys.executable, "-m", "tui", "check", "--host", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    assert str(path) in out.stderr and "Traceback" not in out.stderr
