"""A lesson as Markdown for slides and handouts: narrative, question, the engine's answer,
each step's timeline with QEMU's verdicts, and ASCII budget bars."""

from __future__ import annotations

from pathlib import Path

from tui.engine.report import Budget, EventResult
from tui.lessons.runner import PreparedStep

BAR_WIDTH = 30


def ascii_bar(used: int, reserved: int, total: int, width: int = BAR_WIDTH) -> str:
    """`[##++......]`: # used, + reserved, . free (at least one mark for a non-zero count)."""
    if total <= 0:
        return "[" + "." * width + "]"
    u = min(width, max(1 if used else 0, round(width * used / total)))
    r = min(width - u, max(1 if reserved else 0, round(width * reserved / total)))
    return "[" + "#" * u + "+" * r + "." * (width - u - r) + "]"


def budget_bars(budget: Budget) -> list[str]:
    """KVM, every vhost device and the memory devices' soft limit, one bar each."""
    reserved = budget.reserved_memslots
    lines = []
    if budget.kvm_max is not None:
        used = budget.kvm_used or 0
        lines.append(
            f"{'KVM':<16} {ascii_bar(used, reserved, budget.kvm_max)} "
            f"used {used} + reserved {reserved} of {budget.kvm_max}"
        )
    else:
        lines.append(f"{'KVM':<16} not consulted (accel=tcg)")
    for vhost in budget.vhost:
        label = f"{vhost.id} {vhost.kind.removeprefix('vhost-')}"
        lines.append(
            f"{label:<16.16} {ascii_bar(vhost.used, reserved, vhost.limit)} "
            f"used {vhost.used} + reserved {reserved} of {vhost.limit}"
        )
    lines.append(
        f"{'memory devices':<16} "
        f"{ascii_bar(budget.used_memslots, reserved, budget.soft_limit)} "
        f"used {budget.used_memslots} + reserved {reserved} of soft limit {budget.soft_limit}"
    )
    return lines


def verdict(result: EventResult) -> str:
    """ok / FAILED: QEMU's message / skipped / pending."""
    if result.skipped:
        return "skipped (QEMU already exited)"
    if not result.ok:
        return f"FAILED: {result.error}"
    return "pending (guest)" if result.pending else "ok"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _dash(value: int | None) -> str:
    return "–" if value is None else str(value)


def render_step(step: PreparedStep, total: int) -> list[str]:
    """One step's section."""
    title = f": {step.title}" if step.title else ""
    out = [f"## Step {step.number} of {total}{title}", ""]
    if step.narrative:
        out += [step.narrative.strip(), ""]
    name = "inline configuration" if step.source == "inline" else f"`{Path(step.source).name}`"
    config_title = f" — {step.config.title}" if step.config.title else ""
    out += [f"Configuration: {name}{config_title} (QEMU {step.report.qemu_version} rules).", ""]
    asked = step.asked
    if asked is not None:
        out.append(f"**Question:** {asked.prompt}")
        if asked.choices:
            out.append("")
            out += [f"- {_cell(choice.label)}" for choice in asked.choices]
        out += ["", f"**Answer (the engine):** {asked.answer}", ""]
        if len(asked.choices) > 2:  # each choice with the engine's verdict, for the handout
            for choice in asked.choices:
                out.append(f"- {'✓' if choice.correct else '✗'} {_cell(choice.label)}")
            out.append("")
        if asked.event is not None and asked.event < len(step.report.events):
            result = step.report.events[asked.event]
            out.append(
                f"How QEMU decides event {result.index + 1} ({result.action} {result.device}):"
            )
            out.append("")
            out += [f"1. [{s.rule}] {s.text}" for s in result.derivation] or ["- (no derivation)"]
            out.append(f"- verdict: {verdict(result)}")
            out.append("")
    if step.report.startup_error:
        out += [f"QEMU does not start: {step.report.startup_error}", ""]
    out += ["| # | event | kind | limit | memslots | outcome |", "|---|---|---|---|---|---|"]
    for result in step.report.events:
        out.append(
            f"| {result.index + 1} | {result.action} {result.device} | {result.kind} | "
            f"{_dash(result.memslot_limit)} | {_dash(result.memslots)} | "
            f"{_cell(verdict(result))} |"
        )
    out += ["", "Budget after the last event:", "", "```text", *budget_bars(step.report.final)]
    out += ["```", ""]
    return out


def render_markdown(title: str, description: str, steps: tuple[PreparedStep, ...]) -> str:
    """The whole lesson."""
    out = [f"# {title or 'Lesson'}", ""]
    if description:
        out += [description.strip(), ""]
    for step in steps:
        out += render_step(step, len(steps))
    return "\n".join(out).rstrip() + "\n"
