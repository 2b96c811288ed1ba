"""`check` over 1,000 preset-sized files in one process (target ≤ 5 s), against the baseline of
one `check` process per file (timed on a sample, scaled to 1,000), in the same run.

Not a test (timings depend on the machine). Run from the repo root:
    python bench/check_many.py [--files 1000] [--sample 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_files(directory: Path, count: int) -> list[Path]:
    """`count` copies of the shipped presets (cycled), as a user's preset folder would be."""
    presets = sorted((ROOT / "presets").glob("*.toml"))
    files = []
    for index in range(count):
        source = presets[index % len(presets)]
        target = directory / f"{index:04d}-{source.name}"
        shutil.copyfile(source, target)
        files.append(target)
    return files


def timed(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check failed ({proc.returncode}): {proc.stderr[:500]}")
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    check = [sys.executable, "-m", "tui", "check"]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        files = [str(p) for p in make_files(Path(tmp), args.files)]
        quick, _ = timed([*check, "--no-suggestions", *files])
        full, _ = timed([*check, *files])
        sample = files[: args.sample]
        per_file = sum(timed([*check, f])[0] for f in sample) / len(sample)
    verdict = "ok" if quick <= 5 else "OVER the 5 s target"
    print(f"check of {args.files} preset files in one process:")
    print(f"  --no-suggestions:      {quick:6.2f} s  {verdict}")
    print(f"  with suggestions:      {full:6.2f} s")
    print(
        f"baseline, one process per file: {per_file * 1000:6.0f} ms each → "
        f"{per_file * args.files:6.1f} s for {args.files} (timed on {len(sample)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
