"""The machine before any memory device: boot RAM, the device-memory region, start-up errors.

pc and q35 split boot RAM below and above 4 GiB and put the device-memory region after it.
The memslot counts of boot memory were measured on a real QEMU 10.0.2 under KVM (see
docs/rules.md): they are defaults the user can override per machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Machine
from .refusals import Code, Refusal, refusal
from .units import GiB, KiB, TiB, align_up

ACPI_MAX_RAM_SLOTS = 256
AMD_HT_START = 0xFD00000000
AMD_ABOVE_1TB_START = 1 * TiB
PCI_HOLE64 = {"q35": 32 * GiB, "pc": 2 * GiB}
TARGET_PAGE_SIZE = 4 * KiB
KVM_MEMSLOTS_NR_MAX_DEFAULT = 32


@dataclass(frozen=True)
class BootMemory:
    """Boot memory in one phase: KVM slots and RAM sections a vhost back-end maps."""

    kvm_slots: int
    ram_sections: int
    """RAM (not ROM) sections: vhost-kernel/vdpa map them; vhost-user only if fd-backed."""


@dataclass(frozen=True)
class Layout:
    """Where things are, and what QEMU refuses before any device is created."""

    ram: int
    """-m size after QEMU rounds it up to 8 KiB."""
    below_4g: int
    above_4g: int
    above_4g_start: int
    device_memory_base: int | None
    device_memory_size: int | None
    """Region size: maxmem − ram + 1 GiB per DIMM slot (the slot GiBs only help alignment)."""
    device_memory_space: int
    """maxmem − ram: what the "not enough space" check allows."""
    cold: BootMemory
    hot: BootMemory
    kvm_max: int
    startup_refusal: Refusal | None


def _lowmem(machine: Machine, ram: int) -> int:
    if machine.type == "q35":
        return 0x80000000 if ram >= 0xB0000000 else 0xB0000000
    return 0xC0000000 if ram >= 0xE0000000 else 0xE0000000


def _boot_memory(machine: Machine, has_above: bool) -> tuple[BootMemory, BootMemory]:
    extra = 1 if has_above else 0
    if machine.type == "q35":
        # Before the first reset PAM is off: RAM below 4G is one section (+ the BIOS ROM).
        cold = BootMemory(2 + extra, 1 + extra)
        hot = BootMemory(5 + extra, 2 + extra)
    else:
        cold = hot = BootMemory(5 + extra, 2 + extra)
    if machine.boot_kvm_slots is not None or machine.boot_ram_sections is not None:
        kvm = machine.boot_kvm_slots
        sections = machine.boot_ram_sections
        cold = BootMemory(
            cold.kvm_slots if kvm is None else kvm,
            cold.ram_sections if sections is None else sections,
        )
        hot = BootMemory(
            hot.kvm_slots if kvm is None else kvm,
            hot.ram_sections if sections is None else sections,
        )
    return cold, hot


def _startup_error(machine: Machine, ram: int) -> Refusal | None:
    """QEMU's refusals of `-m` on pc/q35, in the order QEMU checks them."""
    if machine.maxmem is None:
        if machine.slots:
            return refusal(Code.SLOTS_WITHOUT_MAXMEM, slots=machine.slots)
        return None
    sizes = {"ram": ram, "maxmem": machine.maxmem, "slots": machine.slots}
    if machine.slots and machine.maxmem == ram:
        return refusal(Code.MAXMEM_EQUALS_RAM_WITH_SLOTS, **sizes)
    if machine.maxmem < ram:
        return refusal(Code.MAXMEM_BELOW_RAM, **sizes)
    if machine.slots > ACPI_MAX_RAM_SLOTS:
        return refusal(Code.TOO_MANY_SLOTS, **sizes)
    if machine.maxmem % TARGET_PAGE_SIZE:
        return refusal(Code.MAXMEM_UNALIGNED, align=TARGET_PAGE_SIZE, **sizes)
    return None


def layout(machine: Machine) -> Layout:
    """Lay out boot RAM and device memory exactly as pc_memory_init() does."""
    ram = align_up(machine.ram, 8 * KiB)
    below = min(ram, _lowmem(machine, ram))
    above = ram - below
    cold, hot = _boot_memory(machine, above > 0)
    kvm_max = machine.kvm_memslots or KVM_MEMSLOTS_NR_MAX_DEFAULT
    error = _startup_error(machine, ram)
    maxram = machine.maxram
    has_device_memory = error is None and ram < maxram
    hole64 = PCI_HOLE64[machine.type]

    def device_memory(above_start: int) -> tuple[int | None, int | None, int]:
        """Base, size and pc_max_used_gpa() with above-4G RAM starting at above_start."""
        ram_end = align_up(above_start + above, GiB)
        if not has_device_memory:
            return None, None, ram_end + hole64 - 1
        region = maxram - ram + GiB * machine.slots
        return ram_end, region, align_up(ram_end + region, GiB) + hole64 - 1

    above_start = 4 * GiB
    base, size, max_used = device_memory(above_start)
    if machine.cpu_vendor == "amd" and max_used >= AMD_HT_START:
        above_start = AMD_ABOVE_1TB_START
        base, size, max_used = device_memory(above_start)
    max_phys = (1 << machine.phys_bits) - 1
    if error is None and max_phys < max_used:
        error = refusal(
            Code.PHYS_BITS_TOO_LOW,
            max_phys=max_phys,
            max_used=max_used,
            phys_bits=machine.phys_bits,
            ram=ram,
            maxmem=maxram,
            slots=machine.slots,
        )
    return Layout(
        ram=ram,
        below_4g=below,
        above_4g=above,
        above_4g_start=above_start,
        device_memory_base=base,
        device_memory_size=size,
        device_memory_space=maxram - ram if has_device_memory else 0,
        cold=cold,
        hot=hot,
        kvm_max=kvm_max,
        startup_refusal=error,
    )
