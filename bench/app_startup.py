"""Cold start to first paint: memslot-explorer against an empty Textual app, in the same run.

Not a test (timings depend on the machine); prints medians and the machine's load. Run from the
repo root:
    python bench/app_startup.py [--repeat 15]
Each sample is a fresh interpreter (`python -c`), timed from just before the process is started
to Textual's Ready event ("the first frame has been displayed") of the headless app (160x50), so
imports, building the models, composing the panels and the first replay all count. The two apps
alternate, so a change in the machine's load hits both alike. The goal is ours ≤ 1.5 × the empty
app.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FIRST_PAINT = """
import sys, time
start = float(sys.argv[1])
{setup}
from textual import events
_on_event = app.on_event
async def on_event(event):
    if isinstance(event, events.Ready):  # Textual: "the first frame has been displayed"
        print(time.time() - start, time.process_time())
        app.exit()
    await _on_event(event)
app.on_event = on_event
app.run(headless=True, size=(160, 50))
"""
EMPTY = "from textual.app import App\napp = App()"
OURS = "from tui.app.app import make_app\napp = make_app()"
"""The app as `memslot-explorer` starts it (tui.cli imports tui.app.app and calls run_app)."""


def first_paint(setup: str, tree: Path = ROOT) -> tuple[float, float]:
    """(wall, CPU) seconds from process start to the first full paint (headless), one sample.
    CPU time is the steadier figure on a loaded machine: other processes do not add to it."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_PAINT.format(setup=setup), repr(time.time())],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def main() -> int:
    """Alternate the two apps `--repeat` times; print medians, the ratio and the load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--also",
        type=Path,
        metavar="TREE",
        help="also time the app of another source tree "
        "(e.g. an older commit unpacked with git archive), alternating with the others",
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    empty: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    for _ in range(args.repeat):
        empty.append(first_paint(EMPTY))
        ours.append(first_paint(OURS))
        if args.also:
            other.append(first_paint(OURS, args.also.resolve()))
    load_after = os.getloadavg()
    print(f"cold start to first paint, median of {args.repeat} alternating runs (160x50)")
    for what, index in (("wall", 0), ("CPU ", 1)):
        e = statistics.median(sample[index] for sample in empty)
        o = statistics.median(sample[index] for sample in ours)
        line = (
            f"  {what}: empty Textual app {e * 1000:5.0f} ms, memslot-explorer {o * 1000:5.0f} ms"
            f" = {o / e:.2f} × (goal ≤ 1.5)"
        )
        if other:
            a = statistics.median(sample[index] for sample in other)
            line += f"; {args.also}: {a * 1000:5.0f} ms = {a / e:.2f} ×"
        print(line)
    print(
        f"  load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
        f"on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
