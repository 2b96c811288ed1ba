"""Other memslot consumers: ROMs, PCI RAM BARs, VFIO BARs, VGA VRAM, NUMA memdevs."""

from __future__ import annotations

from typing import ClassVar

from tui.engine.model import Config
from tui.engine.report import Report

from ..view import plain
from .base import Row
from .device_list import DeviceListPanel


class ConsumersPanel(DeviceListPanel):
    """Consumers that take KVM slots / vhost regions but reserve nothing."""

    TITLE = "Other consumers"
    GROUP = "consumer"
    COLUMNS: ClassVar = ("id", "kind", "KVM", "vhost-kernel", "vhost-user", "note")
    BINDING_GROUP_TITLE = "Other consumers"
    HELP = """\
## Other consumers
Anything that is not a memory device but still takes memslots: option ROMs and pflash (a KVM
slot, no vhost region), PCI RAM BARs, VFIO BARs, VGA VRAM, extra NUMA memdevs. Each takes the
KVM slots and vhost regions shown; edit the numbers to model a measured host.
"""

    def rows(self, config: Config, report: Report | None) -> list[Row]:
        """One row per consumer with its slot counts."""
        return [
            (
                c.id,
                (
                    c.id,
                    c.kind,
                    str(c.kvm_slots),
                    str(c.vhost_kernel_regions),
                    str(c.vhost_user_regions),
                    plain(c.note),
                ),
            )
            for c in config.consumers
        ]
