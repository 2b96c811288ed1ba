"""Type-check gate: mypy's error count per module may only shrink.

`python .ci/mypy_baseline.py` runs mypy (configured in pyproject.toml: strict on tui/engine)
and compares the errors per file with .ci/mypy-baseline.json. It fails when a file has more
errors than recorded or a file not in the baseline has any. When a count went down it says so;
`--update` then records the lower counts (it never records a higher one).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".ci" / "mypy-baseline.json"
ERROR = re.compile(r"^(?P<file>[^:\s]+\.py):\d+(?::\d+)?: error: ")


def count_errors(output: str) -> Counter[str]:
    """Errors per file from mypy's output ("file:line: error: ..." lines)."""
    counts: Counter[str] = Counter()
    for line in output.splitlines():
        match = ERROR.match(line)
        if match:
            counts[match.group("file")] += 1
    return counts


def compare(current: Counter[str], baseline: dict[str, int]) -> tuple[list[str], list[str]]:
    """(regressions, improvements) as readable lines."""
    worse, better = [], []
    for file in sorted(set(current) | set(baseline)):
        now, before = current.get(file, 0), baseline.get(file, 0)
        if now > before:
            what = "new file with" if file not in baseline else f"{before} →"
            worse.append(f"{file}: {what} {now} mypy error(s)")
        elif now < before:
            better.append(f"{file}: {before} → {now} mypy error(s)")
    return worse, better


def main(argv: list[str] | None = None) -> int:
    """Run mypy, compare, report; exit 1 on a regression or if mypy itself fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record lower counts")
    args = parser.parse_args(argv)
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 2: mypy could not run (config or crash)
        sys.stderr.write(run.stdout + run.stderr)
        print(f"mypy did not run (exit status {run.returncode})", file=sys.stderr)
        return 1
    current = count_errors(run.stdout)
    baseline: dict[str, int] = json.loads(BASELINE.read_text(encoding="utf-8"))
    worse, better = compare(current, baseline)
    if worse:
        print(run.stdout, end="")
        print("mypy: more errors than .ci/mypy-baseline.json allows:", file=sys.stderr)
        for line in worse:
            print(f"  {line}", file=sys.stderr)
        return 1
    for line in better:
        print(f"mypy: fewer errors: {line}")
    if better and args.update:
        BASELINE.write_text(
            json.dumps(dict(sorted(current.items())), indent=2) + "\n", encoding="utf-8"
        )
        print(f"recorded the lower counts in {BASELINE.relative_to(ROOT)}")
    elif better:
        print("run 'python .ci/mypy_baseline.py --update' to record them")
    print(f"mypy: {sum(current.values())} error(s), none above the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
