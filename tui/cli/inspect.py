"""`memslot-explorer inspect --qmp unix:PATH | --virsh DOMAIN`: a running VM's memslots, read-only.

The reading is in tui.qemu.inspect (only query commands ever reach the VM); this module parses
options, prints, saves, and appends what-if hotplugs, which are replayed by the engine and never
sent to the VM.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, PROG, path_arg

SUMMARY = "inspect --qmp unix:PATH    a running VM's memslots, read-only (or --virsh DOMAIN)"
JSON_SCHEMA = "memslot-explorer/inspect/1"
DEFAULT_TIMEOUT = 10.0


def _limit(text: str) -> tuple[str, int | None]:
    ident, sep, value = text.partition("=")
    if not sep or not ident:
        raise argparse.ArgumentTypeError(f"{text!r} is not ID=N or ID=baseline")
    if value == "baseline":
        return ident, None
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**32:
        raise argparse.ArgumentTypeError(
            f"{text!r}: N must be the back-end's memslot count (1..4294967295) or 'baseline'"
        )
    return ident, int(value)


def _timeout(text: str) -> float:
    from tui.qemu.launch import parse_timeout

    try:
        return parse_timeout(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _hotplug(text: str) -> dict[str, Any]:
    """`KIND,key=value,...` with the configuration's field names (`-` or `_`)."""
    kind, *pairs = [part for part in text.split(",") if part]
    device: dict[str, Any] = {"kind": kind.strip()}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{text!r}: {pair!r} is not key=value")
        lowered = value.lower()
        device[key.strip().replace("-", "_")] = (
            True
            if lowered in ("on", "true", "yes")
            else False
            if lowered in ("off", "false", "no")
            else value
        )
    return device


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} inspect",
        description="Read a running VM over QMP without changing it (only query commands are "
        "sent), rebuild its configuration as it stands now and show the engine's memslot "
        "budget for it. What QMP cannot show is listed as assumed.",
        epilog="Exit codes: 0 read (and every what-if fits), 1 a what-if (or the live state) "
        "fails in the engine, 2 bad address / not QMP / no answer, 3 virsh missing.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--qmp", metavar="unix:PATH", help="QEMU's QMP socket (-qmp unix:PATH,server=on,wait=off)"
    )
    source.add_argument(
        "--virsh", metavar="DOMAIN", help="a libvirt domain, through virsh qemu-monitor-command"
    )
    parser.add_argument(
        "--vhost-limit",
        type=_limit,
        action="append",
        default=[],
        metavar="ID=N",
        help="a vhost-user back-end's memslot limit, which QMP cannot show (N, or 'baseline' "
        "for a back-end without CONFIGURE_MEM_SLOTS); repeatable",
    )
    parser.add_argument(
        "--hotplug",
        type=_hotplug,
        action="append",
        default=[],
        metavar="KIND,key=value,...",
        help="what-if: replay this hotplug after the live state (never sent to the VM), e.g. "
        "virtio-mem,size=64G,dynamic_memslots=on; repeatable",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=path_arg,
        metavar="FILE.toml",
        help="save the configuration as read (with the what-ifs) to edit or check later",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument(
        "--app",
        action="store_true",
        help="open the app on the VM and follow it live (ctrl+r reads it again; it also "
        "refreshes on DEVICE_DELETED and MEMORY_DEVICE_SIZE_CHANGE); what-ifs you add there are "
        "replayed after the live state, never sent",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for each answer, 1 to 3600 (default {DEFAULT_TIMEOUT:g})",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    from tui.cli.common import guard

    return guard(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from pydantic import ValidationError

    from tui.cli.check import bounded_advice, check_document, render_check
    from tui.engine import replay
    from tui.formats.toml import save, to_dict
    from tui.qemu.inspect import (
        InspectError,
        inspect_qmp,
        inspect_virsh,
        parse_address,
        with_hotplug,
    )

    limits = dict(args.vhost_limit)
    if args.app:
        return _run_app(args, limits)
    try:
        if args.qmp is not None:
            path = parse_address(args.qmp)
            state = asyncio.run(inspect_qmp(path, timeout=args.timeout, vhost_limits=limits))
        else:
            state = asyncio.run(
                inspect_virsh(args.virsh, timeout=args.timeout, vhost_limits=limits)
            )
    except InspectError as exc:
        print(f"{PROG} inspect: {exc}", file=sys.stderr)
        return exc.exit_code
    unknown = sorted(set(limits) - {v.id for v in state.vhost if v.kind == "vhost-user"})
    for ident in unknown:
        print(
            f"{PROG} inspect: warning: --vhost-limit {ident}: no such vhost-user device",
            file=sys.stderr,
        )
    config = state.config
    for spec in args.hotplug:
        try:
            config = with_hotplug(config, spec)
        except ValidationError as exc:
            from tui.formats.problems import render, validation_problems

            print(
                render(
                    validation_problems(exc), prefix=f"{PROG} inspect: --hotplug {spec.get('kind')}"
                ),
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
    report = replay(config) if args.hotplug else state.report
    suggestions, headroom, stopped = bounded_advice(config, report)
    if args.output is not None:
        save(config, args.output)
    if args.json:
        document = {
            "schema": JSON_SCHEMA,
            "source": state.source,
            "qemu_version": state.qemu_version,
            "machine_type": state.machine_type,
            "running": state.running,
            "boot_ram": (
                None
                if state.boot_split is None
                else {"below_4g": state.boot_split[0], "above_4g": state.boot_split[1]}
            ),
            "device_memory": (
                None
                if state.device_memory is None
                else {"base": state.device_memory[0], "size": state.device_memory[1]}
            ),
            "memory_devices": [
                {
                    "id": d.id,
                    "kind": d.kind,
                    "size": d.size,
                    "address": d.address,
                    "hotplugged": d.hotplugged,
                    "memslots": d.memslots,
                    "used": d.mapped,
                    "reserved": d.reserved,
                    "memslot_sizes": list(d.memslot_sizes),
                }
                for d in state.memory
            ],
            "vhost_devices": [
                {"id": v.id, "kind": v.kind, "device": v.device, "backend": v.backend}
                for v in state.vhost
            ],
            "assumed": state.assumed,
            "warnings": state.warnings,
            "disagreements": state.disagreements,
            "config": to_dict(config),
            "check": check_document(
                config, report, suggestions, headroom, source=state.source, stopped=stopped
            ),
        }
        print(json.dumps(document, indent=2))
    else:
        print("\n".join(describe(state)))
        print()
        sys.stdout.write(render_check(config, report, suggestions, headroom, source=state.source))
        if args.hotplug:
            print(f"({len(args.hotplug)} what-if hotplug(s) replayed by the engine only)")
    return EXIT_OK if report.ok else EXIT_FAILED


def _run_app(args: argparse.Namespace, limits: dict[str, int | None]) -> int:
    """The app, following the VM; a bad address is reported before the app starts."""
    import importlib

    from tui.qemu.inspect import InspectError, LiveSession, parse_address

    try:
        if args.qmp is not None:
            session = LiveSession.qmp(
                parse_address(args.qmp), timeout=args.timeout, vhost_limits=limits
            )
        else:
            session = LiveSession.virsh(args.virsh, timeout=args.timeout, vhost_limits=limits)
    except InspectError as exc:
        print(f"{PROG} inspect: {exc}", file=sys.stderr)
        return exc.exit_code
    run_app = importlib.import_module("tui.app.app").run_app
    return int(run_app(live=lambda: session))


def describe(state: Any) -> list[str]:
    """What QEMU shows (a tui.qemu.inspect.LiveState), as lines before the engine's report of
    the same configuration."""
    from tui.engine.units import format_size

    lines = [
        f"{state.source}: QEMU {state.qemu_version}, {state.machine_type}, "
        f"accel {state.config.machine.accel}, {'running' if state.running else 'not started'}",
        f"boot RAM {format_size(state.config.machine.ram)} ({state.boot_backend})"
        + (
            f": {format_size(state.boot_split[0])} below 4G, "
            f"{format_size(state.boot_split[1])} above"
            if state.boot_split
            else ""
        ),
    ]
    if state.device_memory is not None:
        base, size = state.device_memory
        lines.append(f"device memory [0x{base:x}, 0x{base + size:x}) ({format_size(size)})")
    else:
        lines.append("no device memory region (no maxmem)")
    lines.append("")
    header = ("device", "kind", "size", "address", "memslots", "used", "reserved", "plugged by")
    rows = [header]
    for d in state.memory:
        rows.append(
            (
                d.id,
                d.kind,
                format_size(d.size) if d.size else "-",
                f"0x{d.address:x}" if d.address is not None else "-",
                str(d.memslots),
                str(d.mapped),
                str(d.reserved),
                "hotplug" if d.hotplugged else "command line",
            )
        )
    for v in state.vhost:
        rows.append((v.id, f"{v.kind} {v.device}", "-", "-", "-", "-", "-", v.backend))
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    else:
        lines.append("(no memory device, no vhost device)")
    for d in state.memory:
        if len(set(d.memslot_sizes)) > 0 and d.memslots > 1:
            sizes = ", ".join(sorted({format_size(s) for s in d.memslot_sizes}))
            lines.append(f"  {d.id}: memslot sizes {sizes}")
    lines.append(
        f"QEMU: memory devices require {state.required_memslots} memslots, "
        f"{state.used_memslots} used, {state.required_memslots - state.used_memslots} reserved"
    )
    for text in state.warnings:
        lines.append(f"warning: {text}")
    for text in state.assumed:
        lines.append(f"assumed: {text}")
    if state.disagreements:
        for text in state.disagreements:
            lines.append(f"engine differs: {text}")
    else:
        lines.append(
            "engine agrees with QEMU: memslots per device, used memslots, boot RAM split, "
            "device-memory base."
        )
    return lines
