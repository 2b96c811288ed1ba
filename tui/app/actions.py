"""Every key and palette action of the app, declared once.

A row names the action's id (the binding id a key map can remap), its keys, the Textual
action it runs, where it applies, a short description (footer) and a help line (tooltip, F1
key list, palette, README). The widgets' BINDINGS, the command palette and the README key
table are derived from this table, so a key cannot be documented in one place and bound
differently in another. Rows with `bound=False` are Textual's own keys, listed so the README
table is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding, BindingType

Scope = Literal[
    "app",
    "devices",
    "timeline",
    "suggestions",
    "lists",
    "machine",
    "form",
    "export",
    "confirm",
    "message",
    "dialogs",
    "views",
    "lesson",
    "paste",
]

WHERE: dict[Scope, str] = {
    "app": "everywhere",
    "lists": "lists, timeline",
    "devices": "device lists",
    "timeline": "timeline",
    "suggestions": "suggestions",
    "machine": "machine fields",
    "form": "device form",
    "export": "export preview",
    "confirm": "questions",
    "message": "messages",
    "dialogs": "dialogs",
    "views": "compare, sweep",
    "lesson": "lesson mode",
    "paste": "paste dialog",
}
"""The README's "Where" column per scope."""


@dataclass(frozen=True, slots=True)
class Action:
    """One user action: its keys, what it runs, where, and how it is described."""

    id: str
    keys: str
    """Textual key list ("a,insert"); "" for a palette-only action."""
    action: str
    """Textual action string run on the scope's widget ("move(-1)")."""
    scope: Scope
    description: str
    """Footer label."""
    help: str
    """One line: tooltip, F1 key list, palette help and the README."""
    palette: str | None = None
    """Palette title ("{what}" is the device group for `devices`); None: not in the palette."""
    show: bool = True
    priority: bool = False
    bound: bool = True
    """False: a key Textual itself handles (documented, not bound here)."""


