"""Memory devices: pc-dimm, nvdimm, virtio-pmem, virtio-mem, hv-balloon."""

from __future__ import annotations

from typing import ClassVar

from tui.engine.model import Config
from tui.engine.report import Report
from tui.engine.units import format_size

from .. import view
from .base import Row, Styled
from .device_list import DeviceListPanel


class MemoryPanel(DeviceListPanel):
    """The memory devices and what QEMU decided for each (limit, memslots)."""

    TITLE = "Memory devices"
    GROUP = "memory"
    COLUMNS: ClassVar = ("id", "kind", "size", "limit", "memslots")
    BINDING_GROUP_TITLE = "Memory devices"
    HELP = """\
## Memory devices
Devices that live in the machine's device-memory region: **pc-dimm**, **nvdimm**,
**virtio-pmem** (one memslot each), **virtio-mem** (several memslots with
`dynamic-memslots=on`) and **hv-balloon** (always decides).
*limit* is the memslot decision limit QEMU computed when the device was plugged, *memslots*
what the device then uses. Select a row to see the derivation in **Explain**.
"""

    def rows(self, config: Config, report: Report | None) -> list[Row]:
        """One row per device with the engine's decision."""
        results = view.plug_results(report)
        error = self.theme_style("error")
        rows: list[Row] = []
        for device in config.memory_devices:
            result = results.get(device.id)
            size = "—" if device.size is None else format_size(device.size)
            if result is not None and not result.ok and not result.skipped:
                limit: object = Styled("✗ rejected", error)
                slots: object = ""
            else:
                limit = view.number(result.memslot_limit if result else None)
                slots = view.number(result.memslots if result else None)
            rows.append((device.id, (device.id, device.kind, size, limit, slots)))
        return rows
