"""Configuration files: read with stdlib `tomllib`, write with `tomli-w`, round-trip exactly.

Every way a file can be wrong (unreadable, not UTF-8, not TOML, not our schema) ends in one
`ConfigError` whose text names the file, the field path and the reason, so the CLI and the app
can show it as is and never a traceback.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError

from tui.engine.host import ASSUMED_MACHINE_FIELDS
from tui.engine.model import (
    MEMORY_DEVICE_KINDS,
    SCHEMA_VERSION,
    VHOST_DEVICE_KINDS,
    Config,
    Consumer,
    Event,
    Expectation,
    ExpectedEvent,
    Machine,
)
from tui.fileio import FileAccessError, read_bytes, write_text

__all__ = ["SCHEMA_VERSION", "ConfigError", "dumps", "load", "loads", "printable", "save"]

_KIND_LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "memory_devices": ("memory device", tuple(MEMORY_DEVICE_KINDS)),
    "vhost_devices": ("vhost device", tuple(VHOST_DEVICE_KINDS)),
}
MAX_FILE_SIZE = 16 << 20
"""Larger files are refused (and /dev/zero cannot hang the reader)."""
_TYPE_NAMES = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "tuple_type": "an array",
    "list_type": "an array",
}
_TOP_LEVEL_ARRAYS = ("memory_devices", "vhost_devices", "consumers", "timeline")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?"
_PATH_PREFIX = re.compile(rf"^({_NAME}(?:\.{_NAME})*): (.+)$", re.S)
_TOML_POSITION = re.compile(r"^(.*?)\s*\(at (line \d+, column \d+|end of document)\)$", re.S)


def _all_field_names() -> frozenset[str]:
    names: set[str] = set()
    models: Iterable[type[BaseModel]] = (
        Config,
        Machine,
        Consumer,
        Event,
        ExpectedEvent,
        Expectation,
        *MEMORY_DEVICE_KINDS.values(),
        *VHOST_DEVICE_KINDS.values(),
    )
    for model in models:
        names.update(model.model_fields)
    return frozenset(names)


_FIELD_NAMES = _all_field_names()


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
        file = printable(self.file)
        return "\n".join(
            f"{file}: {printable(field)}: {printable(reason)}"
            if field
            else f"{file}: {printable(reason)}"
            for field, reason in self.problems
        )

    @classmethod
    def many(cls, file: str, problems: list[tuple[str, str]]) -> ConfigError:
        """One error carrying several problems (the first is the headline)."""
        field, reason = problems[0]
        return cls(file, field, reason, problems)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` safe for one terminal line: control characters (newlines, escape sequences)
    become visible escapes like \\n and \\x1b, so no file can forge a line or drive the
    terminal."""
    return _CONTROL.sub(_escape_control, text)


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return named.get(char, f"\\x{ord(char):02x}")


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(part: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted (the empty key is \"\")."""
    if _BARE_KEY.fullmatch(part):
        return part
    return '"' + printable(part.replace("\\", "\\\\").replace('"', '\\"')) + '"'


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
        raise ConfigError.many(source, _validation_problems(exc, data)) from None
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
                (key, f"must be an array of tables ([[{key}]]), not {_toml_type(data[key])}")
            )
    return problems


def _toml_type(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        dict: "a table",
        list: "an array",
    }
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _toml_error(source: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(exc)
    match = _TOML_POSITION.match(message)
    if match:
        return ConfigError(source, match.group(2), f"invalid TOML: {match.group(1)}")
    return ConfigError(source, "", f"invalid TOML: {message}")


def _format_loc(loc: Iterable[int | str]) -> str:
    out = ""
    previous_index = False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            previous_index = True
            continue
        if previous_index and (part in MEMORY_DEVICE_KINDS or part in VHOST_DEVICE_KINDS):
            previous_index = False  # the discriminated union's tag, not a key of the file
            continue
        previous_index = False
        out += f".{_key(part)}" if out else _key(part)
    return out


def _at_model(loc: tuple[int | str, ...]) -> bool:
    """Whether a loc names a whole table (a model validator's error), not one of its keys."""
    if not loc:
        return True
    last = loc[-1]
    return (
        isinstance(last, int)
        or last in ("machine", "expect")
        or last in MEMORY_DEVICE_KINDS
        or last in VHOST_DEVICE_KINDS
    )


def _join(base: str, extra: str) -> str:
    if not base:
        return extra
    return f"{base}.{extra}"


def _lookup(data: Any, loc: tuple[int | str, ...]) -> Any:
    """The raw value at a pydantic loc (skipping union tags), or None."""
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(part, str) and (part in MEMORY_DEVICE_KINDS or part in VHOST_DEVICE_KINDS):
            continue
        else:
            return None
    return node


def _validation_problems(exc: ValidationError, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = _format_loc(loc)
        kind = err["type"]
        ctx = err.get("ctx") or {}
        value = err.get("input")
        if kind == "union_tag_invalid":
            what, kinds = _KIND_LISTS.get(str(loc[0]), ("device", ()))
            reason = f"unknown {what} kind {ctx.get('tag')!r} (expected one of: {', '.join(kinds)})"
            field = _join(field, "kind")
        elif kind == "union_tag_not_found":
            what, kinds = _KIND_LISTS.get(str(loc[0]), ("device", ()))
            reason = f"missing key 'kind': which {what} is this? (one of: {', '.join(kinds)})"
            field = _join(field, "kind")
        elif kind == "extra_forbidden":
            name = str(loc[-1])
            parent = _lookup(data, loc[:-1])
            reason = f"unknown key {name!r}"
            allowed = _allowed_keys(loc, parent)
            close = difflib.get_close_matches(name, allowed, n=1)
            if close:
                reason += f" (did you mean {close[0]!r}?)"
        elif kind == "missing":
            reason = "missing required key"
        elif kind in ("value_error", "assertion_error"):
            error = ctx.get("error")
            reason = str(error) if error is not None else err["msg"]
            match = _PATH_PREFIX.match(reason)
            if match:
                field = _join(field, match.group(1))
                reason = match.group(2)
            elif _at_model(loc):
                first = re.split(r"[\s(]", reason, maxsplit=1)[0]
                if first in _FIELD_NAMES and (not loc or loc[-1] != first):
                    field = _join(field, first)
        elif kind == "literal_error":
            reason = f"{value!r} is not allowed (expected {ctx.get('expected')})"
        elif kind == "model_attributes_type" or kind == "model_type" or kind == "dict_type":
            reason = f"must be a table, not {_toml_type(value)}"
        elif kind in _TYPE_NAMES:
            reason = f"must be {_TYPE_NAMES[kind]}, not {_toml_type(value)}"
            if not isinstance(value, (dict, list)):
                reason += f" ({value!r})"
        elif kind in ("greater_than_equal", "less_than_equal"):
            bound = ctx.get("ge", ctx.get("le"))
            reason = (
                f"must be {'at least' if kind == 'greater_than_equal' else 'at most'} "
                f"{bound} (got {value!r})"
            )
        else:
            reason = err["msg"]
            if value is not None and not isinstance(value, (dict, list)):
                reason += f" (got {value!r})"
        problems.append((field, reason))
    problems = _drop_derived(problems, data)
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    return unique or [("", "invalid configuration")]


def _drop_derived(
    problems: list[tuple[str, str]], data: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Without a written timeline the model derives one from the ids; its errors only repeat."""
    if "timeline" in data:
        return problems
    rest = [p for p in problems if not p[0].startswith("timeline")]
    return rest or problems


def _allowed_keys(loc: tuple[int | str, ...], parent: Any) -> list[str]:
    """Field names of the model a key was rejected from (for "did you mean")."""
    if not loc:
        return []
    head = loc[0]
    if len(loc) == 1:
        return list(Config.model_fields)
    if head == "machine":
        return list(Machine.model_fields)
    if head in ("memory_devices", "vhost_devices") and len(loc) >= 3:
        kinds = MEMORY_DEVICE_KINDS if head == "memory_devices" else VHOST_DEVICE_KINDS
        model = kinds.get(str(loc[2]))
        return list(model.model_fields) if model else []
    if head == "consumers":
        return list(Consumer.model_fields)
    if head == "timeline":
        return list(Event.model_fields)
    if head == "expect":
        return list(ExpectedEvent.model_fields if "events" in loc else Expectation.model_fields)
    return list(parent) if isinstance(parent, Mapping) else []


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
