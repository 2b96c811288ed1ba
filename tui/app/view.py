"""Text for the panels, read from the Report: the app never computes a memslot itself."""

from __future__ import annotations

from tui.engine.report import EventResult, Report

ERROR_MARK = "✗"
OK_MARK = "✓"
WARN_MARK = "⚠"


def plug_results(report: Report | None) -> dict[str, EventResult]:
    """Per device id, the result of its latest cold plug or hotplug event."""
    results: dict[str, EventResult] = {}
    if report is None:
        return results
    for event in report.events:
        if event.action in ("cold", "hotplug"):
            results[event.device] = event
    return results


def first_event(report: Report | None, device_id: str) -> int | None:
    """Index of the first event of a device, for "select the device" → Explain."""
    if report is None:
        return None
    for event in report.events:
        if event.device == device_id:
            return event.index
    return None


def outcome(result: EventResult | None) -> str:
    """One line: QEMU's error, "skipped", or the decision (limit, memslots)."""
    if result is None:
        return "not plugged"
    if result.skipped:
        return "skipped (QEMU already exited)"
    if not result.ok:
        return f"{ERROR_MARK} {result.error or 'failed'}"
    parts = []
    if result.memslot_limit is not None:
        parts.append(f"limit {result.memslot_limit}")
    if result.memslots is not None:
        parts.append(plural(result.memslots, "memslot"))
    if result.pending:
        parts.append("pending guest")
    text = f"{OK_MARK} " + (" · ".join(parts) if parts else "ok")
    if result.warnings:
        text += f" {WARN_MARK}"
    return text


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 fix", "3 fixes", "1 event": counts read as English."""
    word = noun if count == 1 else (many or f"{noun}s")
    return f"{count} {word}"


CLIPBOARD_NOTE = (
    "sent to the terminal's clipboard (OSC 52); if pasting gives something else, the terminal "
    "ignored it (tmux: set -g set-clipboard on) — save to a file instead"
)
"""The app cannot know whether the terminal accepted OSC 52: say so, and how to tell."""


def number(value: int | None) -> str:
    """A counter as text; None (not applicable, e.g. no KVM) as a dash."""
    return "—" if value is None else str(value)


def reflow(text: str) -> str:
    """Descriptions and narratives are written wrapped in TOML: join each paragraph's lines so
    the pane wraps them at its own width (lines starting with a space or "-" stay lines)."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        lines: list[str] = []
        for line in block.splitlines():
            if lines and not line.startswith((" ", "-", "*")):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.rstrip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def plain(text: str) -> str:
    """User text (a title, a note, a file name) as one line on screen: control characters
    become visible escapes (\\x1b, \\n). Textual drops only a few of them and passes ESC
    through, so a file could otherwise drive the terminal or break a row."""
    from tui.formats.problems import printable

    return printable(text)


def plain_lines(text: str) -> str:
    """`plain` for text shown on several lines (a description, a message): newlines kept."""
    from tui.formats.problems import printable_lines

    return printable_lines(text)
