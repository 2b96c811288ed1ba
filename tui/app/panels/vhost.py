"""Vhost back-ends: vhost-kernel (vhost-net …), vhost-user (virtiofsd, qsd, DPDK), vhost-vdpa."""

from __future__ import annotations

from typing import ClassVar

from tui.engine.kinds import vhost_kind
from tui.engine.model import Config
from tui.engine.report import Report

from .. import view
from .base import Row, Styled
from .device_list import DeviceListPanel


class VhostPanel(DeviceListPanel):
    """The vhost back-ends, with the limit each one reports and QEMU's verdict."""

    TITLE = "Vhost back-ends"
    GROUP = "vhost"
    COLUMNS: ClassVar = ("id", "kind", "dev", "limit", "outcome")
    BINDING_GROUP_TITLE = "Vhost back-ends"
    HELP = """\
## Vhost back-ends
Each vhost device has its own memslot limit: vhost-kernel reads `max_mem_regions`
(kernel default **64**, Fedora/RHEL **509**), vhost-user asks the back-end (**8** without
CONFIGURE_MEM_SLOTS, **32** for virtiofsd before 2024, **509** for current virtiofsd and
qemu-storage-daemon), vhost-vdpa has none. A limit below **509** forces auto-deciding memory
devices to one memslot, and is *rejected* once a virtio-mem already decided — plug order matters.
"""

    def rows(self, config: Config, report: Report | None) -> list[Row]:
        """One row per back-end: the limit it announces and the plug outcome."""
        results = view.plug_results(report)
        error = self.theme_style("error")
        rows: list[Row] = []
        for device in config.vhost_devices:
            limit = vhost_kind(device).limit_label(device)
            result = results.get(device.id)
            text = view.outcome(result)
            cell: object = Styled("✗ rejected", error) if text.startswith("✗") else text
            rows.append((device.id, (device.id, device.kind, device.device, limit, cell)))
        return rows
