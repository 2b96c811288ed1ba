"""Cases only recorded (tests/qemu/record.py), beside the verify suite's CASES: the behaviours
issues reported, and cases every rule set can run (no `dynamic-memslots`, which QEMU ≤ 8.1 lacks),
so QEMU 7.2 is checked on its own rules, not only on its "Property ... not found" refusal."""

from __future__ import annotations

from typing import Any

from tests.qemu.timelines import events as _events
from tests.qemu.timelines import vhost_user as _vu

MEMFD = {"backend": "memfd", "share": True}


def _dimm(ident: str, size: str = "1G", **extra: Any) -> dict[str, Any]:
    return {"kind": "pc-dimm", "id": ident, "size": size, **extra}


def _svmem(ident: str, size: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "virtio-mem", "id": ident, "size": size, "dynamic_memslots": False, **extra}


CASES: dict[str, dict[str, Any]] = {
    # issue 11 item 2: in 8.2-10.0 each vhost device's free count is its own limit minus the
    # class count (unsigned: the net device over its limit 1 wraps), minimum over devices
    "vhost-free-per-device-wraps": {
        "config": {
            "machine": {
                "ram": "1G",
                "maxmem": "9G",
                "slots": 4,
                "memory_backend": "memfd",
            },
            "memory_devices": [_dimm("d0", **MEMFD), _dimm("d1", **MEMFD)],
            "vhost_devices": [_vu("net0", 1, device="net"), _vu("blk0", 3, device="blk")],
            "timeline": _events("cold:net0", "hotplug:blk0", "hotplug:d0", "hotplug:d1"),
        },
    },
    "static-vmem-hot-three-vhost-user-8": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "13G", "memory_backend": "memfd"},
            "memory_devices": [_svmem(f"vm{i}", "4G", **MEMFD) for i in range(3)],
            "vhost_devices": [_vu("fs0", 8, configure=False)],
            "timeline": _events("cold:fs0", "hotplug:vm0", "hotplug:vm1", "hotplug:vm2"),
        },
    },
    "dimms-until-vhost-user-4-is-full": {
        "config": {
            "machine": {"ram": "1G", "slots": 6, "maxmem": "7G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(4)],
            "vhost_devices": [_vu("fs0", 4)],
            "timeline": _events("hotplug:fs0", *[f"hotplug:d{i}" for i in range(4)]),
        },
    },
    "vhost-user-init-after-dimms-over-limit": {
        "config": {
            "machine": {"ram": "1G", "slots": 6, "maxmem": "7G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(4)],
            "vhost_devices": [_vu("fs0", 5)],
            "timeline": _events(*[f"hotplug:d{i}" for i in range(4)], "hotplug:fs0"),
        },
    },
    "vhost-user-init-after-private-dimms": {
        # private (anonymous) DIMMs are invisible to vhost-user: its 3-slot limit holds
        "config": {
            "machine": {"ram": "1G", "slots": 6, "maxmem": "7G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}") for i in range(4)],
            "vhost_devices": [_vu("fs0", 3)],
            "timeline": _events(*[f"hotplug:d{i}" for i in range(4)], "hotplug:fs0"),
        },
    },
    "cold-dimms-vhost-user-8-no-configure": {
        "config": {
            "machine": {"ram": "1G", "slots": 8, "maxmem": "9G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(7)],
            "vhost_devices": [_vu("fs0", 8, configure=False)],
            "timeline": _events("cold:fs0", *[f"cold:d{i}" for i in range(7)]),
        },
    },
    "two-vhost-user-smaller-limit-decides": {
        "config": {
            "machine": {"ram": "1G", "slots": 6, "maxmem": "7G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(5)],
            "vhost_devices": [_vu("fs0", 6), _vu("blk0", 4, device="blk")],
            "timeline": _events(
                "hotplug:fs0", "hotplug:blk0", *[f"hotplug:d{i}" for i in range(5)]
            ),
        },
    },
    "unplug-vhost-user-frees-the-smaller-limit": {
        "config": {
            "machine": {"ram": "1G", "slots": 6, "maxmem": "7G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(4)],
            "vhost_devices": [_vu("fs0", 8), _vu("fs1", 3)],
            "timeline": _events(
                "hotplug:fs0",
                "hotplug:fs1",
                "hotplug:d0",
                "hotplug:d1",
                "unplug:fs1",
                "hotplug:d2",
                "hotplug:d3",
            ),
        },
    },
    "static-vmem-resize-and-block-errors": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "5G"},
            "memory_devices": [_svmem("vm0", "2G"), _svmem("vm1", "1G", block_size="512K")],
            "timeline": _events(
                "hotplug:vm0",
                "resize:vm0:1G",
                "resize:vm0:3M",
                "resize:vm0:4G",
                "hotplug:vm1",
            ),
        },
    },
    "static-vmem-cold-not-enough-space": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "4G"},
            "memory_devices": [_svmem("vm0", "2G"), _svmem("vm1", "2G")],
            "timeline": _events("cold:vm0", "cold:vm1"),
        },
    },
    "pmem-and-dimm-mixed-cold-vhost-user-4": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "5G", "memory_backend": "memfd"},
            "memory_devices": [
                _dimm("d0", **MEMFD),
                {"kind": "virtio-pmem", "id": "pm0", "size": "1G", **MEMFD},
                _dimm("d1", **MEMFD),
            ],
            "vhost_devices": [_vu("fs0", 4)],
            "timeline": _events("cold:fs0", "cold:d0", "cold:pm0", "cold:d1"),
        },
    },
    "pc-machine-dimms-vhost-user-5": {
        "config": {
            "machine": {
                "type": "pc",
                "ram": "2G",
                "slots": 4,
                "maxmem": "6G",
                "memory_backend": "memfd",
            },
            "memory_devices": [_dimm(f"d{i}", **MEMFD) for i in range(4)],
            "vhost_devices": [_vu("fs0", 5)],
            "timeline": _events("cold:fs0", *[f"hotplug:d{i}" for i in range(4)]),
        },
    },
    "dimm-explicit-slots-and-addr": {
        "config": {
            "machine": {"ram": "1G", "slots": 3, "maxmem": "4G"},
            "memory_devices": [
                _dimm("d0", slot=2),
                _dimm("d1", slot=2),
                _dimm("d2", addr="0x100000000"),
                _dimm("d3"),
            ],
            "timeline": _events("hotplug:d0", "hotplug:d1", "hotplug:d2", "hotplug:d3"),
        },
    },
    "dimm-unaligned-size": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "4G"},
            "memory_devices": [_dimm("d0", "1M"), _dimm("d1", "1G")],
            "timeline": _events("hotplug:d0", "hotplug:d1"),
        },
    },
    "static-vmem-memfd-unplug-then-replug": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "5G", "memory_backend": "memfd"},
            "memory_devices": [_svmem("vm0", "2G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 3)],
            "timeline": _events("cold:fs0", "hotplug:vm0", "unplug:vm0", "hotplug:vm0"),
        },
    },
    # issue 11 item 3: QEMU's own answers where a schema error used to stand
    "startup-maxmem-below-ram": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "2G"},
            "memory_devices": [_dimm("d0")],
            "timeline": _events("hotplug:d0"),
        },
    },
    "startup-maxmem-below-ram-with-slots": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "3G", "slots": 2},
            "memory_devices": [_dimm("d0")],
            "timeline": _events("cold:d0"),
        },
    },
    "size-zero-backends": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "4G"},
            "memory_devices": [
                _dimm("d0", "0"),
                _svmem("vm0", "0", **MEMFD),
                {"kind": "virtio-pmem", "id": "pm0", "size": "0", "backend": "file"},
                _dimm("d1"),
            ],
            "timeline": _events("hotplug:d0", "hotplug:vm0", "hotplug:pm0", "hotplug:d1"),
        },
    },
    "size-zero-cold-dimm": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "4G"},
            "memory_devices": [_dimm("d0"), _dimm("d1", "0")],
            "timeline": _events("cold:d0", "cold:d1"),
        },
    },
    # issue 11 item 3: a plain virtio-balloon takes no memslot, and QEMU allows one balloon
    "virtio-balloon-two-and-hot-unplug": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "4G"},
            "memory_devices": [_dimm("d0")],
            "consumers": [
                {"id": "bal0", "kind": "virtio-balloon"},
                {"id": "bal1", "kind": "virtio-balloon"},
                {"id": "bal2", "kind": "virtio-balloon"},
            ],
            "timeline": _events(
                "cold:bal0", "cold:d0", "hotplug:bal1", "unplug:bal0", "hotplug:bal2"
            ),
        },
    },
    "virtio-balloon-hot-then-unplug-then-again": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "4G"},
            "consumers": [{"id": "bal0", "kind": "virtio-balloon"}],
            "timeline": _events("hotplug:bal0", "unplug:bal0", "hotplug:bal0"),
        },
    },
    "hv-balloon-then-virtio-balloon": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "8G"},
            "memory_devices": [{"kind": "hv-balloon", "id": "hvb", "size": "2G"}],
            "consumers": [{"id": "bal0", "kind": "virtio-balloon"}],
            "timeline": _events("cold:hvb", "cold:bal0"),
        },
    },
    # issue 11 item 3: one memory backend, two devices (QEMU's busy-memdev errors)
    "shared-backend-cold-dimms": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "8G"},
            "memory_devices": [_dimm("d0"), _dimm("d1", memdev="d0")],
            "timeline": _events("cold:d0", "cold:d1"),
        },
    },
    "shared-backend-sharer-first-on-the-command-line": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "8G"},
            "memory_devices": [_dimm("d0"), _dimm("d1", memdev="d0")],
            "timeline": _events("cold:d1", "cold:d0"),
        },
    },
    "shared-backend-hot-virtio-mem-and-pmem": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "8G"},
            "memory_devices": [
                _dimm("d0", "2G"),
                _svmem("vm0", "2G", memdev="d0"),
                _svmem("vm1", "2G", memdev="d0"),
                {"kind": "virtio-pmem", "id": "pm1", "size": "2G", "memdev": "d0"},
                _dimm("d2", memdev="d0"),
            ],
            "timeline": _events(
                "hotplug:vm0", "hotplug:d0", "hotplug:vm1", "hotplug:pm1", "hotplug:d2"
            ),
        },
    },
}
