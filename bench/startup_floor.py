"""Textual's own floor for memslot-explorer's first screen: the same widget tree, without us.

`describe` walks the real first screen (after its first frame) and writes down what was
composed: each widget as its nearest Textual class (our panels are Verticals, our table a
DataTable), its text, a table's columns and rows, a select's options. `floor_app` builds an
app that composes exactly that tree from Textual's widgets alone: no pydantic, no engine, no
stylesheet of ours, no replay. How long it takes to its first frame is what Textual itself
needs to show a screen like ours — the part of our start-up no change of ours can remove.

This module imports nothing of memslot-explorer's when it builds the floor app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.widget import Widget

CONTAINERS = ("Horizontal", "Vertical", "VerticalScroll", "HorizontalScroll", "Grid", "Container")
LEAVES = (
    "Header",
    "Footer",
    "Button",
    "Checkbox",
    "Input",
    "Select",
    "DataTable",
    "Label",
    "Static",
)
"""The Textual classes a screen is composed of; a leaf's own children (a Select's overlay, a
Header's clock) are its own business, made again by the leaf."""


def _textual_class(widget: Widget) -> str | None:
    for cls in type(widget).__mro__:
        if cls.__module__.startswith("textual.") and cls.__name__ in CONTAINERS + LEAVES:
            return cls.__name__
    return None


def describe(widget: Widget) -> list[dict[str, Any]]:
    """The composed children of `widget` (a screen), as plain data."""
    out: list[dict[str, Any]] = []
    for child in widget.children:
        kind = _textual_class(child)
        if kind is None:
            continue
        node: dict[str, Any] = {"kind": kind}
        if kind in CONTAINERS:
            node["children"] = describe(child)
        elif kind in ("Button", "Checkbox"):
            node["text"] = str(child.label)  # type: ignore[attr-defined]
        elif kind in ("Label", "Static"):
            node["text"] = str(child.render())
        elif kind == "Input":
            node["text"] = child.value  # type: ignore[attr-defined]
        elif kind == "Select":
            node["options"] = len(child._options)  # type: ignore[attr-defined]
        elif kind == "DataTable":
            node["columns"] = [str(c.label) for c in child.columns.values()]  # type: ignore[attr-defined]
            node["rows"] = [
                [str(getattr(cell, "plain", cell)) for cell in child.get_row_at(i)]  # type: ignore[attr-defined]
                for i in range(child.row_count)  # type: ignore[attr-defined]
            ]
        out.append(node)
    return out


def _build(nodes: list[dict[str, Any]]) -> ComposeResult:
    from textual import containers, widgets

    for node in nodes:
        kind = node["kind"]
        if kind in CONTAINERS:
            with getattr(containers, kind)():
                yield from _build(node["children"])
        elif kind in ("Header", "Footer"):
            yield getattr(widgets, kind)()
        elif kind == "Button":
            yield widgets.Button(node["text"])
        elif kind == "Checkbox":
            yield widgets.Checkbox(node["text"], True)
        elif kind in ("Label", "Static"):
            yield getattr(widgets, kind)(node["text"], markup=False)
        elif kind == "Input":
            yield widgets.Input(value=node["text"])
        elif kind == "Select":
            options = [(f"option {n}", n) for n in range(max(node["options"] - 1, 1))]
            yield widgets.Select(options, value=0)
        elif kind == "DataTable":
            table: widgets.DataTable[str] = widgets.DataTable(cursor_type="row")
            table.add_columns(*node["columns"])
            table.add_rows(node["rows"])
            yield table


class FloorApp(App[None]):
    """The described tree, from Textual's widgets alone."""

    def __init__(self, tree: list[dict[str, Any]]) -> None:
        super().__init__()
        self.described = tree

    def compose(self) -> ComposeResult:
        yield from _build(self.described)


def floor_app(path: str) -> FloorApp:
    """The floor app for the tree `describe` wrote to `path` (JSON)."""
    return FloorApp(json.loads(Path(path).read_text()))
