"""Pydantic validation errors as "FIELD: REASON" problems, in the file's own terms.

One renderer for every place that validates a configuration: the TOML loader (and so the CLI),
the importers and the app's edit forms. FIELD is the path as written in the file
(`memory_devices[0].size`, never pydantic's union tags); REASON says what is wrong in TOML
words (a table, an array, an integer) and suggests the key that was probably meant.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from tui.engine.model import (
    MEMORY_DEVICE_KINDS,
    VHOST_DEVICE_KINDS,
    Config,
    Consumer,
    Event,
    Expectation,
    ExpectedEvent,
    Machine,
)

Problem = tuple[str, str]
"""(field path, reason); the field is "" when the whole configuration is concerned."""

_KIND_LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "memory_devices": ("memory device", tuple(MEMORY_DEVICE_KINDS)),
    "vhost_devices": ("vhost device", tuple(VHOST_DEVICE_KINDS)),
}

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
_NAME = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?"
_PATH_PREFIX = re.compile(rf"^({_NAME}(?:\.{_NAME})*): (.+)$", re.S)


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


def value_type(value: object) -> str:
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` safe for one terminal line: control characters (newlines, escape sequences)
    become visible escapes like \\n and \\x1b, so no file can forge a line or drive the
    terminal."""
    return _CONTROL.sub(_escape_control, text)


def one_line(text: str) -> str:
    """`text` on one line for a comment: whitespace runs (newlines too) as one space, other
    control characters as visible escapes."""
    return printable(" ".join(text.split()))


def printable_lines(text: str) -> str:
    """`printable` for text of several lines (a document, a description): newlines kept."""
    return "\n".join(printable(line) for line in text.split("\n"))


def pictured(text: str) -> str:
    """`text` with each control character drawn as one visible character of the same width:
    Unicode's control pictures (␛ for ESC, ␡ for DEL), � for C1. For text whose positions
    must not move (a field with a cursor)."""
    return _CONTROL.sub(_picture, text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    return chr(0x2400 + code) if code < 0x20 else "\u2421" if code == 0x7F else "\ufffd"


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


def validation_problems(
    exc: ValidationError, data: Mapping[str, Any] | None = None
) -> list[Problem]:
    """Every error of `exc` as (field, reason); `data` (what was validated) refines them."""
    data = data if data is not None else {}
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
            reason = f"must be a table, not {value_type(value)}"
        elif kind in _TYPE_NAMES:
            reason = f"must be {_TYPE_NAMES[kind]}, not {value_type(value)}"
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


def format_problem(problem: Problem, prefix: str = "") -> str:
    """One line: "[PREFIX: ]FIELD: REASON", or "[PREFIX: ]REASON" without a field."""
    field, reason = (printable(part) for part in problem)  # one line each, no escapes
    head = f"{printable(prefix)}: " if prefix else ""
    return f"{head}{field}: {reason}" if field else f"{head}{reason}"


def render(problems: Iterable[Problem], prefix: str = "") -> str:
    """Every problem on its own line (see format_problem)."""
    return "\n".join(format_problem(problem, prefix) for problem in problems)
