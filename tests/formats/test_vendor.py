"""Every export pins the modelled CPU vendor, AMD and Intel alike (qemu64 would otherwise take
the host's vendor under KVM and AMD's under TCG, and move device memory differently)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tui.engine.host import CPU_VENDOR_IDS
from tui.engine.model import Config
from tui.formats.libvirt import domain_xml
from tui.formats.qemu import command_line


@pytest.mark.parametrize("vendor", ["amd", "intel"])
@pytest.mark.parametrize("accel", ["kvm", "tcg"])
def test_vendor_is_pinned_everywhere(vendor: str, accel: str) -> None:
    config = Config.model_validate({"machine": {"cpu_vendor": vendor, "accel": accel}})
    argv = command_line(config)
    cpu = argv[argv.index("-cpu") + 1]
    assert cpu.startswith("qemu64,") and f"vendor={CPU_VENDOR_IDS[vendor]}" in cpu.split(",")
    model = ET.fromstring(domain_xml(config)).find("./cpu/model")
    assert model is not None and model.get("vendor_id") == CPU_VENDOR_IDS[vendor]
    assert model.text == "qemu64"


@pytest.mark.parametrize("vendor", ["amd", "intel"])
def test_vendor_survives_export_and_import(vendor: str) -> None:
    """libvirt XML and the QEMU command line both carry the vendor back in."""
    from tui.formats.libvirt_import import import_domain_xml
    from tui.formats.qemu import shell_command
    from tui.formats.qemu_import import import_command_line

    config = Config.model_validate({"machine": {"cpu_vendor": vendor, "accel": "kvm"}})
    assert import_domain_xml(domain_xml(config)).config.machine.cpu_vendor == vendor
    assert import_command_line(shell_command(config)).config.machine.cpu_vendor == vendor
