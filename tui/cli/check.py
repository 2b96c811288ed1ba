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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tui.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, PROG, guard, path_arg

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
    parser.add_argument("file", type=path_arg, metavar="FILE", nargs="+")
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print a {JSON_SCHEMA} JSON document (several files: a JSON array of them)",
    )
    parser.add_argument(
        "--no-suggestions",
        action="store_true",
        help="skip the search for fixes (for CI: only the verdicts, the budget and headroom)",
    )
    parser.add_argument(
        "--host",
        action="store_true",
        help="replay with this machine's facts (see the host verb); the changes go to stderr",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    files: list[Path] = list(args.file)
    suggest = not args.no_suggestions

    def one(path: Path, out: TextIO | None = None) -> int:
        return run_check(path, as_json=args.json, out=out, suggestions=suggest, host=args.host)

    if len(files) == 1:
        return guard(lambda: one(files[0]))
    return guard(lambda: run_many(files, as_json=args.json, check=one))


def run_check(
    path: Path,
    *,
    as_json: bool = False,
    out: TextIO | None = None,
    suggestions: bool = True,
    host: bool = False,
) -> int:
    """`check FILE`: load, replay, print; the exit status of the module docstring."""
    from tui.engine import replay
    from tui.engine.expect import check_expectation
    from tui.formats.toml import load

    stream = out if out is not None else sys.stdout
    config = load(path)
    if host:
        from tui.cli.host import with_this_host

        config = with_this_host(config, str(path))
    report = replay(config)
    fixes, headroom, stopped = bounded_advice(config, report, search=suggestions)
    mismatches = check_expectation(config, report)
    if as_json:
        document = check_document(
            config, report, fixes, headroom, source=str(path), stopped=stopped
        )
        document["expect_mismatches"] = mismatches
        stream.write(json.dumps(document, indent=2) + "\n")
    else:
        text = render_check(config, report, fixes, headroom, source=str(path))
        if stopped and stopped != "skipped":
            text = text.replace(
                "\nResult: ",
                f"\nSuggestions: the search stopped early ({stopped}); more fixes may exist.\n"
                "\nResult: ",
                1,
            )
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
    paths: Sequence[Path],
    *,
    as_json: bool = False,
    suggestions: bool = True,
    out: TextIO | None = None,
    check: Callable[[Path, TextIO], int] | None = None,
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
            if check is not None:
                code = check(path, buffer)
            else:
                code = run_check(path, as_json=as_json, out=buffer, suggestions=suggestions)
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


def _advice(config: Any, report: Any) -> tuple[tuple[Any, ...], Any]:
    """Suggestions and headroom (other verbs print them the way `check` does)."""
    suggestions, headroom, _ = bounded_advice(config, report)
    return suggestions, headroom


def bounded_advice(
    config: Any, report: Any, *, search: bool = True
) -> tuple[tuple[Any, ...], Any, str | None]:
    """Suggestions (bounded: advice.Bounds), headroom, and why the search stopped early."""
    try:
        advice = importlib.import_module("tui.engine.advice")
    except ImportError:
        return (), None, None
    suggestions: tuple[Any, ...] = ()
    headroom = None
    stopped = "skipped" if not search and not report.ok else None
    try:
        if search and not report.ok and hasattr(advice, "advise"):
            found = advice.advise(config, report)
            suggestions, stopped = tuple(found.suggestions), found.stopped_by
        elif search and not report.ok and hasattr(advice, "suggest"):
            suggestions = tuple(advice.suggest(config, report))
    except Exception as exc:  # advice is optional; never let it hide the verdict
        print(f"{PROG}: warning: suggestions unavailable: {exc}", file=sys.stderr)
    try:
        if hasattr(advice, "headroom"):
            headroom = advice.headroom(config, report)
    except Exception as exc:
        print(f"{PROG}: warning: headroom unavailable: {exc}", file=sys.stderr)
    return suggestions, headroom, stopped


def _budget_dict(budget: Any) -> dict[str, Any]:
    return dict(budget.as_dict())


def check_document(
    config: Any,
    report: Any,
    suggestions: Sequence[Any],
    headroom: Any,
    *,
    source: str,
    stopped: str | None = None,
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
                "code": _code(result),
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
        "startup_code": _code_of(getattr(report, "startup_refusal", None)),
        "ok": report.ok,
        "warnings": list(report.warnings),
        "events": events,
        "totals": _budget_dict(report.final),
        "suggestions": [_suggestion_dict(s) for s in suggestions],
        "suggestions_stopped": stopped,
        "headroom": _headroom_dict(headroom),
    }


def _code(result: Any) -> str | None:
    """The refusal code of an event (stable, see docs/schema.md), None when it succeeded."""
    return _code_of(getattr(result, "refusal", None))


def _code_of(refusal: Any) -> str | None:
    return None if refusal is None else str(refusal.code.value)


def _suggestion_dict(suggestion: Any) -> dict[str, Any]:
    """A fix as JSON: event numbers are 1-based, as in the text output."""
    return {
        "title": suggestion.title,
        "detail": suggestion.detail,
        "fixes": [i + 1 for i in suggestion.fixes],
        "changes": list(getattr(suggestion, "changes", ())),
        "memslots": [
            {
                "event": m.event + 1,
                "id": m.device,
                "memslots": m.memslots,
                "memslot_limit": m.memslot_limit,
            }
            for m in getattr(suggestion, "memslots", ())
        ],
        "required_memslots": getattr(suggestion, "required_memslots", None),
        "partial": bool(getattr(suggestion, "partial", False)),
        "still_failing": [i + 1 for i in getattr(suggestion, "remaining", ())],
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
        shows = _shows_memslots(config, result)
        rows.append(
            (
                str(number),
                result.phase,
                result.action,
                result.device,
                result.kind,
                _dash(result.memslot_limit if shows else None),
                _dash(result.memslots if shows else None),
                verdict,
            )
        )
        extra = []
        if shows and result.memslot_size is not None and result.memslots and result.memslots > 1:
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
            lines.extend(_render_suggestion(suggestion))
        if len(suggestions) > MAX_TEXT_SUGGESTIONS:
            lines.append(
                f"  … and {len(suggestions) - MAX_TEXT_SUGGESTIONS} more (--json lists them all)"
            )
    if headroom is not None and getattr(headroom, "text", None):
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


def _shows_memslots(config: Any, result: Any) -> bool:
    """A FAILED event and a memory device of size 0 (no memdev) hold no memslots: print none."""
    if not result.ok or result.skipped:
        return False
    device = config.device(result.device)
    return getattr(device, "size", 1) not in (0, None)


def _render_suggestion(suggestion: Any) -> list[str]:
    """A fix: its title and the events it fixes, why, what else it changes, the memslots."""
    from tui.engine.report import event_numbers

    fixes = event_numbers(suggestion.fixes)  # engine: 0-based
    remaining = tuple(getattr(suggestion, "remaining", ()))
    head = f"  - {suggestion.title}" + (f" (fixes event {fixes})" if fixes else "")
    if remaining:
        head += f" — partial: event {event_numbers(remaining)} still fail"
        head += "s" if len(remaining) == 1 else ""
    lines = [head]
    if suggestion.detail:
        lines.append(f"    {suggestion.detail}")
    changes = list(getattr(suggestion, "changes", ()))
    if changes:
        lines.append(f"    changes: {'; '.join(changes[:6])}" + (" …" if len(changes) > 6 else ""))
    memslots = [
        f"{m.device} {m.memslots} memslot(s)"
        + (f" (limit {m.memslot_limit})" if m.memslot_limit is not None else "")
        for m in getattr(suggestion, "memslots", ())
    ]
    if len(memslots) > 6:
        memslots = [*memslots[:6], "…"]
    required = getattr(suggestion, "required_memslots", None)
    if required is not None:
        memslots.append(f"memory devices require {required} memslot(s) in all")
    if memslots:
        lines.append(f"    then: {'; '.join(memslots)}")
    return lines


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
