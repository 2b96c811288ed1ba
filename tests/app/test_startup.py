"""Start-up: the first screen loads only what it shows. Dialogs, exporters, importers, QEMU,
the advice search, lessons, sweeps and charts are imported when first used (the paste dialog's
TextArea alone cost ~20 ms of every start). Checked in a fresh interpreter running this tree."""

from __future__ import annotations

import gc
import json

import pytest

from tests.conftest import fresh_interpreter

NOT_AT_START = (
    "tui.app.screens",
    "tui.app.training",
    "tui.app.live",
    "tui.formats.registry",
    "tui.formats.toml",  # the built-in default needs no TOML (a file given does)
    "tomli_w",
    "tui.formats.export",
    "tui.formats.importing",
    "tui.formats.qemu",
    "tui.formats.libvirt",
    "tui.qemu",
    "tui.engine.advice",
    "tui.lessons",
    "tui.sweep",
    "tui.compare",
    "plotext",
    "textual_plotext",
    "textual.widgets._text_area",
    "textual.document",
)
"""Packages or modules the first screen does not need (a name covers its submodules)."""

CODE = """
import json, sys
from tui.app.app import make_app
imported = set(sys.modules)
app = make_app()
made = set(sys.modules)
def loaded(names):
    return sorted(
        m for m in names
        if any(m == p or m.startswith(p + ".") for p in json.loads(sys.argv[1]))
    )
print(json.dumps({"import": loaded(imported), "make_app": loaded(made - imported),
                  "app": "tui.app.app" in imported}))
"""


def test_the_first_screen_imports_no_dialog_exporter_or_qemu() -> None:
    found = fresh_interpreter(CODE, json.dumps(NOT_AT_START))
    assert found["app"]  # the check ran on the app's real import graph
    assert found["import"] == [], f"`import tui.app.app` pulls in {found['import']}"
    assert found["make_app"] == [], f"make_app() pulls in {found['make_app']}"


async def test_the_collector_paused_for_start_up_resumes_after_the_first_frame() -> None:
    from tui.app.app import make_app

    gc.collect()  # nothing of earlier tests is frozen below
    gc.disable()  # as the launcher does (tui.cli)
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert app._first_frame_shown
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0  # start-up's objects are not scanned again
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_launcher_pauses_the_collector_only_while_the_app_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tui.app.app
    import tui.cli

    seen: list[bool] = []

    def run_app(path: object) -> int:
        seen.append(gc.isenabled())
        raise RuntimeError("the app failed before its first frame")

    monkeypatch.setattr(tui.app.app, "run_app", run_app)
    assert gc.isenabled()
    assert tui.cli._open_app(None) != 0  # one line on stderr, no traceback
    assert seen == [False]  # paused while the app started
    assert gc.isenabled()  # and resumed although it never showed a frame


@pytest.mark.parametrize("size", [(160, 50), (80, 24)])
async def test_the_main_screen_styled_once_is_styled_as_a_full_restyle_would(
    size: tuple[int, int],
) -> None:
    """The first showing skips Textual's restyle of every node (main_screen.py): every
    node's style must be the one a full restyle gives."""
    from tui.app.app import make_app

    def styles() -> list[tuple[str, object]]:
        return [
            (repr(node), node._css_styles.get_rules())
            for node in app.screen.walk_children(with_self=True)
        ]

    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert app.screen.id == "_default" and len(styles()) > 90  # the real main screen
        first = styles()
        app.stylesheet.update(app.screen)  # what Textual would have done when it was shown
        assert styles() == first
