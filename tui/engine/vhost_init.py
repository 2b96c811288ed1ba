"""vhost_dev_init(): the memslot checks a vhost device passes when it is created.

QEMU 8.2+ first refuses a back-end below 509 memslots once a memory device decided on more
than one memslot (with a hint to plug the back-end first), then registers the device's memory
listener and refuses it if its limit is below used + reserved memslots. A refusal tears the
device down again, which before 10.1 also zeroes its class's used counter.
"""

from __future__ import annotations

from .kinds import VHOST_KINDS, is_netdev
from .model import VhostDeviceModel, VhostKernel, VhostUser, VirtioMem
from .refusals import Code, Refusal, refusal
from .refusals import hint as hint_for
from .report import Outcome, RawStep, accepted, step
from .state import MachineState
from .vhost import Registered

VhostDevice = VhostDeviceModel

VHOST_USER_NET_HANG = "a hot-added vhost-user netdev that keeps QEMU retrying its connection"


def plug_vhost(state: MachineState, device: VhostDevice, phase: str) -> Outcome:
    """vhost_dev_init(): the 509 check, listener registration, the used + reserved check.

    One call per vhost event: the steps are written as RawStep tuples (rule, value, template,
    args) in place."""
    rules = state.rules
    vhost = state.vhost
    kind = VHOST_KINDS[device.kind]
    if kind.disables_discard and any(
        isinstance(p.device, VirtioMem) for p in state.memory.values()
    ):
        return Outcome(refusal=refusal(Code.VDPA_DISCARD, device=device.id))
    limit, how, warning = kind.limit(device, rules)
    warnings: list[str] = [warning] if warning else []
    steps: list[RawStep] = [("vhost-limit", limit, how, ())]
    if kind.name == "vhost-kernel":
        for other in vhost.devices:  # the first registered vhost-kernel device
            if other.kind == "vhost-kernel":
                if other.limit != limit:
                    warnings.append(
                        f"vhost-kernel devices disagree on max_mem_regions ({other.limit} vs "
                        f"{limit}): a real host has one module parameter for all of them"
                    )
                break
    multi_memslot = rules.multi_memslot
    if multi_memslot:
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
            found = refusal(
                Code.VHOST_AFTER_AUTO_DECISION, device=device.id, limit=limit, used=active
            )
            return refuse_vhost(state, device, phase, found, steps, warnings)
        steps.append(
            (
                "vhost-509",
                limit,
                "limit {} ≥ 509"
                if limit >= 509
                else "limit {} < 509, but no memory device decided on more than one memslot",
                (limit,),
            )
        )
    cls = kind.vhost_class
    registered = Registered(device.id, device.kind, cls, limit)
    vhost.register(registered)
    shared, private = state.sections()
    nregions = shared if cls == "shared" else private
    if nregions:
        vhost.commit(cls, nregions)
    # the used count a device is compared with: its own nregions (10.1), or its class's
    # global (≤ 10.0.2)
    used = nregions if rules.per_device_vhost_count else vhost.globals[cls]
    if multi_memslot:
        reserved = state.mem_required - state.mem_mapped  # get_reserved_memslots()
        if reserved < 0:
            reserved = 0
        ok = used + reserved <= limit
        steps.append(
            (
                "vhost-used",
                used + reserved,
                "used {} + reserved {} = {} {} limit {}",
                (used, reserved, used + reserved, "≤" if ok else ">", limit),
            )
        )
        if not ok:
            teardown(state, registered)
            found = refusal(
                Code.VHOST_LIMIT_BELOW_USED,
                device=device.id,
                limit=limit,
                used=used,
                reserved=reserved,
            )
            return refuse_vhost(state, device, phase, found, steps, warnings)
    elif used > limit:
        teardown(state, registered)
        found = refusal(
            Code.VHOST_LIMIT_BELOW_USED, device=device.id, limit=limit, used=used, reserved=0
        )
        return refuse_vhost(state, device, phase, found, steps, warnings)
    return accepted(tuple(steps), tuple(warnings) if warnings else ())


def refuse_vhost(
    state: MachineState,
    device: VhostDevice,
    phase: str,
    found: Refusal,
    steps: list[RawStep],
    warnings: list[str],
) -> Outcome:
    """vhost_dev_init() failed. tap's vhost-net reports vhost_dev_init's error (and hint) only
    on stderr and fails netdev_add / -netdev with its own wrapper; the others pass it through.
    A hot-added vhost-user netdev never fails netdev_add at all: QEMU retries the connection
    forever and the monitor stops answering, so nothing after it can happen."""
    text = found.text(state.rules)
    hint = hint_for(found.code)
    if isinstance(device, VhostKernel) and is_netdev(device):
        warnings.append(text)
        if hint:
            warnings.append(hint)
        wrapper = refusal(Code.VHOST_NET_INIT_FAILED, device=device.id, cause=found)
        return Outcome(steps=tuple(steps), warnings=tuple(warnings), refusal=wrapper)
    stops = None
    if isinstance(device, VhostUser) and is_netdev(device) and phase == "hot":
        warnings.append(
            "QEMU retries this vhost-user netdev forever and QMP stops answering: "
            "the VM must be restarted"
        )
        stops = VHOST_USER_NET_HANG
    return Outcome(steps=tuple(steps), warnings=tuple(warnings), refusal=found, stops_qemu=stops)


def teardown(state: MachineState, registered: Registered) -> None:
    """vhost_dev_cleanup(): unregistering the listener writes 0 to the class's global."""
    state.vhost.unregister(registered)
