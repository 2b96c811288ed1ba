"""Templates for the add forms: every device kind and the real vhost back-ends engineers meet.

The kinds and their ready-made entries come from the engine's kinds registry (the vhost catalog
names real back-ends because their memslot limit — 8, 32, 64, 509 — is the whole point of adding
them); each form's fields follow the kind's model, so a new kind needs nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tui.engine.kinds import CONSUMER_KINDS, MEMORY_KINDS, VHOST_KINDS
from tui.engine.model import Consumer
from tui.engine.units import parse_size

Group = Literal["memory", "vhost", "consumer"]
FieldKind = Literal["text", "size", "int", "bool", "choice"]


@dataclass(frozen=True)
class FormField:
    """One input of an add/edit form."""

    name: str
    label: str
    kind: FieldKind = "text"
    choices: tuple[str, ...] = ()
    optional: bool = False
    """Empty text means "not set" (None), e.g. maxmem or a user addr."""


@dataclass(frozen=True)
class Template:
    """A kind of device as offered in an add form, with its defaults."""

    key: str
    label: str
    group: Group
    kind: str
    id_base: str
    defaults: dict[str, object] = field(default_factory=dict)
    fields: tuple[FormField, ...] = ()


_LABELS = {
    "page_size": "page size",
    "label_size": "label size",
    "requested_size": "requested-size",
    "block_size": "block-size",
    "dynamic_memslots": "dynamic-memslots",
    "unplugged_inaccessible": "unplugged-inaccessible",
    "backend_name": "back-end",
    "configure_mem_slots": "CONFIGURE_MEM_SLOTS",
    "max_mem_slots": "max mem slots",
    "kvm_slots": "KVM slots",
    "vhost_kernel_regions": "vhost-kernel regions",
    "vhost_user_regions": "vhost-user regions",
}
"""Form labels where the field name is not what an engineer reads (QEMU's spelling)."""
_CHOICES = {"page_size": ("4K", "2M", "1G")}
"""Fields offered as a choice although the model takes any size."""
_OPTIONAL_LABELS = {"size": "size (empty: no memdev)"}


def _field(name: str, info: FieldInfo) -> FormField:
    """A form field for a model field: its input kind follows the field's type."""
    annotation: Any = info.annotation
    metadata: list[Any] = list(info.metadata)
    optional = False
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(args) < len(get_args(annotation))
        annotation = args[0]
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        metadata += extra
    label = (_OPTIONAL_LABELS if optional else {}).get(name) or _LABELS.get(name, name)
    if name in _CHOICES:
        return FormField(name, label, "choice", _CHOICES[name], optional)
    if get_origin(annotation) is Literal:
        return FormField(name, label, "choice", tuple(map(str, get_args(annotation))), optional)
    if annotation is bool:
        return FormField(name, label, "bool", optional=optional)
    if annotation is int:
        sized = any(getattr(m, "func", None) is parse_size for m in metadata)
        return FormField(name, label, "size" if sized else "int", optional=optional)
    return FormField(name, label, "text", optional=optional)


def _fields(model: type[BaseModel]) -> tuple[FormField, ...]:
    """id first, then every field of the model in its order (the kind is the template)."""
    return (
        FormField("id", "id"),
        *(_field(n, i) for n, i in model.model_fields.items() if n not in ("id", "kind")),
    )


def _templates(group: Group, kind: str, model: type[BaseModel], entries: Any) -> list[Template]:
    fields = _fields(model)
    return [
        Template(e.key, e.label, group, kind, e.id_base, dict(e.defaults), fields) for e in entries
    ]


MEMORY_TEMPLATES: tuple[Template, ...] = tuple(
    t for k in MEMORY_KINDS.values() for t in _templates("memory", k.name, k.model, k.catalog)
)
VHOST_TEMPLATES: tuple[Template, ...] = tuple(
    t for k in VHOST_KINDS.values() for t in _templates("vhost", k.name, k.model, k.catalog)
)
CONSUMER_TEMPLATES: tuple[Template, ...] = tuple(
    t for k in CONSUMER_KINDS.values() for t in _templates("consumer", k.name, Consumer, k.catalog)
)


TEMPLATES: dict[Group, tuple[Template, ...]] = {
    "memory": MEMORY_TEMPLATES,
    "vhost": VHOST_TEMPLATES,
    "consumer": CONSUMER_TEMPLATES,
}


def template(key: str) -> Template:
    """The template with this key, in any group."""
    for group in TEMPLATES.values():
        for item in group:
            if item.key == key:
                return item
    raise KeyError(key)


def template_for(group: Group, device: dict[str, object]) -> Template:
    """The template to edit an existing device with (matched by kind; vhost by limit too)."""
    candidates = [t for t in TEMPLATES[group] if t.kind == device.get("kind")]
    for item in candidates:
        if all(device.get(k) == v for k, v in item.defaults.items() if k != "backend_name"):
            return item
    if not candidates:
        raise KeyError(device.get("kind"))
    return candidates[0]
