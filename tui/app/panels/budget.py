"""KVM and vhost memslot budgets as bars with numbers, against the 256 and 509 thresholds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui.engine.model import Config
from tui.engine.report import Budget, Report

from .. import view
from .base import Panel, update_static

BAR = 12
LABEL = 13


def bar(used: int, reserved: int, total: int, width: int = BAR) -> Content:
    """used █ (primary), reserved ▒ (warning), free · (muted); at least one cell if non-zero."""
    if total <= 0:
        return Content("·" * width)
    u = min(width, max(1 if used else 0, round(width * used / total)))
    r = min(width - u, max(1 if reserved else 0, round(width * reserved / total)))
    over = used + reserved > total
    head = "$error" if over else "$primary"
    return Content.assemble(
        ("█" * u, head), ("▒" * r, "$warning"), ("·" * (width - u - r), "$text-muted")
    )


def _line(
    label: str, used: int, reserved: int, free: int | None, total: int, note: str = ""
) -> Content:
    """Two lines: label, bar, free / limit; then used and reserved (and a threshold note)."""
    free_text = "—" if free is None else (str(free) if free <= total else f"{free} (wrapped)")
    return Content.assemble(
        (f"{label:<{LABEL}.{LABEL}}", "bold"),
        " ",
        bar(used, reserved, total),
        f" free {free_text} / {total}\n",
        " " * (LABEL + 1),
        f"used {used} · reserved {reserved}",
        (note, "$warning"),
    )


def render_budget(budget: Budget, report: Report) -> Content:
    """The whole panel as one Content (cheap to repaint)."""
    lines: list[Content] = []
    if report.startup_error:
        lines.append(
            Content.assemble(
                ("✗ QEMU did not start: ", "bold $error"), (report.startup_error, "$error")
            )
        )
    reserved = budget.reserved_memslots
    if budget.kvm_max is not None:
        lines.append(_line("KVM", budget.kvm_used or 0, reserved, budget.kvm_free, budget.kvm_max))
    else:
        lines.append(
            Content.assemble(
                ("KVM".ljust(LABEL), "bold"), (" not consulted (accel=tcg)", "$text-muted")
            )
        )
    for vhost in budget.vhost:
        below = f"  limit < {budget.safe_max}" if vhost.limit < budget.safe_max else ""
        lines.append(
            _line(
                f"{vhost.id} {vhost.kind.removeprefix('vhost-')}",
                vhost.used,
                reserved,
                vhost.free,
                vhost.limit,
                below,
            )
        )
    lines.append(
        Content.assemble(
            (f"{'memory devs':<{LABEL}}", "bold"),
            " ",
            bar(budget.used_memslots, budget.reserved_memslots, budget.soft_limit),
            f" soft limit {budget.soft_limit}\n",
            " " * (LABEL + 1),
            f"required {budget.required_memslots} = used {budget.used_memslots}"
            f" + reserved {budget.reserved_memslots}",
        )
    )
    overall = [m for m in (budget.kvm_max, budget.vhost_max) if m is not None]
    if overall:
        low = min(overall)
        if low < budget.safe_max:
            verdict = Content.styled(f"< {budget.safe_max} → deciders get limit 1", "$warning")
        else:
            verdict = Content.styled(f"≥ {budget.safe_max} → devices may decide", "$success")
        lines.append(
            Content.assemble(
                ("overall max".ljust(LABEL), "bold"),
                f" min(KVM, vhost) = {low}\n",
                " " * (LABEL + 1),
                verdict,
            )
        )
    else:
        lines.append(
            Content.assemble(("overall max".ljust(LABEL), "bold"), " unlimited (no KVM, no vhost)")
        )
    lines.append(
        Content.assemble(
            ("auto-deciding".ljust(LABEL), "bold"),
            f" {view.plural(budget.auto_decision_active, 'device')}"
            f" use{'s' if budget.auto_decision_active == 1 else ''} > 1 memslot",
        )
    )
    return Content("\n").join(lines)


class BudgetPanel(Panel):
    """Counters after the whole timeline (the Explain panel has them per event)."""

    TITLE = "Budget"
    HELP = """\
## Budget
After the last event: KVM memslots and each vhost device's limit, **used** (█) by mapped
sections, **reserved** (▒) for memory devices that decided more memslots than they map yet,
and free. Memory devices together stay under the **256** soft limit. If the smallest KVM or
vhost limit is below **509**, auto-deciding devices (virtio-mem, hv-balloon) get one memslot.
"""

    def compose(self) -> ComposeResult:
        """One Static (a single repaint per edit) in a focusable scroll, so the panel can be
        focused, scrolled and maximized like the others."""
        with VerticalScroll(id="budget-scroll"):
            yield Static(id="budget-body")

    def show(self, config: Config, report: Report | None) -> None:
        """Render the final budget."""
        body = self.query_one("#budget-body", Static)
        if report is None:
            update_static(body, "")
            return
        update_static(body, render_budget(report.final, report))
        self.set_subtitle("after the last event")
