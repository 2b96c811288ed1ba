"""libvirt exporter: well-formed XML, golden files, and the memory devices read back exactly.

Golden files: tests/formats/golden/<case>.xml hold `domain_xml(config, timeline=True)` without
an engine report, so they change only when the exporter does. Regenerate after a deliberate
change with `UPDATE_GOLDEN=1 python -m pytest -q tests/formats/test_libvirt.py` and review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.formats.cases import CASES
from tui.engine import replay
from tui.engine.model import Config, Event
from tui.engine.units import GiB, MiB
from tui.formats.libvirt import (
    TIMELINE_NS,
    domain_xml,
    hotplug_snippets,
)
from tui.formats.libvirt_import import parse_memory_devices

GOLDEN = Path(__file__).parent / "golden"
MODELS = {
    "pc-dimm": "dimm",
    "nvdimm": "nvdimm",
    "virtio-pmem": "virtio-pmem",
    "virtio-mem": "virtio-mem",
}


def _parse_snippet(xml: str) -> ET.Element:
    """A snippet is comments plus at most one element: wrap it so that comment-only ones parse."""
    return ET.fromstring(f"<snippet>{xml}</snippet>")


def _expected(config: Config, device: Any, requested: int | None = None) -> dict[str, Any]:
    """What parse_memory_devices must read back for a memory device of the model."""
    expected: dict[str, Any] = {
        "kind": device.kind,
        "id": device.id.replace(".", "_"),
        "size": device.size,
    }
    if device.share:
        expected["share"] = True
    elif config.machine.memory_backend == "memfd":
        expected["share"] = False
    if device.kind in ("pc-dimm", "virtio-mem") and device.page_size != 4096:
        expected["page_size"] = device.page_size
    if device.kind != "virtio-pmem":
        expected["node"] = 0
    if device.kind in ("pc-dimm", "nvdimm"):
        if device.slot is not None:
            expected["slot"] = device.slot
        if device.addr is not None:
            expected["addr"] = device.addr
    if device.kind in ("virtio-mem", "virtio-pmem") and device.memaddr is not None:
        expected["memaddr"] = device.memaddr
    if device.kind == "nvdimm":
        if device.label_size is not None:
            expected["label_size"] = device.label_size
        if device.readonly:
            expected["readonly"] = True
    if device.kind == "virtio-mem":
        expected["requested_size"] = device.requested_size if requested is None else requested
        expected["dynamic_memslots"] = device.dynamic_memslots
        if device.block_size is not None:
            expected["block_size"] = device.block_size
    return expected


def _without_default_block(parsed: dict[str, Any], device: Any) -> dict[str, Any]:
    """<block> is mandatory in libvirt; when the model leaves it to QEMU, compare the rest."""
    if device.kind == "virtio-mem" and device.block_size is None:
        assert parsed.get("block_size"), parsed
        return {k: v for k, v in parsed.items() if k != "block_size"}
    return parsed


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    text = domain_xml(CASES[case](), timeline=True)
    ET.fromstring(text)
    path = GOLDEN / f"{case}.xml"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_cases_cover_every_device_kind() -> None:
    memory, vhost, actions = set(), set(), set()
    for build in CASES.values():
        config = build()
        memory |= {d.kind for d in config.memory_devices}
        vhost |= {(d.kind, d.device) for d in config.vhost_devices}
        actions |= {e.action for e in config.timeline}
    assert memory == {"pc-dimm", "nvdimm", "virtio-pmem", "virtio-mem", "hv-balloon"}
    assert vhost == {
        ("vhost-kernel", "net"),
        ("vhost-kernel", "scsi"),
        ("vhost-kernel", "vsock"),
        ("vhost-user", "net"),
        ("vhost-user", "fs"),
        ("vhost-user", "blk"),
        ("vhost-user", "scsi"),
        ("vhost-user", "vsock"),
        ("vhost-vdpa", "net"),
        ("vhost-vdpa", "blk"),
    }
    assert actions == {"cold", "hotplug", "unplug", "resize"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cold_memory_devices_round_trip(case: str) -> None:
    config = CASES[case]()
    cold = [config.device(e.device) for e in config.timeline if e.action == "cold"]
    cold_memory = [d for d in cold if d.kind in MODELS]
    parsed = parse_memory_devices(domain_xml(config, timeline=True))
    assert len(parsed) == len(cold_memory)
    for device, got in zip(cold_memory, parsed, strict=True):
        assert _without_default_block(got, device) == _expected(config, device)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hot_events_round_trip(case: str) -> None:
    config = CASES[case]()
    hot = [e for e in config.timeline if e.action != "cold"]
    snippets = hotplug_snippets(config)
    assert len(snippets) == len(hot)
    for event, (description, xml) in zip(hot, snippets, strict=True):
        assert event.action in description and event.device in description
        wrapper = _parse_snippet(xml)
        device = config.device(event.device)
        parsed = parse_memory_devices(xml) if len(wrapper) else []
        if device.kind in MODELS:
            assert len(wrapper) == 1
            requested = event.requested_size if event.action == "resize" else None
            assert [_without_default_block(p, device) for p in parsed] == [
                _expected(config, device, requested)
            ]
        else:
            assert parsed == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_timeline_metadata_matches_snippets(case: str) -> None:
    config = CASES[case]()
    root = ET.fromstring(domain_xml(config, timeline=True))
    events = root.findall(f"metadata/{{{TIMELINE_NS}}}timeline/{{{TIMELINE_NS}}}event")
    snippets = hotplug_snippets(config)
    assert len(events) == len(snippets)
    for element, (description, xml) in zip(events, snippets, strict=True):
        assert element.get("description") == description
        assert [child.tag for child in element] == [child.tag for child in _parse_snippet(xml)]
    assert root.find("metadata") is None if not snippets else root.find("metadata") is not None


def test_virtio_mem_matches_field_syntax() -> None:
    """The field notes' libvirt virtio-mem example, element for element."""
    config = Config(
        machine={"ram": 4 * GiB, "maxmem": 8 * GiB},
        memory_devices=[
            {
                "kind": "virtio-mem",
                "id": "vm0",
                "size": 2 * GiB,
                "backend": "memfd",
                "page_size": 2 * MiB,
                "block_size": 2 * MiB,
                "requested_size": 1 * GiB,
                "dynamic_memslots": True,
            }
        ],
    )
    root = ET.fromstring(domain_xml(config))
    memory = root.find("devices/memory")
    assert memory is not None and memory.get("model") == "virtio-mem"
    assert memory.find("source/pagesize").text == "2048"  # type: ignore[union-attr]
    target = memory.find("target")
    assert target is not None and target.get("dynamicMemslots") == "yes"
    assert [(c.tag, c.get("unit"), c.text) for c in target] == [
        ("size", "KiB", "2097152"),
        ("node", None, "0"),
        ("block", "KiB", "2048"),
        ("requested", "KiB", "1048576"),
    ]
    assert root.find("maxMemory").text == str(8 * GiB // 1024)  # type: ignore[union-attr]
    assert root.find("maxMemory").get("slots") is None  # type: ignore[union-attr]
    assert root.find("cpu/numa/cell").get("memory") == str(4 * GiB // 1024)  # type: ignore[union-attr]


def test_dimm_matches_field_syntax() -> None:
    config = Config(
        machine={"ram": 2 * GiB, "maxmem": 1 << 40, "slots": 16},
        memory_devices=[{"kind": "pc-dimm", "id": "d0", "size": 512 * MiB, "slot": 0}],
    )
    root = ET.fromstring(domain_xml(config))
    max_memory = root.find("maxMemory")
    assert max_memory is not None
    assert (max_memory.get("slots"), max_memory.get("unit"), max_memory.text) == (
        "16",
        "KiB",
        str((1 << 40) // 1024),
    )
    memory = root.find("devices/memory")
    assert memory is not None and memory.get("model") == "dimm"
    assert memory.find("target/size").text == "524288"  # type: ignore[union-attr]
    assert memory.find("address").attrib == {"type": "dimm", "slot": "0"}  # type: ignore[union-attr]
    assert root.find("memory").text == str((2 * GiB + 512 * MiB) // 1024)  # type: ignore[union-attr]


def test_memfd_boot_ram_gives_shared_memory_backing() -> None:
    config = CASES["dimm_ladder"]()
    root = ET.fromstring(domain_xml(config))
    backing = root.find("memoryBacking")
    assert backing is not None
    assert backing.find("source").get("type") == "memfd"  # type: ignore[union-attr]
    assert backing.find("access").get("mode") == "shared"  # type: ignore[union-attr]
    private = ET.fromstring(domain_xml(CASES["odd_corners"]()))
    assert private.find("memoryBacking") is None


def test_vhost_back_ends_use_libvirt_models() -> None:
    root = ET.fromstring(domain_xml(CASES["virtio_mem_vhost"](), timeline=True))
    devices = root.find("devices")
    assert devices is not None
    net = devices.find("interface[@type='network']")
    assert net is not None and net.find("driver").get("name") == "vhost"  # type: ignore[union-attr]
    assert net.find("model").get("type") == "virtio"  # type: ignore[union-attr]
    fs = devices.find("filesystem")
    assert fs is not None and fs.get("accessmode") == "passthrough"
    assert fs.find("driver").get("type") == "virtiofs"  # type: ignore[union-attr]
    blk = root.find(f".//{{{TIMELINE_NS}}}event/disk")
    assert blk is not None and blk.get("type") == "vhostuser"
    assert blk.find("source").get("path") == "/run/vhost-user/blk0.sock"  # type: ignore[union-attr]
    # Two hotplugged PCI devices on q35 (vmem1, blk0): two free root ports.
    assert len(devices.findall("controller[@model='pcie-root-port']")) == 2

    other = ET.fromstring(domain_xml(CASES["persistent_memory"]()))
    hostdev = other.find("devices/hostdev")
    assert hostdev is not None and hostdev.get("type") == "scsi_host"
    assert hostdev.find("source").get("protocol") == "vhost"  # type: ignore[union-attr]
    assert other.find("devices/controller") is None  # pc: no root ports

    vdpa = ET.fromstring(domain_xml(CASES["hugepages_vdpa"](), timeline=True))
    assert vdpa.find("devices/interface[@type='vdpa']") is not None
    assert vdpa.find("devices/vsock[@model='virtio']") is not None
    assert vdpa.find(f".//{{{TIMELINE_NS}}}event/disk[@type='vhostvdpa']") is not None
    dpdk = ET.fromstring(domain_xml(CASES["dimm_ladder"]()))
    assert dpdk.find("devices/interface[@type='vhostuser']") is not None


def test_what_libvirt_cannot_say_is_a_comment() -> None:
    text = domain_xml(CASES["hugepages_vdpa"]())
    assert "hv-balloon has no libvirt model" in text
    assert "hv-balloon" not in {e.tag for e in ET.fromstring(text).iter()}
    assert "memslot consumer 'rom'" in text
    odd = domain_xml(CASES["odd_corners"](), timeline=True)
    assert "libvirt has no model for vhost-user-scsi" in odd
    assert "libvirt has no model for vhost-user-vsock" in odd
    assert "not in the timeline, so left out: vmem-ram" in odd
    assert "refuses it without" in odd  # vhost-user with private boot RAM


def test_virtio_balloon_is_the_one_memballoon() -> None:
    """libvirt adds a virtio <memballoon> to a domain without one, and has one per domain,
    never hot-plugged: the export writes the model's first cold balloon, else model='none'."""
    none = ET.fromstring(domain_xml(Config()))
    assert [b.get("model") for b in none.iter("memballoon")] == ["none"]
    config = Config(
        consumers=[
            {"kind": "virtio-balloon", "id": "b0"},
            {"kind": "virtio-balloon", "id": "b1"},
            {"kind": "virtio-balloon", "id": "b2"},
        ],
        timeline=[
            {"action": "cold", "device": "b0"},
            {"action": "cold", "device": "b1"},
            {"action": "hotplug", "device": "b2"},
        ],
    )
    text = domain_xml(config, timeline=True)
    balloons = list(ET.fromstring(text).iter("memballoon"))
    assert [(b.get("model"), b.find("alias").get("name")) for b in balloons] == [  # type: ignore[union-attr]
        ("virtio", "ua-b0")
    ]
    assert "b1: libvirt has one <memballoon> per domain" in text
    snippet = dict(hotplug_snippets(config))
    assert any("b2: libvirt has one <memballoon>" in xml for xml in snippet.values())
    # the engine agrees that QEMU takes one balloon only
    assert [e.ok for e in replay(config).events] == [True, False, False]


def test_sizes_are_exact() -> None:
    """A size that is not whole KiB is written in bytes, never rounded."""
    root = ET.fromstring(domain_xml(CASES["odd_corners"]()))
    size = root.find("devices/memory/target/size")
    assert size is not None and (size.get("unit"), size.text) == ("b", str(GiB + 512))
    assert parse_memory_devices(ET.tostring(root, encoding="unicode"))[0]["size"] == GiB + 512


def test_comment_text_is_sanitised() -> None:
    """'--' may not appear inside an XML comment; titles and notes with it still parse."""
    config = Config(
        title="a -- b",
        description="x --> y",
        consumers=[{"kind": "custom", "id": "c1", "note": "--- odd ---"}],
    )
    text = domain_xml(config)
    root = ET.fromstring(text)
    assert root.find("title").text == "a -- b"  # type: ignore[union-attr]
    assert root.find("description").text == "x --> y"  # type: ignore[union-attr]


def test_pure_and_deterministic() -> None:
    config = CASES["virtio_mem_vhost"]()
    assert domain_xml(config) == domain_xml(CASES["virtio_mem_vhost"]())
    assert hotplug_snippets(config) == hotplug_snippets(config)


def test_domain_type_follows_accel() -> None:
    assert ET.fromstring(domain_xml(CASES["persistent_memory"]())).get("type") == "qemu"
    assert ET.fromstring(domain_xml(CASES["dimm_ladder"]())).get("type") == "kvm"
    machine = ET.fromstring(domain_xml(CASES["persistent_memory"]())).find("os/type")
    assert machine is not None and machine.get("machine") == "pc"


def test_engine_verdicts_become_comments() -> None:
    """With the engine's report, each device carries the engine's numbers (never our own)."""
    config = CASES["virtio_mem_vhost"]()
    report = replay(config)
    text = domain_xml(config, report=report, timeline=True)
    ET.fromstring(text)
    vmem0 = next(e for e in report.events if e.device == "vmem0" and e.action == "cold")
    assert vmem0.memslots is not None and vmem0.memslot_limit is not None
    assert (
        f"memslot-explorer: vmem0 decides {vmem0.memslots} memslots (limit {vmem0.memslot_limit})"
    ) in text
    snippets = hotplug_snippets(config, report=report)
    assert all("memslot-explorer:" in xml for _, xml in snippets)
    assert domain_xml(config) != domain_xml(config, report=report)


def test_refusals_and_startup_errors_are_reported() -> None:
    config = CASES["odd_corners"]()
    report = replay(config)
    assert report.startup_error
    text = domain_xml(config, report=report)
    assert "QEMU does not start:" in text
    ET.fromstring(text)
    failing = Config(
        machine={"ram": 2 * GiB, "maxmem": 3 * GiB, "slots": 2},
        memory_devices=[{"kind": "pc-dimm", "id": "big", "size": 2 * GiB}],
        timeline=[Event(action="hotplug", device="big")],
    )
    failing_report = replay(failing)
    assert not failing_report.events[0].ok
    ((_, xml),) = hotplug_snippets(failing, report=failing_report)
    assert "QEMU refuses big:" in xml
    _parse_snippet(xml)


def test_parse_rejects_unknown_models() -> None:
    with pytest.raises(ValueError, match="unknown libvirt memory model"):
        parse_memory_devices("<memory model='dimm2'><target/></memory>")
    assert parse_memory_devices("<domain><memory unit='KiB'>1</memory><devices/></domain>") == []


VALIDATOR = shutil.which("virt-xml-validate")
NEWER_THAN_9_0 = (
    # What the exporter writes on purpose that libvirt 9.0's schema (Debian 12) predates:
    # dynamicMemslots (10.x), <target><address base=.../> of virtio memory devices and
    # vhostvdpa disks (9.8), and <maxMemory> without slots (optional in current libvirt).
    (re.compile(r' dynamicMemslots="yes"'), ""),
    (re.compile(r"\s*<address base=\"[^\"]*\" />"), ""),
    (re.compile(r"\s*<disk type=\"vhostvdpa\".*?</disk>", re.S), ""),
    (re.compile(r"<maxMemory unit="), '<maxMemory slots="0" unit='),
)


@pytest.mark.skipif(VALIDATOR is None, reason="virt-xml-validate (libvirt-clients) not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_validates_against_libvirt_schema(case: str, tmp_path: Path) -> None:
    """libvirt's own RelaxNG schema accepts the domain (features newer than 9.0 stripped)."""
    text = (GOLDEN / f"{case}.xml").read_text(encoding="utf-8")
    for pattern, replacement in NEWER_THAN_9_0:
        text = pattern.sub(replacement, text)
    path = tmp_path / f"{case}.xml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [VALIDATOR, str(path), "domain"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
