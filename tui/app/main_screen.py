"""The screen the app opens on, styled once.

Textual restyles every node of a screen each time the screen is shown, because styles may have
changed while it was hidden (a theme, classes of the app). When the main screen is first shown
nothing can have changed: each of its ~100 widgets was styled moments before, as it mounted,
and any later change of class, theme or stylesheet restyled what it touched. That first,
redundant pass was ~50 ms of start-up; later showings (after a dialog) restyle as usual.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen


class MainScreen(Screen[None]):
    """The app's default screen: the panels are composed into it (App.compose)."""

    def __init__(self) -> None:
        super().__init__(id="_default")  # the id Textual gives its own default screen
        self._shown = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Runs before Textual's own handler (subclass first), which reads the flag."""
        if not self._shown:
            self._shown = True
            event.refresh_styles = False
