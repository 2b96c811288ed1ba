"""Machine, accelerator, RAM/maxmem/slots and the host facts QEMU reads at start-up."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widgets import Checkbox, Label, Select, Static

from tui.engine.model import Config, Machine

from ..fields import Input
from ..messages import MachineFieldEdited
from .base import Panel, update_static

CHOICES: dict[str, tuple[str, ...]] = {
    "type": ("q35", "pc"),
    "accel": ("kvm", "tcg"),
    "memory_backend": ("ram", "memfd"),
    "cpu_vendor": ("amd", "intel"),
}
BOOLS = ("nvdimm", "guest_plugs_memory")
TEXTS: dict[str, str] = {  # field: placeholder
    "ram": "4G",
    "maxmem": "= ram (no hotplug)",
    "slots": "0",
    "kvm_memslots": "32764",
    "qemu_version": "10.1",
    "phys_bits": "40",
    "host_thp_size": "2M",
    "boot_kvm_slots": "auto",
    "boot_ram_sections": "auto",
}
LABELS: dict[str, str] = {
    "type": "machine",
    "accel": "accel",
    "kvm_memslots": "KVM memslots",
    "qemu_version": "QEMU",
    "ram": "ram",
    "maxmem": "maxmem",
    "slots": "slots",
    "memory_backend": "RAM backend",
    "nvdimm": "nvdimm",
    "guest_plugs_memory": "guest plugs",
    "phys_bits": "phys-bits",
    "cpu_vendor": "CPU vendor",
    "host_thp_size": "host THP",
    "boot_kvm_slots": "boot KVM",
    "boot_ram_sections": "boot vhost",
}
ORDER = (
    "type",
    "accel",
    "ram",
    "maxmem",
    "slots",
    "kvm_memslots",
    "qemu_version",
    "memory_backend",
    "phys_bits",
    "cpu_vendor",
    "host_thp_size",
    "boot_kvm_slots",
    "boot_ram_sections",
    "nvdimm",
    "guest_plugs_memory",
)


def switch_label(label: str, value: bool) -> str:
    """A switch's state in words, not only in the colour of its X (captures, colour blindness)."""
    return f"{label}: {'on' if value else 'off'}"


def field_text(machine: Machine, name: str) -> str:
    """A machine value as the user would type it (sizes as 64G)."""
    value = machine.model_dump(mode="json")[name]
    return "" if value is None else str(value)


class MachinePanel(Panel):
    """Fields validated in place: a bad value is marked with the reason and never applied."""

    TITLE = "Machine"
    HELP = """\
## Machine
Type a value, **enter** applies it (so does leaving the field); sizes as `4G`, `512M` or hex.
A value QEMU refuses is marked with the reason and not applied.

- **KVM memslots**: host KVM_CAP_NR_MEMSLOTS (509 on old kernels).
- **QEMU**: the rules modelled (8.1, 8.2–10.0, 10.1).
- **boot KVM**: KVM memslots boot RAM and firmware take (*auto*: measured).
- **boot vhost**: boot RAM sections a vhost back-end maps (*auto*: measured).
- **guest plugs**: a guest plugs virtio-mem memory; *off* (verify) maps none.
- **host THP**: the host's THP size, virtio-mem's default block size.
- **CPU vendor**: *amd* (qemu64's default) moves RAM above the 1 TiB hole.
"""

    def __init__(self, machine: Machine | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._errors: dict[str, str] = {}
        self._machine = machine or Machine()
        """Values to compose with: a Select announces its value when it mounts, and that
        announcement must be the loaded value, not the first option."""

    def compose(self) -> ComposeResult:
        """Label/field pairs in a grid, then the reason line."""
        with Grid(id="machine-grid"):
            for name in ORDER:
                if name in BOOLS:
                    value = bool(getattr(self._machine, name))
                    yield Checkbox(
                        switch_label(LABELS[name], value),
                        value,
                        id=f"m-{name}",
                        compact=True,
                    )
                    continue
                yield Label(LABELS[name], classes="field-label")
                if name in CHOICES:
                    yield Select(
                        [(c, c) for c in CHOICES[name]],
                        id=f"m-{name}",
                        value=getattr(self._machine, name),
                        allow_blank=False,
                        compact=True,
                    )
                else:
                    yield Input(
                        field_text(self._machine, name),
                        placeholder=TEXTS[name],
                        id=f"m-{name}",
                        compact=True,
                        select_on_focus=True,
                    )
        yield Static(id="machine-error")

    def show(self, config: Config, report: object) -> None:
        """Show the config's values; fields being edited with an error keep the user's text."""
        machine = config.machine
        for name in ORDER:
            widget = self.query_one(f"#m-{name}")
            if isinstance(widget, Input):
                if name in self._errors and widget.has_focus:
                    continue
                text = field_text(machine, name)
                if widget.value != text:
                    with widget.prevent(Input.Changed):
                        widget.value = text
                if name in self._errors:
                    self.mark(name, None)
            elif isinstance(widget, Select):
                value = getattr(machine, name)
                if widget.value != value:
                    with widget.prevent(Select.Changed):
                        widget.value = value
            elif isinstance(widget, Checkbox):
                value = bool(getattr(machine, name))
                if widget.value != value:
                    with widget.prevent(Checkbox.Changed):
                        widget.value = value
                label = switch_label(LABELS[name], value)
                if str(widget.label) != label:
                    widget.label = label

    def mark(self, name: str, reason: str | None) -> None:
        """Mark a field invalid with the reason (None clears it)."""
        if self._errors.get(name) == reason:
            return  # nothing changed: keep the screen as it is
        widget = self.query_one(f"#m-{name}")
        widget.set_class(reason is not None, "-rejected")
        if reason is None:
            self._errors.pop(name, None)
        else:
            self._errors[name] = reason
        widget.tooltip = reason
        error = self.query_one("#machine-error", Static)
        update_static(error, "\n".join(f"✗ {LABELS[n]}: {r}" for n, r in self._errors.items()))
        error.display = bool(self._errors)

    @property
    def errors(self) -> dict[str, str]:
        """Field → reason for every field currently marked invalid."""
        return dict(self._errors)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._post(event.input.id, event.value, commit=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._post(event.input.id, event.value, commit=True)

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self._post(event.input.id, event.value, commit=True)

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        event.stop()
        # A Select announces its first option when it mounts; by the time that message
        # arrives the panel may already show the loaded value. Only the value the widget
        # shows now is the user's.
        if isinstance(event.value, str) and event.value == event.select.value:
            self._post(event.select.id, event.value, commit=True)

    @on(Checkbox.Changed)
    def _checkbox(self, event: Checkbox.Changed) -> None:
        event.stop()
        name = (event.checkbox.id or "").removeprefix("m-")
        if name in LABELS:
            event.checkbox.label = switch_label(LABELS[name], event.checkbox.value)
        if event.value == event.checkbox.value:
            self._post(event.checkbox.id, event.value, commit=True)

    def _post(self, widget_id: str | None, value: str | bool, commit: bool) -> None:
        if widget_id and widget_id.startswith("m-"):
            self.post_message(MachineFieldEdited(widget_id.removeprefix("m-"), value, commit))
