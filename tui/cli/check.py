"""`memslot-explorer check FILE...`: replay configurations and print their verdicts.

Per file: exit 0 when every event succeeds, 1 when QEMU would refuse something (or not start),
2 on bad input, 4 when the file's `[expect]` disagrees with the engine. With several files the
exit status is the highest of theirs, after a summary line. The `--json` document is a stable
interface (docs/schema.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from tui.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, PROG, guard

JSON_SCHEMA = "memslot-explorer/check/1"
MAX_TEXT_SUGGESTIONS = 5
SUMMARY = "check FILE... [--json]     replay FILEs: each event's outcome, the budget, fixes"
EXIT_EXPECT_MISMATCH = 4
"""The file's `[expect]` block disagrees with what the engine computes."""


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} check",
        description="Replay configurations and print every event's outcome, the memslot "
        "budget and suggested fixes. Exit 0: all events succeed; 1: some event "
        "fails or QEMU would not start; 2: bad input; 4: the file's [expect] disagrees "
        "with the engine (an 'Expect: FAILED' line says how). With several files, a "
        "summary line follows and the exit status is the highest of the files'.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", nargs="+")
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print a {JSON_SCHEMA} JSON document (several files: a JSON array of them)",
    )
    parser.add_argument(
        "--no-suggestions",
        action="store_true",
        help="skip the search for fixes (faster and bounded; for CI); headroom is still shown",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    files: list[Path] = list(args.file)
    suggest = not args.no_suggestions
    if len(files) == 1:
        return guard(lambda: run_check(files[0], as_json=args.json, suggest=suggest))
    return guard(lambda: run_many(files, as_json=args.json, suggest=suggest))


def run_check(
    path: Path, *, as_json: bool = False, out: TextIO | None = None, suggest: bool = True
) -> int:
    """`check FILE`: load, replay, print; the exit status of the module docstring."""
    from tui.engine import replay
    from tui.engine.expect import check_expectation
    from tui.formats.toml import load

    stream = out if out is not None else sys.stdout
    config = load(path)
    report = replay(config)
    suggestions, headroom = _advice(config, report, suggest)
    mismatches = check_expectation(config, report)
    if as_json:
        document = check_document(config, report, suggestions, headroom, source=str(path))
        document["expect_mismatches"] = mismatches
        stream.write(json.dumps(document, indent=2) + "\n")
    else:
        text = render_check(config, report, suggestions, headroom, source=str(path))
        stream.write(text + render_expect(config, mismatches))
    if mismatches:
        return EXIT_EXPECT_MISMATCH
    return EXIT_OK if report.ok else EXIT_FAILED


def render_expect(config: Any, mismatches: Sequence[str]) -> str:
    """The verdict on the file's `[expect]` (nothing when it has none)."""
    from tui.formats.toml import printable

    if config.expect is None:
        return ""
    if not mismatches:
        return "Expect: OK — the engine agrees with [expect].\n"
    lines = ["Expect: FAILED — [expect] disagrees with the engine:"]
    lines.extend(f"  {printable(line)}" for line in mismatches)
    return "\n".join(lines) + "\n"


_VERDICTS = {
    EXIT_OK: "ok",
    EXIT_FAILED: "QEMU would fail",
    EXIT_BAD_INPUT: "bad input",
    EXIT_EXPECT_MISMATCH: "[expect] disagrees",
}


def run_many(
    paths: Sequence[Path], *, as_json: bool = False, suggest: bool = True, out: TextIO | None = None
) -> int:
    """`check A B C...`: each file as `check FILE` would, then a summary; the worst status.

    A file that cannot be read or is invalid is reported (exit 2 counts) and the rest are
    still checked."""
    from tui.formats.toml import ConfigError

    stream = out if out is not None else sys.stdout
    codes: list[int] = []
    documents: list[dict[str, Any]] = []
    for number, path in enumerate(paths):
        buffer = io.StringIO()
        try:
            code = run_check(path, as_json=as_json, out=buffer, suggest=suggest)
        except ConfigError as exc:
            code = EXIT_BAD_INPUT
            if as_json:
                documents.append({"schema": JSON_SCHEMA, "file": str(path), "error": str(exc)})
            else:
                stream.flush()
                print(str(exc), file=sys.stderr)
        else:
            if as_json:
                documents.append(json.loads(buffer.getvalue()))
            else:
                stream.write(("\n" if number else "") + buffer.getvalue())
        codes.append(code)
    if as_json:
        stream.write(json.dumps(documents, indent=2) + "\n")
        return max(codes, default=EXIT_OK)
    counts = {code: codes.count(code) for code in sorted(set(codes))}
    parts = [f"{count} {_VERDICTS.get(code, f'exit {code}')}" for code, count in counts.items()]
    stream.write(f"\nChecked {len(codes)} files: {', '.join(parts)}.\n")
    return max(codes, default=EXIT_OK)


def _advice(config: Any, report: Any, suggest: bool = True) -> tuple[tuple[Any, ...], Any]:
    """Suggestions and headroom from tui.engine.advice, when that module exists and works."""
    try:
        advice = importlib.import_module("tui.engine.advice")
    except ImportError:
        return (), None
    suggestions: tuple[Any, ...] = ()
    headroom = None
    try:
        if suggest and not report.ok and hasattr(advice, "suggest"):
            suggestions = tuple(advice.suggest(config, report))
    except Exception as exc:  # advice is optional; never let it hide the verdict
        print(f"{PROG}: warning: suggestions unavailable: {exc}", file=sys.stderr)
    try:
        if hasattr(advice, "headroom"):
            headroom = advice.headroom(config, report)
    except Exception as exc:
        print(f"{PROG}: warning: headroom unavailable: {exc}", file=sys.stderr)
    return suggestions, headroom


def _budget_dict(budget: Any) -> dict[str, Any]:
    return budget.model_dump(mode="json")


def check_document(
    config: Any, report: Any, suggestions: Sequence[Any], headroom: Any, *, source: str
) -> dict[str, Any]:
    """The stable `--json` document (schema memslot-explorer/check/1, docs/schema.md)."""
    events = []
    for number, (event, result) in enumerate(
        zip(config.timeline, report.events, strict=False), start=1
    ):
        events.append(
            {
                "index": number,
                "id": result.device,
                "kind": result.kind,
                "action": result.action,
                "phase": result.phase,
                "ok": result.ok,
                "skipped": result.skipped,
                "pending": result.pending,
                "error": result.error,
                "hint": result.hint,
                "warnings": list(result.warnings),
                "memslot_limit": result.memslot_limit,
                "memslots": result.memslots,
                "memslot_size": result.memslot_size,
                "requested_size": event.requested_size,
                "budget": _budget_dict(result.budget),
            }
        )
    return {
        "schema": JSON_SCHEMA,
        "file": source,
        "title": config.title,
        "qemu_version": report.qemu_version,
        "rules": report.rules,
        "startup_error": report.startup_error,
        "ok": report.ok,
        "warnings": list(report.warnings),
        "events": events,
        "totals": _budget_dict(report.final),
        "suggestions": [
            {"title": s.title, "detail": s.detail, "fixes": [i + 1 for i in s.fixes]}
            for s in suggestions
        ],
        "headroom": _headroom_dict(headroom),
    }


def _headroom_dict(headroom: Any) -> dict[str, Any] | None:
    """Every field of advice.Headroom (a dataclass or a pydantic model), as plain JSON."""
    if headroom is None:
        return None
    if dataclasses.is_dataclass(headroom) and not isinstance(headroom, type):
        return dataclasses.asdict(headroom)
    if hasattr(headroom, "model_dump"):
        return dict(headroom.model_dump(mode="json"))
    return {"text": str(getattr(headroom, "text", headroom))}


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


def render_check(
    config: Any, report: Any, suggestions: Sequence[Any], headroom: Any, *, source: str
) -> str:
    """The human `check` output: timeline with outcomes, budget, suggestions, headroom."""
    from tui.engine.units import format_size
    from tui.formats.toml import printable

    machine = config.machine
    lines: list[str] = []
    title = f" — {config.title}" if config.title else ""
    lines.append(f"{source}{title}")
    maxmem = format_size(machine.maxmem) if machine.maxmem is not None else "-"
    lines.append(
        f"QEMU {report.qemu_version} ({report.rules} rules), {machine.type}, {machine.accel}, "
        f"ram {format_size(machine.ram)}, maxmem {maxmem}, slots {machine.slots}, "
        f"KVM memslots {machine.kvm_memslots}"
    )
    for warning in report.warnings:
        lines.append(f"warning: {warning}")
    if report.startup_error:
        lines.append(f"QEMU does not start: {report.startup_error}")
    lines.append("")
    header = ("  #", "phase", "action", "device", "kind", "limit", "memslots", "result")
    rows: list[tuple[str, ...]] = []
    notes: list[list[str]] = []
    for number, result in enumerate(report.events, start=1):
        if result.skipped:
            verdict = "skipped"
        elif result.ok:
            verdict = "pending" if result.pending else "ok"
        else:
            verdict = "FAILED"
        rows.append(
            (
                str(number),
                result.phase,
                result.action,
                result.device,
                result.kind,
                _dash(result.memslot_limit),
                _dash(result.memslots),
                verdict,
            )
        )
        extra = []
        if result.memslot_size is not None and result.memslots and result.memslots > 1:
            extra.append(f"memslot size {format_size(result.memslot_size)}")
        if result.error:
            extra.append(f"error: {result.error}")
        if result.hint:
            extra.append(f"hint: {result.hint}")
        extra.extend(f"warning: {w}" for w in result.warnings)
        notes.append(extra)
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in (0, 5, 6) else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()

    lines.append(fmt(header))
    for row, extra in zip(rows, notes, strict=True):
        lines.append(fmt(row))
        lines.extend(f"{' ' * (widths[0] + 2)}{text}" for text in extra)
    if not rows:
        lines.append("  (empty timeline)")
    lines.append("")
    lines.extend(_render_budget(report.final))
    if suggestions:
        lines.append("")
        lines.append("Suggestions (each proven by replaying the changed configuration):")
        for suggestion in suggestions[:MAX_TEXT_SUGGESTIONS]:
            fixes = ", ".join(str(i + 1) for i in suggestion.fixes)  # engine: 0-based
            lines.append(f"  - {suggestion.title}" + (f" (fixes event {fixes})" if fixes else ""))
            if suggestion.detail:
                lines.append(f"    {suggestion.detail}")
        if len(suggestions) > MAX_TEXT_SUGGESTIONS:
            lines.append(
                f"  … and {len(suggestions) - MAX_TEXT_SUGGESTIONS} more (--json lists them all)"
            )
    if headroom is not None and getattr(headroom, "text", ""):
        lines.append("")
        lines.append(f"Headroom: {headroom.text}")
    lines.append("")
    failed = [i for i, r in enumerate(report.events, start=1) if not r.ok and not r.skipped]
    if report.ok:
        lines.append("Result: OK — every event succeeds.")
    elif report.startup_error and not failed:
        lines.append("Result: FAILED — QEMU would not start.")
    else:
        lines.append(
            f"Result: FAILED — event {', '.join(map(str, failed))} "
            f"{'fails' if len(failed) == 1 else 'fail'}."
        )
    # user text (title, back-end names in messages) must not reach the terminal raw
    return "\n".join(printable(line) for line in lines) + "\n"


def _render_budget(budget: Any) -> list[str]:
    from tui.engine.units import human_size

    lines = ["Budget after the last event:"]
    if budget.kvm_max is None:
        lines.append("  KVM: not consulted (not running under KVM)")
    else:
        lines.append(
            f"  KVM: {budget.kvm_used} of {budget.kvm_max} memslots used, {budget.kvm_free} free"
        )
    if not budget.vhost:
        lines.append("  vhost: no vhost device registered")
    for vhost in budget.vhost:
        lines.append(
            f"  vhost {vhost.id} ({vhost.kind}): {vhost.used} used of limit "
            f"{vhost.limit}, {vhost.free} free ({vhost.regions} regions mapped)"
        )
    lines.append(
        f"  memory devices: required {budget.required_memslots}, used {budget.used_memslots}, "
        f"reserved {budget.reserved_memslots} memslots (soft limit {budget.soft_limit}); "
        f"auto-deciding devices {budget.auto_decision_active}"
    )
    lines.append(
        f"  device memory: {human_size(budget.used_region_size)} of "
        f"{human_size(budget.device_memory_space)} in use"
    )
    return lines
