"""Host facts as data: what a machine's kernel, CPU and QEMU tell, and how they enter a config.

Why: a verdict depends on the host as much as on the command line (KVM's memslot count, the vhost
module's region limit, the THP size that sets virtio-mem's block, the CPU vendor that moves RAM
above the 1 TiB HyperTransport hole). The reading of /dev/kvm, /sys and /proc lives in
`tui.qemu.host`; here the facts are plain values, each with the reason when it could not be read,
so the engine, the CLI and the app apply them the same way. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Config, Machine
from .units import format_size

CpuVendor = Literal["amd", "intel"]

CPU_VENDOR_IDS: dict[str, str] = {"amd": "AuthenticAMD", "intel": "GenuineIntel"}
"""The model's vendor names → the CPUID vendor strings QEMU's `vendor=` and /proc/cpuinfo use."""

ASSUMED_MACHINE_FIELDS: tuple[str, ...] = (
    "qemu_version",
    "accel",
    "kvm_memslots",
    "cpu_vendor",
    "host_thp_size",
)
"""Machine fields that state what a configuration assumes of its host and QEMU: a saved file
always writes them, even at their defaults, so it means the same wherever it is opened."""


def vendor_from_id(vendor_id: str) -> CpuVendor | None:
    """ "GenuineIntel" → "intel"; None for a vendor the model does not know (e.g. HygonGenuine)."""
    for name, text in CPU_VENDOR_IDS.items():
        if text == vendor_id:
            return name  # type: ignore[return-value]
    return None


@dataclass(frozen=True)
class Fact:
    """One host fact: its value, or None with the reason it could not be read."""

    value: int | str | None
    source: str
    """Where it was read (`/dev/kvm KVM_CHECK_EXTENSION(KVM_CAP_NR_MEMSLOTS)`, a sysfs path)."""
    reason: str = ""
    """Why `value` is None (no /dev/kvm, no permission, module not loaded, ...)."""

    @property
    def known(self) -> bool:
        """The fact was read."""
        return self.value is not None


@dataclass(frozen=True)
class HostFacts:
    """What one host says about itself (`memslot-explorer host`)."""

    kvm_memslots: Fact
    vhost_max_mem_regions: Fact
    thp_size: Fact
    cpu_vendor: Fact
    """The model's name ("amd"/"intel"); `cpu_vendor_id` keeps the raw CPUID string."""
    cpu_vendor_id: Fact
    phys_bits: Fact
    """The host's physical address bits: informational (qemu64 keeps 40 unless told)."""
    qemu_version: Fact

    def items(self) -> list[tuple[str, Fact]]:
        """(name, fact) in display order."""
        return [
            ("kvm_memslots", self.kvm_memslots),
            ("vhost_max_mem_regions", self.vhost_max_mem_regions),
            ("thp_size", self.thp_size),
            ("cpu_vendor", self.cpu_vendor),
            ("cpu_vendor_id", self.cpu_vendor_id),
            ("phys_bits", self.phys_bits),
            ("qemu_version", self.qemu_version),
        ]


@dataclass(frozen=True)
class Change:
    """One field a host's facts would change: `where` is the config path (`machine.cpu_vendor`)."""

    where: str
    old: object
    new: object
    why: str

    def shown(self) -> str:
        """ "machine.host_thp_size 2M → 1M": sizes in QEMU's units, the rest as they are."""
        if self.where.endswith("_size") and isinstance(self.old, int) and isinstance(self.new, int):
            return f"{self.where} {format_size(self.old)} → {format_size(self.new)}"
        return f"{self.where} {self.old} → {self.new}"


def machine_vendor(facts: HostFacts, accel: str) -> CpuVendor | None:
    """The vendor qemu64 reports on this host: the host's under KVM, AMD under TCG."""
    if accel == "tcg":
        return "amd"
    value = facts.cpu_vendor.value
    return value if value in CPU_VENDOR_IDS else None  # type: ignore[return-value]


def host_changes(config: Config, facts: HostFacts) -> list[Change]:
    """What applying `facts` to `config` changes, field by field (empty: it already matches)."""
    machine = config.machine
    changes: list[Change] = []

    def propose(field: str, new: object, why: str) -> None:
        old = getattr(machine, field)
        if new is not None and new != old:
            changes.append(Change(f"machine.{field}", old, new, why))

    propose("kvm_memslots", facts.kvm_memslots.value, facts.kvm_memslots.source)
    propose("host_thp_size", facts.thp_size.value, facts.thp_size.source)
    vendor_why = (
        "qemu64 reports AMD under TCG"
        if machine.accel == "tcg"
        else f"qemu64 takes the host's vendor under KVM ({facts.cpu_vendor_id.value})"
    )
    propose("cpu_vendor", machine_vendor(facts, machine.accel), vendor_why)
    version = facts.qemu_version.value
    if isinstance(version, str) and _version_ok(version):
        propose("qemu_version", version, facts.qemu_version.source)
    regions = facts.vhost_max_mem_regions.value
    if regions is not None:
        for index, device in enumerate(config.vhost_devices):
            if device.kind == "vhost-kernel" and device.max_mem_regions != regions:
                changes.append(
                    Change(
                        f"vhost_devices[{index}].max_mem_regions",
                        device.max_mem_regions,
                        regions,
                        facts.vhost_max_mem_regions.source,
                    )
                )
    return changes


def apply_host(config: Config, facts: HostFacts) -> tuple[Config, list[Change]]:
    """A new config with this host's facts, and the changes made (one edit, so undo is one)."""
    changes = host_changes(config, facts)
    if not changes:
        return config, changes
    data = config.model_dump(mode="python")
    for change in changes:
        head, _, field = change.where.rpartition(".")
        if head == "machine":
            data["machine"][field] = change.new
        else:
            index = int(head[head.index("[") + 1 : head.index("]")])
            data["vhost_devices"][index][field] = change.new
    return Config.model_validate(data), changes


def _version_ok(version: str) -> bool:
    try:
        Machine(qemu_version=version)
    except ValueError:
        return False
    return True
