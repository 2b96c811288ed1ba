"""Sweep one parameter and plot what the engine decides: per memory device its memslot limit
and memslots, and where QEMU starts refusing (textual-plotext)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static
from textual_plotext import PlotextPlot

from tui.engine.model import Config
from tui.engine.units import GiB, format_size
from tui.params import ParamError, is_power_of_two, is_size, parameters, parse_value
from tui.sweep import Sweep, run_sweep, values

from ..actions import bindings
from ..fields import Input

DEFAULT_STEPS = 50

SweepRunner = Callable[[Config, str, list[int]], Sweep]


LIMIT_RANGES = {
    "max_mem_regions": (8, 1024),
    "max_mem_slots": (8, 1024),
    "kvm_memslots": (32, 1024),
}
"""Memslot limits sweep across QEMU's thresholds (256, 509) by default."""


def default_range(path: str, current: int | None) -> tuple[int, int]:
    """A starting point the user edits: a memslot limit across 256 and 509, anything else
    from half to twice its current value."""
    field = path.rsplit(".", 1)[-1]
    if field in LIMIT_RANGES:
        return LIMIT_RANGES[field]
    base = current or (GiB if is_size(path) else 1)
    return max(base // 2, 1), base * 2


def _show(path: str, value: int) -> str:
    return format_size(value) if is_size(path) else str(value)


class SweepScreen(ModalScreen[None]):
    """Pick a parameter and a range; the sweep runs off the UI thread and the chart follows."""

    AUTO_FOCUS = "#sweep-param"
    BINDINGS: ClassVar = bindings("views")
    HELP = """\
## Sweep
Vary one parameter (maxmem, a virtio-mem's size or block size, a vhost back-end's limit, KVM
memslots, the number of DIMMs) from one value to another. The chart shows each memory device's
memslot limit and memslots at every value; ✗ marks values where QEMU refuses an event.
"""

    def __init__(self, config: Config, runner: SweepRunner = run_sweep) -> None:
        super().__init__()
        self.config = config
        self.runner = runner
        self.params = [p for p in parameters(config) if p.path]
        self.result: Sweep | None = None

    def _first_param(self) -> str:
        preferred = ("machine.maxmem", "dimms")
        for param in self.params:
            if param.path.endswith(("max_mem_regions", "max_mem_slots")):
                return param.path
        paths = [p.path for p in self.params]
        return next((p for p in preferred if p in paths), paths[0])

    def compose(self) -> ComposeResult:
        """Parameter, range, steps; the chart; a one-line summary."""
        first = self._first_param()
        current = next(p.value for p in self.params if p.path == first)
        start, stop = default_range(first, current)
        with Vertical(id="sweep-dialog", classes="dialog"):
            yield Label("Sweep a parameter", classes="dialog-title")
            with Horizontal(id="sweep-controls"):
                yield Select(
                    [(p.path, p.path) for p in self.params],
                    value=first,
                    allow_blank=False,
                    id="sweep-param",
                    compact=True,
                )
                yield Input(_show(first, start), id="sweep-from", placeholder="from")
                yield Input(_show(first, stop), id="sweep-to", placeholder="to")
                yield Input(str(DEFAULT_STEPS), id="sweep-steps", placeholder="steps")
                yield Button("Run", variant="primary", id="sweep-run")
            yield PlotextPlot(id="sweep-plot")
            yield Static(id="sweep-summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="sweep-close")

    def on_mount(self) -> None:
        """Sweep the default range at once."""
        self.action_run()

    @on(Select.Changed, "#sweep-param")
    def _param(self, event: Select.Changed) -> None:
        path = str(event.value)
        current = next((p.value for p in self.params if p.path == path), None)
        start, stop = default_range(path, current)
        self.query_one("#sweep-from", Input).value = _show(path, start)
        self.query_one("#sweep-to", Input).value = _show(path, stop)

    @on(Input.Submitted)
    @on(Button.Pressed, "#sweep-run")
    def action_run(self) -> None:
        """Read the form and start the sweep (a bad value is shown, nothing runs)."""
        path = str(self.query_one("#sweep-param", Select).value)
        summary = self.query_one("#sweep-summary", Static)
        try:
            start = parse_value(path, self.query_one("#sweep-from", Input).value)
            stop = parse_value(path, self.query_one("#sweep-to", Input).value)
            steps_text = self.query_one("#sweep-steps", Input).value.strip()
            if not steps_text.isdigit():
                raise ParamError(f"steps: {steps_text!r} is not a whole number")
            points = values(start, stop, int(steps_text), is_size(path), is_power_of_two(path))
        except ParamError as exc:
            summary.update(Content(f"✗ {exc}"))
            return
        summary.update(Content(f"sweeping {path} over {len(points)} values…"))
        self._sweep(path, points)

    @work(thread=True, exclusive=True, group="sweep", description="sweep")
    def _sweep(self, path: str, points: list[int]) -> None:
        try:
            result = self.runner(self.config, path, points)
        except ParamError as exc:
            self.app.call_from_thread(
                self.query_one("#sweep-summary", Static).update, Content(f"✗ {exc}")
            )
            return
        self.app.call_from_thread(self.show_result, result)

    def show_result(self, result: Sweep) -> None:
        """Plot limits and memslots per device; mark failing values; summarise."""
        self.result = result
        size = is_size(result.param)
        unit = GiB if size else 1
        xs = [p.value / unit for p in result.points]
        plot = self.query_one("#sweep-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"memslots decided as {result.param} varies")
        plt.xlabel(f"{result.param} ({'GiB' if size else 'count'})")
        for device in result.devices:
            for what, marker in (("limit", "dot"), ("memslots", "braille")):
                ys = [
                    float(getattr(p, "limits" if what == "limit" else "memslots").get(device) or 0)
                    for p in result.points
                ]
                if any(ys):
                    plt.plot(xs, ys, label=f"{device} {what}", marker=marker)
        headroom = [
            (p.value / unit, float(p.headroom)) for p in result.points if p.headroom is not None
        ]
        if headroom:
            plt.plot(
                [x for x, _ in headroom],
                [y for _, y in headroom],
                label="headroom (right axis)",
                marker="hd",
                yside="right",
            )
        failing = [p.value / unit for p in result.points if p.invalid is None and not p.ok]
        if failing:
            plt.scatter(failing, [0.0] * len(failing), label="QEMU refuses", marker="x")
        plot.refresh()
        self.query_one("#sweep-summary", Static).update(Content(summarise(result)))

    @on(Button.Pressed, "#sweep-close")
    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)


def summarise(result: Sweep) -> str:
    """First failing value with the event and QEMU's message; the headroom at both ends."""
    first = result.first_failing
    valid = [p for p in result.points if p.invalid is None]
    parts = []
    if first is None:
        parts.append(f"✓ every event succeeds at all {len(valid)} values")
    else:
        what = (
            f"event {first.first_failure} ({first.failure_device}) fails: {first.failure_error}"
            if first.first_failure
            else f"QEMU does not start: {first.startup_error}"
        )
        parts.append(f"✗ from {result.param} = {_show(result.param, first.value)}: {what}")
    if valid:
        low, high = valid[0], valid[-1]
        parts.append(
            f"headroom {low.headroom if low.headroom is not None else '—'} at "
            f"{_show(result.param, low.value)} → "
            f"{high.headroom if high.headroom is not None else '—'} at "
            f"{_show(result.param, high.value)}"
        )
    invalid = len(result.points) - len(valid)
    if invalid:
        parts.append(f"{invalid} value(s) the configuration cannot take")
    return " · ".join(parts)
