"""QEMU command lines as people hold them, turned back into argv and option dictionaries.

Sources: shell text (quoted, `\\` continuation lines, `#` comments), one argument per line (as
`tr '\\0' '\\n' < /proc/PID/cmdline` prints), NUL-separated `/proc/PID/cmdline`, or a libvirt
per-domain log whose last command is the one that matters (libvirt prefixes environment
variables such as `LC_ALL=C PATH=...` and the binary). Option values are QemuOpts text
(`key=value` pairs, `,,` for a literal comma, an implied first key) or JSON objects as libvirt
writes them (`-object '{"qom-type":...}'`). Pure: text in, data out; every failure is an
ArgvError that says where and why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_BINARY = re.compile(r"(^|/)(qemu-system-[A-Za-z0-9_.-]+|qemu-kvm|kvm)$")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_CANDIDATE = re.compile(r"(^|[\s/'\"])(qemu-system-[A-Za-z0-9_.-]+|qemu-kvm|kvm)([\s'\"]|$)")
_LIBVIRT_VERSION = re.compile(r"qemu version: (\d+\.\d+(?:\.\d+)?)")
JSON_OPTIONS = ("-object", "-device", "-netdev", "-blockdev")
"""The options QEMU also takes as JSON objects (as libvirt writes them)."""
MAX_JSON_DEPTH = 32
"""Deeper JSON option values are refused (libvirt writes at most 3 levels)."""


class ArgvError(ValueError):
    """Text that is not a QEMU command line; `where` names the line or argument."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.where = where
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CommandLine:
    """argv without the binary, and what the surrounding text said about QEMU."""

    args: tuple[str, ...]
    binary: str | None
    qemu_version: str | None
    """From a libvirt log header ("qemu version: 9.2.0"), else None."""


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with `\\` continuations joined and `#` comment lines dropped."""
    lines: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not current:
            start = number
            if line.lstrip().startswith("#"):
                continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            current.append(line[:-1])
            continue
        current.append(line)
        joined = " ".join(part.strip() for part in current).strip()
        current = []
        if joined:
            lines.append((start, joined))
    if current:
        joined = " ".join(part.strip() for part in current).strip()
        if joined:
            lines.append((start, joined))
    return lines


_SHELL_PIECE = re.compile(
    r"""(?P<space>\s+)|'(?P<single>[^']*)'|"(?P<double>(?:[^"\\]|\\.)*)"|\\(?P<escaped>.)"""
    r"""|(?P<plain>[^\s'"\\]+)|(?P<open>['"\\])""",
    re.S,
)
_DOUBLE_ESCAPE = re.compile(r'\\([$`"\\\n])')


def _split(line: str, number: int) -> list[str]:
    """Shell words (POSIX quoting, `#` comments) in linear time: shlex grows each token one
    character at a time, which is quadratic on a long argument."""
    words: list[str] = []
    current: list[str] | None = None
    for match in _SHELL_PIECE.finditer(line):
        kind = match.lastgroup
        if kind == "space":
            if current is not None:
                words.append("".join(current))
                current = None
            continue
        if kind == "open":
            what = "escaped character" if match.group() == "\\" else "closing quotation"
            raise ArgvError(f"line {number}", f"not valid shell text: No {what}")
        if kind == "plain" and current is None and match.group().startswith("#"):
            break  # a comment runs to the end of the line
        if current is None:
            current = []
        text = match.group(kind or "plain")
        if kind == "double":
            text = _DOUBLE_ESCAPE.sub(r"\1", text)
        current.append(text)
    if current is not None:
        words.append("".join(current))
    return words


def _binary_index(tokens: list[str]) -> int | None:
    """Where the QEMU binary is, after environment assignments (`LC_ALL=C PATH=...`)."""
    for index, token in enumerate(tokens):
        if _BINARY.search(token):
            return index
        if not _ENV.match(token) and token not in ("exec", "env", "sudo", "nice"):
            return None
    return None


def split_command_line(text: str) -> CommandLine:
    """argv of the QEMU command held in `text` (see the module docstring for the shapes)."""
    if "\0" in text:
        tokens = [t for t in text.split("\0")]
        while tokens and tokens[-1] == "":
            tokens.pop()
        if tokens and _BINARY.search(tokens[0]):
            return CommandLine(tuple(tokens[1:]), tokens[0], None)
        if tokens and tokens[0].startswith("-"):
            return CommandLine(tuple(tokens), None, None)
        first = tokens[0][:60] if tokens else ""
        raise ArgvError("argument 1", f"{first!r} is not a QEMU binary (qemu-system-*, qemu-kvm)")
    versions = _LIBVIRT_VERSION.findall(text)
    version = versions[-1] if versions else None
    lines = _logical_lines(text)
    if not lines:
        raise ArgvError("", "empty: no QEMU command line found")
    # The last line that starts a QEMU command (a libvirt log holds one per start-up): search
    # from the end and split only the candidates, so a long log costs one shlex pass.
    found: tuple[int, int, list[str], int] | None = None
    for position in range(len(lines) - 1, -1, -1):
        number, line = lines[position]
        if not _CANDIDATE.search(line):
            continue
        try:
            tokens = _split(line, number)
        except ArgvError:
            if _BINARY.search(line.split(" ", 1)[0]) or " -" in line:
                raise
            continue  # a log line with a stray quote, not a command
        index = _binary_index(tokens)
        if index is not None:
            found = (position, number, tokens, index)
            break
    if found is not None:
        position, number, tokens, index = found
        rest = tokens[index + 1 :]
        following = lines[position + 1 :]
        if not rest and following:
            # one argument per line: every following line is one argument, verbatim
            rest = [line for _, line in following]
        return CommandLine(tuple(rest), tokens[index], version)
    first_number, first = lines[0]
    if first.startswith("-"):
        if len(lines) > 1 and not any(" " in line for _, line in lines):
            return CommandLine(tuple(line for _, line in lines), None, version)
        tokens = []
        for number, line in lines:
            tokens += _split(line, number)
        return CommandLine(tuple(tokens), None, version)
    raise ArgvError(
        f"line {first_number}",
        "no QEMU command found (expected qemu-system-*, qemu-kvm or options starting with '-')",
    )


def _depth(value: object, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse_options(
    value: str, implied: str | None = None, *, json_allowed: bool = True
) -> dict[str, object]:
    """An option's value as a dict: JSON (`{...}`) keeps its types; QemuOpts text gives strings.

    QemuOpts: `a=1,b=x,,y` → {"a": "1", "b": "x,y"}; a first part without `=` is the value of
    `implied` (`-device pc-dimm,...` → driver); a later bare `flag` means `flag=on`. QEMU takes
    JSON only for some options (`json_allowed`); elsewhere `{` is an error, as in QEMU.
    """
    stripped = value.strip()
    if stripped.startswith("{") and not json_allowed:
        raise ArgvError("", f"QEMU takes JSON only for {', '.join(JSON_OPTIONS)}")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except RecursionError:
            raise ArgvError("", "JSON nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise ArgvError("", f"invalid JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(data, dict):
            raise ArgvError("", "JSON option value must be an object")
        if _depth(data) > MAX_JSON_DEPTH:
            raise ArgvError("", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        return data
    result: dict[str, object] = {}
    # ",," is a literal comma; NUL cannot occur in an argument, so it can stand in for one
    parts = [part.replace("\0", ",") for part in value.replace(",,", "\0").split(",")]
    for position, part in enumerate(parts):
        if "=" in part:
            key, _, item = part.partition("=")
            result[key] = item
        elif position == 0 and implied is not None:
            result[implied] = part
        elif part:
            result[part] = "on"
    return result
