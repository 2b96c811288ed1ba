"""Every bad input of issue 2: one ConfigError naming the file, the field path and the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.formats.toml import ConfigError, load, loads, save
from tui.presets import default_config

DIMM = '[[memory_devices]]\nid = "{id}"\nkind = "pc-dimm"\nsize = "{size}"\n'

# (name, TOML text, expected field path, fragment of the reason)
CASES = [
    ("malformed-toml", '[machine\nram = "4G"\n', "line 1, column 9", "invalid TOML"),
    ("malformed-value", "[machine]\nram = 4G\n", "line 2, column 8", "invalid TOML"),
    (
        "unknown-memory-kind",
        '[[memory_devices]]\nid = "d0"\nkind = "dimm"\nsize = "1G"\n',
        "memory_devices[0].kind",
        "unknown memory device kind 'dimm' (expected one of: pc-dimm, nvdimm, virtio-pmem, "
        "virtio-mem, hv-balloon)",
    ),
    (
        "unknown-vhost-kind",
        '[[vhost_devices]]\nid = "n0"\nkind = "vhost-net"\n',
        "vhost_devices[0].kind",
        "unknown vhost device kind 'vhost-net' (expected one of: vhost-kernel, vhost-user, "
        "vhost-vdpa)",
    ),
    (
        "missing-kind",
        '[[memory_devices]]\nid = "d0"\nsize = "1G"\n',
        "memory_devices[0].kind",
        "missing key 'kind'",
    ),
    ("unknown-top-key", 'colour = "blue"\n', "colour", "unknown key 'colour'"),
    (
        "unknown-machine-key",
        '[machine]\nmaxmen = "8G"\n',
        "machine.maxmen",
        "unknown key 'maxmen' (did you mean 'maxmem'?)",
    ),
    (
        "unknown-device-key",
        DIMM.format(id="d0", size="1G") + "sise = 3\n",
        "memory_devices[0].sise",
        "unknown key 'sise' (did you mean 'size'?)",
    ),
    (
        "size-unknown-suffix",
        DIMM.format(id="d0", size="12Q"),
        "memory_devices[0].size",
        "size '12Q' has an unknown suffix 'Q'",
    ),
    ("size-negative", '[machine]\nram = "-1G"\n', "machine.ram", "size '-1G' is negative"),
    (
        "size-negative-int",
        DIMM.format(id="d0", size="1G").replace('"1G"', "-1"),
        "memory_devices[0].size",
        "size -1 is negative",
    ),
    (
        "size-2-to-64-int",
        "[machine]\nmaxmem = 18446744073709551616\n",
        "machine.maxmem",
        "does not fit in 64 bits",
    ),
    (
        "size-2-to-64-text",
        DIMM.format(id="d0", size="16E"),
        "memory_devices[0].size",
        "does not fit in 64 bits",
    ),
    ("size-float", "[machine]\nram = 4.5\n", "machine.ram", "not float"),
    ("size-bool", "[machine]\nram = true\n", "machine.ram", "not a boolean"),
    (
        "duplicate-id",
        DIMM.format(id="d0", size="1G") + DIMM.format(id="d0", size="2G"),
        "memory_devices[1].id",
        "duplicate id 'd0'",
    ),
    (
        "duplicate-id-across-lists",
        DIMM.format(id="x", size="1G") + '[[vhost_devices]]\nid = "x"\nkind = "vhost-user"\n',
        "vhost_devices[0].id",
        "duplicate id 'x'",
    ),
    (
        "unplug-not-plugged",
        DIMM.format(id="d0", size="1G") + '[[timeline]]\naction = "unplug"\ndevice = "d0"\n',
        "timeline[0].device",
        "'d0' is not plugged",
    ),
    (
        "plug-twice",
        DIMM.format(id="d0", size="1G") + '[[timeline]]\naction = "cold"\ndevice = "d0"\n'
        '[[timeline]]\naction = "hotplug"\ndevice = "d0"\n',
        "timeline[1].device",
        "'d0' is already plugged",
    ),
    (
        "unknown-device-in-timeline",
        '[[timeline]]\naction = "hotplug"\ndevice = "ghost"\n',
        "timeline[0].device",
        "no device with id 'ghost'",
    ),
    (
        "cold-after-hot",
        DIMM.format(id="a", size="1G")
        + DIMM.format(id="b", size="1G")
        + '[[timeline]]\naction = "hotplug"\ndevice = "a"\n'
        '[[timeline]]\naction = "cold"\ndevice = "b"\n',
        "timeline[1].action",
        "cold plugs (the command line) must come before",
    ),
    (
        "resize-without-size",
        '[[memory_devices]]\nid = "v"\nkind = "virtio-mem"\nsize = "4G"\n'
        '[[timeline]]\naction = "cold"\ndevice = "v"\n[[timeline]]\naction = "resize"\n'
        'device = "v"\n',
        "timeline[1].requested_size",
        "a resize event needs the new requested_size",
    ),
    (
        "resize-a-dimm",
        DIMM.format(id="d0", size="1G") + '[[timeline]]\naction = "cold"\ndevice = "d0"\n'
        '[[timeline]]\naction = "resize"\ndevice = "d0"\nrequested_size = "1G"\n',
        "timeline[1].action",
        "only virtio-mem devices can be resized",
    ),
    (
        "bad-action",
        DIMM.format(id="d0", size="1G") + '[[timeline]]\naction = "plug"\ndevice = "d0"\n',
        "timeline[0].action",
        "'plug' is not allowed (expected 'cold', 'hotplug', 'unplug', 'resize', 'disconnect' "
        "or 'reconnect')",
    ),
    ("bad-machine-type", '[machine]\ntype = "virt"\n', "machine.type", "'virt' is not allowed"),
    (
        "bad-id",
        DIMM.format(id="1dimm", size="1G"),
        "memory_devices[0].id",
        "is not a valid QEMU id",
    ),
    (
        "huge-pages-on-anonymous-ram",
        DIMM.format(id="d0", size="1G") + 'page_size = "2M"\n',
        "memory_devices[0].page_size",
        "memory-backend-ram has no huge pages",
    ),
    ("schema-version", "schema_version = 2\n", "schema_version", "unsupported schema_version 2"),
    ("array-expected", "memory_devices = 5\n", "memory_devices", "must be an array of tables"),
    ("table-expected", "machine = 5\n", "machine", "must be a table, not an integer"),
    ("old-qemu", '[machine]\nqemu_version = "5.2"\n', "machine.qemu_version", "older than 6.0"),
    (
        "count-out-of-range",
        "[machine]\nkvm_memslots = -1\n",
        "machine.kvm_memslots",
        "must be at least 0 (got -1)",
    ),
    (
        "count-too-big",
        "[machine]\nphys_bits = 70\n",
        "machine.phys_bits",
        "must be at most 64 (got 70)",
    ),
    (
        "expect-event-zero",
        "[expect]\nevents = [{ event = 0 }]\n",
        "expect.events[0].event",
        "must be at least 1 (got 0)",
    ),
    (
        "wrong-type-int",
        '[machine]\nslots = "four"\n',
        "machine.slots",
        "must be an integer, not a string ('four')",
    ),
    (
        "wrong-type-bool",
        "[machine]\nnvdimm = 1\n",
        "machine.nvdimm",
        "must be true or false, not an integer (1)",
    ),
    (
        "wrong-type-array",
        "[expect]\nevents = 5\n",
        "expect.events",
        "must be an array, not an integer (5)",
    ),
]


@pytest.mark.parametrize(
    ("text", "field", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_names_file_field_and_reason(text: str, field: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        loads(text, "bad.toml")
    error = info.value
    assert error.file == "bad.toml"
    assert error.field == field
    assert reason in error.reason
    assert str(error).splitlines()[0] == f"bad.toml: {field}: {error.reason}"


def test_several_problems_one_line_each() -> None:
    text = '[machine]\nram = "12Q"\ntype = "virt"\ncolour = 1\n'
    with pytest.raises(ConfigError) as info:
        loads(text, "many.toml")
    lines = str(info.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith("many.toml: machine.") for line in lines)
    assert {field for field, _ in info.value.problems} == {
        "machine.ram",
        "machine.type",
        "machine.colour",
    }


def test_derived_timeline_does_not_repeat_an_id_error() -> None:
    """Without [[timeline]] the ids make one up; a bad id is reported once, where it is."""
    with pytest.raises(ConfigError) as info:
        loads(DIMM.format(id="1dimm", size="1G"), "f.toml")
    assert [field for field, _ in info.value.problems] == ["memory_devices[0].id"]


def test_qemu_refusals_are_not_input_errors() -> None:
    """A size QEMU rejects (not a multiple of 2 MiB) loads fine: replay reports it."""
    config = loads('[machine]\nmaxmem = "8G"\n' + DIMM.format(id="d0", size="1025K"))
    assert config.memory_devices[0].size == 1025 * 1024


# --------------------------------------------------------------------------- files


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.file == str(path)
    assert info.value.reason == "cannot read: No such file or directory"
    assert str(info.value) == f"{path}: cannot read: No such file or directory"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path)
    assert info.value.reason == "cannot read: Is a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.toml"
    path.write_text("schema_version = 1\n")
    path.chmod(0)
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.reason == "cannot read: Permission denied"


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.toml"
    path.write_text("schema_version = 1\n")

    real_open = os.open

    def deny(name: object, *args: object, **kwargs: object) -> int:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(ConfigError) as info:
        load(path)
    assert (info.value.file, info.value.reason) == (str(path), "cannot read: Permission denied")


def test_endless_file_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        load(Path("/dev/zero"))
    assert info.value.reason == "cannot read: a character device, not a regular file"


def test_too_large_file_names_file_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate((16 << 20) + 1)  # sparse: no disk used
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.file == str(path)
    assert info.value.reason == (
        f"too large: {(16 << 20) + 1} bytes, over the 16 MiB limit for this file"
    )


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # no writer: opening it for a blocking read would hang forever
    with pytest.raises(ConfigError) as info:
        load(fifo)
    assert (info.value.file, info.value.reason) == (
        str(fifo),
        "cannot read: a FIFO (named pipe), not a regular file",
    )


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'title = "ok"\ndescription = "caf\xe9"\n')
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.field == "line 2"
    assert "not UTF-8" in info.value.reason and "0xe9" in info.value.reason


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbftitle = "with BOM"\n')
    assert load(path).title == "with BOM"


def test_save_into_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "vm.toml"
    with pytest.raises(ConfigError) as info:
        save(default_config(), path)
    assert info.value.file == str(path)
    assert info.value.reason == "cannot write: No such file or directory"


def test_save_onto_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        save(default_config(), tmp_path)
    assert info.value.reason == "cannot write: Is a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any directory")
def test_save_into_read_only_directory(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        with pytest.raises(ConfigError) as info:
            save(default_config(), directory / "vm.toml")
        assert info.value.reason == "cannot write: Permission denied"
    finally:
        directory.chmod(0o700)


def test_save_unwritable_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def deny(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", deny)
    with pytest.raises(ConfigError) as info:
        save(default_config(), tmp_path / "vm.toml")
    assert info.value.reason == "cannot write: Permission denied"


def test_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "vm.toml"
    target.write_text("precious")

    def no_space(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(ConfigError) as info:
        save(default_config(), target)
    assert info.value.reason == "cannot write: No space left on device"
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["vm.toml"]
