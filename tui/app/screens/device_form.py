"""Add or edit a memory device, vhost back-end or consumer; the app validates the whole config."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Label, Select, Static

from tui.engine.model import Config

from ..actions import bindings
from ..catalog import Template, template_for
from ..edits import EditError, Plug, form_values
from ..fields import Input

Validate = Callable[[Template, dict[str, str | bool], Plug], Config]
Defaults = Callable[[Template], dict[str, object]]


def switch_label(value: bool) -> str:
    """The switch's state in words (the X's colour alone is lost in captures)."""
    return "on" if value else "off"


PLUGS: tuple[tuple[str, Plug], ...] = (
    ("cold plug (command line)", "cold"),
    ("hotplug (device_add)", "hotplug"),
    ("not in the timeline", "none"),
)


class DeviceFormScreen(ModalScreen[Config | None]):
    """A form per kind with sensible defaults; invalid input is shown, never applied."""

    AUTO_FOCUS = "*"  # the app focuses its timeline; a dialog focuses its first field

    BINDINGS: ClassVar = [*bindings("dialogs"), *bindings("form")]
    HELP = """\
## Device form
Pick the kind (for vhost: a real back-end with its memslot limit), adjust the fields and press
**enter** or **OK**. The configuration is validated as a whole; the reason is shown here and
nothing changes until it is valid. **escape** cancels.
"""

    def __init__(
        self,
        *,
        title: str,
        templates: tuple[Template, ...],
        template: Template,
        values: dict[str, object],
        validate: Validate,
        defaults: Defaults,
        plug: Plug | None,
        kind_fixed: bool = False,
    ) -> None:
        super().__init__()
        self.form_title = title
        self.templates = templates
        self.template = template
        self.values = values
        self.validate = validate
        self.defaults = defaults
        self.plug = plug
        self.kind_fixed = kind_fixed

    def compose(self) -> ComposeResult:
        """Kind, the fields of that kind, plug choice, reason line, buttons."""
        with Vertical(id="form-dialog", classes="dialog"):
            yield Label(self.form_title, classes="dialog-title")
            yield Select(
                [(t.label, t.key) for t in self.templates],
                value=self.template.key,
                allow_blank=False,
                id="form-kind",
                disabled=self.kind_fixed,
                compact=True,
            )
            with VerticalScroll(id="form-fields"):
                yield from self._field_widgets(self.template, self.values)
            if self.plug is not None:
                yield Select(
                    [(label, value) for label, value in PLUGS],
                    value=self.plug,
                    allow_blank=False,
                    id="form-plug",
                    compact=True,
                )
            yield Static(id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="form-ok")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        """Start in the first text field."""
        self._focus_first()

    def _focus_first(self) -> None:
        inputs = self.query("#form-fields Input")
        if inputs:
            inputs.first().focus()

    @staticmethod
    def _field_widgets(template: Template, values: dict[str, object]) -> list[Widget]:
        widgets: list[Widget] = []
        for spec in template.fields:
            value = values.get(spec.name)
            row: list[Widget] = [Label(spec.label, classes="field-label")]
            if spec.kind == "bool":
                on = bool(value)
                row.append(Checkbox(switch_label(on), on, id=f"f-{spec.name}", compact=True))
            elif spec.kind == "choice":
                text = str(value) if value is not None else spec.choices[0]
                choices = spec.choices if text in spec.choices else (*spec.choices, text)
                row.append(
                    Select(
                        [(c, c) for c in choices],
                        value=text,
                        allow_blank=False,
                        id=f"f-{spec.name}",
                        compact=True,
                    )
                )
            else:
                row.append(
                    Input(
                        "" if value is None else str(value),
                        id=f"f-{spec.name}",
                        compact=True,
                        select_on_focus=True,  # tabbing in and typing replaces the value
                        placeholder="not set" if spec.optional else "",
                    )
                )
            widgets.append(Horizontal(*row, classes="field-row"))
        return widgets

    def raw_values(self) -> dict[str, str | bool]:
        """Current text / choice / switch of every field."""
        raw: dict[str, str | bool] = {}
        for spec in self.template.fields:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Checkbox):
                raw[spec.name] = widget.value
            elif isinstance(widget, Select):
                raw[spec.name] = str(widget.value)
            elif isinstance(widget, Input):
                raw[spec.name] = widget.value
        return raw

    @on(Select.Changed, "#form-kind")
    async def _kind(self, event: Select.Changed) -> None:
        key = str(event.value)
        if key == self.template.key:
            return
        self.template = next(t for t in self.templates if t.key == key)
        fields = self.query_one("#form-fields", VerticalScroll)
        await fields.remove_children()
        await fields.mount_all(self._field_widgets(self.template, self.defaults(self.template)))
        self.query_one("#form-error", Static).update("")

    @on(Checkbox.Changed)
    def _switch(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = switch_label(event.checkbox.value)

    @on(Input.Changed, "#form-fields Input")
    @on(Checkbox.Changed, "#form-fields Checkbox")
    @on(Select.Changed, "#form-fields Select")
    def _follow_values(self) -> None:
        """The kind line names the catalog entry the values now match (a vhost-net edited to
        509 no longer reads "kernel default 64"); the fields stay as typed."""
        try:
            values = form_values(self.template, self.raw_values())
            matched = template_for(self.template.group, values)
        except (EditError, KeyError, ValueError):
            return
        if matched.kind == self.template.kind and matched.key != self.template.key:
            self.template = matched  # same kind, same fields: _kind() leaves them alone
            self.query_one("#form-kind", Select).value = matched.key

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-ok")
    def action_ok(self) -> None:
        """Validate; dismiss with the new config, or show the reason."""
        plug: Plug = "none"
        if self.plug is not None:
            plug = self.query_one("#form-plug", Select).value  # type: ignore[assignment]
        for widget in self.query(".-rejected"):
            widget.remove_class("-rejected")
        try:
            config = self.validate(self.template, self.raw_values(), plug)
        except (EditError, ValueError) as exc:
            reason = str(exc)
            self.query_one("#form-error", Static).update(Content(f"✗ {reason}"))
            for spec in self.template.fields:
                if reason.split(":", 1)[0].rsplit(".", 1)[-1] == spec.name:
                    self.query_one(f"#f-{spec.name}").add_class("-rejected")
            return
        self.dismiss(config)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        """Close without changes."""
        self.dismiss(None)
