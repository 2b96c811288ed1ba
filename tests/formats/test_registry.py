"""The export-format registry: every surface derives from it; Kata and KubeVirt goldens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.formats.cases import CASES
from tui.cli.export import build_parser
from tui.formats import registry
from tui.formats.export import export_text

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MEMSLOT_UPDATE_GOLDEN") == "1"


def test_cli_choices_are_the_registry() -> None:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "to")
    assert tuple(action.choices) == registry.NAMES


def test_registry_entries_are_complete_and_unique() -> None:
    names = [f.name for f in registry.FORMATS]
    assert len(set(names)) == len(names)
    suffixes = [f.suffix for f in registry.FORMATS]
    assert len(set(suffixes)) == len(suffixes)
    assert set(registry.IMPORTABLE) == {"qemu", "libvirt"}
    assert registry.suggested_name("vm", "libvirt") == "vm.xml"
    with pytest.raises(ValueError, match="unknown export format"):
        registry.get("yaml")


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", registry.NAMES)
def test_every_format_renders_every_case(case: str, fmt: str) -> None:
    text = export_text(CASES[case](), fmt)
    assert text.endswith("\n") and text.strip()


@pytest.mark.parametrize("fmt", ["qemu", "qmp", "kata", "kubevirt"])
def test_exports_carry_the_engine_verdicts(fmt: str) -> None:
    config = CASES["virtio_mem_vhost"]()
    text = export_text(config, fmt)
    assert "memslot-explorer:" in text
    if fmt in ("qemu", "kata", "kubevirt"):
        assert "vmem0 decides" in text  # the cold virtio-mem's decision, from the report


def test_kata_and_kubevirt_values() -> None:
    config = CASES["virtio_mem_vhost"]()
    kata = export_text(config, "kata")
    assert "default_memory = 4096" in kata
    assert 'shared_fs = "virtio-fs"' in kata
    assert "enable_virtio_mem = true" in kata
    kubevirt = export_text(config, "kubevirt", name="My VM")
    assert "guest: 4Gi" in kubevirt and "maxGuest: 108Gi" in kubevirt
    assert "name: my-vm" in kubevirt


@pytest.mark.parametrize("case", ["virtio_mem_vhost", "dimm_ladder"])
@pytest.mark.parametrize("fmt", ["kata", "kubevirt"])
def test_golden(case: str, fmt: str) -> None:
    text = export_text(CASES[case](), fmt, name=case)
    path = GOLDEN / f"{case}{registry.get(fmt).suffix}"
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{path} was missing and has been written; review it")
    assert text == path.read_text(encoding="utf-8")
