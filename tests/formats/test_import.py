"""Import: round trips through both exporters, real command lines, real-world samples, bad input.

Round trips compare everything but the fields tests/formats/roundtrip_rules.py names (and
docs/schema.md explains): what a command line or a domain XML cannot say.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from tests.formats.roundtrip_rules import comparable, expected_after_libvirt, expected_after_qemu
from tests.formats.strategies import configs
from tests.qemu.test_cmdline import CONFIGS
from tui.engine import replay
from tui.engine.model import Config
from tui.formats import toml
from tui.formats.export import export_text
from tui.formats.importing import (
    MAX_IMPORT_SIZE,
    guess_format,
    import_text,
    read_source,
    to_toml,
)
from tui.formats.qemu import command_line, shell_command
from tui.formats.toml import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PRESETS = sorted((ROOT / "presets").glob("*.toml"))
SAMPLES = Path(__file__).parent / "import_samples"
EXPECTED = SAMPLES / "expected"
UPDATE = os.environ.get("MEMSLOT_UPDATE_GOLDEN") == "1"


def _same(got: Config, expected: dict) -> None:
    actual = comparable(got)
    for key, value in expected.items():
        assert actual[key] == value, key


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_qemu_round_trip_every_preset(preset: Path) -> None:
    config = toml.load(preset)
    result = import_text(export_text(config, "qemu"), preset.name)
    assert result.format == "qemu"
    _same(result.config, expected_after_qemu(config))


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_libvirt_round_trip_every_preset(preset: Path) -> None:
    config = toml.load(preset)
    result = import_text(export_text(config, "libvirt"), preset.name)
    assert result.format == "libvirt"
    _same(result.config, expected_after_libvirt(config))


_FAST = settings(max_examples=60, suppress_health_check=list(HealthCheck), deadline=None)


@_FAST
@given(configs())
def test_qemu_round_trip_random(config: Config) -> None:
    _same(import_text(shell_command(config), "x", "qemu").config, expected_after_qemu(config))


@_FAST
@given(configs())
def test_libvirt_round_trip_random(config: Config) -> None:
    cold = {e.device for e in config.timeline if e.action == "cold"}
    # beyond 2^64 bytes libvirt itself cannot write <memory> or round a size up
    assume(all((d.size or 0) < 2**64 - 2**21 for d in config.memory_devices))
    total = config.machine.ram + sum(
        d.size or 0 for d in config.memory_devices if d.id in cold and d.kind != "hv-balloon"
    )
    assume(total < 2**64)
    result = import_text(export_text(config, "libvirt"), "x", "libvirt")
    _same(result.config, expected_after_libvirt(config))


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("headless", [False, True], ids=["pasted", "as-verify-starts-it"])
def test_command_lines_of_the_qemu_suite(name: str, headless: bool) -> None:
    """The argv the qemu-marked suite starts QEMU with (headless: what `verify` runs)."""
    config = Config.model_validate(CONFIGS[name])
    argv = command_line(config, headless=headless, qmp_socket="/tmp/q.sock" if headless else None)
    result = import_text("\0".join(argv) + "\0", name, "qemu")
    _same(result.config, expected_after_qemu(config))
    if headless:
        assert not any("-nodefaults" in w for w in result.warnings)


def test_golden_shell_files_import() -> None:
    for path in sorted((ROOT / "tests" / "qemu" / "golden").glob("*.sh")):
        config = Config.model_validate(CONFIGS[path.stem])
        _same(import_text(path.read_text(), path.name).config, expected_after_qemu(config))


# --------------------------------------------------------------------------- real-world samples

SAMPLE_FACTS: dict[str, dict] = {
    "kata-like.sh": {
        "machine": {"type": "q35", "accel": "kvm", "ram": 2 << 30, "slots": 10, "nvdimm": True,
                    "memory_backend": "memfd"},
        "kinds": ["nvdimm", "vhost-kernel", "vhost-user", "vhost-kernel"],
    },
    "proxmox-dimm-ladder.sh": {
        "machine": {"type": "pc", "accel": "kvm", "ram": 1 << 30, "slots": 255,
                    "maxmem": 4 << 40, "memory_backend": "ram"},
        "kinds": ["pc-dimm"] * 4 + ["vga-vram", "virtio-balloon", "vhost-kernel"],
        "warns": ["-id"],
    },
    "libvirt-per-domain.log": {
        "machine": {"type": "q35", "accel": "kvm", "ram": 8 << 30, "maxmem": 136 << 30,
                    "phys_bits": 46, "qemu_version": "9.1.2",
                    "memory_backend": "memfd"},
        "kinds": ["virtio-mem", "vhost-kernel", "vhost-user"],
        "warns": ["prealloc"],
    },
    "proc-cmdline.bin": {
        "machine": {"type": "q35", "accel": "kvm", "ram": 4 << 30, "maxmem": 68 << 30},
        "kinds": ["virtio-mem", "vhost-user"],
    },
    "one-arg-per-line.txt": {
        "machine": {"type": "q35", "accel": "kvm", "ram": 4 << 30, "maxmem": 68 << 30},
        "kinds": ["virtio-mem", "vhost-user"],
    },
    "spdk-vhost-user-blk-json.sh": {
        "machine": {"type": "q35", "accel": "kvm", "memory_backend": "memfd", "slots": 8},
        "kinds": ["vhost-user", "vhost-user", "pc-dimm", "pc-dimm"],
        "warns": ["queues=2"],
    },
    "windows-hv-balloon.sh": {
        "machine": {"type": "q35", "accel": "kvm", "ram": 8 << 30, "maxmem": 104 << 30},
        "kinds": ["vga-vram", "hv-balloon", "pci-ram-bar"],
    },
    "libvirt-virtio-mem-virtiofs.xml": {
        "machine": {"type": "q35", "accel": "kvm", "ram": 4 << 30, "maxmem": 68 << 30,
                    "memory_backend": "memfd"},
        "kinds": ["virtio-mem", "vhost-user", "vhost-kernel", "vga-vram",
                  "virtio-balloon"],
    },
    "openstack-vhostuser-nics.xml": {
        "machine": {"type": "q35", "ram": 16 << 30, "slots": 16, "memory_backend": "memfd"},
        "kinds": ["numa-memdev", "pc-dimm", "vhost-user", "vhost-user", "vhost-user",
                  "vga-vram", "virtio-balloon"],
        "warns": ["qemu:commandline"],
    },
    "libvirt-dimm-hotplug.xml": {
        "machine": {"type": "pc", "ram": 219136 << 10, "slots": 16},
        "kinds": ["pc-dimm", "pc-dimm", "vhost-kernel", "virtio-balloon"],
        "warns": ["queues=2", "rounds"],
    },
    "nvdimm-virtio-pmem.xml": {
        "machine": {"type": "q35", "ram": 4 << 30, "nvdimm": True, "phys_bits": 42},
        "kinds": ["nvdimm", "nvdimm", "virtio-pmem", "virtio-balloon"],
    },
    "vdpa-vfio-vsock.xml": {
        "machine": {"type": "q35", "ram": 8 << 30},
        "kinds": ["vhost-vdpa", "vhost-vdpa", "pci-ram-bar", "vhost-kernel", "vfio-bar",
                  "virtio-balloon", "vhost-kernel"],
        "warns": ["<foo>", "<gizmo>"],
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SAMPLE_FACTS))
def test_real_world_sample(name: str) -> None:
    path = SAMPLES / name
    result = import_text(read_source(path), f"import_samples/{name}")
    facts = SAMPLE_FACTS[name]
    machine = result.config.machine
    for field, value in facts["machine"].items():
        assert getattr(machine, field) == value, field
    config = result.config
    kinds = [config.device(e.device).kind for e in config.timeline]
    assert kinds == facts["kinds"]
    for text in facts.get("warns", []):
        assert any(text in warning for warning in result.warnings), text
    replay(config)  # the engine takes it as is
    text = to_toml(result, f"import_samples/{name}")
    assert toml.loads(text) == config  # the saved TOML loads back, comments and all
    golden = EXPECTED / f"{name}.toml"
    if UPDATE or not golden.exists():
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{golden} was missing and has been written; review it")
    assert text == golden.read_text(encoding="utf-8")


def test_every_sample_is_checked() -> None:
    assert {p.name for p in SAMPLES.iterdir() if p.is_file()} == set(SAMPLE_FACTS)


def test_assumed_facts_are_listed() -> None:
    result = import_text((SAMPLES / "openstack-vhostuser-nics.xml").read_text(), "x")
    fields = {a.field for a in result.assumed}
    assert {"net0.max_mem_slots", "machine.kvm_memslots", "machine.qemu_version"} <= fields
    text = to_toml(result, "x")
    assert "#   net0.max_mem_slots = 509" in text


def test_libvirt_log_takes_the_last_start() -> None:
    log = (SAMPLES / "libvirt-per-domain.log").read_text()
    older = log.replace("qemu version: 9.1.2", "qemu version: 8.2.0").replace(
        "size=8388608k", "size=2097152k"
    )
    result = import_text(older + log, "two-starts.log")
    assert result.config.machine.ram == 8 << 30
    assert result.config.machine.qemu_version == "9.1.2"


def test_global_sets_device_defaults() -> None:
    text = (
        "qemu-system-x86_64 -machine q35 -m 4G,maxmem=20G "
        "-global virtio-mem-pci.dynamic-memslots=on "
        "-object memory-backend-ram,id=m0,size=16G "
        "-device virtio-mem-pci,id=vm0,memdev=m0"
    )
    device = import_text(text).config.memory_devices[0]
    assert device.dynamic_memslots


@pytest.mark.parametrize(
    ("machine", "expected"),
    [("pc-q35-6.2", False), ("pc-i440fx-8.0", False), ("pc-q35-8.1", True), ("q35", True)],
)
def test_machine_types_up_to_8_0_default_unplugged_inaccessible_off(
    machine: str, expected: bool
) -> None:
    """As QEMU 10.0.2 reports it (qom-get after realize)."""
    text = (
        f"qemu-system-x86_64 -machine {machine} -m 4G,maxmem=20G "
        "-object memory-backend-ram,id=m0,size=16G -device virtio-mem-pci,id=vm0,memdev=m0"
    )
    assert import_text(text).config.memory_devices[0].unplugged_inaccessible is expected


@pytest.mark.parametrize(
    ("machine", "expected"), [("pc+pve0", "pc"), ("q35+pve1", "q35"), ("pc-q35-9.0+pve0", "q35")]
)
def test_proxmox_machine_revision_suffix(machine: str, expected: str) -> None:
    """Proxmox's QEMU takes `type+pveN` (its own revision of the machine type)."""
    result = import_text(f"/usr/bin/kvm -machine type={machine} -m 1G")
    assert result.config.machine.type == expected
    assert not any("machine type not modelled" in str(w) for w in result.warnings)


