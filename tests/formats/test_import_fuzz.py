"""Importers on hostile input: any text gives a configuration or one ConfigError, never an
exception of another kind (hypothesis: random text, option soup, random XML trees)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.formats.importing import import_text
from tui.formats.toml import ConfigError

_FUZZ = settings(max_examples=100, suppress_health_check=list(HealthCheck), deadline=None)

OPTIONS = [
    "-machine", "-M", "-m", "-cpu", "-accel", "-object", "-device", "-netdev", "-chardev",
    "-blockdev", "-numa", "-global", "-mem-path", "-name", "-vga", "-enable-kvm", "-nodefaults",
    "-S", "-drive", "-frob",
]  # fmt: skip
VALUES = [
    "q35", "pc-q35-8.0", "4G", "size=1G,slots=2,maxmem=8G", "4096", "12Q", "host",
    "qemu64,vendor=x",
    "memory-backend-ram,id=m0,size=1G", "memory-backend-memfd,id=m0,size=2M,hugetlb=on",
    "memory-backend-file,id=m0,mem-path=/dev/hugepages1G,size=1G", "pc-dimm,id=d,memdev=m0",
    "virtio-mem-pci,id=v,memdev=m0,requested-size=1G,dynamic-memslots=maybe",
    "nvdimm,memdev=m0,label-size=1", "hv-balloon,id=b", "tap,id=n,vhost=on",
    "virtio-net-pci,netdev=n,id=n", "vhost-user,id=u,chardev=c", "socket,id=c,path=/x",
    "vhost-user-fs-pci,chardev=c", '{"qom-type":"memory-backend-ram","id":"m0","size":-1}',
    '{"driver":"pc-dimm","memdev":"m0"}', '{"driver":', "node,memdev=m0", "virtio-mem-pci.x=1",
    "", ",,,,", "=", "id=", "0x", "18446744073709551616",
]  # fmt: skip

option_soup = st.lists(
    st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES), st.text(max_size=12)),
    max_size=24,
).map(lambda words: " ".join(["qemu-system-x86_64", *(repr(w)[1:-1] for w in words)]))


def _import(text: str, fmt: str | None = None) -> None:
    try:
        import_text(text, "fuzz", fmt)
    except ConfigError as exc:
        assert str(exc).startswith("fuzz")


@_FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    _import(text)


@_FUZZ
@given(option_soup)
def test_option_soup(text: str) -> None:
    _import(text, "qemu")


TAGS = [
    "memory", "maxMemory", "currentMemory", "memoryBacking", "hugepages", "page", "source",
    "access", "cpu", "model", "numa", "cell", "maxphysaddr", "os", "type", "devices",
    "interface", "driver", "filesystem", "disk", "hostdev", "vsock", "video", "target", "size",
    "block", "requested", "node", "address", "alias", "label", "readonly", "metadata", "odd",
]  # fmt: skip
ATTRS = ["unit", "model", "type", "slots", "memory", "mode", "bits", "name", "base", "slot",
         "dynamicMemslots", "access", "id", "machine", "memAccess", "size"]  # fmt: skip
ATTR_VALUES = [
    "KiB", "GiB", "b", "dimm", "virtio-mem", "nvdimm", "vhostuser", "vdpa", "1", "0x100000000",
    "-1", "yes", "shared", "memfd", "emulate", "q35", "x", "",
]  # fmt: skip


def elements(depth: int) -> st.SearchStrategy[str]:
    children = st.lists(elements(depth - 1), max_size=4) if depth else st.just([])
    return st.builds(
        lambda tag, attrs, text, kids: (
            f"<{tag}"
            + "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
            + f">{escape(text)}{''.join(kids)}</{tag}>"
        ),
        st.sampled_from(TAGS),
        st.dictionaries(st.sampled_from(ATTRS), st.sampled_from(ATTR_VALUES), max_size=3),
        st.sampled_from(["", "1", "1048576", "abc", "99999999999999999999"]),
        children,
    )


@_FUZZ
@given(st.lists(elements(3), max_size=6))
def test_random_domains(children: list[str]) -> None:
    _import(f"<domain type='kvm'>{''.join(children)}</domain>", "libvirt")
