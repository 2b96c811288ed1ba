"""The add forms come from the kinds registry: every catalog entry, fields from the model."""

from __future__ import annotations

from tui.app import edits
from tui.app.catalog import CONSUMER_TEMPLATES, MEMORY_TEMPLATES, VHOST_TEMPLATES, template_for
from tui.engine.kinds import CONSUMER_KINDS, MEMORY_KINDS, VHOST_KINDS
from tui.engine.model import Consumer


def test_every_registry_entry_is_offered_once() -> None:
    assert [t.key for t in MEMORY_TEMPLATES] == [
        e.key for k in MEMORY_KINDS.values() for e in k.catalog
    ]
    assert [t.key for t in VHOST_TEMPLATES] == [
        e.key for k in VHOST_KINDS.values() for e in k.catalog
    ]
    assert [t.key for t in CONSUMER_TEMPLATES] == list(CONSUMER_KINDS)


def test_form_fields_follow_the_model() -> None:
    for template in (*MEMORY_TEMPLATES, *VHOST_TEMPLATES):
        model = (MEMORY_KINDS.get(template.kind) or VHOST_KINDS[template.kind]).model
        names = [f.name for f in template.fields]
        assert names[0] == "id"
        assert set(names) == set(model.model_fields) - {"kind"}, template.key
    fields = {f.name: f for f in MEMORY_TEMPLATES[0].fields}
    assert (fields["size"].kind, fields["page_size"].kind, fields["share"].kind) == (
        "size",
        "choice",
        "bool",
    )
    assert fields["page_size"].choices == ("4K", "2M", "1G")
    assert fields["addr"].optional and not fields["size"].optional
    balloon = {
        f.name: f for f in next(t for t in MEMORY_TEMPLATES if t.kind == "hv-balloon").fields
    }
    assert balloon["size"].optional and balloon["size"].label == "size (empty: no memdev)"


def test_each_template_submitted_with_its_defaults_is_a_valid_device() -> None:
    for template in (*MEMORY_TEMPLATES, *VHOST_TEMPLATES, *CONSUMER_TEMPLATES):
        raw: dict[str, str | bool] = {"id": f"{template.id_base}0"}
        for spec in template.fields[1:]:
            value = template.defaults.get(spec.name)
            if spec.kind == "bool":
                raw[spec.name] = bool(value)
            elif value is not None:
                raw[spec.name] = str(value)
        values = edits.form_values(template, raw)
        assert values["kind"] == template.kind
        model = (
            MEMORY_KINDS[template.kind].model
            if template.group == "memory"
            else VHOST_KINDS[template.kind].model
            if template.group == "vhost"
            else Consumer
        )
        assert model.model_validate(values).id == raw["id"]
        assert template_for(template.group, values).kind == template.kind
