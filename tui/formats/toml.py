"""Configuration files: read with stdlib `tomllib`, write with `tomli-w`, round-trip exactly.

Every way a file can be wrong (unreadable, not UTF-8, not TOML, not our schema) ends in one
`ConfigError` whose text names the file, the field path and the reason, so the CLI and the app
can show it as is and never a traceback.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
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
from tui.formats.problems import render, validation_problems, value_type

__all__ = ["SCHEMA_VERSION", "ConfigError", "dumps", "load", "loads", "save"]

MAX_FILE_SIZE = 16 << 20
"""Larger files are refused (and /dev/zero cannot hang the reader)."""
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
    return from_dict(data, source)


def load(path: Path | str) -> Config:
    """Read a configuration file; any failure (I/O, encoding, TOML, schema) is a ConfigError."""
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_SIZE + 1)
    except OSError as exc:
        raise ConfigError(source, "", _os_reason("cannot read", exc)) from None
    if len(raw) > MAX_FILE_SIZE:
        raise ConfigError(
            source, "", f"too large for a configuration (over {MAX_FILE_SIZE // (1 << 20)} MiB)"
        )
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


def _os_reason(what: str, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"{what}: {reason}"


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
    """Write atomically: a temp file in the same directory, fsync, then os.replace.

    A crash or a full disk leaves the old file intact; errors are ConfigErrors naming the file.
    """
    path = Path(path)
    text = dumps(config).encode("utf-8")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError:
        mode = 0o644
    if path.is_dir():
        raise ConfigError(str(path), "", "cannot write: Is a directory")
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(directory)
    except OSError as exc:
        raise ConfigError(str(path), "", _os_reason("cannot write", exc)) from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
