"""One renderer of validation errors: the CLI's "FILE: FIELD: REASON" lines and the app's
form and status texts say the same thing about the same mistake."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from rich.cells import cell_len

from tui.app import edits
from tui.engine.model import Config
from tui.formats import toml
from tui.formats.problems import format_problem, pictured, render, validation_problems

BASE = {"title": "t", "machine": {"ram": "4G", "maxmem": "68G", "slots": 4}}


def _cli_lines(data: dict[str, object]) -> list[str]:
    with pytest.raises(toml.ConfigError) as caught:
        toml.from_dict(data, "vm.toml")
    return str(caught.value).splitlines()


def test_a_bad_device_size_reads_the_same_in_the_cli_and_the_app() -> None:
    device = {"kind": "pc-dimm", "id": "dimm0", "size": "12Q"}
    cli = _cli_lines(BASE | {"memory_devices": [device]})
    assert len(cli) == 1 and cli[0].startswith("vm.toml: memory_devices[0].size: ")
    with pytest.raises(edits.EditError) as caught:
        edits.add_device(Config.model_validate(BASE), "memory", device, "cold")
    assert str(caught.value) == cli[0].removeprefix("vm.toml: ")


def test_a_machine_field_names_the_field_in_both() -> None:
    cli = _cli_lines(BASE | {"machine": {"ram": "4G", "slots": "many"}})
    assert cli == ["vm.toml: machine.slots: must be an integer, not a string ('many')"]
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(BASE | {"machine": {"ram": "4G", "slots": "many"}})
    assert (
        edits.describe(caught.value) == "machine.slots: must be an integer, not a string ('many')"
    )


def test_unknown_keys_get_a_suggestion_and_lines_render_with_or_without_field() -> None:
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(BASE | {"machine": {"ram": "4G", "maxmen": "8G"}})
    problems = validation_problems(caught.value, BASE | {"machine": {"maxmen": "8G"}})
    assert problems == [("machine.maxmen", "unknown key 'maxmen' (did you mean 'maxmem'?)")]
    assert format_problem(("", "invalid TOML"), "f.toml") == "f.toml: invalid TOML"
    assert render([("a", "x"), ("", "y")], "f") == "f: a: x\nf: y"


def test_pictured_draws_every_control_character_in_one_cell_and_nothing_else() -> None:
    """Text fields keep their cursor positions: each C0, DEL or C1 character becomes one
    visible character, everything printable stays as it is."""
    controls = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]))
    drawn = pictured(controls)
    assert drawn.isprintable() and len(drawn) == cell_len(drawn) == len(controls)
    assert drawn[0x1B] == "␛" and drawn[0x20] == "␡" and drawn[-1] == "\ufffd"
    assert pictured("vm0 ✓ 界 é") == "vm0 ✓ 界 é"