def test_m_without_suffix_is_mib() -> None:
    assert import_text("qemu-system-x86_64 -m 4096").config.machine.ram == 4 << 30
    assert import_text("qemu-system-x86_64 -m size=512").config.machine.ram == 512 << 20
    assert import_text("qemu-system-x86_64 -m 2G,maxmem=8589934592").config.machine.maxmem == (
        8 << 30
    )


def test_guess_format() -> None:
    assert guess_format("  <domain/>") == "libvirt"
    assert guess_format("qemu-system-x86_64 -m 1G") == "qemu"
    assert guess_format("", "vm.XML") == "libvirt"


# --------------------------------------------------------------------------- bad input

BAD_QEMU = {
    "unknown suffix": ("qemu-system-x86_64 -m 12Q", "-m"),
    "too big": ("qemu-system-x86_64 -m 2G,maxmem=18446744073709551616", "maxmem"),
    "open quote": ("qemu-system-x86_64 -device 'pc-dimm,id=x", "not valid shell text"),
    "not qemu": ("ls -l /tmp", "no QEMU command"),
    "bad json": ("qemu-system-x86_64 -object '{\"qom-type\": '", "invalid JSON"),
    "deep json": ("qemu-system-x86_64 -device '" + '{"a":' * 50 + "1" + "}" * 50 + "'", "deep"),
    "bad bool": (
        "qemu-system-x86_64 -object memory-backend-ram,id=m,size=1G,share=maybe "
        "-m 1G,maxmem=4G,slots=2 -device pc-dimm,id=d,memdev=m",
        "share",
    ),
    "empty": ("   \n# only a comment\n", "empty"),
    "json machine": ('qemu-system-x86_64 -machine \'{"type": "q35"}\'', "JSON only for"),
    "binary junk": ("\x00\x01\x02garbage\x00", "not a QEMU binary"),
}


