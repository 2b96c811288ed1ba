"""The dialogs' text boxes: Textual's TextArea drawing control characters visibly.

Kept out of fields.py: TextArea and its document model cost ~20 ms to import, and no widget
of the first screen needs them (see fields.py for why control characters are replaced).
"""

from __future__ import annotations

from textual import widgets
from textual.strip import Strip

from ..fields import visible_controls


class TextArea(widgets.TextArea):
    """Textual's TextArea, drawing control characters visibly."""

    def render_line(self, y: int) -> Strip:
        """Textual's line, with control characters replaced (see fields.py)."""
        return visible_controls(super().render_line(y), self.size.width)
