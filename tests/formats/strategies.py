"""Hypothesis strategies for valid Configs: every field, every kind, legal timelines."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tui.engine.model import (
    Config,
    Consumer,
    Event,
    Expectation,
    ExpectedEvent,
    HvBalloon,
    Machine,
    Nvdimm,
    PcDimm,
    VhostKernel,
    VhostUser,
    VhostVdpa,
    VirtioMem,
    VirtioPmem,
)
from tui.engine.units import U32_MAX, U64_MAX, GiB, KiB, MiB

sizes = st.one_of(
    st.integers(0, U64_MAX),
    st.sampled_from([0, 1, 4 * KiB, 2 * MiB, GiB, 64 * GiB, 1 << 40, U64_MAX]),
    st.integers(0, 1 << 20).map(lambda n: n * MiB),
)
counts = st.integers(0, U32_MAX)
texts = st.text(max_size=40)
ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,8}", fullmatch=True)


@st.composite
def machines(draw: Any) -> Machine:
    ram = draw(st.integers(1, U64_MAX))
    maxmem = draw(st.one_of(st.none(), st.integers(ram, U64_MAX)))
    return Machine(
        type=draw(st.sampled_from(["q35", "pc"])),
        accel=draw(st.sampled_from(["kvm", "tcg"])),
        kvm_memslots=draw(counts),
        ram=ram,
        maxmem=maxmem,
        slots=draw(counts),
        nvdimm=draw(st.booleans()),
        memory_backend=draw(st.sampled_from(["ram", "memfd"])),
        cpu_vendor=draw(st.sampled_from(["amd", "intel"])),
        phys_bits=draw(st.integers(32, 64)),
        qemu_version=draw(st.sampled_from(["6.0", "8.1", "8.2", "9.2.3", "10.0.2", "10.1"])),
        guest_plugs_memory=draw(st.booleans()),
        host_thp_size=draw(sizes),
        boot_kvm_slots=draw(st.one_of(st.none(), counts)),
        boot_ram_sections=draw(st.one_of(st.none(), counts)),
    )


@st.composite
def backends(draw: Any) -> dict[str, Any]:
    backend = draw(st.sampled_from(["ram", "memfd", "file"]))
    page = 4 * KiB if backend == "ram" else draw(st.sampled_from([4 * KiB, 2 * MiB, GiB]))
    return {
        "backend": backend,
        "page_size": page,
        "share": draw(st.booleans()),
        "readonly": backend == "file" and draw(st.booleans()),
        "prealloc": draw(st.booleans()),
    }


def _opt(strategy: Any) -> Any:
    return st.one_of(st.none(), strategy)


slots_ = st.integers(-(2**31), 2**31 - 1)


@st.composite
def memory_device(draw: Any, device_id: str) -> Any:
    kind = draw(st.sampled_from(["pc-dimm", "nvdimm", "virtio-pmem", "virtio-mem", "hv-balloon"]))
    base = {"id": device_id, "size": draw(sizes), **draw(backends())}
    if kind == "pc-dimm":
        return PcDimm(**base, slot=draw(_opt(slots_)), addr=draw(_opt(sizes)))
    if kind == "nvdimm":
        return Nvdimm(
            **base,
            slot=draw(_opt(slots_)),
            addr=draw(_opt(sizes)),
            label_size=draw(_opt(sizes)),
            unarmed=draw(st.booleans()),
        )
    if kind == "virtio-pmem":
        return VirtioPmem(**base, memaddr=draw(_opt(sizes)))
    if kind == "virtio-mem":
        return VirtioMem(
            **base,
            requested_size=draw(sizes),
            block_size=draw(_opt(sizes)),
            dynamic_memslots=draw(st.booleans()),
            unplugged_inaccessible=draw(st.booleans()),
            memaddr=draw(_opt(sizes)),
        )
    base["size"] = draw(_opt(sizes))
    return HvBalloon(**base, addr=draw(_opt(sizes)))


@st.composite
def vhost_device(draw: Any, device_id: str) -> Any:
    kind = draw(st.sampled_from(["vhost-kernel", "vhost-user", "vhost-vdpa"]))
    if kind == "vhost-kernel":
        return VhostKernel(
            id=device_id,
            device=draw(st.sampled_from(["net", "scsi", "vsock"])),
            max_mem_regions=draw(st.integers(0, U64_MAX)),
        )
    if kind == "vhost-user":
        return VhostUser(
            id=device_id,
            device=draw(st.sampled_from(["net", "blk", "fs", "scsi", "vsock"])),
            backend_name=draw(texts),
            configure_mem_slots=draw(st.booleans()),
            max_mem_slots=draw(st.integers(0, U64_MAX)),
        )
    return VhostVdpa(id=device_id, device=draw(st.sampled_from(["net", "blk"])))


@st.composite
def consumer(draw: Any, device_id: str) -> Consumer:
    return Consumer(
        id=device_id,
        kind=draw(
            st.sampled_from(
                [
                    "rom",
                    "pci-ram-bar",
                    "vfio-bar",
                    "vga-vram",
                    "numa-memdev",
                    "virtio-balloon",
                    "custom",
                ]
            )
        ),
        kvm_slots=draw(_opt(counts)),
        vhost_kernel_regions=draw(_opt(counts)),
        vhost_user_regions=draw(_opt(counts)),
        note=draw(texts),
    )


@st.composite
def timelines(draw: Any, devices: list[Any]) -> tuple[Event, ...]:
    """Cold plugs first, then hotplug/unplug/resize that respect what is plugged."""
    plugged: list[str] = []
    events: list[Event] = []
    unplugged = [d.id for d in devices]
    for device_id in draw(
        st.lists(st.sampled_from(unplugged), unique=True, max_size=6) if unplugged else st.just([])
    ):
        events.append(Event(action="cold", device=device_id))
        plugged.append(device_id)
        unplugged.remove(device_id)
    virtio_mem = {d.id for d in devices if isinstance(d, VirtioMem)}
    for _ in range(draw(st.integers(0, 6))):
        choices = []
        if unplugged:
            choices.append("hotplug")
        if plugged:
            choices.append("unplug")
        if set(plugged) & virtio_mem:
            choices.append("resize")
        if not choices:
            break
        action = draw(st.sampled_from(choices))
        if action == "hotplug":
            device_id = draw(st.sampled_from(unplugged))
            unplugged.remove(device_id)
            plugged.append(device_id)
            events.append(Event(action="hotplug", device=device_id))
        elif action == "unplug":
            device_id = draw(st.sampled_from(plugged))
            plugged.remove(device_id)
            unplugged.append(device_id)
            events.append(Event(action="unplug", device=device_id))
        else:
            device_id = draw(st.sampled_from(sorted(set(plugged) & virtio_mem)))
            events.append(Event(action="resize", device=device_id, requested_size=draw(sizes)))
    return tuple(events)


expectations = st.builds(
    Expectation,
    events=st.lists(
        st.builds(
            ExpectedEvent,
            event=st.integers(1, 1000),
            ok=_opt(st.booleans()),
            error=_opt(texts),
            memslot_limit=_opt(counts),
            memslots=_opt(counts),
            skipped=_opt(st.booleans()),
        ),
        max_size=3,
    ).map(tuple),
    startup_error=_opt(texts),
    required_memslots=_opt(counts),
    used_memslots=_opt(counts),
    reserved_memslots=_opt(counts),
)


@st.composite
def configs(draw: Any) -> Config:
    all_ids = draw(st.lists(ids, unique=True, max_size=8))
    n_mem = draw(st.integers(0, len(all_ids)))
    n_vhost = draw(st.integers(0, len(all_ids) - n_mem))
    memory = [draw(memory_device(i)) for i in all_ids[:n_mem]]
    vhost = [draw(vhost_device(i)) for i in all_ids[n_mem : n_mem + n_vhost]]
    others = [draw(consumer(i)) for i in all_ids[n_mem + n_vhost :]]
    return Config(
        title=draw(texts),
        description=draw(texts),
        machine=draw(machines()),
        memory_devices=tuple(memory),
        vhost_devices=tuple(vhost),
        consumers=tuple(others),
        timeline=draw(timelines([*memory, *vhost, *others])),
        expect=draw(_opt(expectations)),
    )
