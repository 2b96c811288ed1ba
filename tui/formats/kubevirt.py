"""A KubeVirt VirtualMachine memory stanza for a configuration (pure).

KubeVirt hotplugs memory only through one virtio-mem device of `maxGuest - guest`, with a
2 MiB block, after a live migration (`vmRolloutStrategy: LiveUpdate`). The stanza says what the
configuration explored maps to, and the engine's verdicts ride along as YAML comments.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tui.engine.units import MiB
from tui.formats.problems import one_line
from tui.formats.verdicts import summary_lines, timeline_lines

if TYPE_CHECKING:
    from tui.engine.model import Config
    from tui.engine.report import Report

KUBEVIRT_BLOCK = 2 * MiB
_NAME_BAD = re.compile(r"[^a-z0-9-]+")


def quantity(value: int) -> str:
    """A Kubernetes quantity, exact: the largest binary suffix (Ki … Ei) that divides it."""
    for suffix, shift in (("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)):
        if value and value % (1 << shift) == 0:
            return f"{value >> shift}{suffix}"
    return str(value)


def _name(config: Config, name: str | None) -> str:
    """An RFC 1123 name (lower case, digits, '-'; ≤ 63)."""
    slug = _NAME_BAD.sub("-", (name if name is not None else config.title).lower()).strip("-")
    return slug[:63].strip("-") or "memslot-explorer"


def _comment(text: str, indent: str = "") -> str:
    """One comment line; control characters as visible escapes (outside YAML's printable
    set, and the stanza is often printed on a terminal)."""
    return f"{indent}# " + one_line(text)


def kubevirt_stanza(config: Config, report: Report | None = None, name: str | None = None) -> str:
    """`spec.template.spec.domain.memory` (guest, maxGuest) of a VirtualMachine, with notes."""
    machine = config.machine
    plugged = {e.device for e in config.timeline if e.action in ("cold", "hotplug")}
    memory = [d for d in config.memory_devices if d.id in plugged]
    lines = [
        _comment(
            f"KubeVirt VirtualMachine memory stanza from memslot-explorer (QEMU "
            f"{machine.qemu_version} modelled){': ' + config.title if config.title else ''}"
        )
    ]
    if report is not None:
        lines += [_comment(text) for text in summary_lines(report)]
    hotplug = machine.maxmem is not None and machine.maxmem > machine.ram
    notes: list[str] = []
    if hotplug:
        notes.append(
            "memory hotplug: KubeVirt adds one virtio-mem device of maxGuest - guest "
            "(block 2Mi) and needs vmRolloutStrategy: LiveUpdate in the KubeVirt CR"
        )
        if machine.maxmem is not None and machine.maxmem > 4 * machine.ram:
            notes.append(
                "maxGuest is above 4 x guest: raise the cluster's maxHotplugRatio "
                "(default 4) or KubeVirt refuses it"
            )
        if (machine.maxmem or 0) % KUBEVIRT_BLOCK or machine.ram % KUBEVIRT_BLOCK:
            notes.append("guest and maxGuest must be multiples of 2Mi for KubeVirt")
    others = sorted({d.kind for d in memory if d.kind != "virtio-mem"})
    if others:
        notes.append(
            f"KubeVirt has no {', '.join(others)}: only its own virtio-mem device hotplugs memory"
        )
    dynamic = [d.id for d in memory if d.kind == "virtio-mem" and d.dynamic_memslots]
    if dynamic:
        notes.append(
            f"dynamic-memslots=on ({', '.join(dynamic)}) is not a KubeVirt setting; its "
            "virtio-mem device uses the libvirt/QEMU default"
        )
    lines += [
        "apiVersion: kubevirt.io/v1",
        "kind: VirtualMachine",
        "metadata:",
        f"  name: {_name(config, name)}",
        "spec:",
        "  template:",
        "    spec:",
        "      domain:",
        "        memory:",
        f"          guest: {quantity(machine.ram)}",
    ]
    if hotplug and machine.maxmem is not None:
        lines.append(f"          maxGuest: {quantity(machine.maxmem)}")
    else:
        lines.append(_comment("no maxGuest: the configuration has no room for hotplug", " " * 10))
    lines += [_comment(note, " " * 8) for note in notes]
    if config.timeline:
        lines.append(_comment("The timeline explored:"))
        lines += [_comment(text) for text in timeline_lines(config, report)]
    return "\n".join(lines) + "\n"
