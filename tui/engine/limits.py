"""memory_device_memslot_decision_limit(): how many memslots a new memory device may use.

Re-expressed from QEMU 8.2+ (hw/mem/memory-device.c). The arithmetic keeps QEMU's C types:
`free - reserved` is unsigned 32-bit and may wrap; the share of the space is computed in a
double and truncated toward zero into an unsigned int. Every step is recorded, with the numbers
used, so the app can show *why* a device got its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import RawStep, lazy
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


def decision_limit(inputs: LimitInputs) -> tuple[int, tuple[RawStep, ...]]:
    """The limit handed to decide_memslots(), and the derivation behind it."""
    steps: list[RawStep] = []
    vmax = inputs.vhost_max
    vfree = inputs.vhost_free
    vhost_text = "no vhost device (UINT_MAX)" if vmax == UINT_MAX else f"vhost max {vmax}"
    if inputs.kvm_max is not None and inputs.kvm_free is not None:
        mx = min(vmax, inputs.kvm_max)
        free = min(vfree, inputs.kvm_free)
        steps.append(
            lazy(
                "max",
                mx,
                "max = min({}, KVM max {}) = {}; free = min(vhost free {:count}, KVM free {}) = "
                "{:count}",
                vhost_text,
                inputs.kvm_max,
                mx,
                vfree,
                inputs.kvm_free,
                free,
            )
        )
    else:
        mx, free = vmax, vfree
        steps.append(
            lazy(
                "max",
                mx,
                "max = {} (no KVM: the hypervisor is not consulted); free = {:count}",
                vhost_text,
                free,
            )
        )
    if mx < SAFE_MAX:
        steps.append(
            lazy(
                "safe-max",
                1,
                "max {} < {} (MEMORY_DEVICES_SAFE_MAX_MEMSLOTS): keep to a minimum → limit 1",
                mx,
                SAFE_MAX,
            )
        )
        return 1, tuple(steps)
    steps.append(lazy("safe-max", mx, "max {} ≥ {}: go on", mx, SAFE_MAX))
    if SOFT_LIMIT <= inputs.required:
        steps.append(
            lazy(
                "soft-limit",
                1,
                "required {} ≥ soft limit {}: no memslots left for memory devices → limit 1",
                inputs.required,
                SOFT_LIMIT,
            )
        )
        return 1, tuple(steps)
    memslots = SOFT_LIMIT - inputs.required
    steps.append(
        lazy(
            "soft-limit",
            memslots,
            "m = soft limit {} − required {} = {}",
            SOFT_LIMIT,
            inputs.required,
            memslots,
        )
    )
    reserved = inputs.reserved
    free_minus_reserved = (free - reserved) & UINT_MAX
    wrapped = free < reserved
    memslots = min(memslots, free_minus_reserved)
    steps.append(
        lazy(
            "free",
            memslots,
            "m = min(m, free {:count} − reserved {} = {:count}{}) = {}",
            free,
            reserved,
            free_minus_reserved,
            " (unsigned wrap: free < reserved)" if wrapped else "",
            memslots,
        )
    )
    if memslots < 1 or wrapped:
        steps.append(lazy("free", 1, "{} → limit 1", "free < reserved" if wrapped else "m < 1"))
        return 1, tuple(steps)
    if inputs.size == inputs.space:
        steps.append(
            lazy(
                "share",
                memslots,
                "device size {:bytes} = maxmem − ram: it can be the only memory device → "
                "limit m = {}",
                inputs.size,
                memslots,
            )
        )
        return memslots, tuple(steps)
    available = inputs.space - inputs.used_region_size
    if available < 0:
        available &= (1 << 64) - 1
    raw = float(memslots) * inputs.size / available if available else float("inf")
    result = _double_to_uint(raw)
    note = ""
    if result < 1:
        note = " → at least 1"
        result_shown, result = result, 1
    else:
        result_shown = result
        if result > memslots:
            note = f" (more than m = {memslots}: the device is larger than the space left)"
    steps.append(
        lazy(
            "share",
            result,
            "share of the space still available: m × size / "
            "available = {} × {:bytes} / {:bytes} = {:.4f} → {}{}",
            memslots,
            inputs.size,
            available,
            raw,
            result_shown,
            note,
        )
    )
    return result, tuple(steps)
