"""Properties of hostile input: deep nesting is a ConfigError with a field; every export stays
well-formed (libvirt XML parses, the shell text splits back to argv) whatever the user text.

The default run tries a few examples; `pytest -m slow` runs each property over 10,000."""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine import replay
from tui.formats.kata import kata_snippet
from tui.formats.kubevirt import kubevirt_stanza
from tui.formats.libvirt import domain_xml
from tui.formats.qemu import command_line, shell_command
from tui.formats.toml import ConfigError, loads

from .strategies import configs

FEW, MANY = 40, 10_000
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""What a YAML stream may not hold (YAML 1.2, 5.1: its printable set)."""


def _both(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


nestings = st.tuples(
    st.lists(st.sampled_from(["[", "{a="]), min_size=1, max_size=4000),
    st.sampled_from(["title", "x", "machine.ram", '""']),
)


def _deep(openers: list[str], key: str) -> str:
    closers = "".join("]" if o == "[" else "}" for o in reversed(openers))
    if key.startswith("machine."):
        return f"[machine]\nram = {''.join(openers)}1{closers}\n"
    return f"{key} = {''.join(openers)}1{closers}\n"


def _nesting_is_a_field_error(case: tuple[list[str], str]) -> None:
    with pytest.raises(ConfigError) as info:
        loads(_deep(*case), "deep.toml")
    assert all(field for field, _ in info.value.problems), info.value.problems
    assert "\n" not in str(info.value).replace("\ndeep.toml: ", "")


def _xml_and_shell_well_formed(config: Any) -> None:
    report = replay(config)
    xml = domain_xml(config, report=report, timeline=True)
    SafeET.fromstring(xml)  # raises on a document that is not well-formed
    argv = command_line(config)
    assert shlex.split(shell_command(config).replace("\\\n", " ")) == argv
    tomllib.loads(kata_snippet(config, report))  # raises on a control character in a comment
    assert not _NOT_YAML.search(kubevirt_stanza(config, report))


@_both(FEW)
@given(nestings)
def test_deep_nesting_is_a_config_error_with_a_field(case: tuple[list[str], str]) -> None:
    _nesting_is_a_field_error(case)


@pytest.mark.slow
@_both(MANY)
@given(nestings)
def test_deep_nesting_is_a_config_error_with_a_field_slow(case: tuple[list[str], str]) -> None:
    _nesting_is_a_field_error(case)


@_both(FEW)
@given(configs())
def test_exports_are_well_formed(config: Any) -> None:
    _xml_and_shell_well_formed(config)


@pytest.mark.slow
@_both(MANY)
@given(configs())
def test_exports_are_well_formed_slow(config: Any) -> None:
    _xml_and_shell_well_formed(config)


def test_control_characters_in_libvirt_text_are_replaced() -> None:
    from tui.engine.model import Config

    config = Config.model_validate(
        {
            "title": "vm\x1b[31m\x00",
            "description": "line\x07bell",
            "vhost_devices": [
                {"kind": "vhost-user", "id": "fs0", "device": "fs", "backend_name": "virtio\x01fsd"}
            ],
        }
    )
    xml = domain_xml(config, report=replay(config), timeline=True)
    root = SafeET.fromstring(xml)
    assert root.findtext("title") == "vm\ufffd[31m\ufffd"
    assert root.findtext("description") == "line\ufffdbell"
    assert "virtio\ufffdfsd" in xml


def test_control_characters_in_kata_and_kubevirt_comments_are_escaped() -> None:
    """A title or back-end name with an escape sequence: Kata's TOML still parses, KubeVirt's
    YAML holds only printable characters, and nothing reaches a terminal raw (the raw ESC
    made `export --to kata` unparsable and let a file drive the terminal it was printed on)."""
    from tui.engine.model import Config

    config = Config.model_validate(
        {
            "title": "vm\x1b]2;owned\x07\x7f\x9b2J",
            "machine": {"ram": "4G", "maxmem": "8G", "memory_backend": "memfd"},
            "vhost_devices": [
                {"kind": "vhost-user", "id": "fs0", "device": "fs", "backend_name": "v\x1b[31m"}
            ],
            "timeline": [{"action": "cold", "device": "fs0"}],
        }
    )
    report = replay(config)
    kata = kata_snippet(config, report)
    tomllib.loads(kata)
    assert "vm\\x1b]2;owned\\x07\\x7f\\x9b2J" in kata and "v\\x1b[31m" in kata
    kubevirt = kubevirt_stanza(config, report)
    assert not _NOT_YAML.search(kubevirt)
    assert "vm\\x1b]2;owned" in kubevirt
