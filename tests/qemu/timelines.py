"""Short builders for the configurations the qemu tests and the recorded observations share."""

from __future__ import annotations

from typing import Any


def vhost_user(
    ident: str, slots: int, device: str = "fs", configure: bool = True
) -> dict[str, Any]:
    """A vhost-user back-end offering `slots` memslots (8 without CONFIGURE_MEM_SLOTS)."""
    return {
        "kind": "vhost-user",
        "id": ident,
        "device": device,
        "max_mem_slots": slots,
        "configure_mem_slots": configure,
    }


def events(*pairs: str) -> list[dict[str, Any]]:
    """ "cold:vm0", "hotplug:d1", "resize:vm0:1G" → timeline entries."""
    out = []
    for pair in pairs:
        parts = pair.split(":")
        entry: dict[str, Any] = {"action": parts[0], "device": parts[1]}
        if parts[0] == "resize":
            entry["requested_size"] = parts[2]
        out.append(entry)
    return out
