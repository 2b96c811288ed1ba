"""What keeps an edit cheap at 1,000 devices, seen on screen: tables update their rows in
place (never cleared and refilled), the headroom keeps its lines while fixes are computed,
warnings are bounded, and the collector does not rescan what start-up made."""

from __future__ import annotations

import gc
import random
import re

from rich.cells import cell_len
from rich.style import Style
from textual.app import App, ComposeResult

from tui.app import edits
from tui.app.app import make_app
from tui.app.messages import MachineFieldEdited
from tui.app.panels.base import Styled, row_key, sync_table
from tui.app.panels.machine import MachinePanel
from tui.app.panels.memory import MemoryPanel
from tui.app.panels.suggestions import MAX_WARNINGS, SuggestionsPanel
from tui.app.panels.table import MemslotTable
from tui.app.panels.timeline import TimelinePanel
from tui.engine.model import Config

from .conftest import SIZE, advised, order_config, screen_lines, settle, shown


def dimms(count: int) -> Config:
    """`count` 1G DIMMs (dimm0, dimm1, …) on a machine with 8 DIMM slots."""
    memory = [{"kind": "pc-dimm", "id": f"dimm{i}", "size": "1G"} for i in range(count)]
    return Config.model_validate(
        {"machine": {"ram": "4G", "maxmem": "68G", "slots": 8}, "memory_devices": memory}
    )


async def test_an_edit_updates_the_timeline_rows_in_place() -> None:
    app = make_app(order_config(vhost_first=True))
    async with app.run_test(size=SIZE) as pilot:
        timeline = app.query_one(TimelinePanel)
        table = timeline.table
        rows = dict(table.rows)
        assert re.search(r"2\s+hotplug\s+vmem0\s+✓ limit 1 · 1 ", shown(app, timeline))
        # the virtiofsd's limit 32 → 509: virtio-mem may decide more than one memslot now
        fs0 = app.config.device("fs0").model_dump() | {"max_mem_slots": 509}
        app.commit(edits.replace_device(app.config, "vhost", "fs0", fs0), "fs0 limit 509")
        await settle(pilot)
        text = shown(app, timeline)
        assert re.search(r"2\s+hotplug\s+vmem0\s+✓ limit \d+ · \d+ ", text), text
        assert not re.search(r"2\s+hotplug\s+vmem0\s+✓ limit 1 · 1 ", text), text
        assert all(table.rows[key] is row for key, row in rows.items())  # same rows, new cells

        # a move swaps two rows' cells; the rows stay
        table.focus()
        await pilot.press("J")
        await settle(pilot)
        text = shown(app, timeline)
        assert re.search(r"1\s+hotplug\s+vmem0\s+✓", text), text
        assert re.search(r"2\s+hotplug\s+fs0\s+✓", text), text
        assert all(table.rows[key] is row for key, row in rows.items())
        assert timeline.cursor == 1


async def test_a_device_list_updates_its_rows_in_place() -> None:
    """Remove a device, undo, duplicate: the rows are shifted, never cleared and re-added."""
    app = make_app(dimms(4))
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(MemoryPanel)
        table = panel.table
        first = table.rows[next(iter(table.rows))]
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("d")  # remove dimm1
        await settle(pilot)
        ids = ["dimm0", "dimm2", "dimm3"]
        assert [row_key(table, i) for i in range(table.row_count)] == ids
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ids
        assert panel.selected == "dimm2"  # the cursor stays on row 2: the next device
        await pilot.press("ctrl+z")
        await settle(pilot)  # dimm1 back between its neighbours: rows shifted, not rebuilt
        ids = ["dimm0", "dimm1", "dimm2", "dimm3"]
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ids
        assert table.rows[next(iter(table.rows))] is first
        assert "dimm1" in shown(app, panel)
        table.move_cursor(row=2)
        await pilot.press("c")  # duplicate dimm2: the copy is appended and highlighted
        await settle(pilot)
        assert table.row_count == 5 and panel.selected == str(table.get_row_at(4)[0])
        assert table.rows[next(iter(table.rows))] is first


