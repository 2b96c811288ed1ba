"""Read this machine's facts: KVM's memslot count, vhost's region limit, THP size, CPU, QEMU.

Why: the engine's verdict is only right for a host whose facts the configuration states. Each
reader returns a `Fact` with where it looked and, when it could not read it, why (no /dev/kvm,
no permission, module not loaded) — never an exception. Paths are parameters so tests can point
them at files they made.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat

from tui.engine.host import Fact, HostFacts, vendor_from_id

KVM_DEVICE = "/dev/kvm"
KVM_CHECK_EXTENSION = 0xAE03
"""_IO(KVMIO=0xAE, 0x03)."""
KVM_CAP_NR_MEMSLOTS = 10
VHOST_REGIONS = "/sys/module/vhost/parameters/max_mem_regions"
THP_SIZE = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
CPUINFO = "/proc/cpuinfo"
_ADDRESS_SIZES = re.compile(r"^address sizes\s*:\s*(\d+) bits physical", re.MULTILINE | re.ASCII)
_VENDOR_ID = re.compile(r"^vendor_id\s*:\s*(\S+)\s*$", re.MULTILINE | re.ASCII)
_MAX_TEXT = 1 << 20
"""Read at most this much of a /proc or /sys file (they are small; this bounds a strange one)."""


def _os_reason(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"{path} does not exist"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to open {path}"
    return f"{path}: {exc.strerror or exc}"


def read_kvm_memslots(device: str = KVM_DEVICE) -> Fact:
    """KVM_CAP_NR_MEMSLOTS via the KVM_CHECK_EXTENSION ioctl (0 means QEMU assumes 32)."""
    source = f"{device} KVM_CHECK_EXTENSION(KVM_CAP_NR_MEMSLOTS)"
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        return Fact(None, source, _os_reason(device, exc))
    try:
        return Fact(int(fcntl.ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS)), source)
    except OSError as exc:
        return Fact(None, source, f"{device} is not KVM: {exc.strerror or exc}")
    finally:
        os.close(fd)


def _read_text(path: str) -> str:
    """A small regular file's text (refuses FIFOs and devices, which could block)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not _regular(fd):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks = []
        total = 0
        while total < _MAX_TEXT:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks).decode("ascii", errors="replace")
    finally:
        os.close(fd)


def _regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


def _read_int(path: str, missing: str) -> Fact:
    try:
        text = _read_text(path).strip()
    except OSError as exc:
        reason = missing if exc.errno == errno.ENOENT else _os_reason(path, exc)
        return Fact(None, path, reason)
    if not re.fullmatch(r"[0-9]{1,20}", text, flags=re.ASCII):
        return Fact(None, path, f"{path} holds {text[:40]!r}, not a number")
    return Fact(int(text), path)


def read_vhost_max_mem_regions(path: str = VHOST_REGIONS) -> Fact:
    """The vhost module's max_mem_regions (kernel default 64; only while the module is loaded)."""
    return _read_int(path, "the vhost module is not loaded (modprobe vhost_net)")


def read_thp_size(path: str = THP_SIZE) -> Fact:
    """hpage_pmd_size: the THP size virtio-mem takes as its default block size."""
    return _read_int(path, "this kernel has no transparent huge pages")


def read_cpu(path: str = CPUINFO) -> tuple[Fact, Fact, Fact]:
    """(vendor as the model names it, raw CPUID vendor string, host physical address bits)."""
    try:
        text = _read_text(path)
    except OSError as exc:
        reason = _os_reason(path, exc)
        return Fact(None, path, reason), Fact(None, path, reason), Fact(None, path, reason)
    match = _VENDOR_ID.search(text)
    if match is None:
        raw = Fact(None, path, f"{path} has no vendor_id line (not an x86 host?)")
        vendor = raw
    else:
        raw = Fact(match.group(1), path)
        name = vendor_from_id(match.group(1))
        vendor = (
            Fact(name, path)
            if name
            else Fact(None, path, f"vendor {match.group(1)!r} is neither AMD nor Intel")
        )
    bits = _ADDRESS_SIZES.search(text)
    phys = (
        Fact(int(bits.group(1)), path)
        if bits
        else Fact(None, path, f"{path} has no 'address sizes' line")
    )
    return vendor, raw, phys


def read_qemu_version(binary: str | None = None) -> Fact:
    """The installed qemu-system-x86_64's version ("10.0.2")."""
    from tui.qemu.launch import find_qemu  # launch reads its host facts here: import late

    info = find_qemu(binary)
    source = f"{info.path or 'qemu-system-x86_64'} --version"
    if info.version is None:
        return Fact(None, source, info.reason or "no version")
    return Fact(info.version_string, source)


def read_host(qemu: str | None = None) -> HostFacts:
    """Every fact of this machine (each with its reason when unreadable)."""
    vendor, raw, phys = read_cpu()
    return HostFacts(
        kvm_memslots=read_kvm_memslots(),
        vhost_max_mem_regions=read_vhost_max_mem_regions(),
        thp_size=read_thp_size(),
        cpu_vendor=vendor,
        cpu_vendor_id=raw,
        phys_bits=phys,
        qemu_version=read_qemu_version(qemu),
    )
