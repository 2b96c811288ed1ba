"""`memslot-explorer compare A B`: two configurations side by side, event by event."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tui.cli.common import EXIT_FAILED, EXIT_OK, PROG, guard, path_arg

JSON_SCHEMA = "memslot-explorer/compare/1"
SUMMARY = "compare A B [--json]       two configurations side by side: outcomes, memslots, budget"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} compare",
        description="Replay two configurations and show, per event, the outcome, memslot limit "
        "and memslots on each side (differences marked with *), then the budget after the "
        "last event with its difference. Exit 0: both sides decide the same; 1: they differ; "
        "2: bad input.",
    )
    parser.add_argument("a", type=path_arg, metavar="A")
    parser.add_argument("b", type=path_arg, metavar="B")
    parser.add_argument("--json", action="store_true", help=f"print a {JSON_SCHEMA} document")
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return guard(lambda: run_compare(args.a, args.b, as_json=args.json, out=sys.stdout))


def run_compare(a: Path, b: Path, *, as_json: bool, out: TextIO) -> int:
    """Load, replay both, compare, print."""
    from tui.compare import compare
    from tui.engine import replay
    from tui.formats.toml import load

    config_a, config_b = load(a), load(b)
    result = compare(replay(config_a), replay(config_b))
    if as_json:
        out.write(json.dumps(compare_document(result, str(a), str(b)), indent=2) + "\n")
    else:
        out.write(render_compare(result, str(a), str(b), config_a.title, config_b.title))
    return EXIT_OK if result.same else EXIT_FAILED


def _side(side: Any) -> dict[str, Any] | None:
    if side is None:
        return None
    return {
        "event": side.number,
        "action": side.action,
        "outcome": side.outcome,
        "memslot_limit": side.memslot_limit,
        "memslots": side.memslots,
        "error": side.error,
    }


def compare_document(result: Any, a: str, b: str) -> dict[str, Any]:
    """The stable `--json` document (docs/schema.md)."""
    return {
        "schema": JSON_SCHEMA,
        "a": {"file": a, "ok": result.a_ok, "startup_error": result.a_startup_error},
        "b": {"file": b, "ok": result.b_ok, "startup_error": result.b_startup_error},
        "same": result.same,
        "events": [
            {
                "action": row.action,
                "device": row.device,
                "a": _side(row.a),
                "b": _side(row.b),
                "differs": list(row.differs),
            }
            for row in result.rows
        ],
        "budget": [
            {"name": line.name, "a": line.a, "b": line.b, "delta": line.delta}
            for line in result.budget
        ],
    }


def _cell(side: Any) -> str:
    if side is None:
        return "(no such event)"
    parts = [f"{side.number} {side.action}", side.outcome]
    if side.memslot_limit is not None:
        parts.append(f"limit {side.memslot_limit}")
    if side.memslots is not None:
        parts.append(f"{side.memslots} memslot{'' if side.memslots == 1 else 's'}")
    return " · ".join(parts)


def _value(name: str, value: int | None) -> str:
    from tui.engine.units import human_size

    if value is None:
        return "-"
    return human_size(value) if name == "used_region_size" else str(value)


def render_compare(result: Any, a: str, b: str, title_a: str = "", title_b: str = "") -> str:
    """The human output: events side by side (* marks a difference), then the budget."""
    from tui.formats.problems import printable  # file names and titles: no terminal escapes

    lines = [printable(f"A: {a}" + (f" — {title_a}" if title_a else ""))]
    lines.append(printable(f"B: {b}" + (f" — {title_b}" if title_b else "")))
    for label, error in (("A", result.a_startup_error), ("B", result.b_startup_error)):
        if error:
            lines.append(f"{label} does not start: {error}")
    lines.append("")
    rows = [("", "event", "A", "B")]
    errors: list[list[str]] = [[]]
    for row in result.rows:
        mark = "*" if row.differs else ""
        rows.append((mark, f"{row.action} {row.device}", _cell(row.a), _cell(row.b)))
        notes = []
        for label, side in (("A", row.a), ("B", row.b)):
            if side is not None and side.error and row.differs:
                notes.append(f"{label}: {side.error}")
        errors.append(notes)
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row, notes in zip(rows, errors, strict=True):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        lines.extend(f"{' ' * (widths[0] + 2)}  {note}" for note in notes)
    if len(rows) == 1:
        lines.append("  (no events on either side)")
    lines.append("")
    lines.append("Budget after the last event:")
    table = [("", "counter", "A", "B", "B - A")]
    for line in result.budget:
        delta = line.delta
        shown = "-" if delta is None else (f"{delta:+d}" if delta else "0")
        if line.name == "used_region_size" and delta:
            from tui.engine.units import human_size

            shown = ("+" if delta > 0 else "-") + human_size(abs(delta))
        mark = "*" if line.a != line.b else ""
        table.append((mark, line.name, _value(line.name, line.a), _value(line.name, line.b), shown))
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    for row in table:
        lines.append(
            "  ".join(
                c.rjust(widths[i]) if i >= 2 else c.ljust(widths[i]) for i, c in enumerate(row)
            ).rstrip()
        )
    lines.append("")
    lines.append(
        "Result: the same decisions on both sides."
        if result.same
        else f"Result: {sum(1 for r in result.rows if r.differs)} event(s) and "
        f"{sum(1 for x in result.budget if x.a != x.b)} counter(s) differ."
    )
    return "\n".join(lines) + "\n"
