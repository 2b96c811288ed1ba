"""Whatever a file holds, loading ends in a Config or a ConfigError: never another exception."""

from __future__ import annotations

import datetime as dt

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine.model import MEMORY_DEVICE_KINDS, VHOST_DEVICE_KINDS, Config
from tui.formats.toml import ConfigError, from_dict, loads

KEYS = sorted(
    {
        "schema_version",
        "title",
        "machine",
        "memory_devices",
        "vhost_devices",
        "consumers",
        "timeline",
        "expect",
        "ram",
        "maxmem",
        "slots",
        "type",
        "accel",
        "id",
        "kind",
        "size",
        "device",
        "action",
        "requested_size",
        "events",
        "event",
        "ok",
        "error",
        "page_size",
        "backend",
        "memdev",
        "max_mem_slots",
        "max_mem_regions",
        "qemu_version",
        "kvm_memslots",
        "block_size",
        "label_size",
        "readonly",
        "unarmed",
        "dynamic_memslots",
        "bogus",
    }
)
KINDS = [
    *MEMORY_DEVICE_KINDS,
    *VHOST_DEVICE_KINDS,
    "rom",
    "custom",
    "cold",
    "hotplug",
    "unplug",
    "resize",
    "disconnect",
    "reconnect",
    "d0",
    "q35",
    "kvm",
]
scalars = st.one_of(
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["64G", "12Q", "-1G", "0x10", "1.5M", "16E", *KINDS]),
    st.just(dt.date(2024, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_loads_or_is_a_config_error(data: dict) -> None:
    try:
        result = from_dict(data, "fuzz.toml")
    except ConfigError as error:
        assert error.file == "fuzz.toml"
        assert error.reason
        assert all(line.startswith("fuzz.toml: ") for line in str(error).splitlines())
    else:
        assert isinstance(result, Config)


@settings(max_examples=100, deadline=None)
@given(documents)
def test_any_document_through_toml_text(data: dict) -> None:
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        return  # not representable in TOML
    try:
        loads(text, "fuzz.toml")
    except ConfigError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_is_a_config_error(text: str) -> None:
    try:
        loads(text, "fuzz.toml")
    except ConfigError as error:
        assert str(error).startswith("fuzz.toml: ")
