"""Sizes and ids as QEMU reads them: hypothesis properties over any text.

Normal runs use a few hundred examples; the `slow`-marked twins run ≥ 10,000 each
(`python -m pytest -m slow tests/engine/test_units_ids.py`).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine.model import Machine, _check_id
from tui.engine.units import (
    U64_MAX,
    MiB,
    SizeError,
    format_size,
    parse_mib_size,
    parse_size,
)

FEW = settings(max_examples=300, deadline=None)
MANY = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))

QEMU_SIZE = re.compile(r"(?:0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?[BKMGTPEbkmgtpe]?)")
"""What qemu_strtosz takes (hex without suffix; decimal, a fraction, one unit letter)."""
QEMU_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")

# text made mostly of the characters that matter, plus any Unicode
_SIZE_CHARS = st.sampled_from(list("0123456789.xXabcdefKMGTPEBi kmgtpe\n-_٤４"))
size_text = st.one_of(st.text(_SIZE_CHARS, max_size=12), st.text(max_size=8))
id_text = st.one_of(st.text(st.sampled_from(list("aZ09_.-\n é٤")), max_size=8), st.text(max_size=6))


def _accepts(text: str) -> bool:
    try:
        parse_size(text)
    except SizeError:
        return False
    return True


def check_size_text(text: str) -> None:
    accepted = _accepts(text)
    if not QEMU_SIZE.fullmatch(text):
        assert not accepted, f"{text!r} accepted, QEMU refuses it"
    if accepted:
        assert text.isascii() and not any(c.isspace() for c in text)


def check_roundtrip(value: int) -> None:
    text = format_size(value)
    assert parse_size(text) == value
    # an explicit unit: -m (MiB when bare) and every other QEMU size read it the same
    assert text == "0" or text[-1] in "BKMGTPE"
    assert parse_mib_size(text) == value


def check_id(text: str) -> None:
    try:
        _check_id(text)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == bool(QEMU_ID.fullmatch(text) and text.isascii())


@FEW
@given(size_text)
def test_size_text_is_read_as_qemu_reads_it(text: str) -> None:
    check_size_text(text)


@FEW
@given(st.integers(0, U64_MAX))
def test_every_size_is_written_with_a_unit_and_read_back(value: int) -> None:
    check_roundtrip(value)


@FEW
@given(id_text)
def test_ids_are_ascii_qemu_ids_without_a_trailing_newline(text: str) -> None:
    check_id(text)


@pytest.mark.slow
@MANY
@given(size_text)
def test_size_text_many(text: str) -> None:
    check_size_text(text)


@pytest.mark.slow
@MANY
@given(st.integers(0, U64_MAX))
def test_size_roundtrip_many(value: int) -> None:
    check_roundtrip(value)


@pytest.mark.slow
@MANY
@given(id_text)
def test_ids_many(text: str) -> None:
    check_id(text)


@pytest.mark.parametrize(
    "text", ["4GiB", "4GB", "4 G", "4G\n", "٤G", "４G", "1_0G", " 4G", "0x10G", "4KiB"]
)
def test_qemu_refuses_these_sizes_and_so_do_we(text: str) -> None:
    with pytest.raises(SizeError):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "size"), [("4096", 4 << 30), ("2048", 2048 * MiB), ("4G", 4 << 30)]
)
def test_ram_reads_like_dash_m(text: str, size: int) -> None:
    """`-m 4096` is 4 GiB: a string without a unit is MiB for ram (an integer stays bytes)."""
    assert Machine(ram=text).ram == size
    assert Machine(ram=4096).ram == 4096


def test_version_has_no_trailing_newline() -> None:
    with pytest.raises(ValueError):
        Machine(qemu_version="10.1\n")
    with pytest.raises(ValueError):
        Machine(qemu_version="١٠.1")
