"""Import in the app: ctrl+o takes a libvirt XML / command line path, and a pasted one."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, TextArea

from tui.app.app import make_app
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.vhost import VhostPanel
from tui.app.screens.dialogs import MessageScreen
from tui.app.screens.open_file import OpenScreen, SaveAsScreen
from tui.app.screens.paste import PasteScreen

from .conftest import SIZE, base_config, flat, settle, shown

SAMPLES = Path(__file__).resolve().parents[1] / "formats" / "import_samples"


async def test_open_xml_then_paste_a_command_line(tmp_path: Path) -> None:
    xml = tmp_path / "vm.xml"
    xml.write_text((SAMPLES / "libvirt-virtio-mem-virtiofs.xml").read_text())
    app = make_app(base_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, OpenScreen)
        app.screen.query_one("#open-path", Input).value = str(xml)
        app.screen.query_one("#open-path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        body = flat(shown(app, app.screen.query_one("#message-body")))
        assert "libvirt domain XML" in body and "fs0.max_mem_slots = 509" in body
        await pilot.press("escape")
        await settle(pilot)
        assert "virtiomem0" in shown(app, app.query_one(MemoryPanel))
        assert "fs0" in shown(app, app.query_one(VhostPanel))
        assert app.path is None and "modified" in app.sub_title  # never saved over the XML

        # paste: ctrl+o → "Paste a command line…" (asks to discard the unsaved import first)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("y")  # discard
        await settle(pilot)
        await pilot.click("#open-paste")
        await settle(pilot)
        assert isinstance(app.screen, PasteScreen)
        app.screen.query_one("#paste-text", TextArea).text = (
            "qemu-system-x86_64 -machine q35 -accel kvm -m 2G,slots=4,maxmem=10G \\\n"
            "  -object memory-backend-ram,id=m1,size=1G -device pc-dimm,id=dimmA,memdev=m1 \\\n"
            "  -netdev tap,id=n0,vhost=on -device virtio-net-pci,netdev=n0,id=nic0 -bogus x\n"
        )
        await pilot.press("ctrl+j")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        body = flat(shown(app, app.screen.query_one("#message-body")))
        assert "-bogus" in body and "nic0.max_mem_regions = 64" in body
        await pilot.press("escape")
        await settle(pilot)
        assert "dimmA" in shown(app, app.query_one(MemoryPanel))
        assert "nic0" in shown(app, app.query_one(VhostPanel))
        await pilot.press("ctrl+s")  # an import has no file: save asks where
        await settle(pilot)
        assert isinstance(app.screen, SaveAsScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+z")  # undo goes back to the XML import
        await settle(pilot)
        assert "virtiomem0" in shown(app, app.query_one(MemoryPanel))