ACTIONS: tuple[Action, ...] = (
    Action(
        "focus_next",
        "tab,shift+tab",
        "",
        "app",
        "Next field",
        "next / previous panel or field",
        bound=False,
    ),
    Action(
        "cursor",
        "up,down",
        "",
        "lists",
        "Move",
        "move the highlight; Explain follows the timeline",
        bound=False,
    ),
    Action(
        "cursor_down", "j", "cursor_down", "lists", "Down", "move the highlight down", show=False
    ),
    Action("cursor_up", "k", "cursor_up", "lists", "Up", "move the highlight up", show=False),
    Action("first_row", "home", "first_row", "lists", "First", "highlight row 1", show=False),
    Action("last_row", "end", "last_row", "lists", "Last", "highlight the last row", show=False),
    Action(
        "device_add",
        "a,insert",
        "add",
        "devices",
        "Add",
        "add (a form per kind, vhost catalog: vhost-net 64 / 509, vhost-user without "
        "CONFIGURE_MEM_SLOTS = 8, virtiofsd before 2024 = 32, virtiofsd / "
        "qemu-storage-daemon = 509, vhost-vdpa)",
    ),
    Action(
        "device_edit",
        "e",
        "edit",
        "devices",
        "Edit",
        "edit the highlighted device (enter works too)",
        palette="Edit selected {what}",
    ),
    Action(
        "device_duplicate",
        "c",
        "duplicate",
        "devices",
        "Duplicate",
        "duplicate (new id, plugged the same way; the copy is selected)",
        palette="Duplicate selected {what}",
    ),
    Action(
        "device_remove",
        "d,delete",
        "remove",
        "devices",
        "Remove",
        "remove the highlighted device and its events",
        palette="Remove selected {what}",
    ),
    Action(
        "event_up",
        "K,shift+up",
        "move(-1)",
        "timeline",
        "Up",
        "move the event earlier",
        palette="Timeline: move event up",
    ),
    Action(
        "event_down",
        "J,shift+down",
        "move(1)",
        "timeline",
        "Down",
        "move the event later",
        palette="Timeline: move event down",
    ),
    Action(
        "event_insert",
        "i,insert",
        "insert",
        "timeline",
        "Insert",
        "insert a hotplug, unplug, resize or cold plug after the highlight",
        palette="Timeline: insert hotplug",
    ),
    Action(
        "event_insert_unplug",
        "",
        "insert_event('unplug')",
        "app",
        "Insert unplug",
        "insert a device_del after the highlighted event",
        palette="Timeline: insert unplug",
    ),
    Action(
        "event_insert_resize",
        "",
        "insert_event('resize')",
        "app",
        "Insert resize",
        "insert a qom-set requested-size after the highlighted event",
        palette="Timeline: insert resize",
    ),
    Action(
        "event_insert_restart",
        "",
        "insert_event('disconnect')",
        "app",
        "Insert back-end restart",
        "insert a vhost-user back-end disconnect (then a reconnect, maybe with another limit)",
        palette="Timeline: insert back-end restart",
    ),
    Action(
        "event_toggle",
        "t",
        "toggle_plug",
        "timeline",
        "Cold⇄hot",
        "switch between cold plug (command line) and hotplug",
        palette="Timeline: switch cold plug / hotplug",
    ),
    Action(
        "event_remove",
        "d,delete",
        "remove",
        "timeline",
        "Remove",
        "remove the event (the device stays)",
        palette="Timeline: remove event",
    ),
    Action(
        "fix_apply",
        "f",
        "apply",
        "suggestions",
        "Apply fix",
        "apply the highlighted fix (enter works too; undoable)",
        palette="Apply highlighted fix",
    ),
    Action(
        "machine_apply",
        "enter",
        "",
        "machine",
        "Apply",
        "apply the value (leaving the field applies it too)",
        bound=False,
    ),
    Action(
        "maximize",
        "m",
        "maximize",
        "app",
        "Maximize",
        "maximize the focused panel, or restore it (escape restores too)",
        palette="Maximize or restore the focused panel",
        show=False,
    ),
    Action(
        "use_host",
        "",
        "use_host",
        "app",
        "Use this host",
        "KVM memslots, THP size, CPU vendor, QEMU version, vhost regions of this machine "
        "(one undoable edit)",
        palette="Use this host's facts",
    ),
    Action("help", "f1", "help", "app", "Help", "help for the focused panel", palette="Help"),
    Action("undo", "ctrl+z", "undo", "app", "Undo", "undo the last change", palette="Undo"),
    Action("redo", "ctrl+y", "redo", "app", "Redo", "redo", palette="Redo", show=False),
    Action(
        "open",
        "ctrl+o",
        "open",
        "app",
        "Open",
        "open a preset or a TOML file, or import a QEMU command line / libvirt XML (file or "
        "pasted)",
        palette="Open preset or file…",
    ),
    Action(
        "paste_import",
        "",
        "paste_import",
        "app",
        "Paste",
        "import a pasted QEMU command line or libvirt XML as a new configuration",
        palette="Import: paste a QEMU command line or libvirt XML…",
    ),
    Action(
        "save",
        "ctrl+s",
        "save",
        "app",
        "Save",
        "save (atomic; asks for a path the first time)",
        palette="Save",
    ),
    Action(
        "save_as",
        "f2",
        "save_as",
        "app",
        "Save as",
        "save as (confirms before overwriting)",
        palette="Save as…",
    ),
    Action(
        "export",
        "ctrl+e",
        "export",
        "app",
        "Export",
        "read-only preview in every export format (**c** copies, **s** saves)",
        palette="Preview TOML (read-only)",
    ),
    Action(
        "copy_toml",
        "",
        "copy_toml",
        "app",
        "Copy TOML",
        "copy the TOML to the clipboard (OSC 52: the terminal must allow it)",
        palette="Copy TOML to clipboard",
    ),
    Action(
        "verify",
        "f5",
        "verify",
        "app",
        "Verify",
        "verify in a real QEMU (disabled, with the reason, when none is found)",
        palette="Verify in QEMU",
    ),
    Action(
        "live_open",
        "",
        "live_open",
        "app",
        "Follow VM",
        "follow a running VM read-only: asks for unix:PATH (its QMP socket) or virsh:DOMAIN",
        palette="Live: follow a running VM…",
    ),
    Action(
        "live_refresh",
        "ctrl+r",
        "live_refresh",
        "app",
        "Refresh VM",
        "live mode: read the running VM again (inspect --qmp unix:PATH --app)",
        palette="Live: read the VM again",
        show=False,
    ),
    Action(
        "screenshot",
        "",
        "screenshot",
        "app",
        "Screenshot",
        "save an SVG screenshot in the current directory (says where, or why not)",
        palette="Screenshot",
    ),
    Action(
        "palette",
        "ctrl+p",
        "",
        "app",
        "Palette",
        "command palette: every action above, add-by-kind, exports, focus a panel, theme",
        bound=False,
    ),
    Action(
        "quit",
        "ctrl+q",
        "quit",
        "app",
        "Quit",
        "quit (asks first when there are unsaved changes)",
        priority=True,
        show=False,  # Textual's usual quit key; the footer keeps room for f2, ctrl+e, f5
    ),
    Action("form_ok", "ctrl+s", "ok", "form", "OK", "apply the form", priority=True),
    Action("export_copy", "c", "copy", "export", "Copy", "copy the previewed text"),
    Action("export_save", "s", "save", "export", "Save to file…", "save the previewed text"),
    Action("confirm_yes", "y", "answer(True)", "confirm", "Yes", "answer yes"),
    Action("confirm_no", "escape,n", "answer(False)", "confirm", "No", "answer no"),
    Action("message_close", "escape,enter", "close", "message", "Close", "close the message"),
    Action("export_close", "escape", "close", "export", "Close", "close the preview"),
    Action("dialog_cancel", "escape", "cancel", "dialogs", "Cancel", "cancel a form or picker"),
    Action(
        "paste_ok",
        "ctrl+j",
        "import",
        "paste",
        "Import",
        "import the pasted text",
        show=False,
    ),
    Action("view_close", "escape", "close", "views", "Close", "close the comparison or sweep"),
    Action(
        "lesson_check",
        "enter",
        "check",
        "lesson",
        "check",
        "check the answer: the engine's answer, QEMU's verdict, the derivation",
        bound=False,
    ),
    Action("lesson_next", "ctrl+n", "next", "lesson", "next", "next step"),
    Action("lesson_previous", "ctrl+b", "previous", "lesson", "previous", "previous step"),
    Action("lesson_restart", "ctrl+r", "restart", "lesson", "restart", "start the lesson again"),
    Action("lesson_markdown", "ctrl+t", "markdown", "lesson", "Markdown", "save as Markdown"),
    Action(
        "lesson_explore",
        "ctrl+g",
        "explore",
        "lesson",
        "explore",
        "close the lesson and open this step's configuration in the explorer (unsaved; undo "
        "brings back what was there)",
    ),
    Action("lesson_close", "escape", "close", "lesson", "close", "close the lesson"),
)

BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}
"""Actions by id (ids are unique: a test checks it)."""


def binding_ids() -> set[str]:
    """Every id a settings file's [keys] may remap: the actions bound here, in any scope
    (dialogs and lesson mode too, not only the main screen's)."""
    return {a.id for a in ACTIONS if a.bound and a.keys}


MAIN_SCREEN: frozenset[Scope] = frozenset(
    {"app", "lists", "timeline", "devices", "suggestions", "machine"}
)
"""Scopes of the main screen. A dialog's scope shadows "app" keys only while it is open, by
design (the device form's ctrl+s is OK, not save)."""
SHARED_FOCUS: frozenset[frozenset[Scope]] = frozenset(
    {frozenset({"lists", "timeline"}), frozenset({"lists", "devices"})}
)
"""Main-screen scopes live at once besides "app" (live on the whole main screen): a focused
list is inside its Timeline or device list panel."""


def _live_together(one: Scope, other: Scope) -> bool:
    if one == other:
        return True
    pair = frozenset({one, other})
    return pair <= MAIN_SCREEN and ("app" in pair or pair in SHARED_FOCUS)


def key_clashes(keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(remapped id, key, other id) for every key a settings file's [keys] newly gives a
    binding that another binding live at the same time already has (its own key or a
    remapped one): Textual would run only one of them, and the footer would name the other.
    A key the binding has by default keeps the precedence the app was designed with."""
    keys = {a.id: keymap.get(a.id, a.keys) for a in ACTIONS if a.keys}
    found: list[tuple[str, str, str]] = []
    for remapped in keymap:
        action = BY_ID.get(remapped)
        if action is None or not action.keys:
            continue
        own = action.keys.split(",")
        for key in [k for k in keys[remapped].split(",") if k not in own]:
            for other, other_keys in keys.items():
                if (
                    other != remapped
                    and key in other_keys.split(",")
                    and _live_together(action.scope, BY_ID[other].scope)
                ):
                    found.append((remapped, key, other))
    return found


def bindings(scope: Scope) -> list[BindingType]:
    """The Textual bindings of one scope, with ids (for key maps) and tooltips."""
    return [
        Binding(
            a.keys,
            a.action,
            a.description,
            show=a.show,
            priority=a.priority,
            id=a.id,
            tooltip=a.help,
        )
        for a in ACTIONS
        if a.scope == scope and a.bound and a.keys
    ]


def key_hints(scope: Scope, *also: str) -> list[tuple[str, str]]:
    """(first key, description) of a scope's keys and of the actions named in `also`: for a
    fixed key line where a Footer would cost too much."""
    chosen = [a for a in ACTIONS if a.scope == scope and a.keys] + [BY_ID[i] for i in also]
    return [(key_label(a.keys.split(",")[0]), a.description) for a in chosen]


def in_palette(scope: Scope) -> list[Action]:
    """The actions of a scope that the command palette offers."""
    return [a for a in ACTIONS if a.scope == scope and a.palette is not None]


_KEY_NAMES = {
    "up": "↑",
    "down": "↓",
    "shift+up": "shift+↑",
    "shift+down": "shift+↓",
}


def key_label(keys: str) -> str:
    """Keys as the README writes them: "K / shift+↑"."""
    return " / ".join(_KEY_NAMES.get(key, key) for key in keys.split(","))


def key_table() -> str:
    """The README's key table (Markdown), one row per action that has a key."""
    rows = ["| Key | Where | Action |", "|---|---|---|"]
    for action in ACTIONS:
        if action.keys:
            rows.append(f"| {key_label(action.keys)} | {WHERE[action.scope]} | {action.help} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m tui.app.actions: the table to paste into README.md
    print(key_table())
