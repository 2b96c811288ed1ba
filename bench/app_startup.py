"""Cold start to first paint: memslot-explorer against an empty Textual app, in the same run.

Not a test (timings depend on the machine); prints medians and the machine's load. Run from the
repo root:
    python bench/app_startup.py [--repeat 15]
Each sample is a fresh interpreter (`python -c`), timed from just before the process is started
to Textual's Ready event ("the first frame has been displayed") of the headless app (160x50), so
imports, building the models, composing the panels and the first replay all count. The two apps
alternate, so a change in the machine's load hits both alike. The goal is ours ≤ 1.5 × the empty
app.

A third app runs beside them: Textual's floor (startup_floor.py), the same widget tree as our
first screen (written down from the real one before the timed runs) composed from Textual's
widgets alone, without pydantic, the engine, our stylesheet or a replay. The gap between it and
us is what our code costs; the floor itself is what Textual needs for such a screen.

Bytecode: by default every module loads from cached bytecode, as after `pip install` (which
compiles it) or any second run of a checkout: the children write and read it under a temporary
PYTHONPYCACHEPREFIX, warmed by one discarded run of each app, removed at the end. `--source`
measures a checkout run with PYTHONDONTWRITEBYTECODE=1 instead: the tree's modules are compiled
from source on every start (tens of ms that a user's install never pays), installed packages
such as Textual still load from their bytecode.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
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
FLOOR = (
    "sys.path.insert(0, {bench!r})\nfrom startup_floor import floor_app\napp = floor_app({tree!r})"
)
DESCRIBE = """
import json, sys
sys.path.insert(0, {bench!r})
from startup_floor import describe
from tui.app.app import make_app
from textual import events
app = make_app()
_on_event = app.on_event
async def on_event(event):
    if isinstance(event, events.Ready):
        with open({tree!r}, "w") as out:
            json.dump(describe(app.screen), out)
        app.exit()
    await _on_event(event)
app.on_event = on_event
app.run(headless=True, size=(160, 50))
"""
PLAIN = "from tui.app.app import make_app\napp = make_app()"
OURS = "import gc\ngc.disable()\n" + PLAIN
"""The app as `memslot-explorer` starts it: tui.cli pauses the cyclic collector, imports
tui.app.app and calls run_app (the app resumes the collector after its first frame)."""


def first_paint(setup: str, tree: Path = ROOT, pycache: Path | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds from process start to the first full paint (headless), one sample.
    CPU time is the steadier figure on a loaded machine: other processes do not add to it.
    `pycache`: bytecode is cached there (None: the tree's modules compile from source)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
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
    parser.add_argument(
        "--also-plain",
        action="store_true",
        help="start the --also tree's app without pausing the collector, as launchers before "
        "the pause did (its app never resumes one)",
    )
    parser.add_argument(
        "--source",
        action="store_true",
        help="compile the tree's modules from source on every start (PYTHONDONTWRITEBYTECODE=1)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="app-startup-pyc-") as scratch:
        pycache = None if args.source else Path(scratch)
        tree = str(Path(scratch) / "first-screen.json")
        bench = str(Path(__file__).resolve().parent)
        subprocess.run(
            [sys.executable, "-c", DESCRIBE.format(bench=bench, tree=tree)],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            check=True,
            timeout=120,
        )
        runs: list[tuple[str, Path]] = [
            (EMPTY, ROOT),
            (OURS, ROOT),
            (FLOOR.format(bench=bench, tree=tree), ROOT),
        ]
        if args.also:
            runs.append((PLAIN if args.also_plain else OURS, args.also.resolve()))
        if pycache is not None:  # write the bytecode (discarded samples)
            for setup, where in runs:
                first_paint(setup, where, pycache)
        load_before = os.getloadavg()
        samples: list[list[tuple[float, float]]] = [[] for _ in runs]
        for _ in range(args.repeat):
            for (setup, where), sample in zip(runs, samples, strict=True):
                sample.append(first_paint(setup, where, pycache))
    load_after = os.getloadavg()
    empty, ours, floor, *rest = samples
    other = rest[0] if rest else []
    bytecode = "modules compiled from source" if args.source else "cached bytecode"
    print(
        f"cold start to first paint, median of {args.repeat} alternating runs (160x50, {bytecode})"
    )
    for what, index in (("wall", 0), ("CPU ", 1)):
        e = statistics.median(sample[index] for sample in empty)
        o = statistics.median(sample[index] for sample in ours)
        f = statistics.median(sample[index] for sample in floor)
        line = (
            f"  {what}: empty Textual app {e * 1000:5.0f} ms, memslot-explorer {o * 1000:5.0f} ms"
            f" = {o / e:.2f} × (goal ≤ 1.5); Textual floor for our screen {f * 1000:5.0f} ms"
            f" = {f / e:.2f} ×"
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
