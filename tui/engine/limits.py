"""memory_device_memslot_decision_limit(): how many memslots a new memory device may use.

Re-expressed from QEMU 8.2+ (hw/mem/memory-device.c). The arithmetic keeps QEMU's C types:
`free - reserved` is unsigned 32-bit and may wrap; the share of the space is computed in a
double and truncated toward zero into an unsigned int. Every step is recorded, with the numbers
used, so the app can show *why* a device got its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from .report import Step, step
from .units import U32_MAX, human_size

SOFT_LIMIT = 256  # MEMORY_DEVICES_SOFT_MEMSLOT_LIMIT
SAFE_MAX = 509  # MEMORY_DEVICES_SAFE_MAX_MEMSLOTS
UINT_MAX = U32_MAX


@dataclass(frozen=True)
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
    if value != value or value in (float("inf"), float("-inf")):
        # Undefined behaviour in C (available space 0); x86-64 gives 0 for this conversion.
        return 0
    return int(value) & UINT_MAX


def decision_limit(inputs: LimitInputs) -> tuple[int, tuple[Step, ...]]:
    """The limit handed to decide_memslots(), and the derivation behind it."""
    steps: list[Step] = []
    vmax = inputs.vhost_max
    vfree = inputs.vhost_free
    vhost_text = "no vhost device (UINT_MAX)" if vmax == UINT_MAX else f"vhost max {vmax}"
    if inputs.kvm_max is not None and inputs.kvm_free is not None:
        mx = min(vmax, inputs.kvm_max)
        free = min(vfree, inputs.kvm_free)
        steps.append(step(rule="max", value=mx, text=(
            f"max = min({vhost_text}, KVM max {inputs.kvm_max}) = {mx}; "
            f"free = min(vhost free {_u(vfree)}, KVM free {inputs.kvm_free}) = {_u(free)}")))
    else:
        mx, free = vmax, vfree
        steps.append(step(rule="max", value=mx, text=(
            f"max = {vhost_text} (no KVM: the hypervisor is not consulted); "
            f"free = {_u(free)}")))
    if mx < SAFE_MAX:
        steps.append(step(rule="safe-max", value=1, text=(
            f"max {mx} < {SAFE_MAX} (MEMORY_DEVICES_SAFE_MAX_MEMSLOTS): keep to a minimum → "
            "limit 1")))
        return 1, tuple(steps)
    steps.append(step(rule="safe-max", value=mx, text=f"max {mx} ≥ {SAFE_MAX}: go on"))
    if SOFT_LIMIT <= inputs.required:
        steps.append(step(rule="soft-limit", value=1, text=(
            f"required {inputs.required} ≥ soft limit {SOFT_LIMIT}: no memslots left for memory "
            "devices → limit 1")))
        return 1, tuple(steps)
    memslots = SOFT_LIMIT - inputs.required
    steps.append(step(rule="soft-limit", value=memslots, text=(
        f"m = soft limit {SOFT_LIMIT} − required {inputs.required} = {memslots}")))
    reserved = inputs.reserved
    free_minus_reserved = (free - reserved) & UINT_MAX
    wrapped = free < reserved
    memslots = min(memslots, free_minus_reserved)
    steps.append(step(rule="free", value=memslots, text=(
        f"m = min(m, free {_u(free)} − reserved {reserved} = {_u(free_minus_reserved)}"
        + (" (unsigned wrap: free < reserved)" if wrapped else "") + f") = {memslots}")))
    if memslots < 1 or wrapped:
        why = "free < reserved" if wrapped else "m < 1"
        steps.append(step(rule="free", value=1, text=f"{why} → limit 1"))
        return 1, tuple(steps)
    if inputs.size == inputs.space:
        steps.append(step(rule="share", value=memslots, text=(
            f"device size {human_size(inputs.size)} = maxmem − ram: it can be the only memory "
            f"device → limit m = {memslots}")))
        return memslots, tuple(steps)
    available = inputs.space - inputs.used_region_size
    if available < 0:
        available &= (1 << 64) - 1
    raw = float(memslots) * inputs.size / available if available else float("inf")
    result = _double_to_uint(raw)
    text = (f"share of the space still available: m × size / available = {memslots} × "
            f"{human_size(inputs.size)} / {human_size(available)} = {raw:.4f} → {result}")
    if result < 1:
        text += " → at least 1"
        result = 1
    elif result > memslots:
        text += f" (more than m = {memslots}: the device is larger than the space left)"
    steps.append(step(rule="share", value=result, text=text))
    return result, tuple(steps)


def _u(value: int) -> str:
    return "UINT_MAX" if value == UINT_MAX else str(value)
