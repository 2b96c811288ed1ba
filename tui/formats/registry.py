"""Every export format, declared once: name, title, file suffix, renderer, importability.

The `export --to` choices, the app's preview screen and its "Save to file" dialog, suggested
file names and the command palette are all derived from FORMATS, so adding a format is one
entry here (plus its pure renderer module).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.engine.model import Config
    from tui.engine.report import Report

Render = Callable[["Config", "str | None"], str]
"""(config, name) → the text a user saves; `name` names the VM (e.g. the file's stem)."""


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One export format."""

    name: str
    """The `--to` value and the preview's choice."""
    title: str
    """What it is, in words ("QEMU command line")."""
    suffix: str
    """File suffix for "Save to file", with the dot."""
    language: str | None
    """Syntax highlighting in the preview (a Textual TextArea language)."""
    render: Render
    importable: bool
    """`memslot-explorer import` reads it back."""
    summary: str
    """One line for help texts."""


def _report(config: Config) -> Report:
    """The engine's verdict, which exporters quote as comments (never recompute)."""
    from tui.engine import replay

    return replay(config)


def _toml(config: Config, name: str | None) -> str:
    from tui.formats.toml import dumps

    return dumps(config)


def _qemu(config: Config, name: str | None) -> str:
    """Verdicts of the cold events as a comment block, then the command line to paste."""
    from tui.formats.qemu import shell_command
    from tui.formats.verdicts import summary_lines, timeline_lines

    report = _report(config)
    comments = [*summary_lines(report), *timeline_lines(config, report, actions={"cold"})]
    header = "".join(f"# {' '.join(line.split())}\n" for line in comments)
    return header + shell_command(config) + "\n"


def _qmp(config: Config, name: str | None) -> str:
    """One `# event N: ...` comment per hot event and the engine's verdict on it, then its QMP
    commands, one JSON object per line."""
    from tui.engine.units import format_size
    from tui.formats.qemu import qmp_commands
    from tui.formats.verdicts import event_results, verdict_lines

    hot = [(n, e) for n, e in enumerate(config.timeline) if e.action != "cold"]
    per_event = qmp_commands(config)
    if len(per_event) != len(hot):
        raise RuntimeError(
            f"qemu.qmp_commands gave {len(per_event)} command lists for {len(hot)} hot events"
        )
    if not hot:
        return "# no hotplug, unplug or resize events: nothing to send over QMP\n"
    results = event_results(config, _report(config))
    lines: list[str] = []
    for (position, event), commands in zip(hot, per_event, strict=True):
        extra = ""
        if event.action == "resize" and event.requested_size is not None:
            extra = f" to requested-size {format_size(event.requested_size)}"
        lines.append(f"# event {position + 1}: {event.action} {event.device}{extra}")
        if position in results:
            lines += [f"# {' '.join(text.split())}" for text in verdict_lines(results[position])]
        if not commands and event.action in ("disconnect", "reconnect"):
            lines.append(
                f"# the back-end of {event.device} restarts: nothing to send, QEMU "
                "reconnects by itself"
            )
        elif not commands:
            lines.append(f"# {event.device} has no QMP form (not a QEMU device of its own)")
        for index, command in enumerate(commands):
            lines.append(json.dumps(command, separators=(", ", ": ")))
            if command.get("execute") == "device_del" and index + 1 < len(commands):
                lines.append("# wait for the DEVICE_DELETED event before the next command")
    return "\n".join(lines) + "\n"


def _libvirt(config: Config, name: str | None) -> str:
    """One definable domain XML; the hot events' device XML rides along in its <metadata>."""
    from tui.formats.libvirt import domain_xml

    return domain_xml(config, report=_report(config), name=name, timeline=True)


def _kata(config: Config, name: str | None) -> str:
    from tui.formats.kata import kata_snippet

    return kata_snippet(config, _report(config))


def _kubevirt(config: Config, name: str | None) -> str:
    from tui.formats.kubevirt import kubevirt_stanza

    return kubevirt_stanza(config, _report(config), name)


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        "toml", "TOML configuration", ".toml", "toml", _toml, False,
        "the configuration, normalised (loading it gives back the same configuration)",
    ),
    ExportFormat(
        "qemu", "QEMU command line", ".sh", "bash", _qemu, True,
        "the command line for the cold-plugged devices, with the engine's verdicts as comments",
    ),
    ExportFormat(
        "qmp", "QMP commands", ".qmp", "json", _qmp, False,
        "per hotplug, unplug and resize: its verdict and QMP commands, one JSON per line",
    ),
    ExportFormat(
        "libvirt", "libvirt domain XML", ".xml", "xml", _libvirt, True,
        "a domain XML for virsh define, hot events' device XML in <metadata>",
    ),
    ExportFormat(
        "kata", "Kata Containers configuration.toml snippet", ".kata.toml", "toml", _kata, False,
        "[hypervisor.qemu] memory_slots, default_memory, default_maxmemory, virtio-mem, virtio-fs",
    ),
    ExportFormat(
        "kubevirt", "KubeVirt VirtualMachine memory stanza", ".kubevirt.yaml", "yaml", _kubevirt,
        False, "spec.template.spec.domain.memory guest / maxGuest with hotplug notes",
    ),
)  # fmt: skip

NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS)
IMPORTABLE: tuple[str, ...] = tuple(f.name for f in FORMATS if f.importable)
_BY_NAME = {f.name: f for f in FORMATS}


def get(name: str) -> ExportFormat:
    """The format called `name`; ValueError naming the choices otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown export format {name!r} (choose from {', '.join(NAMES)})"
        ) from None


def suggested_name(stem: str, name: str) -> str:
    """The file name "Save to file" proposes for an export of `stem` in format `name`."""
    return f"{stem}{get(name).suffix}"
