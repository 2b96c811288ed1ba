"""`memslot-explorer host [--json]`: this machine's facts, each with the reason when unreadable.

Why: a configuration's verdict is only as right as the host facts it states (KVM memslots, vhost
regions, THP size, CPU vendor, QEMU version); this shows what this host would put there
(`check --host` and the app's "Use this host's facts" apply the same facts).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from tui.cli.common import EXIT_OK, PROG, guard

JSON_SCHEMA = "memslot-explorer/host/1"
SUMMARY = "host [--json]              this machine's KVM, vhost, THP, CPU and QEMU facts"


def build_parser() -> argparse.ArgumentParser:
    """The verb's options; `--help` text is the user's documentation."""
    parser = argparse.ArgumentParser(
        prog=f"{PROG} host",
        description="Read this machine's memslot facts: KVM_CAP_NR_MEMSLOTS (/dev/kvm), the "
        "vhost module's max_mem_regions, the THP size, the CPU vendor and physical address "
        "bits (/proc/cpuinfo) and the installed QEMU's version. A fact that cannot be read "
        "is shown with the reason. Exit 0.",
    )
    parser.add_argument("--json", action="store_true", help=f"print a {JSON_SCHEMA} JSON document")
    parser.add_argument(
        "--qemu", metavar="PATH", default=None, help="QEMU binary to ask (default: PATH lookup)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Entry point from the verb registry."""
    return guard(lambda: run_host(as_json=args.json, qemu=args.qemu))


def run_host(*, as_json: bool = False, qemu: str | None = None, out: TextIO | None = None) -> int:
    """Print the facts; always exit 0 (an unreadable fact is an answer, not a failure)."""
    from tui.qemu.host import read_host

    stream = out if out is not None else sys.stdout
    facts = read_host(qemu)
    if as_json:
        stream.write(json.dumps(host_document(facts), indent=2) + "\n")
        return EXIT_OK
    width = max(len(name) for name, _ in facts.items())
    for name, fact in facts.items():
        value = _shown(name, fact.value) if fact.known else f"unknown: {fact.reason}"
        stream.write(f"{name:<{width}}  {value}\n")
    return EXIT_OK


def host_document(facts: Any) -> dict[str, Any]:
    """The `--json` form: schema, then per fact its value, source and (when unknown) reason."""
    return {
        "schema": JSON_SCHEMA,
        "facts": {
            name: {"value": fact.value, "source": fact.source, "reason": fact.reason or None}
            for name, fact in facts.items()
        },
    }


def with_this_host(config: Any, source: str) -> Any:
    """`check --host`: `config` with this machine's facts; each change is said on stderr."""
    from tui.engine.host import apply_host
    from tui.qemu.host import read_host

    new, changes = apply_host(config, read_host())
    for change in changes:
        print(
            f"{source}: {change.shown()} (this host: {change.why})",
            file=sys.stderr,
        )
    if not changes:
        print(f"{source}: already states this host's facts", file=sys.stderr)
    return new


def _shown(name: str, value: object) -> str:
    from tui.engine.units import format_size

    if name == "thp_size" and isinstance(value, int):
        return format_size(value)
    return str(value)