@pytest.mark.parametrize("case", sorted(BAD_QEMU))
def test_bad_command_lines_are_one_clear_error(case: str) -> None:
    text, needle = BAD_QEMU[case]
    with pytest.raises(ConfigError) as info:
        import_text(text, "vm.sh", "qemu")
    message = str(info.value)
    assert message.startswith("vm.sh") and needle in message
    assert "Traceback" not in message


def test_unknown_options_and_devices_are_warnings() -> None:
    text = (
        "qemu-system-x86_64 -frobnicate 3 -device fancy-thing,id=f -machine q35,zap=1 "
        "-object made-up-object,id=o -newflag -m 1G"
    )
    result = import_text(text)
    joined = "\n".join(result.warnings)
    for needle in ("-frobnicate", "fancy-thing", "zap", "made-up-object", "-newflag"):
        assert needle in joined
    assert result.config.machine.ram == 1 << 30  # the unknown flag did not eat -m


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<domain type='kvm'><name>&lol2;</name></domain>"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain><name>&x;</name></domain>"""
BAD_XML = {
    "bomb": (BILLION_LAUGHS, "refused"),
    "external entity": (EXTERNAL, "refused"),
    "malformed": ("<domain><memory>1</domain>", "invalid XML"),
    "not a domain": ("<network/>", "not a libvirt domain"),
    "no memory": ("<domain type='kvm'><name>x</name></domain>", "<memory>"),
    "bad unit": ("<domain><memory unit='parsecs'>1</memory></domain>", "unknown unit"),
    "negative": ("<domain><memory>-5</memory></domain>", "not a whole number"),
    "huge": ("<domain><memory unit='EiB'>99</memory></domain>", "64 bits"),
    "devices exceed memory": (
        "<domain><memory unit='GiB'>1</memory><devices><memory model='dimm'><target>"
        "<size unit='GiB'>2</size></target></memory></devices></domain>",
        "no boot RAM left",
    ),
    "memory device without size": (
        "<domain><memory unit='GiB'>4</memory><devices><memory model='dimm'><target/>"
        "</memory></devices></domain>",
        "no <target><size>",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_XML))
