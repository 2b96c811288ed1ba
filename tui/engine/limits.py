"""memory_device_memslot_decision_limit(): how many memslots a new memory device may use.

Re-expressed from QEMU 8.2+ (hw/mem/memory-device.c). The arithmetic keeps QEMU's C types:
`free - reserved` is unsigned 32-bit and may wrap; the share of the space is computed in a
double and truncated toward zero into an unsigned int. Every step is recorded, with the numbers
used, so the app can show *why* a device got its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import RawStep
from .units import U32_MAX

SOFT_LIMIT = 256  # MEMORY_DEVICES_SOFT_MEMSLOT_LIMIT
SAFE_MAX = 509  # MEMORY_DEVICES_SAFE_MAX_MEMSLOTS
UINT_MAX = U32_MAX
_INF = float("inf")
_MINUS_INF = -_INF


@dataclass(slots=True)
class LimitInputs:
    """What QEMU reads when a memory device that decides its memslots is plugged."""

    required: int
    used: int
    size: int
    """memory_region_size() of the new device."""
    space: int
    """maxram_size − ram_size."""
    used_region_size: int
    vhost_max: int
    vhost_free: int
    kvm_max: int | None
    """None when KVM is not the accelerator: then KVM is not consulted at all."""
    kvm_free: int | None

    @property
    def reserved(self) -> int:
        """get_reserved_memslots(): required − used, 0 if used exceeds required."""
        return 0 if self.used > self.required else self.required - self.used


def _double_to_uint(value: float) -> int:
    """C's conversion of a finite double to unsigned int: truncate, keep the low 32 bits."""
    if value != value or value == _INF or value == _MINUS_INF:
        # Undefined behaviour in C (available space 0); x86-64 gives 0 for this conversion.
        return 0
    return int(value) & UINT_MAX


_MAX_KVM = (
    "max = min(vhost max {}, KVM max {}) = {}; free = min(vhost free {:count}, KVM free {}) = "
    "{:count}"
)
_MAX_KVM_NO_VHOST = (
    "max = min(no vhost device (UINT_MAX), KVM max {}) = {}; "
    "free = min(vhost free {:count}, KVM free {}) = {:count}"
)
_MAX_NO_KVM = "max = vhost max {} (no KVM: the hypervisor is not consulted); free = {:count}"
_MAX_NO_KVM_NO_VHOST = (
    "max = no vhost device (UINT_MAX) (no KVM: the hypervisor is not consulted); free = {:count}"
)


def decision_limit(inputs: LimitInputs) -> tuple[int, tuple[RawStep, ...]]:
    """The limit handed to decide_memslots(), and the derivation behind it.

    Steps are RawStep tuples (rule, value, template, args), formatted only when read."""
    vmax = inputs.vhost_max
    vfree = inputs.vhost_free
    kvm_max = inputs.kvm_max
    kvm_free = inputs.kvm_free
    first: RawStep
    if kvm_max is not None and kvm_free is not None:
        mx = vmax if vmax < kvm_max else kvm_max
        free = vfree if vfree < kvm_free else kvm_free
        if vmax == UINT_MAX:
            first = ("max", mx, _MAX_KVM_NO_VHOST, (kvm_max, mx, vfree, kvm_free, free))
        else:
            first = ("max", mx, _MAX_KVM, (vmax, kvm_max, mx, vfree, kvm_free, free))
    else:
        mx, free = vmax, vfree
        if vmax == UINT_MAX:
            first = ("max", mx, _MAX_NO_KVM_NO_VHOST, (free,))
        else:
            first = ("max", mx, _MAX_NO_KVM, (vmax, free))
    if mx < SAFE_MAX:
        return 1, (
            first,
            (
                "safe-max",
                1,
                "max {} < {} (MEMORY_DEVICES_SAFE_MAX_MEMSLOTS): keep to a minimum → limit 1",
                (mx, SAFE_MAX),
            ),
        )
    safe = ("safe-max", mx, "max {} ≥ {}: go on", (mx, SAFE_MAX))
    required = inputs.required
    if SOFT_LIMIT <= required:
        return 1, (
            first,
            safe,
            (
                "soft-limit",
                1,
                "required {} ≥ soft limit {}: no memslots left for memory devices → limit 1",
                (required, SOFT_LIMIT),
            ),
        )
    memslots = SOFT_LIMIT - required
    soft = (
        "soft-limit",
        memslots,
        "m = soft limit {} − required {} = {}",
        (SOFT_LIMIT, required, memslots),
    )
    used = inputs.used
    reserved = 0 if used > required else required - used  # LimitInputs.reserved
    free_minus_reserved = (free - reserved) & UINT_MAX
    wrapped = free < reserved
    if free_minus_reserved < memslots:
        memslots = free_minus_reserved
    free_step: RawStep = (
        "free",
        memslots,
        "m = min(m, free {:count} − reserved {} = {:count}{}) = {}",
        (
            free,
            reserved,
            free_minus_reserved,
            " (unsigned wrap: free < reserved)" if wrapped else "",
            memslots,
        ),
    )
    if memslots < 1 or wrapped:
        why = "free < reserved" if wrapped else "m < 1"
        return 1, (first, safe, soft, free_step, ("free", 1, "{} → limit 1", (why,)))
    size = inputs.size
    space = inputs.space
    if size == space:
        share: RawStep = (
            "share",
            memslots,
            "device size {:bytes} = maxmem − ram: it can be the only memory device → limit m = {}",
            (size, memslots),
        )
        return memslots, (first, safe, soft, free_step, share)
    available = space - inputs.used_region_size
    if available < 0:
        available &= (1 << 64) - 1
    raw = float(memslots) * size / available if available else _INF
    result = _double_to_uint(raw)
    note = ""
    if result < 1:
        note = " → at least 1"
        result_shown, result = result, 1
    else:
        result_shown = result
        if result > memslots:
            note = f" (more than m = {memslots}: the device is larger than the space left)"
    share = (
        "share",
        result,
        "share of the space still available: m × size / "
        "available = {} × {:bytes} / {:bytes} = {:.4f} → {}{}",
        (memslots, size, available, raw, result_shown, note),
    )
    return result, (first, safe, soft, free_step, share)
