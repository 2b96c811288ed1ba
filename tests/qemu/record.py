"""Record what a real QEMU decides for every verify case, as test data the suite replays.

Why: the engine names three rule sets (≤ 8.1, 8.2–10.0, 10.1+); each is checked against a real
QEMU of that range, and what QEMU said is kept under tests/qemu/observed/ so that every normal run
checks the engine against it, even where that QEMU is not installed
(tests/qemu/test_observed.py). Usage, from the repository root:

    python -m tests.qemu.record --qemu /path/to/qemu-system-x86_64 [--accel kvm] [CASE ...]

It runs `tui.qemu.verify.verify` (the harness the `qemu` suite uses) on each case and writes
tests/qemu/observed/qemu-<version>.json: the QEMU version text, the host, and per case the
configuration the engine replays plus QEMU's outcome of every event. Temp paths are replaced by
`$TMPDIR` so the file holds no machine paths. Existing cases of the same file are kept unless
re-recorded.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

from tui.engine.model import Config
from tui.qemu.host import read_host
from tui.qemu.verify import VerifyResult, find_qemu, format_table, verify

OBSERVED = Path(__file__).parent / "observed"
SCHEMA = "memslot-explorer/observed/1"
_TMP = re.compile(r"/[^\s'\"]*memslot-verify-[^/\s'\"]*")


def all_cases() -> dict[str, dict[str, Any]]:
    """Every case: the verify suite's, then the ones only recorded (same shape)."""
    from tests.qemu.observed_cases import CASES as EXTRA
    from tests.qemu.test_verify import CASES

    return {**CASES, **EXTRA}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _TMP.sub("$TMPDIR", value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def observation(result: VerifyResult) -> dict[str, Any]:
    """One case: the engine's configuration (this host, this QEMU) and QEMU's outcome per event.

    `events` follows the replayed configuration's timeline (devices this host cannot run were
    removed from both sides by verify); None where QEMU gave no answer."""
    assert result.engine_config is not None
    rows = [r for r in result.rows if r.index >= 0 and r.engine is not None]
    start = next(r for r in result.rows if r.index < 0)
    return _clean(
        {
            "engine_config": result.engine_config.model_dump(mode="json"),
            "startup": dataclasses.asdict(start.qemu) if start.qemu else None,
            "events": [dataclasses.asdict(r.qemu) if r.qemu else None for r in rows],
            "not_verifiable": [d for d, _ in result.not_verifiable],
            "matched_at_recording": result.ok,
        }
    )


def host_description(accel: str) -> dict[str, Any]:
    """The recording host: what the replay must not assume, written down."""
    facts = read_host()
    return {
        "cpu_vendor_id": facts.cpu_vendor_id.value,
        "kvm_memslots": facts.kvm_memslots.value,
        "thp_size": facts.thp_size.value,
        "vhost_max_mem_regions": facts.vhost_max_mem_regions.value,
        "kernel": platform.release(),
        "accel": accel,
    }


def main(argv: list[str] | None = None) -> int:
    """Record the named cases (default: all) on one QEMU."""
    parser = argparse.ArgumentParser(prog="python -m tests.qemu.record")
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--accel", default=None, choices=("kvm", "tcg"))
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args(argv)
    info = find_qemu(args.qemu)
    if not info.usable:
        print(f"record: {info.reason}", file=sys.stderr)
        return 2
    cases = all_cases()
    names = args.cases or list(cases)
    path = OBSERVED / f"qemu-{info.version_string}.json"
    document: dict[str, Any] = (
        json.loads(path.read_text())
        if path.exists()
        else {"schema": SCHEMA, "qemu": info.version_text, "cases": {}}
    )
    document["qemu"] = info.version_text
    for name in names:
        config = Config.model_validate(cases[name]["config"])
        started = time.monotonic()
        result = verify(config, qemu=info.path, accel=args.accel, timeout=args.timeout)
        if result.error is not None or result.report is None:
            print(f"{name}: not recorded: {result.error}", file=sys.stderr)
            continue
        entry = observation(result)
        entry["host"] = host_description(result.accel)
        document["cases"][name] = entry
        mark = "ok" if result.ok else "ENGINE DIFFERS"
        print(f"{name}: {mark} ({time.monotonic() - started:.1f}s)")
        if not result.ok:
            print(format_table(result), file=sys.stderr)
    document["cases"] = dict(sorted(document["cases"].items()))
    OBSERVED.mkdir(exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
