"""The app's file flows: open (off the UI thread), save, save as, export to a file, and the
rules for shipped presets — kept out of the App class, which only wires keys to them.

Every write goes through the one atomic writer (tui.fileio); every read refuses what is not a
regular file, so neither a FIFO nor a huge file can freeze the app. A shipped preset is
read-only: saving it asks for a new name in the user preset directory, with its title and
description to edit and a choice for `[expect]` (record the engine's current outcomes, keep,
or drop it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.engine import replay
from tui.engine.expect import record_expectation
from tui.engine.model import Config

from . import integrations
from .history import Document, saved_as
from .view import plain

if TYPE_CHECKING:
    from .app import MemslotApp
    from .screens.save_preset import PresetSaveRequest

# The dialogs are imported when a flow first opens one: none is on the first screen, and the
# paste dialog's TextArea alone costs ~20 ms of start-up.


def describe_load_error(error: Any) -> str:
    """File, then every problem as the CLI prints it (FIELD: REASON; plain text, escaped)."""
    from tui.formats.problems import format_problem, printable

    file = getattr(error, "file", "")
    problems = getattr(error, "problems", None) or [
        (getattr(error, "field", ""), getattr(error, "reason", str(error)))
    ]
    lines = [f"file: {printable(file)}", "", *(format_problem(p) for p in problems), ""]
    lines.append("The app keeps the configuration it had.")
    return "\n".join(lines)


def is_shipped(path: Path) -> bool:
    """A preset that ships with memslot-explorer (read-only)."""
    return bool(integrations.presets().is_shipped(path))


class FileFlows:
    """Open/save/export flows of one app; the app's state changes only through
    `app.restore` and `app.record`, so undo/redo see every change of file."""

    def __init__(self, app: MemslotApp) -> None:
        self.app = app
        self.generation = 0
        """Bumped per open request: a slow load finishing after a newer one is dropped."""

    # ------------------------------------------------------------------ open

    def apply_loaded(self, path: Path, config: Config) -> None:
        """Make a freshly read file current (undoable: undo brings back the previous file)."""
        app = self.app
        app.stop_live()  # a file replaces the live VM: stop following it
        app.record()
        app.selected_event = None
        app.restore(Document(config, path, config, read_only=is_shipped(path)))
        app.set_status(f"✓ opened {path}")

    def load(self, path: Path) -> bool:
        """Read, validate and open `path` now (a file that is not .toml is imported as a QEMU
        command line or libvirt XML); on failure show why and keep the config."""
        return self._apply(path, self._read(path))

    @staticmethod
    def _read(path: Path) -> Config | Exception | tuple[str]:
        """A TOML file's Config, an import source's text (1-tuple), or the ConfigError."""
        toml = integrations.toml()
        try:
            if path.suffix.lower() != ".toml":
                return (integrations.importing().read_source(path),)
            return toml.load(path)  # type: ignore[no-any-return]
        except toml.ConfigError as exc:
            return exc

    def _apply(self, path: Path, result: Config | Exception | tuple[str]) -> bool:
        if isinstance(result, Exception):
            self.show_load_error(result)
            return False
        if isinstance(result, tuple):
            return bool(self.app.open_import(result[0], str(path)))
        self.apply_loaded(path, result)
        return True

    def load_in_background(self, path: Path) -> None:
        """Read and validate in a worker thread (a slow disk or a huge file never freezes the
        UI); the result is applied on the UI thread unless a newer open superseded it."""
        self.generation += 1
        generation = self.generation
        app = self.app
        app.set_status(f"opening {path}…")

        def work() -> None:
            app.call_from_thread(self._loaded, generation, path, self._read(path))

        app.run_worker(work, thread=True, group="load", description=f"open {path}")

    def _loaded(self, generation: int, path: Path, result: Config | Exception | tuple[str]) -> None:
        if generation == self.generation:
            self._apply(path, result)

    def show_load_error(self, error: Any) -> None:
        """The current config stays; a dialog names file, field and reason."""
        from .screens.dialogs import MessageScreen

        self.app.set_status(f"✗ could not load {getattr(error, 'file', '')}", error=True)
        self.app.push_screen(
            MessageScreen("Could not load the configuration", describe_load_error(error), True)
        )

    def open(self) -> None:
        """Pick a preset, a lesson or a path (asks first when there are unsaved changes)."""
        from . import training
        from .screens.dialogs import ConfirmScreen
        from .screens.open_file import PASTE, OpenScreen
        from .screens.paste import PasteScreen

        app = self.app
        items = training.library()

        def opened(path: Path | str | None) -> None:
            if path == PASTE:  # (unsaved changes were asked about already)

                def pasted(text: str | None) -> None:
                    if text:
                        app.open_import(text, "pasted text")

                app.push_screen(PasteScreen(), pasted)
            elif isinstance(path, Path) and training.is_lesson(path):  # lesson mode
                training.open_lesson(app, path)
            elif isinstance(path, Path):  # a TOML file or an import, read in a worker
                self.load_in_background(path)

        def open_screen(ok: bool | None = True) -> None:
            if ok:
                app.push_screen(OpenScreen(items, training.preview), opened)

        if app.dirty:
            app.push_screen(
                ConfirmScreen("Discard unsaved changes and open another file?", yes="Discard"),
                open_screen,
            )
        else:
            open_screen()

    # ------------------------------------------------------------------ save

    def write_config(self, path: Path) -> bool:
        """Save the current config to `path` (atomic); it becomes the save target."""
        app = self.app
        if is_shipped(path):
            app.set_status(
                f"✗ {path} is a shipped preset (read-only): save under another name", error=True
            )
            return False
        toml = integrations.toml()
        try:
            toml.save(app.config, path)
        except toml.ConfigError as exc:
            app.set_status(f"✗ could not save {exc}", error=True)
            return False
        app.history.rewrite(saved_as(path, app.config))
        app.restore(Document(app.config, path, app.config))
        app.set_status(f"✓ saved {path}")
        app.notify(f"Saved {plain(str(path))}", markup=False)
        return True

    def save(self) -> None:
        """Save to the current file; ask for one when there is none or it is read-only."""
        app = self.app
        if app.path is None:
            self.save_as()
        elif app.read_only:
            self.save_preset_as()
        else:
            self.write_config(app.path)

    def save_as(self) -> None:
        """Ask for a path; confirm before overwriting another file."""
        app = self.app
        if app.read_only:
            self.save_preset_as()
            return
        suggested = str(app.path) if app.path else "memslots.toml"
        self.ask_path(suggested, self.write_config)

    def ask_path(
        self,
        suggested: str,
        write: Callable[[Path], object],
        what: str = "the configuration as TOML",
    ) -> None:
        """Save-as dialog, then an overwrite confirmation when the file exists."""
        from .screens.dialogs import ConfirmScreen
        from .screens.open_file import SaveAsScreen

        app = self.app

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            if path.exists() and path != app.path:

                def answered(ok: bool | None) -> None:
                    if ok:
                        write(path)
                    else:
                        app.set_status("not saved")

                app.push_screen(
                    ConfirmScreen(f"{path} exists. Overwrite it?", yes="Overwrite"), answered
                )
            else:
                write(path)

        app.push_screen(SaveAsScreen(suggested, what), chosen)

    # ------------------------------------------------------------------ presets

    def save_preset_as(self) -> None:
        """A shipped preset: new name in the user preset dir, title, description, [expect]."""
        from .screens.dialogs import ConfirmScreen
        from .screens.save_preset import SavePresetScreen

        app = self.app
        directory = integrations.presets().user_preset_dir()
        stem = app.path.stem if app.path else "preset"
        config = app.config

        def chosen(request: PresetSaveRequest | None) -> None:
            if request is None:
                app.set_status("not saved")
                return
            new = self.preset_config(config, request)

            def write(path: Path) -> None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    app.set_status(f"✗ could not create {path.parent}: {exc.strerror}", True)
                    return
                if new != app.config:
                    app.commit(new, "title, description and [expect] of the saved preset")
                self.write_config(path)

            if request.path.exists():

                def answered(ok: bool | None) -> None:
                    if ok:
                        write(request.path)
                    else:
                        app.set_status("not saved")

                app.push_screen(
                    ConfirmScreen(f"{request.path} exists. Overwrite it?", yes="Overwrite"),
                    answered,
                )
            else:
                write(request.path)

        app.push_screen(
            SavePresetScreen(
                path=str(directory / f"{stem}.toml"),
                title=config.title,
                description=config.description,
                has_expect=config.expect is not None,
            ),
            chosen,
        )

    @staticmethod
    def preset_config(config: Config, request: PresetSaveRequest) -> Config:
        """The configuration as saved: new title and description, `[expect]` recorded from the
        engine's replay, kept, or dropped."""
        if request.expect == "record":
            expect = record_expectation(config, replay(config))
        elif request.expect == "drop":
            expect = None
        else:
            expect = config.expect
        return config.model_copy(
            update={"title": request.title, "description": request.description, "expect": expect}
        )

    # ------------------------------------------------------------------ export

    def write_export(self, path: Path, text: str) -> bool:
        """An export (command line, QMP, XML) through the same atomic writer as Save."""
        from tui.fileio import FileAccessError, write_text

        try:
            write_text(path, text)
        except FileAccessError as exc:
            self.app.set_status(f"✗ could not write {exc}", error=True)
            return False
        self.app.set_status(f"✓ exported {path}")
        return True


def new_file_document(config: Config, path: Path) -> Document:
    """`memslot-explorer new.toml` for a path that does not exist yet: a new configuration
    whose save target is that path (unsaved until ctrl+s)."""
    return Document(config, path, None)
