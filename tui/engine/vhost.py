"""vhost back-ends: each one's memslot limit, and QEMU's count of what they use.

A vhost device maps every RAM section of guest memory (vhost-user: only sections with an fd) and
refuses more than its back-end's limit. QEMU ≤ 10.0.2 kept one "used" count per class of
back-end (shared-only = vhost-user, private allowed = kernel/vdpa), rewritten by whichever device
committed last and zeroed on teardown; 10.0.3/10.1 count per device. Both are modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .model import INT_MAX, VhostKernel, VhostUser, VhostVdpa
from .units import U32_MAX
from .versions import Rules

VhostClass = Literal["shared", "private"]

VHOST_KERNEL_DEFAULT = 64
VHOST_MEMORY_BASELINE_NREGIONS = 8


def vhost_class(device: VhostKernel | VhostUser | VhostVdpa) -> VhostClass:
    """vhost-user back-ends can only map fd-backed RAM (vhost_backend_no_private_memslots)."""
    return "shared" if isinstance(device, VhostUser) else "private"


def memslots_limit(device: VhostKernel | VhostUser | VhostVdpa,
                   rules: Rules) -> tuple[int, str, str | None]:
    """(limit, how it was derived, warning QEMU prints while deriving it)."""
    if isinstance(device, VhostKernel):
        value = device.max_mem_regions
        if 0 < value < INT_MAX:
            return value, f"max_mem_regions of the vhost module = {value}", None
        return (VHOST_KERNEL_DEFAULT,
                f"max_mem_regions {value} is invalid → QEMU falls back to {VHOST_KERNEL_DEFAULT}",
                f"ignoring invalid max_mem_regions value in vhost module: {value}")
    if isinstance(device, VhostUser):
        if not device.configure_mem_slots:
            return (VHOST_MEMORY_BASELINE_NREGIONS,
                    "no VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS → "
                    f"VHOST_MEMORY_BASELINE_NREGIONS = {VHOST_MEMORY_BASELINE_NREGIONS}", None)
        if device.max_mem_slots == 0:
            return (VHOST_MEMORY_BASELINE_NREGIONS,
                    "GET_MAX_MEM_SLOTS answered 0 → the baseline "
                    f"{VHOST_MEMORY_BASELINE_NREGIONS}", None)
        limit = min(device.max_mem_slots, rules.vhost_user_cap)
        return (limit,
                f"min(GET_MAX_MEM_SLOTS {device.max_mem_slots}, VHOST_USER_MAX_RAM_SLOTS "
                f"{rules.vhost_user_cap}) = {limit}", None)
    return INT_MAX, f"vhost-vdpa has no limit of its own (INT_MAX = {INT_MAX})", None


@dataclass
class Registered:
    """A vhost device whose memory listener is registered (vhost_dev_init passed its start)."""

    id: str
    kind: str
    cls: VhostClass
    limit: int


@dataclass
class VhostState:
    """The registered vhost devices and QEMU's used counters."""

    rules: Rules
    devices: list[Registered] = field(default_factory=list)
    globals: dict[VhostClass, int] = field(default_factory=lambda: {"shared": 0, "private": 0})
    """used_shared_memslots / used_memslots (QEMU ≤ 10.0.2)."""
    warned: bool = False

    def has_class(self, cls: VhostClass) -> bool:
        """Whether any registered device would commit a change of that class's sections."""
        return any(d.cls == cls for d in self.devices)

    def commit(self, cls: VhostClass, regions: int) -> None:
        """A device of class `cls` committed a changed region list (≤ 10.0.2 global write)."""
        if self.has_class(cls):
            self.globals[cls] = regions

    def used(self, device: Registered, regions: dict[VhostClass, int]) -> int:
        """The "used" that QEMU compares against this device's limit."""
        if self.rules.per_device_vhost_count:
            return regions[device.cls]
        return self.globals[device.cls]

    def max(self) -> int:
        """vhost_get_max_memslots(): UINT_MAX without vhost devices."""
        return min((d.limit for d in self.devices), default=U32_MAX)

    def free(self, regions: dict[VhostClass, int]) -> tuple[int, str | None]:
        """vhost_get_free_memslots(), and the warning 10.1 prints once when over a limit."""
        free = U32_MAX
        warning = None
        for device in self.devices:
            used = self.used(device, regions)
            if self.rules.per_device_vhost_count and used > device.limit:
                if not self.warned:
                    warning = (f"used ({used}) vhost backend memory slots exceed the device "
                               f"limit ({device.limit}).")
                free = 0
                continue
            free = min(free, (device.limit - used) & U32_MAX)
        return free, warning
