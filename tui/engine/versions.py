"""Which QEMU behaviour a configuration's `qemu_version` selects.

QEMU changed its memslot rules twice: 8.2 introduced multi-memslot memory devices and the
decision limit; 10.0.3 / 10.1 replaced the two global vhost "used" counters with a per-device
count. Everything version-dependent asks this module, so the differences live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Machine


@dataclass(frozen=True)
class Rules:
    """The behaviour of one range of QEMU versions."""

    name: str
    """"8.1" (≤ 8.1), "8.2-10.0" (8.2 … 10.0.2), "10.1" (10.0.3, 10.1 and later)."""
    multi_memslot: bool
    """8.2+: memory devices may use several memslots; required/used/reserved bookkeeping."""
    per_device_vhost_count: bool
    """10.0.3+/10.1+: vhost free = min(limit − own nregions); else class-wide globals."""
    vhost_user_cap: int
    """VHOST_USER_MAX_RAM_SLOTS on x86: 512 since 8.1, ACPI_MAX_RAM_SLOTS (256) before."""
    has_hv_balloon: bool
    version: tuple[int, int, int]
    """The exact version: messages reworded inside a rule set (9.1) read it (refusals.py)."""

    @property
    def vhost_free_wraps(self) -> bool:
        """8.2 … 10.0.2: a device's free memslots are `limit - class used` in unsigned 32 bits,
        so a device over its limit has ~4 billion free. ≤ 8.1 compares `limit > used` and 10.1
        gives 0: neither wraps."""
        return self.multi_memslot and not self.per_device_vhost_count


def rules_for(machine: Machine) -> Rules:
    """The rules QEMU `machine.qemu_version` follows."""
    version = machine.version_tuple
    if version < (8, 2, 0):
        return Rules("8.1", False, False, 512 if version >= (8, 1, 0) else 256, False, version)
    if version < (10, 0, 3):
        return Rules("8.2-10.0", True, False, 512, True, version)
    return Rules("10.1", True, True, 512, True, version)
