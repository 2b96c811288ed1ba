"""vhost back-ends: each one's memslot limit, and QEMU's count of what they use.

A vhost device maps every RAM section of guest memory (vhost-user: only sections with an fd) and
refuses more than its back-end's limit. QEMU ≤ 10.0.2 kept one "used" count per class of
back-end (shared-only = vhost-user, private allowed = kernel/vdpa), rewritten by whichever device
committed last and zeroed on teardown; 10.0.3/10.1 count per device. Both are modelled.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field

from .kinds import VHOST_KINDS, VhostClass, vhost_kind
from .model import VhostDeviceModel
from .refusals import warn_vhost_over_limit
from .units import U32_MAX
from .versions import Rules

__all__ = ["VhostClass", "VhostState", "device_free", "memslots_limit", "vhost_class"]


def vhost_class(device: VhostDeviceModel) -> VhostClass:
    """vhost-user back-ends can only map fd-backed RAM (vhost_backend_no_private_memslots)."""
    return vhost_kind(device).vhost_class


def memslots_limit(device: VhostDeviceModel, rules: Rules) -> tuple[int, str, str | None]:
    """(limit, how it was derived, warning QEMU prints while deriving it): the back-end's
    vhost_backend_memslots_limit(), as its kind declares it (kinds.py)."""
    return vhost_kind(device).limit(device, rules)


def device_free(limit: int, used: int, wraps: bool) -> int:
    """One device's free memslots as QEMU counts them: 8.2 … 10.0.2 compute `limit - used` in
    unsigned 32 bits (it wraps when the device is over its limit); ≤ 8.1 and 10.1 give 0."""
    if not wraps and used > limit:
        return 0
    return (limit - used) & U32_MAX


@dataclass(slots=True)
class Registered:
    """A vhost device whose memory listener is registered (vhost_dev_init passed its start)."""

    id: str
    kind: str
    cls: VhostClass
    limit: int


@dataclass(slots=True)
class VhostState:
    """The registered vhost devices and QEMU's used counters."""

    rules: Rules
    devices: list[Registered] = field(default_factory=list)
    globals: dict[VhostClass, int] = field(default_factory=lambda: {"shared": 0, "private": 0})
    """used_shared_memslots / used_memslots (QEMU ≤ 10.0.2)."""
    warned: bool = False
    registered: tuple[tuple[str, str, str, int], ...] = ()
    """(id, kind, class, limit) of the registered devices, kept as they register and leave:
    the same tuple object until a device registers or leaves, so per-event counters share it."""
    _limits: dict[VhostClass, int] = field(default_factory=dict)
    """Each class's smallest limit (only classes with a registered device)."""
    _sorted: dict[VhostClass, list[int]] | None = None
    _max: int = U32_MAX
    ids: set[str] = field(default_factory=set)
    discard_blockers: int = 0
    """Registered devices whose kind breaks RAM discard (vhost-vdpa)."""
    wraps: bool = field(init=False)
    """rules.vhost_free_wraps, read once per replay (free() runs per memory plug)."""

    def __post_init__(self) -> None:
        self.wraps = self.rules.vhost_free_wraps

    def discard_disabled(self) -> bool:
        """A registered back-end breaks RAM discard (vhost-vdpa): virtio-mem cannot realize."""
        return self.discard_blockers > 0

    def register(self, device: Registered) -> None:
        """vhost_dev_init() registered the device's memory listener."""
        self.devices.append(device)
        self.ids.add(device.id)
        if VHOST_KINDS[device.kind].disables_discard:
            self.discard_blockers += 1
        cls = device.cls
        limit = device.limit
        self.registered += ((device.id, device.kind, cls, limit),)  # a new tuple: see above
        limits = self._limits
        if cls not in limits or limit < limits[cls]:
            limits[cls] = limit
            if limit < self._max:  # the smallest of the classes' smallest limits
                self._max = limit
        if self._sorted is not None:
            insort(self._sorted.setdefault(cls, []), limit)

    def unregister(self, device: Registered) -> None:
        """vhost_dev_cleanup(): unregistering the listener deletes all its regions, and the
        resulting commit writes 0 to its class's global (≤ 10.0.2)."""
        self.devices.remove(device)
        self.ids.discard(device.id)
        if VHOST_KINDS[device.kind].disables_discard:
            self.discard_blockers -= 1
        self.globals[device.cls] = 0
        self.registered = tuple((d.id, d.kind, d.cls, d.limit) for d in self.devices)
        limits: dict[VhostClass, int] = {}
        for other in self.devices:
            limits[other.cls] = min(limits.get(other.cls, U32_MAX), other.limit)
        self._limits = limits
        self._max = min(limits.values(), default=U32_MAX)
        self._sorted = None

    def commit(self, cls: VhostClass, regions: int) -> None:
        """A device of class `cls` committed a changed region list (≤ 10.0.2 global write);
        without a registered device of that class nobody commits. Before 8.2 there is one
        global for every device (`used_memslots`), whatever its class."""
        if cls in self._limits:
            if self.rules.multi_memslot:
                self.globals[cls] = regions
            else:
                self.globals["shared"] = self.globals["private"] = regions

    def commit_order(self) -> tuple[VhostClass, ...]:
        """Classes in the order their devices' listeners commit: registration order, so the
        class of the newest device writes last (it matters only for ≤ 8.1's single global)."""
        if self.rules.multi_memslot or not self.devices or self.devices[-1].cls == "private":
            return ("shared", "private")
        return ("private", "shared")

    def max(self) -> int:
        """vhost_get_max_memslots(): UINT_MAX without vhost devices."""
        return self._max

    def free(self, shared: int, private: int) -> tuple[int, str | None]:
        """vhost_get_free_memslots(), and the warning 10.1 prints once when over a limit.

        The minimum over registered devices of each device's own free count. Not the smallest
        limit minus the used count: in 8.2 … 10.0.2 a device over its limit wraps to a huge
        free count, so another device of the class with a larger limit decides. `shared` and
        `private` are the sections a device of each class maps (its nregions)."""
        free = U32_MAX
        warning = None
        if not self.devices:
            return free, warning
        if not self.wraps:  # ≤ 8.1 and 10.1: 0 when over, so the smallest limit
            per_device = self.rules.per_device_vhost_count
            globals_ = self.globals
            for cls, limit in self._limits.items():
                if per_device:
                    used = shared if cls == "shared" else private
                else:
                    used = globals_[cls]
                if used > limit:
                    if per_device and not self.warned and warning is None:
                        warning = warn_vhost_over_limit(used, self._first_over(cls, used))
                    return 0, warning
                if limit - used < free:
                    free = limit - used
            return free, warning
        for cls, limits in self._sorted_limits().items():
            used = self.globals[cls]
            # min over devices of (limit - used) mod 2^32: the smallest limit ≥ used wins;
            # only when every device is over its limit does a wrapped value remain
            at = bisect_left(limits, used)
            value = limits[at] - used if at < len(limits) else (limits[0] - used) & U32_MAX
            free = min(free, value)
        return free, warning

    def _sorted_limits(self) -> dict[VhostClass, list[int]]:
        """Each class's device limits, sorted (cached until a device leaves)."""
        if self._sorted is None:
            limits: dict[VhostClass, list[int]] = {}
            for device in self.devices:
                limits.setdefault(device.cls, []).append(device.limit)
            self._sorted = {cls: sorted(values) for cls, values in limits.items()}
        return self._sorted

    def _first_over(self, cls: VhostClass, used: int) -> int:
        """The limit QEMU names: the first registered device of the class that is exceeded."""
        return next(d.limit for d in self.devices if d.cls == cls and used > d.limit)
