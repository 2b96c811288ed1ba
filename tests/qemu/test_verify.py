"""Engine vs a real QEMU (>= 8.2), no guest: every configuration must match event by event.

Each case also pins what QEMU itself answered (`qemu`: per 1-based event "ok", "ok:N" with N
virtio-mem memslots, "pending", "error:<start of message>", "skipped"), so a case can never pass
by comparing nothing. A mismatch means the engine is wrong (or QEMU changed): the fix belongs in
the engine, and what was learned about QEMU goes into docs/rules.md.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.qemu.timelines import events as _events
from tests.qemu.timelines import vhost_user as _vu
from tui.engine.model import Config
from tui.qemu.verify import VerifyResult, format_table, verify

pytestmark = pytest.mark.qemu

G = "G"
MEMFD = {"backend": "memfd", "share": True}
NO_FREE = "error:a used vhost backend has not enough free memory slots left"
ACCEL = os.environ.get("MEMSLOT_QEMU_ACCEL") or None
"""Force an accelerator for the whole suite (MEMSLOT_QEMU_ACCEL=tcg): results must not change."""


def _vmem(ident: str, size: str, dynamic: bool = True, **extra: Any) -> dict[str, Any]:
    return {"kind": "virtio-mem", "id": ident, "size": size, "dynamic_memslots": dynamic, **extra}


def _dimm(ident: str, size: str = "1G", **extra: Any) -> dict[str, Any]:
    return {"kind": "pc-dimm", "id": ident, "size": size, **extra}


CASES: dict[str, dict[str, Any]] = {
    # ---------------------------------------------------------------- pc-dimm
    "dimm-cold-two": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "3G"},
            "memory_devices": [_dimm("d0"), _dimm("d1")],
            "timeline": _events("cold:d0", "cold:d1"),
        },
        "qemu": ["ok", "ok"],
    },
    "dimm-hot-slots-exhausted": {
        "config": {
            "machine": {"ram": "1G", "slots": 1, "maxmem": "4G"},
            "memory_devices": [_dimm("d0"), _dimm("d1")],
            "timeline": _events("hotplug:d0", "hotplug:d1"),
        },
        "qemu": ["ok", "error:no free slots available"],
    },
    "dimm-slot-out-of-range-cold": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "4G"},
            "memory_devices": [_dimm("d0"), _dimm("d1", slot=5)],
            "timeline": _events("cold:d0", "cold:d1"),
        },
        "qemu": ["ok", "error:invalid slot number 5, valid range is [0-1]"],
    },
    "dimm-hot-unplug-pending": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "3G"},
            "memory_devices": [_dimm("d0")],
            "timeline": _events("hotplug:d0", "unplug:d0"),
        },
        "qemu": ["ok", "pending"],
    },
    "no-maxmem-for-memory-devices": {
        "config": {
            "machine": {"ram": "1G"},
            "memory_devices": [_dimm("d0")],
            "timeline": _events("hotplug:d0"),
        },
        "qemu": ["error:no slots where allocated"],
    },
    "startup-slots-without-maxmem": {
        "config": {
            "machine": {"ram": "1G", "slots": 2},
            "memory_devices": [_dimm("d0")],
            "timeline": _events("cold:d0"),
        },
        "startup": "error:slots specified but no max-size",
        "qemu": ["skipped"],
    },
    # ---------------------------------------------------------------- nvdimm / virtio-pmem
    "nvdimm-cold": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "3G", "nvdimm": True},
            "memory_devices": [
                {
                    "kind": "nvdimm",
                    "id": "nv0",
                    "size": "1G",
                    "backend": "file",
                    "share": True,
                    "label_size": "128K",
                },
                _dimm("d0"),
            ],
            "timeline": _events("cold:nv0", "hotplug:d0"),
        },
        "qemu": ["ok", "ok"],
    },
    "nvdimm-not-enabled": {
        "config": {
            "machine": {"ram": "1G", "slots": 2, "maxmem": "3G"},
            "memory_devices": [
                {"kind": "nvdimm", "id": "nv0", "size": "1G", "backend": "file", "share": True}
            ],
            "timeline": _events("cold:nv0"),
        },
        "qemu": ["error:nvdimm is not enabled: missing 'nvdimm' in '-M'"],
    },
    "virtio-pmem-no-unplug": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "3G"},
            "memory_devices": [
                {
                    "kind": "virtio-pmem",
                    "id": "pm0",
                    "size": "1G",
                    "backend": "memfd",
                    "share": True,
                }
            ],
            "timeline": _events("hotplug:pm0", "unplug:pm0"),
        },
        "qemu": ["ok", "error:this virtio based memory devices cannot be unplugged"],
    },
    # ---------------------------------------------------------------- virtio-mem
    "vmem-dynamic-cold-64G": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "68G"},
            "memory_devices": [_vmem("vm0", "64G")],
            "timeline": _events("cold:vm0"),
        },
        "qemu": ["ok:64"],
    },
    "vmem-two-dynamic-hot": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "132G"},
            "memory_devices": [_vmem("vm0", "64G"), _vmem("vm1", "64G")],
            "timeline": _events("hotplug:vm0", "hotplug:vm1"),
        },
        "qemu": ["ok:64", "ok:64"],
    },
    "vmem-fraction-small": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "101G", "slots": 2},
            "memory_devices": [_dimm("d0"), _vmem("vm0", "31G"), _vmem("vm1", "256M")],
            "timeline": _events("cold:d0", "hotplug:vm0", "hotplug:vm1"),
        },
        "qemu": ["ok", "ok:31", "ok:1"],
    },
    "vmem-soft-limit-1T": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "1028G", "phys_bits": 48, "cpu_vendor": "amd"},
            "memory_devices": [_vmem("vm0", "1T")],
            "timeline": _events("cold:vm0"),
        },
        "qemu": ["ok:256"],
    },
    "vmem-not-enough-space": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "3G"},
            "memory_devices": [_vmem("vm0", "1G"), _vmem("vm1", "2G")],
            "timeline": _events("hotplug:vm0", "hotplug:vm1"),
        },
        "qemu": [
            "ok:1",
            "error:not enough space, currently 0x40000000 in use of total space "
            "for memory devices 0x80000000",
        ],
    },
    "vmem-static-resize-unplug": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "5G"},
            "memory_devices": [_vmem("vm0", "4G", dynamic=False)],
            "timeline": _events(
                "hotplug:vm0",
                "resize:vm0:1G",
                "unplug:vm0",
                "resize:vm0:3M",
                "resize:vm0:0",
                "unplug:vm0",
            ),
        },
        "qemu": [
            "ok:1",
            "ok",
            "error:virtio-mem device cannot get unplugged while 'requested-size' != '0'",
            "error:'requested-size' has to be multiples of 'block-size'",
            "ok",
            "ok",
        ],
    },
    "vmem-hot-unplug-replug": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "9G"},
            "memory_devices": [_vmem("vm0", "8G")],
            "timeline": _events("hotplug:vm0", "unplug:vm0", "hotplug:vm0"),
        },
        "qemu": ["ok:8", "ok", "ok:8"],
    },
    "vmem-cold-unplug-pending": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "9G"},
            "memory_devices": [_vmem("vm0", "8G")],
            "timeline": _events("cold:vm0", "unplug:vm0"),
        },
        "qemu": ["ok:8", "pending"],
    },
    "pc-machine-acpi-unplug-pending": {
        "config": {
            "machine": {"type": "pc", "ram": "1G", "slots": 2, "maxmem": "10G"},
            "memory_devices": [_dimm("d0"), _vmem("vm0", "8G")],
            "timeline": _events("hotplug:d0", "hotplug:vm0", "unplug:vm0", "unplug:d0"),
        },
        "qemu": ["ok", "ok:8", "pending", "pending"],
    },
    # ---------------------------------------------------------------- vhost-user
    "vhost-user-8-no-configure-mem-slots": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 509, configure=False)],
            "timeline": _events("cold:fs0", "cold:vm0"),
        },
        "qemu": ["ok", "ok:1"],
    },
    "vhost-user-32-hot-after-auto-decision": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 32)],
            "timeline": _events("hotplug:vm0", "hotplug:fs0"),
        },
        "qemu": [
            "ok:16",
            "error:some memory device (like virtio-mem) decided how many memory slots to use",
        ],
    },
    "vhost-user-32-before-vmem": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 32)],
            "timeline": _events("hotplug:fs0", "hotplug:vm0"),
        },
        "qemu": ["ok", "ok:1"],
    },
    "vhost-user-508-rejected": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 508)],
            "timeline": _events("cold:vm0", "hotplug:fs0"),
        },
        "qemu": ["ok:16", "error:some memory device (like virtio-mem) decided"],
    },
    "vhost-user-509-accepted": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 509)],
            "timeline": _events("cold:fs0", "cold:vm0", "unplug:vm0"),
        },
        "qemu": ["ok", "ok:16", "pending"],
    },
    "qsd-vhost-user-blk-509-hot": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "68G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "64G", **MEMFD)],
            "vhost_devices": [_vu("blk0", 509, device="blk")],
            "timeline": _events("cold:vm0", "hotplug:blk0", "unplug:blk0"),
        },
        "qemu": ["ok:64", "ok", "ok"],
    },
    "vhost-user-net-hang-after-auto-decision": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD), _vmem("vm1", "8G", **MEMFD)],
            "vhost_devices": [_vu("net0", 32, device="net")],
            "timeline": _events("hotplug:vm0", "hotplug:net0", "unplug:vm0"),
        },
        "qemu": ["ok:16", "error:some memory device (like virtio-mem) decided", "skipped"],
    },
    "vhost-user-used-plus-reserved-over-8": {
        # fs0 (32 slots) forces every decision to 1; each dynamic vmem then reserves 1 slot it
        # never maps (no guest); four memfd dimms and the boot memfd RAM are mapped.
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "8G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(4)]
            + [_vmem(f"vm{i}", "1G", **MEMFD) for i in range(3)],
            "vhost_devices": [_vu("fs0", 32), _vu("fs1", 8, configure=False)],
            "timeline": _events(
                "cold:fs0",
                *[f"hotplug:d{i}" for i in range(4)],
                "hotplug:vm0",
                "hotplug:vm1",
                "hotplug:fs1",
                "hotplug:vm2",
            ),
        },
        "qemu": [
            "ok",
            "ok",
            "ok",
            "ok",
            "ok",
            "ok:1",
            "ok:1",
            "ok",
            "error:a used vhost backend has not enough free memory slots left",
        ],
    },
    "vhost-user-8-used-6-reserved-3": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "8G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(4)]
            + [_vmem(f"vm{i}", "1G", **MEMFD) for i in range(3)],
            "vhost_devices": [_vu("fs0", 32), _vu("fs1", 8, configure=False)],
            "timeline": _events(
                "cold:fs0",
                *[f"hotplug:d{i}" for i in range(4)],
                "hotplug:vm0",
                "hotplug:vm1",
                "hotplug:vm2",
                "hotplug:fs1",
            ),
        },
        "qemu": [
            "ok",
            "ok",
            "ok",
            "ok",
            "ok",
            "ok:1",
            "ok:1",
            "ok:1",
            "error:vhost backend memory slots limit (8) is less than current number of "
            "used (6) and reserved (3) memory slots for memory devices.",
        ],
    },
    "vhost-user-cold-unplug-pending": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 32)],
            "timeline": _events("cold:fs0", "unplug:fs0", "hotplug:vm0"),
        },
        "qemu": ["ok", "pending", "ok:1"],
    },
    "vhost-user-hot-unplug-frees-limit": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "26G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "8G", **MEMFD), _vmem("vm1", "16G", **MEMFD)],
            "vhost_devices": [_vu("fs0", 32)],
            "timeline": _events("hotplug:fs0", "hotplug:vm0", "unplug:fs0", "hotplug:vm1"),
        },
        "qemu": ["ok", "ok:1", "ok", "ok:16"],
    },
    # ---------------------------------------------------------------- exact boundaries, errors
    "vhost-user-8-cold-boundary": {
        # before the first reset q35 RAM below 4G is one region: boot 1 + 6 dimms fit in 8
        "config": {
            "machine": {"ram": "1G", "slots": 8, "maxmem": "9G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(8)],
            "vhost_devices": [_vu("fs0", 8, configure=False)],
            "timeline": _events("cold:fs0", *[f"cold:d{i}" for i in range(8)]),
        },
        "qemu": ["ok"] * 8 + ["error:a used vhost backend has not enough free memory slots left"],
    },
    "vhost-user-8-hot-boundary": {
        # after the reset the same RAM is two regions: one dimm fewer fits
        "config": {
            "machine": {"ram": "1G", "slots": 8, "maxmem": "9G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(8)],
            "vhost_devices": [_vu("fs0", 8, configure=False)],
            "timeline": _events("cold:fs0", *[f"hotplug:d{i}" for i in range(8)]),
        },
        "qemu": ["ok"] * 7 + [NO_FREE] * 2,
    },
    "vhost-user-10.0-global-count-after-unplug": {
        # 8.2-10.0: unplugging fs1 zeroes the shared used count, so d6/d7 are accepted
        "config": {
            "machine": {"ram": "1G", "slots": 8, "maxmem": "9G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(8)],
            "vhost_devices": [_vu("fs0", 8, configure=False), _vu("fs1", 8, configure=False)],
            "timeline": _events(
                "hotplug:fs0",
                "hotplug:fs1",
                *[f"hotplug:d{i}" for i in range(6)],
                "unplug:fs1",
                "hotplug:d6",
                "hotplug:d7",
            ),
        },
        "qemu": ["ok"] * 11,
    },
    "pc-machine-vhost-user-8": {
        "config": {
            "machine": {
                "type": "pc",
                "ram": "4G",
                "slots": 8,
                "maxmem": "12G",
                "memory_backend": "memfd",
            },
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(8)],
            "vhost_devices": [_vu("fs0", 8, configure=False)],
            "timeline": _events(
                "cold:fs0", "cold:d0", "cold:d1", "cold:d2", *[f"hotplug:d{i}" for i in range(3, 8)]
            ),
        },
        "qemu": ["ok"] * 6 + [NO_FREE] * 3,
    },
    "vmem-realize-errors": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "20G"},
            "memory_devices": [
                _vmem("a", "1G", unplugged_inaccessible=False),
                _vmem("b", "1G", block_size="512K"),
                _vmem("c", "1G", block_size="3M"),
                _vmem("d", "1G", requested_size="3M"),
                _vmem("e", "64M", prealloc=True),
                _vmem("f", "1G", memaddr="0x1000"),
                _vmem("g", "1G", requested_size="2G"),
                _vmem("h", "1G", memaddr="0x10000000000"),
            ],
            "timeline": _events(*[f"hotplug:{x}" for x in "abcdefgh"]),
        },
        "qemu": [
            "error:'dynamic-memslots' property set to 'on' requires 'unplugged-inaccessible'",
            "error:'block-size' property has to be at least 0x100000",
            "error:'block-size' property has to be a power of two",
            "error:'requested-size' property has to be multiples of 'block-size' (0x200000)",
            "error:'memdev' property specifies a memdev with preallocation enabled: mem-e.",
            "error:address must be aligned to 0x200000 bytes",
            "ok:1",
            "error:can't add memory device [0x10000000000:0x40000000], usable range for "
            "memory devices [0x100000000:0x4c0000000]",
        ],
    },
    "dimm-addr-and-slot-errors": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "5G"},
            "memory_devices": [
                _dimm("d0", addr="0x100000000"),
                _dimm("d1", addr="0x100000000"),
                _dimm("d2", addr="0x140001000"),
                _dimm("d3", slot=0),
            ],
            "timeline": _events("hotplug:d0", "hotplug:d1", "hotplug:d2", "hotplug:d3"),
        },
        "qemu": [
            "ok",
            "error:address range conflicts with memory device id='d0'",
            "error:address must be aligned to 0x200000 bytes",
            "error:slot 0 is busy",
        ],
    },
    "nvdimm-errors-and-readonly": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "5G", "nvdimm": True},
            "memory_devices": [
                {
                    "kind": "nvdimm",
                    "id": "n0",
                    "size": "1G",
                    "backend": "file",
                    "share": True,
                    "label_size": "64K",
                },
                {"kind": "nvdimm", "id": "n1", "size": "1G", "backend": "file", "readonly": True},
                {
                    "kind": "nvdimm",
                    "id": "n2",
                    "size": "1G",
                    "backend": "file",
                    "readonly": True,
                    "unarmed": True,
                },
                {
                    "kind": "nvdimm",
                    "id": "n3",
                    "size": "128K",
                    "backend": "file",
                    "label_size": "128K",
                },
                {"kind": "nvdimm", "id": "n4", "size": "1G", "backend": "file"},
            ],
            "timeline": _events(
                "hotplug:n0", "hotplug:n1", "hotplug:n2", "hotplug:n3", "hotplug:n4", "unplug:n4"
            ),
        },
        "qemu": [
            "error:Property 'nvdimm.label-size' (0x10000) is required at least 0x20000",
            "error:'unarmed' property must be 'on' since memdev mem-n1 is read-only",
            "ok",
            "error:the size of memdev mem-n3 (0x20000) is too small to contain nvdimm label",
            "ok",
            "error:nvdimm device hot unplug is not supported yet.",
        ],
    },
    "startup-phys-bits-too-low": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "1028G", "cpu_vendor": "amd"},
            "memory_devices": [_vmem("vm0", "1T")],
            "timeline": _events("cold:vm0"),
        },
        "startup": "error:Address space limit 0xffffffffff < 0x2087fffffff phys-bits too low (40)",
        "qemu": ["skipped"],
    },
    "startup-phys-bits-too-low-intel": {
        # an Intel vCPU keeps RAM above 4G at 4G: device memory ends 1 TiB lower
        "config": {
            "machine": {"ram": "4G", "maxmem": "1028G", "cpu_vendor": "intel"},
            "memory_devices": [_vmem("vm0", "1T")],
            "timeline": _events("cold:vm0"),
        },
        "startup": "error:Address space limit 0xffffffffff < 0x1097fffffff phys-bits too low (40)",
        "qemu": ["skipped"],
    },
    "vmem-soft-limit-exhausted": {
        "config": {
            "machine": {"ram": "4G", "maxmem": "1040G", "phys_bits": 48, "cpu_vendor": "amd"},
            "memory_devices": [_vmem("vm0", "1T"), _vmem("vm1", "8G"), _vmem("vm2", "4G")],
            "timeline": _events("hotplug:vm0", "hotplug:vm1", "hotplug:vm2"),
        },
        "qemu": ["ok:253", "ok:2", "ok:1"],
    },
    # ---------------------------------------------------------------- more vhost-user, resize
    "cold-vhost-user-blk-32-after-vmem": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("blk0", 32, device="blk")],
            "timeline": _events("cold:vm0", "cold:blk0"),
        },
        "qemu": ["ok:16", "error:some memory device (like virtio-mem) decided"],
    },
    "cold-vhost-user-net-32-inits-before-devices": {
        # -netdev is created before every -device, so the vmem sees the 32-slot limit first
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [_vu("net0", 32, device="net")],
            "timeline": _events("cold:vm0", "cold:net0"),
        },
        "qemu": ["ok:1", "ok"],
    },
    "vhost-user-scsi-vsock-fs-own-backend": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "17G", "memory_backend": "memfd"},
            "memory_devices": [_vmem("vm0", "16G", **MEMFD)],
            "vhost_devices": [
                _vu("sc0", 509, device="scsi"),
                _vu("vs0", 64, device="vsock"),
                _vu("fs0", 509),
            ],
            "timeline": _events(
                "cold:sc0", "hotplug:vm0", "hotplug:vs0", "hotplug:fs0", "unplug:fs0"
            ),
        },
        "qemu": ["ok", "ok:16", "error:some memory device (like virtio-mem) decided", "ok", "ok"],
    },
    "vmem-resize-over-size": {
        "config": {
            "machine": {"ram": "1G", "maxmem": "5G"},
            "memory_devices": [_vmem("vm0", "1G", dynamic=False)],
            "timeline": _events("hotplug:vm0", "resize:vm0:2G", "resize:vm0:1G", "unplug:vm0"),
        },
        "qemu": [
            "ok:1",
            "error:'requested-size' cannot exceed the memory backend size(0x40000000)",
            "ok",
            "error:virtio-mem device cannot get unplugged while 'requested-size'",
        ],
    },
    "pc-machine-pmem-vhost-user-vmem": {
        "config": {
            "machine": {"type": "pc", "ram": "1G", "maxmem": "10G", "memory_backend": "memfd"},
            "memory_devices": [
                {"kind": "virtio-pmem", "id": "pm0", "size": "1G", **MEMFD},
                _vmem("vm0", "8G", **MEMFD),
            ],
            "vhost_devices": [_vu("fs0", 509)],
            "timeline": _events("cold:pm0", "hotplug:fs0", "hotplug:vm0"),
        },
        "qemu": ["ok", "ok", "ok:8"],
    },
    "cold-vhost-user-8-used-5-reserved-4": {
        "config": {
            "machine": {"ram": "1G", "slots": 4, "maxmem": "8G", "memory_backend": "memfd"},
            "memory_devices": [_dimm(f"d{i}", "512M", **MEMFD) for i in range(4)]
            + [_vmem(f"vm{i}", "1G", **MEMFD) for i in range(4)],
            "vhost_devices": [_vu("fs0", 32), _vu("fs1", 8, configure=False)],
            "timeline": _events(
                "cold:fs0",
                *[f"cold:d{i}" for i in range(4)],
                *[f"cold:vm{i}" for i in range(4)],
                "cold:fs1",
            ),
        },
        "qemu": ["ok"] * 5
        + ["ok:1"] * 4
        + [
            "error:vhost backend memory slots limit (8) is less than current number of used (5) "
            "and reserved (4) memory slots for memory devices."
        ],
    },
    "cold-netdev-listed-after-a-failing-device": {
        # found by a random differential run: -netdev is created before every -device, so the
        # vhost-user netdev listed after the failing dimm was still initialised (ok, not skipped)
        "config": {
            "machine": {"ram": "1G", "maxmem": "5G", "memory_backend": "memfd"},
            "memory_devices": [_dimm("m0", "2G", **MEMFD), _vmem("m1", "512M", False)],
            "vhost_devices": [_vu("v0", 509, device="net")],
            "timeline": _events("cold:m0", "cold:v0", "hotplug:m1"),
        },
        "qemu": [
            "error:no slots where allocated, please specify the 'slots' option",
            "ok",
            "skipped",
        ],
    },
    "resize-after-failed-plug-names-qom-path": {
        # found by the differential test: qom-set names the QOM path in its error
        "config": {
            "machine": {"ram": "1G", "maxmem": "5G"},
            "memory_devices": [_vmem("m0", "256M", False, requested_size="3M")],
            "timeline": _events("hotplug:m0", "resize:m0:128M"),
        },
        "qemu": [
            "error:'requested-size' property has to be multiples of 'block-size'",
            "error:Device '/machine/peripheral/m0' not found",
        ],
    },
    "big-private-boot-ram-64G": {
        # 64G of private boot RAM on a smaller host: headless runs give it reserve=off
        "config": {
            "machine": {"ram": "64G", "maxmem": "128G"},
            "memory_devices": [_vmem("vm0", "64G")],
            "vhost_devices": [_vu("fs0", 32)],
            "timeline": _events("cold:vm0", "hotplug:fs0"),
        },
        "qemu": ["ok:64", "error:some memory device (like virtio-mem) decided"],
    },
    "vmem-big-block-alignment-warning": {
        # block-size 4G on a device-memory region based at 6G: QEMU warns and places it at 8G
        "config": {
            "machine": {"ram": "4G", "maxmem": "20G"},
            "memory_devices": [_vmem("vm0", "8G", False, block_size="4G"), _dimm("d0", "1G")],
            "timeline": _events("hotplug:vm0", "hotplug:d0"),
        },
        "qemu": ["ok:1", "error:no slots where allocated"],
        "warnings": {1: "the alignment (0x100000000) exceeds the expected maximum alignment"},
    },
}


def _summary(result: VerifyResult) -> tuple[str | None, list[str]]:
    start = None
    events: list[str] = []
    for row in result.rows:
        outcome = row.qemu
        text = "?" if outcome is None else outcome.status
        if outcome is not None and outcome.status == "error":
            text = f"error:{outcome.error}"
        elif outcome is not None and outcome.status == "ok" and outcome.memslots is not None:
            text = f"ok:{outcome.memslots}"
        if row.index < 0:
            start = text
        else:
            events.append(text)
    return start, events


def _matches(expected: str, got: str) -> bool:
    if expected.startswith("error:"):
        return got.startswith(expected)
    return expected == got


def _params() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=CASES[name]["xfail"]))
        if "xfail" in CASES[name]
        else name
        for name in sorted(CASES)
    ]


@pytest.mark.parametrize("name", _params())
def test_engine_matches_qemu(name: str, qemu_info) -> None:
    case = CASES[name]
    config = Config.model_validate(case["config"])
    result = verify(config, qemu=qemu_info.path, accel=ACCEL, timeout=20)
    table = format_table(result)
    assert result.error is None, table
    start, events = _summary(result)
    # The pins are QEMU 8.2-10.0's answers; another QEMU (7.2, 10.1+) is still compared with
    # the engine event by event (its own answers are recorded in tests/qemu/observed/).
    if result.report is not None and result.report.rules == "8.2-10.0":
        assert _matches(case.get("startup", "ok"), start or "?"), table
        assert len(events) == len(case["qemu"]), table
        for index, (want, got) in enumerate(zip(case["qemu"], events, strict=True), start=1):
            assert _matches(want, got), (
                f"event {index}: QEMU said {got!r}, pinned {want!r}\n{table}"
            )
        rows = [row for row in result.rows if row.index >= 0]
        for number, prefix in case.get("warnings", {}).items():
            qemu = rows[number - 1].qemu
            assert qemu is not None and any(w.startswith(prefix) for w in qemu.warnings), table
    assert not result.mismatches, (
        f"engine != QEMU (fix the engine; note QEMU's rule in docs/rules.md)\n{table}"
    )


@pytest.mark.parametrize(
    "name",
    ["vmem-two-dynamic-hot", "vhost-user-32-hot-after-auto-decision", "dimm-hot-slots-exhausted"],
)
def test_same_under_tcg(name: str, qemu_info) -> None:
    """Decisions do not depend on the accelerator (only KVM's own checks vanish)."""
    result = verify(
        Config.model_validate(CASES[name]["config"]), qemu=qemu_info.path, accel="tcg", timeout=20
    )
    assert result.error is None and result.accel == "tcg"
    assert not result.mismatches, format_table(result)
    _start, events = _summary(result)
    if result.report is not None and result.report.rules == "8.2-10.0":  # the pinned answers
        assert all(_matches(w, g) for w, g in zip(CASES[name]["qemu"], events, strict=True))


def test_unverifiable_devices_are_listed(qemu_info) -> None:
    """vhost-kernel without /dev/vhost-net, consumers, ...: listed with a reason, not dropped."""
    config = Config.model_validate(
        {
            "machine": {"ram": "1G", "maxmem": "9G"},
            "memory_devices": [_vmem("vm0", "8G")],
            "vhost_devices": [{"kind": "vhost-vdpa", "id": "vd0"}],
            "consumers": [{"id": "rom0", "kind": "rom"}],
            "timeline": _events("cold:rom0", "cold:vd0", "hotplug:vm0"),
        }
    )
    result = verify(config, qemu=qemu_info.path, timeout=20)
    listed = dict(result.not_verifiable)
    assert "rom0" in listed and "vd0" in listed
    rows = {row.device: row for row in result.rows if row.index >= 0}
    assert rows["vd0"].qemu is None and "not verifiable" in rows["vd0"].note
    assert rows["vm0"].match is True


def test_hv_balloon_verified_or_listed(qemu_info) -> None:
    config = Config.model_validate(
        {
            "machine": {"ram": "4G", "maxmem": "62G"},
            "memory_devices": [{"kind": "hv-balloon", "id": "hvb", "size": "32G"}],
            "timeline": _events("cold:hvb"),
        }
    )
    result = verify(config, qemu=qemu_info.path, timeout=20)
    assert result.error is None
    if result.not_verifiable:
        assert "Hyper-V" in dict(result.not_verifiable)["hvb"]
    else:
        assert not result.mismatches, format_table(result)
