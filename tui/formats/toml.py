"""Configuration files: read with stdlib `tomllib`, write with `tomli-w`, round-trip exactly.

Every way a file can be wrong (unreadable, not UTF-8, not TOML, not our schema) ends in one
`ConfigError` whose text names the file, the field path and the reason, so the CLI and the app
can show it as is and never a traceback.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from tui.engine.host import ASSUMED_MACHINE_FIELDS
from tui.engine.model import (
    SCHEMA_VERSION,
    Config,
)
from tui.fileio import MAX_FILE_SIZE, FileAccessError, read_bytes, write_text
from tui.formats.problems import printable, render, validation_problems, value_type

__all__ = ["SCHEMA_VERSION", "ConfigError", "dumps", "load", "loads", "printable", "save"]

_TOP_LEVEL_ARRAYS = ("memory_devices", "vhost_devices", "consumers", "timeline")
_TOML_POSITION = re.compile(r"^(.*?)\s*\(at (line \d+, column \d+|end of document)\)$", re.S)


class ConfigError(Exception):
    """A configuration that cannot be used: which file, which field, and why.

    `file`, `field` and `reason` describe the first problem; `problems` holds every
    (field, reason) pair. str() is one "FILE: FIELD: REASON" line per problem ("FILE: REASON"
    when no field applies, e.g. a missing file).
    """

    def __init__(
        self, file: str, field: str, reason: str, problems: list[tuple[str, str]] | None = None
    ) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        self.problems: list[tuple[str, str]] = problems or [(field, reason)]
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return render(self.problems, prefix=self.file)

    @classmethod
    def many(cls, file: str, problems: list[tuple[str, str]]) -> ConfigError:
        """One error carrying several problems (the first is the headline)."""
        field, reason = problems[0]
        return cls(file, field, reason, problems)


# --------------------------------------------------------------------------- reading


def loads(text: str, source: str = "<string>") -> Config:
    """Parse and validate a configuration held in `text`; `source` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(source, exc) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(
            source, _deepest_line(text), "nested too deeply (arrays or inline tables)"
        ) from None
    try:
        return from_dict(data, source)
    except RecursionError:
        raise ConfigError(source, _deepest_key(data), "nested too deeply") from None


_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}\n]',
    re.S,
)


def _deepest_line(text: str) -> str:
    """ "line N" of the deepest nesting (strings and comments skipped), for the error."""
    depth = deepest = 0
    line = where = 1
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif token in "]}":
            depth = max(0, depth - 1)
        else:
            line += token.count("\n")
    return f"line {where}"


def _deepest_key(data: Mapping[str, Any]) -> str:
    """The top-level key holding the deepest value (the field of a nesting error)."""

    def depth(value: Any) -> int:
        level = 0
        stack = [(value, 1)]
        while stack:
            node, d = stack.pop()
            level = max(level, d)
            if isinstance(node, Mapping):
                stack.extend((v, d + 1) for v in node.values())
            elif isinstance(node, list):
                stack.extend((v, d + 1) for v in node)
        return level

    return max(data, key=lambda key: depth(data[key]), default="")


def load(path: Path | str) -> Config:
    """Read a configuration file; any failure (I/O, encoding, TOML, schema) is a ConfigError.

    Only regular files are read (a FIFO or a device would block or never end), up to
    MAX_FILE_SIZE bytes.
    """
    path = Path(path)
    source = str(path)
    try:
        raw = read_bytes(path, MAX_FILE_SIZE)
    except FileAccessError as exc:
        raise ConfigError(source, "", exc.reason) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            source,
            f"line {line}",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
        ) from None
    return loads(text.removeprefix("\ufeff"), source)


