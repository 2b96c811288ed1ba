"""Cases only recorded (tests/qemu/record.py), beside the verify suite's: the behaviours issue
reports named, in the same shape as tests/qemu/test_verify.py's CASES."""

from __future__ import annotations

from typing import Any

CASES: dict[str, dict[str, Any]] = {}
