"""`memslot-explorer sweep FILE --param PATH --from A --to B`: what the engine decides as one
parameter moves over a range (a table, or CSV)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any, TextIO

from tui.cli.common import EXIT_BAD_INPUT, EXIT_OK, PROG, guard, path_arg

SUMMARY = "sweep FILE --param P --from A --to B [--steps N] [--csv]   vary one parameter"
DEFAULT_STEPS = 20


def build_parser() -> argparse.ArgumentParser:
    """The verb's options."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} sweep",
        description="Replay FILE with one parameter set to each of N values from A to B and "
        "print, per value, whether every event succeeds, the first failing event, each "
        "memory device's memslot limit and memslots, the overall memslot maximum and the "
        "headroom. PATH: machine.FIELD (maxmem, ram, slots, kvm_memslots, phys_bits), "
        "DEVICE.FIELD (a virtio-mem's size or block_size, a vhost back-end's "
        "max_mem_regions or max_mem_slots) or dimms (the number of pc-dimms). Sizes take "
        "QEMU's suffixes; intermediate sizes are rounded to the largest power of two that "
        "divides both ends; block sizes step through the powers of two. Exit 0, or 2 on bad "
        "input.",
    )
    parser.add_argument("file", type=path_arg, metavar="FILE")
    parser.add_argument("--param", required=True, metavar="PATH")
    parser.add_argument("--from", dest="start", required=True, metavar="A")
    parser.add_argument("--to", dest="stop", required=True, metavar="B")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N")
    parser.add_argument("--csv", action="store_true", help="comma-separated values")
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return guard(lambda: run_sweep_cli(args, sys.stdout))


def run_sweep_cli(args: argparse.Namespace, out: TextIO) -> int:
    """Parse the range, sweep, print."""
    from tui.formats.toml import load
    from tui.params import ParamError, is_power_of_two, is_size, parse_value
    from tui.sweep import run_sweep, values

    config = load(args.file)
    try:
        start = parse_value(args.param, args.start)
        stop = parse_value(args.param, args.stop)
        points = values(start, stop, args.steps, is_size(args.param), is_power_of_two(args.param))
        result = run_sweep(config, args.param, points)
    except ParamError as exc:
        print(f"{args.file}: --param {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out.write(render_csv(result) if args.csv else render_table(result))
    return EXIT_OK


def _value(param: str, value: int) -> str:
    from tui.engine.units import format_size
    from tui.params import is_size

    return format_size(value) if is_size(param) else str(value)


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


def columns(result: Any) -> list[str]:
    """CSV header: the parameter, the verdict, then per memory device its limit and memslots."""
    head = [result.param, "ok", "first_failure", "failure_device", "error", "overall_max"]
    head.append("headroom")
    for device in result.devices:
        head += [f"{device}.limit", f"{device}.memslots"]
    return head


def rows(result: Any) -> list[list[str]]:
    """One row per point, in columns() order."""
    out = []
    for point in result.points:
        row = [_value(result.param, point.value)]
        if point.invalid:
            row += ["invalid", "-", "-", point.invalid, "-", "-"]
            row += ["-", "-"] * len(result.devices)
        else:
            row += [
                "yes" if point.ok else "no",
                _dash(point.first_failure),
                _dash(point.failure_device),
                point.failure_error or "",
                _dash(point.overall_max),
                _dash(point.headroom),
            ]
            for device in result.devices:
                row += [_dash(point.limits.get(device)), _dash(point.memslots.get(device))]
        out.append(row)
    return out


def render_csv(result: Any) -> str:
    """RFC 4180 CSV with a header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns(result))
    writer.writerows(rows(result))
    return buffer.getvalue()


def render_table(result: Any) -> str:
    """An aligned table (errors shortened to their first 60 characters), then a summary."""
    head = columns(result)
    body = rows(result)
    for row in body:
        if len(row[4]) > 60:
            row[4] = row[4][:59] + "…"
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]
    lines = [
        "  ".join(
            c.rjust(widths[i]) if i != 4 else c.ljust(widths[i]) for i, c in enumerate(r)
        ).rstrip()
        for r in (head, *body)
    ]
    first = result.first_failing
    lines.append("")
    if first is None:
        lines.append(f"Every event succeeds at every value of {result.param}.")
    else:
        what = (
            f"event {first.first_failure} ({first.failure_device}) fails"
            if first.first_failure
            else "QEMU does not start"
        )
        lines.append(
            f"First failure at {result.param} = {_value(result.param, first.value)}: {what}."
        )
    return "\n".join(lines) + "\n"