def from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Config:
    """Validate already-parsed TOML data (a dict) into a Config, with ConfigError on failure."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, "", "the configuration must be a TOML table")
    problems = _precheck(data)
    if problems:
        raise ConfigError.many(source, problems)
    try:
        return Config.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError.many(source, validation_problems(exc, data)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a validator tripped up
        raise ConfigError(source, "", f"invalid configuration: {exc}") from None


def _precheck(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What must hold before pydantic runs (its 'before' validator iterates these arrays)."""
    problems: list[tuple[str, str]] = []
    version = data.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        problems.append(
            (
                "schema_version",
                f"unsupported schema_version {version!r} (this memslot-explorer reads version "
                f"{SCHEMA_VERSION}; a newer file needs a newer memslot-explorer)",
            )
        )
    for key in _TOP_LEVEL_ARRAYS:
        if key in data and not isinstance(data[key], list):
            problems.append(
                (key, f"must be an array of tables ([[{key}]]), not {value_type(data[key])}")
            )
    return problems


def _toml_error(source: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    match = _TOML_POSITION.match(message)
    if match:
        return ConfigError(source, match.group(2), f"invalid TOML: {match.group(1)}")
    return ConfigError(source, "", f"invalid TOML: {message}")


# --------------------------------------------------------------------------- writing

_ALWAYS = {
    "schema_version",
    "id",
    "kind",
    "action",
    "device",
    "event",
    "timeline",
    "machine",
    *ASSUMED_MACHINE_FIELDS,  # a file always states the host and QEMU it assumes
}
_FIRST = ("id", "kind")


def to_dict(config: Config) -> dict[str, Any]:
    """The TOML-ready dict: defaults left out (but never ids, kinds or the timeline)."""
    return _prune(config, config.model_dump(mode="json"))


def _prune(model: BaseModel, dumped: dict[str, Any]) -> dict[str, Any]:
    fields = type(model).model_fields
    out: dict[str, Any] = {}
    order = [*(n for n in _FIRST if n in fields), *(n for n in fields if n not in _FIRST)]
    for name in order:
        value = getattr(model, name)
        info = fields[name]
        if value is None:
            continue
        if (
            name not in _ALWAYS
            and not info.is_required()
            and value == info.get_default(call_default_factory=True)
        ):
            continue
        raw = dumped[name]
        if isinstance(value, BaseModel):
            out[name] = _prune(value, raw)
        elif isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
            out[name] = [_prune(item, item_raw) for item, item_raw in zip(value, raw, strict=True)]
        else:
            out[name] = raw
    return out


def dumps(config: Config) -> str:
    """TOML text for `config`; `loads(dumps(c)) == c` for every valid Config.

    Order as an engineer reads it: schema_version, title, description, group, [machine], then one
    [[memory_devices]] / [[vhost_devices]] / [[consumers]] table per item, the [[timeline]] in
    order, and [expect] last.
    """
    data = to_dict(config)
    head: dict[str, Any] = {
        key: data[key] for key in ("schema_version", "title", "description", "group") if key in data
    }
    if not data.get("timeline"):
        head["timeline"] = []  # an empty timeline must stay empty, not default to cold plugs
    parts = [_toml(head)]
    if "machine" in data:
        parts.append(_toml({"machine": data["machine"]}))
    for key in ("memory_devices", "vhost_devices", "consumers"):
        parts.extend(f"[[{key}]]\n{_toml(item)}" for item in data.get(key, ()))
    if data.get("timeline"):
        parts.append("".join(f"[[timeline]]\n{_toml(item)}" for item in data["timeline"]))
    if "expect" in data:
        parts.append(_toml({"expect": data["expect"]}))
    return "\n".join(parts)


def _toml(table: Mapping[str, Any]) -> str:
    # Multi-line strings read better, but TOML turns their CR LF into LF: keep CRs escaped.
    return tomli_w.dumps(table, multiline_strings=not _has_cr(table))


def _has_cr(value: Any) -> bool:
    if isinstance(value, str):
        return "\r" in value
    if isinstance(value, Mapping):
        return any(_has_cr(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cr(v) for v in value)
    return False


def save(config: Config, path: Path | str) -> None:
    """Write with the one atomic writer (tui.fileio: temp file, fsync, rename; modes kept,
    read-only targets refused, devices written in place); errors are ConfigErrors naming the
    file."""
    try:
        write_text(path, dumps(config))
    except FileAccessError as exc:
        raise ConfigError(str(path), "", exc.reason) from None