async def test_the_headroom_keeps_its_lines_while_fixes_are_computed() -> None:
    app = make_app(order_config(vhost_first=True))
    async with app.run_test(size=SIZE) as pilot:
        await advised(pilot)
        headroom = app.query_one("#headroom")
        lines = headroom.size.height
        assert "Headroom:" in shown(app, headroom) and lines >= 1
        app.advisor.cancel()
        app._first_frame_shown = False  # hold the advisor back: the pending state stays
        app.query_one(MachinePanel).post_message(MachineFieldEdited("kvm_memslots", "600", True))
        await settle(pilot)
        assert app.config.machine.kvm_memslots == 600
        assert shown(app, headroom).split("\n")[0].strip() == "Headroom: …"
        assert headroom.size.height == lines


async def test_warnings_are_listed_up_to_a_bound() -> None:
    """A failed start warns on every later event ("never reached"): the list stays short."""
    app = make_app(dimms(40))  # 32 more than its slots
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        report = app.report
        assert report is not None
        warned = sum(len(e.warnings) for e in report.events)
        assert warned > MAX_WARNINGS
        panel = app.query_one(SuggestionsPanel)
        prompts = [str(panel.options.get_option_at_index(i).prompt)
                   for i in range(panel.options.option_count)]  # fmt: skip
        assert sum(p.startswith("⚠") for p in prompts) == MAX_WARNINGS
        more = [p for p in prompts if "more warning" in p]
        assert more and more[0].startswith("… and ") and "(see the Timeline)" in more[0]


async def test_start_up_objects_are_frozen_until_the_app_ends() -> None:
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


async def test_sync_table_shows_exactly_the_rows_it_is_given() -> None:
    """Random edits of a table's rows (cells changed, rows removed, appended, reordered,
    styled or not): after each sync the table holds those rows, in that order, and every
    column is as wide as its widest cell."""
    rng = random.Random(8)
    error = Style(color="red")
    words = ["a", "bb", "✗ rejected", "[/]", ":smile:", "dimm12", "", "limit 256 · 64 memslots"]

    def cell() -> object:
        word = rng.choice(words)
        return Styled(word, error) if rng.random() < 0.3 else word

    class One(App[None]):
        def compose(self) -> ComposeResult:
            table = MemslotTable()
            table.add_columns("id", "x", "y")
            yield table

    app = One()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(MemslotTable)
        rows: list[tuple[str, tuple[object, ...]]] = []
        serial = 0
        for _ in range(150):
            action = rng.choice(["cells", "remove", "append", "shuffle", "cells"])
            if action == "append" or not rows:
                for _ in range(rng.randint(1, 3)):
                    serial += 1
                    rows.append((f"k{serial}", (f"k{serial}", cell(), cell())))
            elif action == "remove":
                del rows[rng.randrange(len(rows))]
            elif action == "shuffle":
                rng.shuffle(rows)
            else:
                i = rng.randrange(len(rows))
                key, cells = rows[i]
                rows[i] = (key, (cells[0], cell(), cell()))
            sync_table(table, list(rows))
            await settle(pilot)
            assert [row_key(table, i) for i in range(table.row_count)] == [k for k, _ in rows]
            for index, (_key, cells) in enumerate(rows):
                shown_cells = [getattr(c, "plain", c) for c in table.get_row_at(index)]
                expected = [c.text if isinstance(c, Styled) else c for c in cells]
                assert shown_cells == expected
            for number, column in enumerate(table.columns.values()):
                texts = [cells[number] for _, cells in rows]
                widest = max(
                    [len(column.label.plain), *(cell_len(getattr(t, "text", t)) for t in texts)]
                )
                assert column.content_width == widest


async def test_the_header_follows_the_modified_mark() -> None:
    """The sub-title repaints the Header only (not the whole screen), and it does repaint."""
    app = make_app(order_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "modified" not in screen_lines(app)[0]
        app.query_one(MachinePanel).post_message(MachineFieldEdited("kvm_memslots", "600", True))
        await settle(pilot)
        assert "• modified" in screen_lines(app)[0]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert "modified" not in screen_lines(app)[0]
