"""MemslotTable draws plain cells itself (fast after an edit at 1,000 devices): what it draws
must be exactly what DataTable would have drawn through Rich, cell by cell and on screen."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.renderables.styled import Styled
from textual.widgets import DataTable
from textual.widgets._data_table import default_cell_formatter

from tui.app.panels.table import MemslotTable, plain_cell

from .conftest import settle

CONSOLE = Console(width=200, color_system="truecolor")
STYLES = [
    Style.null(),
    Style(color="red"),
    Style(bgcolor="blue", bold=True),
    Style(dim=True, italic=True),
    Style.from_meta({"row": 4, "column": 1}),
]
CHARACTERS = "ab z-9.·~✓✗—界é\u0301\t\x1b[]:"


def rich_cell(value: object, width: int, padding: int, pre: Style, post: Style) -> object:
    """What DataTable 8.2.8 renders for a one-line cell (its own pipeline, spelled out)."""
    options = CONSOLE.options.update_dimensions(width, 1).update(no_wrap=True)
    cell = default_cell_formatter(value, wrap=False, height=1)
    return CONSOLE.render_lines(
        Styled(Padding(cell, (0, padding)), pre_style=pre, post_style=post), options
    )


values = st.one_of(
    st.text(alphabet=CHARACTERS, max_size=10),
    st.builds(
        Text, st.text(alphabet=CHARACTERS, max_size=10), style=st.sampled_from([*STYLES, ""])
    ),
    st.builds(Text, st.text(alphabet=CHARACTERS, max_size=6), justify=st.sampled_from(["right"])),
)


@settings(max_examples=600, deadline=None)
@given(
    value=values,
    width=st.integers(0, 14),
    padding=st.integers(0, 2),
    pre=st.sampled_from(STYLES),
    post=st.sampled_from(STYLES),
)
def test_a_plain_cell_is_drawn_as_rich_draws_it(
    value: object, width: int, padding: int, pre: Style, post: Style
) -> None:
    drawn = plain_cell(value, width, padding, pre, post)
    if drawn is not None:
        assert drawn == rich_cell(value, width, padding, pre, post)


def test_the_usual_cells_take_the_fast_path() -> None:
    """Ids, sizes, outcomes with ✓/✗/—, and styled errors: what an edit redraws."""
    meta = Style.from_meta({"row": 0, "column": 0})  # a table's cells always carry it
    for value in ("vmem12", "1 GiB", "✓ 1 memslot", "—", "", Text("✗ refused", Style(color="red"))):
        assert plain_cell(value, 16, 1, meta, Style.null()) is not None
    for value in ("[b]x[/b]", ":smile:", "界界", "a\tb", Text("x", justify="right"), "too wide"):
        assert plain_cell(value, 6, 1, meta, Style.null()) is None


ROWS = [
    ("0", "cold", "vmem0", "✓ limit 1 · 1 memslot", "1 GiB"),
    ("1", "hotplug", Text("[/]"), "✗ refused", ""),
    ("2", "hotplug", ":smile:", "—", "512 MiB"),
    ("3", "unplug", "界面", "a very long outcome text that is cut", "2 GiB"),
    ("4", "cold", "é\u0301x", Text("styled", Style(color="red")), "4 GiB"),
]


async def test_a_memslot_table_shows_what_a_data_table_shows() -> None:
    """Same columns, rows and cursor: every line (text, styles, row/column meta) is equal,
    with the cursor on a row and after the cursor moves."""

    class Both(App[None]):
        def compose(self) -> ComposeResult:
            for table in (MemslotTable(cursor_type="row"), DataTable(cursor_type="row")):
                table.add_columns("#", "action", "device", "outcome", "size")
                for row in ROWS:
                    table.add_row(*row)
                table.styles.height = 8
                table.styles.width = 60
                yield table

    app = Both()
    async with app.run_test(size=(80, 20)) as pilot:
        await settle(pilot)
        ours, stock = app.query_one(MemslotTable), app.query(DataTable).last()
        for row in (0, 3, 4):
            lines = []
            for table in (ours, stock):  # each drawn with the focus (it styles the cursor)
                table.move_cursor(row=row)
                table.focus()
                await settle(pilot)
                lines.append(table.render_lines(Region(0, 0, *table.size)))
            ours_lines, stock_lines = lines
            assert [line.text for line in ours_lines] == [line.text for line in stock_lines]
            assert [list(line) for line in ours_lines] == [list(line) for line in stock_lines]
        assert "✓ limit 1 · 1 memslot" in ours_lines[1].text  # the fast path was on screen