def test_bad_xml_is_one_clear_error(case: str) -> None:
    text, needle = BAD_XML[case]
    with pytest.raises(ConfigError) as info:
        import_text(text, "vm.xml", "libvirt")
    assert str(info.value).startswith("vm.xml") and needle in str(info.value)


def test_deeply_nested_xml_is_handled() -> None:
    depth = 50_000
    text = (
        "<domain><memory>1048576</memory><foo>" + "<a>" * depth + "</a>" * depth + "</foo></domain>"
    )
    result = import_text(text, "deep.xml")
    assert any("<foo>" in w for w in result.warnings)


def test_read_source_refuses_special_and_huge_files(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_source(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_source(tmp_path)
    big = tmp_path / "big.sh"
    with big.open("wb") as handle:
        handle.truncate(MAX_IMPORT_SIZE + 10)
    with pytest.raises(ConfigError, match="too large"):
        read_source(big)
    with pytest.raises(ConfigError, match="cannot read"):
        read_source(tmp_path / "missing.sh")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_source(junk)


def test_shell_words_follow_posix_sh() -> None:
    from tui.formats.qemu_argv import split_command_line

    text = (
        "LC_ALL=C PATH=/usr/bin \\\n  /usr/bin/qemu-system-x86_64 -name 'guest=a b' "
        '-append "root=/dev/vda \\$HOME" -device a#b # a comment\n'
    )
    command = split_command_line(text)
    assert command.binary == "/usr/bin/qemu-system-x86_64"
    assert command.args == (
        "-name",
        "guest=a b",
        "-append",
        "root=/dev/vda $HOME",
        "-device",
        "a#b",
    )


def test_qemuopts_escaping() -> None:
    from tui.formats.qemu_argv import parse_options

    assert parse_options("pc-dimm,id=d,,x,flag", "driver") == {
        "driver": "pc-dimm",
        "id": "d,x",
        "flag": "on",
    }
    assert parse_options('{"driver": "pc-dimm", "slot": 3}') == {"driver": "pc-dimm", "slot": 3}


def test_libvirt_qemu_commandline_devices_are_cold_plugs_after_libvirts() -> None:
    """libvirt appends <qemu:commandline> to its command line: hv-balloon has no libvirt
    model, so this is how a Windows domain gets one."""
    xml = """<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
      <memory unit='GiB'>10</memory><maxMemory slots='4' unit='GiB'>72</maxMemory>
      <os><type machine='pc-q35-9.2'>hvm</type></os>
      <devices><memory model='dimm'><target><size unit='GiB'>2</size></target></memory>
      </devices>
      <qemu:commandline>
        <qemu:arg value='-object'/><qemu:arg value='memory-backend-ram,id=hm,size=32G'/>
        <qemu:arg value='-device'/><qemu:arg value='vmbus-bridge'/>
        <qemu:arg value='-device'/><qemu:arg value='hv-balloon,id=dimm0,memdev=hm'/>
        <qemu:arg value='-global'/><qemu:arg value='kvm-pit.lost_tick_policy=delay'/>
      </qemu:commandline></domain>"""
    result = import_text(xml, "win.xml")
    config = result.config
    assert config.machine.ram == 8 << 30  # <memory> counts libvirt's devices only
    assert [(d.id, d.kind) for d in config.memory_devices] == [
        ("dimm0", "pc-dimm"),
        ("dimm0-1", "hv-balloon"),
    ]
    # no <memballoon>: libvirt adds a virtio one, and QEMU takes one balloon only
    assert [e.device for e in config.timeline] == ["dimm0", "balloon0", "dimm0-1"]
    assert any("-global" in w and "not applied" in w for w in result.warnings)
    assert any(a.field == "balloon0.kind" for a in result.assumed)
    events = replay(config).events
    assert [e.ok for e in events] == [True, True, False]
    assert events[2].error == "Only one balloon device is supported"

    without = import_text(xml.replace("</devices>", "<memballoon model='none'/></devices>")).config
    assert [e.device for e in without.timeline] == ["dimm0", "dimm0-1"]
    assert all(e.ok for e in replay(without).events)


@pytest.mark.parametrize(
    ("accel", "cpu", "vendor"),
    [
        ("tcg", "Skylake-Server", "intel"),
        ("tcg", "EPYC", "amd"),
        ("tcg", "qemu64", "amd"),
        ("kvm", "qemu64,vendor=GenuineIntel", "intel"),
        ("kvm", "Skylake-Server,vendor=AuthenticAMD", "amd"),
        ("kvm", "EPYC", None),  # the host's: assumed
        ("kvm", "qemu64", None),
    ],
)
def test_cpu_vendor_as_qemu_reports_it(accel: str, cpu: str, vendor: str | None) -> None:
    """Measured on QEMU 10.0.2 (qom-get vendor on an Intel host): under KVM every model
    reports the host's vendor unless vendor= is given; under TCG the model's own."""
    result = import_text(f"qemu-system-x86_64 -accel {accel} -cpu {cpu} -m 1G")
    assumed = {a.field for a in result.assumed}
    if vendor is None:
        assert "machine.cpu_vendor" in assumed
    else:
        assert result.config.machine.cpu_vendor == vendor
        assert "machine.cpu_vendor" not in assumed


def test_uefi_variable_flash_is_one_more_kvm_slot() -> None:
    """Measured on QEMU 10.0.2 (info mtree -f, KVM sections): q35 / pc with 2 GiB: SeaBIOS 5,
    OVMF code + vars flash 6; with 4 GiB 6 and 7."""
    code = "-drive if=pflash,format=raw,readonly=on,file=OVMF_CODE.fd"
    both = f"{code} -drive if=pflash,format=raw,file=vars.fd"
    one = import_text(f"qemu-system-x86_64 -accel kvm -m 2G {code}").config
    two = import_text(f"qemu-system-x86_64 -accel kvm -m 2G {both}").config
    assert one.consumers == ()
    assert [
        (c.kind, c.kvm_slots, c.vhost_kernel_regions, c.vhost_user_regions) for c in two.consumers
    ] == [("rom", 1, 0, 0)]
    assert replay(two).final.kvm_used == replay(one).final.kvm_used + 1
    xml = import_text(
        "<domain type='kvm'><memory unit='GiB'>1</memory><os firmware='efi'>"
        "<type machine='q35'>hvm</type></os></domain>"
    ).config
    assert [c.kind for c in xml.consumers] == ["rom", "virtio-balloon"]  # libvirt adds one


def test_default_huge_pages_are_assumed() -> None:
    xml = (
        "<domain type='kvm'><memory unit='GiB'>5</memory><maxMemory slots='2' unit='GiB'>9"
        "</maxMemory><memoryBacking><hugepages/></memoryBacking><devices><memory model='dimm'>"
        "<target><size unit='GiB'>1</size></target></memory></devices></domain>"
    )
    result = import_text(xml)
    assert result.config.memory_devices[0].page_size == 2 << 20
    assert any("<hugepages> without <page size>" in a.why for a in result.assumed)


def test_host_facts_fill_only_what_was_assumed() -> None:
    """`import --host`: this machine's facts (given here, not read) replace assumptions only."""
    from tui.engine.host import Fact, HostFacts
    from tui.formats.importing import with_host_facts

    facts = HostFacts(
        kvm_memslots=Fact(509, "/dev/kvm"),
        vhost_max_mem_regions=Fact(509, "/sys/module/vhost/parameters/max_mem_regions"),
        thp_size=Fact(1 << 21, "hpage_pmd_size"),
        cpu_vendor=Fact("amd", "/proc/cpuinfo"),
        cpu_vendor_id=Fact("AuthenticAMD", "/proc/cpuinfo"),
        phys_bits=Fact(48, "/proc/cpuinfo"),
        qemu_version=Fact("9.2.3", "qemu --version"),
    )
    text = (
        "qemu-system-x86_64 -accel kvm -cpu host -m 4G,maxmem=20G "
        "-netdev tap,id=n0,vhost=on -device virtio-net-pci,netdev=n0,id=nic0 "
        "-netdev tap,id=n1,vhost=on,queues=1 -device virtio-net-pci,netdev=n1,id=nic1 "
        "-chardev socket,id=c,path=/x -device vhost-user-fs-pci,id=fs0,chardev=c"
    )
    result = with_host_facts(import_text(text), facts)
    machine = result.config.machine
    assert (machine.kvm_memslots, machine.cpu_vendor, machine.phys_bits) == (509, "amd", 48)
    assert machine.qemu_version == "9.2.3"
    assert [getattr(d, "max_mem_regions", None) for d in result.config.vhost_devices] == [
        509,
        509,
        None,
    ]
    assert {a.field for a in result.assumed} == {"fs0.max_mem_slots"}  # a back-end's own answer
    assert "# Read from this host" in to_toml(result, "x")
    # what the source says is kept: an explicit vendor stays
    pinned = with_host_facts(
        import_text("qemu-system-x86_64 -accel kvm -cpu qemu64,vendor=GenuineIntel -m 1G"), facts
    )
    assert pinned.config.machine.cpu_vendor == "intel"


def test_a_memory_kind_without_its_own_property_list_still_imports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A kind added to the engine's registry but not to the importer's tables imports with its
    id, memdev and address property; its other properties are reported, never a KeyError."""
    from tui.formats import qemu_import

    monkeypatch.setattr(
        qemu_import,
        "MEMORY_DEVICE_PROPS",
        {k: v for k, v in qemu_import.MEMORY_DEVICE_PROPS.items() if k != "pc-dimm"},
    )
    result = qemu_import.import_command_line(
        "qemu-system-x86_64 -machine q35 -m 4G,slots=2,maxmem=8G "
        "-object memory-backend-ram,id=mem-d0,size=1G "
        "-device pc-dimm,id=d0,memdev=mem-d0,slot=1"
    )
    [dimm] = result.config.memory_devices
    assert (dimm.kind, dimm.id, dimm.size) == ("pc-dimm", "d0", 1 << 30)
    assert any("slot" in w and "not understood" in w for w in result.warnings)
