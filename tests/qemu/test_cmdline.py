"""Golden files for the QEMU command line and QMP exporter (no QEMU needed).

Regenerate after an intended change with `MEMSLOT_UPDATE_GOLDEN=1 python -m pytest tests/qemu`
and review the diff.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from tui.engine.model import Config
from tui.formats.qemu import command_line, qmp_commands, shell_command

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MEMSLOT_UPDATE_GOLDEN") == "1"

CONFIGS: dict[str, dict] = {
    "q35-mixed": {
        "machine": {
            "ram": "1G",
            "maxmem": "9G",
            "slots": 2,
            "memory_backend": "memfd",
            "nvdimm": True,
        },
        "memory_devices": [
            {"kind": "pc-dimm", "id": "d1", "size": "1G", "backend": "memfd", "share": True},
            {
                "kind": "virtio-mem",
                "id": "vm0",
                "size": "4G",
                "dynamic_memslots": True,
                "block_size": "2M",
            },
            {
                "kind": "nvdimm",
                "id": "nv",
                "size": "1G",
                "backend": "file",
                "share": True,
                "label_size": "128K",
            },
            {"kind": "virtio-pmem", "id": "pm", "size": "512M", "backend": "memfd"},
        ],
        "vhost_devices": [
            {"kind": "vhost-user", "id": "fs0", "max_mem_slots": 32},
            {"kind": "vhost-user", "id": "net0", "device": "net"},
            {"kind": "vhost-user", "id": "blk0", "device": "blk"},
        ],
        "timeline": [
            {"action": "cold", "device": "net0"},
            {"action": "cold", "device": "d1"},
            {"action": "cold", "device": "fs0"},
            {"action": "cold", "device": "nv"},
            {"action": "hotplug", "device": "vm0"},
            {"action": "hotplug", "device": "blk0"},
            {"action": "resize", "device": "vm0", "requested_size": "1G"},
            {"action": "hotplug", "device": "pm"},
            {"action": "unplug", "device": "blk0"},
            {"action": "unplug", "device": "vm0"},
        ],
    },
    "pc-balloon": {
        "machine": {
            "type": "pc",
            "accel": "tcg",
            "ram": "4G",
            "maxmem": "62G",
            "phys_bits": 48,
            "cpu_vendor": "intel",
        },
        "memory_devices": [
            {"kind": "hv-balloon", "id": "hvb", "size": "32G"},
            {
                "kind": "pc-dimm",
                "id": "d2",
                "size": "2G",
                "slot": 0,
                "addr": "0x200000000",
                "prealloc": True,
            },
        ],
        "timeline": [
            {"action": "cold", "device": "hvb"},
            {"action": "hotplug", "device": "d2"},
            {"action": "unplug", "device": "d2"},
        ],
    },
    "q35-kernel-vdpa": {
        "machine": {"ram": "2G", "maxmem": "66G"},
        "memory_devices": [
            {
                "kind": "virtio-mem",
                "id": "vm1",
                "size": "64G",
                "requested_size": "2G",
                "unplugged_inaccessible": False,
                "memaddr": "0x1000000000",
            },
        ],
        "vhost_devices": [
            {"kind": "vhost-kernel", "id": "vn0", "max_mem_regions": 509},
            {"kind": "vhost-kernel", "id": "vs0", "device": "vsock"},
            {"kind": "vhost-vdpa", "id": "vd0"},
        ],
        "timeline": [
            {"action": "cold", "device": "vn0"},
            {"action": "cold", "device": "vm1"},
            {"action": "hotplug", "device": "vs0"},
            {"action": "hotplug", "device": "vd0"},
            {"action": "unplug", "device": "vd0"},
        ],
    },
}


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(text)
        if not UPDATE:
            pytest.fail(f"golden file {path} was missing and has been written; review it")
    assert text == path.read_text(), f"{path} differs (MEMSLOT_UPDATE_GOLDEN=1 to rewrite)"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shell_command_golden(name: str) -> None:
    config = Config.model_validate(CONFIGS[name])
    _golden(f"{name}.sh", shell_command(config) + "\n")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_qmp_golden(name: str) -> None:
    config = Config.model_validate(CONFIGS[name])
    _golden(f"{name}.qmp.json", json.dumps(qmp_commands(config), indent=1) + "\n")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_shell_command_round_trips_to_argv(name: str) -> None:
    config = Config.model_validate(CONFIGS[name])
    text = shell_command(config).replace("\\\n", " ")
    assert shlex.split(text) == command_line(config)


def test_headless_flags_and_qmp_socket() -> None:
    config = Config.model_validate(CONFIGS["q35-mixed"])
    argv = command_line(config, accel="tcg", qmp_socket="/tmp/x/qmp.sock", headless=True)
    assert argv[1:6] == ["-S", "-nodefaults", "-display", "none", "-no-user-config"]
    assert argv[argv.index("-accel") + 1] == "tcg"
    assert argv[-2:] == ["-qmp", "unix:/tmp/x/qmp.sock,server=on,wait=off"]


def test_one_qmp_list_per_hot_event() -> None:
    config = Config.model_validate(CONFIGS["q35-mixed"])
    hot = [e for e in config.timeline if e.action != "cold"]
    commands = qmp_commands(config)
    assert len(commands) == len(hot)
    assert [c["execute"] for c in commands[0]] == ["object-add", "device_add"]
    assert commands[2] == [
        {
            "execute": "qom-set",
            "arguments": {
                "path": "/machine/peripheral/vm0",
                "property": "requested-size",
                "value": 1 << 30,
            },
        }
    ]
    assert [c["execute"] for c in commands[-1]] == ["device_del", "object-del"]


def test_comma_in_path_is_escaped() -> None:
    config = Config.model_validate(
        {
            "vhost_devices": [{"kind": "vhost-user", "id": "fs0"}],
        }
    )
    argv = command_line(config, socket_dir="/tmp/a,b")
    assert "socket,id=chr-fs0,path=/tmp/a,,b/fs0.sock" in argv


def test_on_off_auto_property_is_a_string_in_qmp() -> None:
    config = Config.model_validate(
        {
            "machine": {"maxmem": "8G"},
            "memory_devices": [
                {"kind": "virtio-mem", "id": "vm0", "size": "1G", "unplugged_inaccessible": False}
            ],
            "timeline": [{"action": "hotplug", "device": "vm0"}],
        }
    )
    device_add = qmp_commands(config)[0][1]["arguments"]
    assert device_add["unplugged-inaccessible"] == "off"
