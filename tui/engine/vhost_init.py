"""vhost_dev_init(): the memslot checks a vhost device passes when it is created.

QEMU 8.2+ first refuses a back-end below 509 memslots once a memory device decided on more
than one memslot (with a hint to plug the back-end first), then registers the device's memory
listener and refuses it if its limit is below used + reserved memslots. A refusal tears the
device down again, which before 10.1 also zeroes its class's used counter.
"""

from __future__ import annotations

from .model import VhostKernel, VhostUser, VhostVdpa, VirtioMem
from .report import Step, lazy, step
from .state import MachineState, Refused
from .vhost import Registered, memslots_limit, vhost_class

VhostDevice = VhostKernel | VhostUser | VhostVdpa

AUTO_DECISION_ERROR = (
    "some memory device (like virtio-mem) decided how many memory slots to use based on the "
    "overall number of memory slots; this vhost backend would further restricts the overall "
    "number of memory slots"
)
AUTO_DECISION_HINT = "Try plugging this vhost backend before plugging such memory devices."
VHOST_NET_INIT_FAILED = "vhost-net requested but could not be initialized"
VHOST_USER_NET_HANG = "a hot-added vhost-user netdev that keeps QEMU retrying its connection"


def plug_vhost(
    state: MachineState, device: VhostDevice, phase: str, steps: list[Step], warnings: list[str]
) -> None:
    """vhost_dev_init(): the 509 check, listener registration, the used + reserved check."""
    rules = state.rules
    if isinstance(device, VhostVdpa) and any(
        isinstance(p.device, VirtioMem) for p in state.memory.values()
    ):
        raise Refused("Cannot set discarding of RAM broken")
    limit, how, warning = memslots_limit(device, rules)
    if warning:
        warnings.append(warning)
    steps.append(step(rule="vhost-limit", value=limit, text=how))
    kernel = (
        next((d for d in state.vhost.devices if d.kind == "vhost-kernel"), None)
        if isinstance(device, VhostKernel)
        else None
    )
    if kernel is not None and kernel.limit != limit:
        warnings.append(
            f"vhost-kernel devices disagree on max_mem_regions ({kernel.limit} vs {limit}): "
            "a real host has one module parameter for all of them"
        )
    if rules.multi_memslot:
        active = state.auto_active
        if limit < 509 and active > 0:
            steps.append(
                step(
                    rule="vhost-509",
                    value=limit,
                    text=(
                        f"limit {limit} < 509 while {active} memory device(s) decided on more "
                        "than one memslot → refused"
                    ),
                )
            )
            refuse_vhost(device, phase, AUTO_DECISION_ERROR, AUTO_DECISION_HINT, warnings)
        steps.append(
            lazy(
                "vhost-509",
                limit,
                "limit {} ≥ 509"
                if limit >= 509
                else "limit {} < 509, but no memory device decided on more than one memslot",
                limit,
            )
        )
    cls = vhost_class(device)
    registered = Registered(id=device.id, kind=device.kind, cls=cls, limit=limit)
    state.vhost.register(registered)
    regions = state.regions()
    if regions[cls]:
        state.vhost.commit(cls, regions[cls])
    used = state.vhost.used_by_class(cls, regions)
    reserved = state.reserved
    if rules.multi_memslot:
        ok = used + reserved <= limit
        steps.append(
            lazy(
                "vhost-used",
                used + reserved,
                "used {} + reserved {} = {} {} limit {}",
                used,
                reserved,
                used + reserved,
                "≤" if ok else ">",
                limit,
            )
        )
        if not ok:
            teardown(state, registered)
            message = (
                f"vhost backend memory slots limit ({limit}) is less than current number "
                f"of used ({used}) and reserved ({reserved}) memory slots for memory "
                "devices."
            )
            refuse_vhost(device, phase, message, None, warnings)
    elif used > limit:
        teardown(state, registered)
        refuse_vhost(
            device,
            phase,
            "vhost backend memory slots limit is less than current number of present memory slots",
            None,
            warnings,
        )


def refuse_vhost(
    device: VhostDevice, phase: str, message: str, hint: str | None, warnings: list[str]
) -> None:
    """vhost_dev_init() failed. tap's vhost-net reports vhost_dev_init's error (and hint) only
    on stderr and fails netdev_add / -netdev with its own wrapper; the others pass it through.
    A hot-added vhost-user netdev never fails netdev_add at all: QEMU retries the connection
    forever and the monitor stops answering, so nothing after it can happen."""
    if isinstance(device, VhostKernel) and device.is_netdev:
        warnings.append(message)
        if hint:
            warnings.append(hint)
        raise Refused(VHOST_NET_INIT_FAILED)
    if isinstance(device, VhostUser) and device.is_netdev and phase == "hot":
        warnings.append(
            "QEMU retries this vhost-user netdev forever and QMP stops answering: "
            "the VM must be restarted"
        )
        raise Refused(message, hint, stops_qemu=VHOST_USER_NET_HANG)
    raise Refused(message, hint)


def teardown(state: MachineState, registered: Registered) -> None:
    """vhost_dev_cleanup(): unregistering the listener writes 0 to the class's global."""
    state.vhost.unregister(registered)
