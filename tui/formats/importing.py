"""What an importer hands back, how its format is guessed, and how the result is saved.

An import is a Config plus what the source could not say: `warnings` name every option or
element that was not understood (never silently dropped) and `assumed` lists every field that
came from a default instead of the source (a vhost-user back-end's memslot limit, the host's
KVM slots, ...), so the user knows what to check and edit. Both are written at the top of the
saved TOML as comments; loading that TOML gives the same Config.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.engine.units import format_size
from tui.fileio import MAX_FILE_SIZE
from tui.formats.toml import ConfigError, dumps

_ID_INVALID = re.compile(r"[^A-Za-z0-9_.\-]")


def valid_id(text: str, prefix: str) -> str:
    """`text` as a QEMU id: characters an id cannot hold become `_`, and it starts with a
    letter (`prefix` is put in front where it does not)."""
    cleaned = _ID_INVALID.sub("_", text)
    if not cleaned or not cleaned[0].isalpha():
        cleaned = prefix + cleaned
    return cleaned


def numbered_id(base: str, ids: set[str], counters: dict[str, int]) -> str:
    """The next free `base0`, `base1`, ... for a device its source gave no id."""
    number = counters.get(base, 0)
    candidate = f"{base}{number}"
    while candidate in ids:
        number += 1
        candidate = f"{base}{number}"
    counters[base] = number + 1
    return candidate


def claim_id(candidate: str, ids: set[str]) -> str:
    """`candidate`, or `candidate-1`, `-2`, ... when taken; the result is added to `ids`."""
    claimed, suffix = candidate, 1
    while claimed in ids:
        claimed = f"{candidate}-{suffix}"
        suffix += 1
    ids.add(claimed)
    return claimed


if TYPE_CHECKING:
    from tui.engine.host import HostFacts
    from tui.engine.model import Config

IMPORT_FORMATS = ("qemu", "libvirt")
MAX_IMPORT_SIZE = MAX_FILE_SIZE
"""Larger inputs are refused (a VM's command line or XML is a few KiB)."""


@dataclass(frozen=True, slots=True)
class Assumption:
    """A field the source did not give: its value came from a default; edit it if wrong."""

    field: str
    """Path into the configuration, as in error messages (`vhost_devices[0].max_mem_slots`)."""
    value: str
    why: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A configuration read from a QEMU command line or a libvirt domain XML."""

    config: Config
    format: str
    warnings: tuple[str, ...] = ()
    assumed: tuple[Assumption, ...] = ()
    from_host: tuple[Assumption, ...] = ()
    """Assumed fields that took this machine's facts instead (`import --host`)."""


def with_host_facts(result: ImportResult, facts: HostFacts) -> ImportResult:
    """Give the fields the source could not say this host's facts (KVM slots, THP size, vhost
    max_mem_regions, CPU vendor under KVM, QEMU version) — only those, and only the facts the
    host could tell: what the source said is never changed. Pure: the caller reads the host."""
    from tui.engine.host import machine_vendor

    config = result.config
    data = config.model_dump(mode="python")
    machine_facts = {
        "machine.kvm_memslots": facts.kvm_memslots,
        "machine.host_thp_size": facts.thp_size,
        "machine.qemu_version": facts.qemu_version,
        "machine.phys_bits": facts.phys_bits,  # assumed only for host-phys-bits CPUs
    }
    vhost = {d.id: i for i, d in enumerate(config.vhost_devices)}
    taken: list[Assumption] = []
    kept: list[Assumption] = []
    for assumption in result.assumed:
        head, _, name = assumption.field.rpartition(".")
        value: object = None
        source = ""
        if assumption.field in machine_facts:
            fact = machine_facts[assumption.field]
            value, source = fact.value, fact.source
        elif assumption.field == "machine.cpu_vendor" and config.machine.accel == "kvm":
            value = machine_vendor(facts, "kvm")
            source = f"CPUID vendor {facts.cpu_vendor_id.value} ({facts.cpu_vendor.source})"
        elif head in vhost and name == "max_mem_regions":
            value, source = facts.vhost_max_mem_regions.value, facts.vhost_max_mem_regions.source
        if value is None:
            kept.append(assumption)
            continue
        if head == "machine":
            data["machine"][name] = value
        else:
            data["vhost_devices"][vhost[head]][name] = value
        shown = format_size(value) if name.endswith("_size") and isinstance(value, int) else value
        taken.append(Assumption(assumption.field, str(shown), f"this host: {source}"))
    if not taken:
        return result
    try:
        new_config = type(config).model_validate(data)
    except ValueError:  # e.g. a QEMU version the model does not take: keep the assumptions
        return result
    return ImportResult(new_config, result.format, result.warnings, tuple(kept), tuple(taken))


def vhost_limit_assumption(device_id: str, kind: str, device: str, where: str) -> Assumption | None:
    """A vhost back-end's memslot limit is its own (or the host's) answer, never in a VM's
    definition: the model's default, naming the catalog's known back-ends of that kind and
    what sets the limit on the host. None for kinds without a limit (vhost-vdpa)."""
    from tui.engine.kinds import VHOST_KINDS

    registry = VHOST_KINDS[kind]
    if registry.limit_fields is None:
        return None
    defaults: Any = registry.model.model_validate({"id": "x", "device": device})
    *others, main = registry.limit_fields
    known = [e.label for e in registry.catalog if e.defaults.get("device", device) == device]
    also = "".join(f"with {name} = {str(getattr(defaults, name)).lower()}; " for name in others)
    return Assumption(
        f"{device_id}.{main}",
        str(getattr(defaults, main)),
        f"{also}a {kind} {device} back-end's memslot limit is not {where}"
        + (f"; known: {'; '.join(known)}" if known else "")
        + f"; set by {registry.limit_how.replace('{limit}', 'N')}",
    )


def guess_format(text: str, name: str = "") -> str:
    """`libvirt` for XML (a `.xml` name or text starting with `<`), else `qemu`."""
    if name.lower().endswith(".xml"):
        return "libvirt"
    return "libvirt" if text.lstrip("\ufeff \t\r\n").startswith("<") else "qemu"


def import_text(text: str, source: str = "<text>", fmt: str | None = None) -> ImportResult:
    """Parse `text` as `fmt` (guessed when None). Bad input → ConfigError naming `source`."""
    fmt = fmt or guess_format(text, source)
    if fmt == "qemu":
        from tui.formats.qemu_import import import_command_line

        return import_command_line(text, source)
    if fmt == "libvirt":
        from tui.formats.libvirt_import import import_domain_xml

        return import_domain_xml(text, source)
    raise ConfigError(source, "", f"unknown import format {fmt!r} (use qemu or libvirt)")


def to_toml(result: ImportResult, source: str) -> str:
    """The imported configuration as TOML, headed by comments listing warnings and assumptions."""
    lines = [f"# Imported by memslot-explorer from {' '.join(source.split())} ({result.format})"]
    if result.from_host:
        lines.append("# Read from this host (not in the source):")
        lines += [f"#   {a.field} = {a.value}: {' '.join(a.why.split())}" for a in result.from_host]
    if result.assumed:
        lines.append("# Assumed (not in the source; check and edit):")
        lines += [f"#   {a.field} = {a.value}: {' '.join(a.why.split())}" for a in result.assumed]
    if result.warnings:
        lines.append("# Not imported:")
        lines += [f"#   {' '.join(w.split())}" for w in result.warnings]
    return "\n".join(lines) + "\n" + dumps(result.config)


def read_source(path: Path) -> str:
    """The text of an import source: a regular file (FIFOs, devices and directories are
    refused, so nothing can hang), at most MAX_IMPORT_SIZE bytes, UTF-8 (NULs are kept, as in
    /proc/PID/cmdline). Failures are ConfigError naming the file."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(name, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(name, "", "not a regular file (FIFOs and devices are not read)")
        raw = os.read(fd, MAX_IMPORT_SIZE + 1)
        chunks = [raw]
        while raw and sum(map(len, chunks)) <= MAX_IMPORT_SIZE:
            raw = os.read(fd, MAX_IMPORT_SIZE + 1)
            chunks.append(raw)
    except OSError as exc:
        raise ConfigError(name, "", f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return decode(b"".join(chunks), name)


def decode(raw: bytes, name: str) -> str:
    """UTF-8 text of at most MAX_IMPORT_SIZE bytes, or a ConfigError saying why not."""
    if len(raw) > MAX_IMPORT_SIZE:
        raise ConfigError(name, "", f"too large to import (over {MAX_IMPORT_SIZE >> 20} MiB)")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            name, f"line {line}", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at {exc.start})"
        ) from None
