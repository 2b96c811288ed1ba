"""Sizes as engineers write them ("64G", "512M", "0x40000000") and as QEMU prints them.

QEMU's own size parser (`qemu_strtosz`) takes binary suffixes (K = 1024); so do we, so that a
size written for `-m` or `-object memory-backend-*,size=` means the same bytes here.
"""

from __future__ import annotations

import re

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40
PiB = 1 << 50
EiB = 1 << 60

U64_MAX = (1 << 64) - 1
U32_MAX = (1 << 32) - 1

_SUFFIXES = {"": 1, "B": 1, "K": KiB, "M": MiB, "G": GiB, "T": TiB, "P": PiB, "E": EiB}
# As qemu_strtosz: ASCII digits, an optional fraction, at most one suffix letter, nothing after
# it ("4GiB", "4 G" and non-ASCII digits are refused, as QEMU refuses them).
_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?(.*)", re.ASCII | re.DOTALL)
_HEX = re.compile(r"0[xX]([0-9a-fA-F]+)", re.ASCII)


class SizeError(ValueError):
    """A size that cannot be a byte count; the message says why, for the field that held it."""


def parse_size(value: object) -> int:
    """Bytes from an int or a string such as "64G", "1.5G", "0x40000000" or "4096".

    Rejects negatives, unknown suffixes, fractions of a byte and anything ≥ 2^64, because QEMU
    stores sizes in a uint64_t and a silently wrapped size would give silently wrong memslots.
    """
    if isinstance(value, bool):
        raise SizeError("a size must be a number of bytes or a string like '64G', not a boolean")
    if isinstance(value, int):
        result = value
    elif isinstance(value, str):
        result = _parse_text(value)
    else:
        raise SizeError(
            f"a size must be an integer or a string like '64G', not {type(value).__name__}"
        )
    if result < 0:
        raise SizeError(f"size {value!r} is negative")
    if result > U64_MAX:
        raise SizeError(f"size {value!r} does not fit in 64 bits (max {U64_MAX})")
    return result


def _parse_text(text: str) -> int:
    if not text:
        raise SizeError("empty size")
    if text.startswith("-"):
        raise SizeError(f"size {text!r} is negative")
    hex_match = _HEX.fullmatch(text)
    if hex_match:
        return int(hex_match.group(1), 16)
    match = _DECIMAL.fullmatch(text)
    if not match:
        raise SizeError(f"size {text!r} is not a number with an optional suffix K, M, G, T, P or E")
    whole, frac, suffix = match.groups()
    unit = _SUFFIXES.get(suffix.upper()) if len(suffix) <= 1 else None
    if unit is None:
        raise SizeError(
            f"size {text!r} has an unknown suffix {suffix!r} (QEMU takes one letter: "
            "B, K, M, G, T, P or E)"
        )
    if frac is None:
        return int(whole) * unit
    numerator = int(whole + frac) * unit
    denominator: int = 10 ** len(frac)
    if numerator % denominator:
        raise SizeError(f"size {text!r} is not a whole number of bytes")
    return numerator // denominator


def parse_mib_size(value: object) -> int:
    """`-m size=`: QEMU reads a string ending in a digit as MiB (`-m 4096` is 4 GiB); an
    integer (a TOML number) stays bytes, as every other size."""
    if isinstance(value, str) and value[-1:].isascii() and value[-1:].isdigit():
        result = parse_size(value) * MiB
        if result > U64_MAX:
            raise SizeError(f"size {value!r} MiB does not fit in 64 bits")
        return result
    return parse_size(value)


def format_size(value: int) -> str:
    """The shortest exact form with an explicit unit ("64G", "1536M", "4097B"), which
    parse_size and QEMU read back as the same bytes (a bare number would be MiB for -m)."""
    if value == 0:
        return "0"
    for suffix in ("E", "P", "T", "G", "M", "K"):
        unit = _SUFFIXES[suffix]
        if value % unit == 0:
            return f"{value // unit}{suffix}"
    return f"{value}B"


def human_size(value: int) -> str:
    """A rounded human form for display ("4.0 GiB"), never for storage."""
    for suffix, unit in (
        ("EiB", EiB),
        ("PiB", PiB),
        ("TiB", TiB),
        ("GiB", GiB),
        ("MiB", MiB),
        ("KiB", KiB),
    ):
        if value >= unit:
            return f"{value / unit:.1f} {suffix}" if value % unit else f"{value // unit} {suffix}"
    return f"{value} B"


def qemu_hex(value: int) -> str:
    """Hex as QEMU's PRIx64 prints it: lowercase, no padding."""
    return f"0x{value:x}"


def align_up(value: int, align: int) -> int:
    """QEMU_ALIGN_UP for a power-of-two or any positive alignment."""
    return (value + align - 1) // align * align


def align_down(value: int, align: int) -> int:
    """QEMU_ALIGN_DOWN."""
    return value // align * align


def is_aligned(value: int, align: int) -> bool:
    """QEMU_IS_ALIGNED; an alignment of 0 counts as no constraint."""
    return align == 0 or value % align == 0


def is_power_of_2(value: int) -> bool:
    """is_power_of_2() as QEMU uses it for block sizes."""
    return value > 0 and value & (value - 1) == 0
