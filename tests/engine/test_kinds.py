"""The kinds registry declares every kind the models know, with QEMU's own names."""

from __future__ import annotations

from typing import get_args

from tui.engine import replay
from tui.engine.kinds import CONSUMER_KINDS, MEMORY_KINDS, VHOST_KINDS, is_netdev
from tui.engine.model import (
    MEMORY_DEVICE_KINDS,
    VHOST_DEVICE_KINDS,
    Consumer,
    ConsumerKindName,
    VhostKernel,
    VhostUser,
    VhostVdpa,
)

from .conftest import config, machine


def test_every_model_kind_is_registered_once_and_nothing_else() -> None:
    assert set(MEMORY_KINDS) == set(MEMORY_DEVICE_KINDS)
    assert set(VHOST_KINDS) == set(VHOST_DEVICE_KINDS)
    assert set(CONSUMER_KINDS) == set(get_args(ConsumerKindName))
    for name, kind in MEMORY_KINDS.items():
        assert kind.name == name and kind.model is MEMORY_DEVICE_KINDS[name]
    for name, kind in VHOST_KINDS.items():
        assert kind.name == name and kind.model is VHOST_DEVICE_KINDS[name]


def test_every_vhost_device_type_has_a_frontend() -> None:
    for model, name in (
        (VhostKernel, "vhost-kernel"),
        (VhostUser, "vhost-user"),
        (VhostVdpa, "vhost-vdpa"),
    ):
        devices = set(get_args(model.model_fields["device"].annotation))
        assert devices == set(VHOST_KINDS[name].frontends), name


def test_qemu_driver_names() -> None:
    drivers = {name: kind.driver for name, kind in MEMORY_KINDS.items()}
    assert drivers == {
        "pc-dimm": "pc-dimm",
        "nvdimm": "nvdimm",
        "virtio-pmem": "virtio-pmem-pci",
        "virtio-mem": "virtio-mem-pci",
        "hv-balloon": "hv-balloon",
    }
    assert VHOST_KINDS["vhost-user"].frontends["fs"].driver == "vhost-user-fs-pci"
    assert VHOST_KINDS["vhost-kernel"].frontends["net"].netdev == "tap"
    assert {n for n, k in MEMORY_KINDS.items() if k.address_property == "memaddr"} == {
        "virtio-pmem",
        "virtio-mem",
    }


def test_netdevs_are_created_before_every_device() -> None:
    """vhost-user net is a -netdev: listed after a memory device, it is still created first."""
    assert is_netdev(VhostUser(id="n", device="net"))
    assert not is_netdev(VhostUser(id="f", device="fs"))
    assert is_netdev(VhostKernel(id="n"))
    assert not is_netdev(VhostVdpa(id="b", device="blk"))


def test_catalog_entries_are_valid_devices_of_their_kind() -> None:
    for kind in MEMORY_KINDS.values():
        assert kind.catalog, kind.name
        for entry in kind.catalog:
            kind.model.model_validate({"id": "x", "kind": kind.name, **entry.defaults})
    for vkind in VHOST_KINDS.values():
        for entry in vkind.catalog:
            device = vkind.model.model_validate({"id": "x", "kind": vkind.name, **entry.defaults})
            assert device.kind == vkind.name
    limits = sorted(
        int(e.defaults.get("max_mem_regions", e.defaults.get("max_mem_slots", 0)))  # type: ignore[call-overload]
        for k in VHOST_KINDS.values()
        for e in k.catalog
    )
    assert limits == [0, 8, 32, 64, 509, 509, 509]


def test_consumer_defaults_come_from_the_registry() -> None:
    for name, kind in CONSUMER_KINDS.items():
        consumer = Consumer(id="c", kind=name)
        assert (consumer.kvm_slots, consumer.vhost_kernel_regions, consumer.vhost_user_regions) == (
            kind.kvm_slots,
            kind.vhost_kernel_regions,
            kind.vhost_user_regions,
        )


def test_unplug_policy_refused_kinds_are_refused_by_the_engine() -> None:
    """Kinds whose unplug the registry declares refused do get a refusal from the replay."""
    devices = {
        "nvdimm": {"kind": "nvdimm", "id": "x", "size": 1 << 30, "backend": "file", "share": True},
        "virtio-pmem": {"kind": "virtio-pmem", "id": "x", "size": 1 << 30, "backend": "file"},
    }
    for name, kind in MEMORY_KINDS.items():
        if kind.unplug != "refused" or name not in devices:
            continue
        report = replay(
            config(
                machine(maxmem=8 << 30, slots=2, nvdimm=True),
                memory=[devices[name]],
                timeline=[("hotplug", "x"), ("unplug", "x")],
            )
        )
        assert report.events[0].ok and report.events[1].code is not None, name
