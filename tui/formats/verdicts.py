"""The engine's verdict on each event, as comment lines every exporter embeds the same way.

Exporters never compute a memslot number: they quote the `Report` of `tui.engine.replay`. One
wording for all formats, so a verdict reads the same in XML, shell, QMP, Kata or KubeVirt text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.engine.model import Config
    from tui.engine.report import EventResult, Report

PREFIX = "memslot-explorer:"


def event_results(config: Config, report: Report | None) -> dict[int, EventResult]:
    """Timeline position → the engine's verdict (only when the report covers the timeline)."""
    if report is None or len(report.events) != len(config.timeline):
        return {}
    return dict(enumerate(report.events))


def verdict_lines(result: EventResult) -> list[str]:
    """The engine's verdict on one event as comment lines (numbers from the report only)."""
    device = result.device
    if result.skipped:
        return [f"{PREFIX} {device} is never reached (QEMU already stopped)"]
    if not result.ok:
        return [f"{PREFIX} QEMU refuses {device}: {result.error}"]
    texts: list[str] = []
    if result.memslot_limit is not None and result.memslots is not None:
        plural = "" if result.memslots == 1 else "s"
        texts.append(
            f"{PREFIX} {device} decides {result.memslots} memslot{plural} "
            f"(limit {result.memslot_limit})"
        )
    elif result.memslots is not None:
        plural = "" if result.memslots == 1 else "s"
        texts.append(f"{PREFIX} {device} uses {result.memslots} memslot{plural}")
    for vhost in result.budget.vhost:
        if vhost.id == device:
            texts.append(f"{PREFIX} {device} vhost limit {vhost.limit} memslots, {vhost.used} used")
    if result.pending:
        texts.append(f"{PREFIX} unplug of {device} waits for the guest")
    if not texts:
        texts.append(f"{PREFIX} {device} is accepted")
    texts.extend(f"{PREFIX} warning: {warning}" for warning in result.warnings)
    return texts


def summary_lines(report: Report) -> list[str]:
    """Whole-configuration verdict: start-up error or the final counters and KVM budget."""
    if report.startup_error:
        return [f"{PREFIX} QEMU does not start: {report.startup_error}"]
    final = report.final
    failed = [r.index for r in report.events if not r.ok and not r.skipped]
    lines = [
        f"{PREFIX} memory devices require {final.required_memslots} memslots "
        f"({final.used_memslots} used, {final.reserved_memslots} reserved; soft limit "
        f"{final.soft_limit})"
    ]
    if final.kvm_free is not None:
        lines.append(f"{PREFIX} KVM memslots free {final.kvm_free} of {final.kvm_max}")
    if final.vhost_free is not None:
        lines.append(f"{PREFIX} vhost memslots free {final.vhost_free} of {final.vhost_max}")
    if failed:
        lines.append(f"{PREFIX} QEMU refuses event(s) {', '.join(map(str, failed))}")
    return lines


def timeline_lines(
    config: Config, report: Report | None, *, actions: set[str] | None = None
) -> list[str]:
    """`event N: ACTION DEVICE` then its verdict, for every event (or those of `actions`)."""
    results = event_results(config, report)
    lines: list[str] = []
    for position, event in enumerate(config.timeline):
        if actions is not None and event.action not in actions:
            continue
        lines.append(f"event {position + 1}: {event.action} {event.device}")
        if position in results:
            lines.extend(f"  {text}" for text in verdict_lines(results[position]))
    return lines
