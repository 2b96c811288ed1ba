"""The app's text fields: Textual's Input, with control characters made visible.

Textual draws a field's text as it is, and a terminal obeys an ESC in it: a hostile file's
title, note or file name, shown in a form, could clear the screen or set the terminal's title.
These fields draw every control character (C0, DEL, C1) as a visible stand-in of the same width
(␛ for ESC, � for C1); the value itself is unchanged. Every field of the app is made from here
or, for text boxes (only dialogs have them, loaded on first use), screens/text_area.py: a test
checks that no module takes Input or TextArea from Textual directly.
"""

from __future__ import annotations

from rich.segment import Segment
from textual import widgets
from textual.strip import Strip

from tui.formats.problems import pictured


def visible_controls(strip: Strip, width: int) -> Strip:
    """`strip` with its control characters drawn visibly, cut to `width` cells."""
    if strip.text.isprintable():
        return strip
    segments = [
        segment if segment.control else Segment(pictured(segment.text), segment.style)
        for segment in strip
    ]
    return Strip(segments).crop(0, width)


class Input(widgets.Input):
    """Textual's Input, drawing control characters visibly."""

    def render_line(self, y: int) -> Strip:
        """Textual's line, with control characters replaced (see the module)."""
        return visible_controls(super().render_line(y), self.size.width)
