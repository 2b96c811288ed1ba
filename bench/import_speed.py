"""Import speed: typical and hostile inputs, beside the cost of only tokenising them.

Not a test (timings depend on the machine); prints medians in ms. Run from the repo root:
    python bench/import_speed.py [--repeat 5]
Baseline in the same run: `shlex.split` of the same command line (what the importer used to
tokenise with; it grows tokens a character at a time, so a long argument is quadratic) and
defusedxml parsing alone for XML.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import defusedxml.ElementTree as SafeET

from tui.formats.importing import import_text

SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "formats" / "import_samples"


def _median(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Print one line per input: size, import time, baseline time."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    log = (SAMPLES / "libvirt-per-domain.log").read_text()
    xml = (SAMPLES / "openstack-vhostuser-nics.xml").read_text()
    long_arg = "qemu-system-x86_64 -device pc-dimm,id=d," + "x=1," * 50_000
    dimms = "qemu-system-x86_64 -m 1G,slots=255,maxmem=1T " + " ".join(
        f"-object memory-backend-ram,id=m{i},size=1G -device pc-dimm,id=d{i},memdev=m{i}"
        for i in range(255)
    )
    cases: list[tuple[str, str, Callable[[], object]]] = [
        ("libvirt log (1 start)", log, lambda: shlex.split(log, comments=True)),
        ("libvirt log (200 starts)", log * 200, lambda: shlex.split(log * 200, comments=True)),
        ("255 DIMMs", dimms, lambda: shlex.split(dimms)),
        ("one 200 KB argument", long_arg, lambda: shlex.split(long_arg)),
        ("domain XML", xml, lambda: SafeET.fromstring(xml)),
    ]
    print(f"{'input':28} {'bytes':>9} {'import ms':>10} {'baseline ms':>12}")
    for name, text, baseline in cases:
        ours = _median(lambda text=text, name=name: import_text(text, name), repeat)
        base = _median(baseline, repeat)
        print(f"{name:28} {len(text):9d} {ours:10.1f} {base:12.1f}")


if __name__ == "__main__":
    main()
