"""Which CPU vendor a QEMU x86 CPU model reports (it decides the 1 TiB HyperTransport hole)."""

from __future__ import annotations

import re

_AMD = re.compile(r"^(qemu64|phenom|athlon|Opteron_G\d|EPYC|Dhyana)", re.IGNORECASE)
_INTEL = re.compile(
    r"^(kvm64|kvm32|qemu32|core2duo|coreduo|n270|486|pentium\d?|Conroe|Penryn|Nehalem|Westmere|"
    r"SandyBridge|IvyBridge|Haswell|Broadwell|Skylake|Cascadelake|Cooperlake|Icelake|"
    r"SapphireRapids|GraniteRapids|SierraForest|ClearwaterForest|Snowridge|Denverton|"
    r"KnightsMill|YongFeng)",
    re.IGNORECASE,
)


def cpu_vendor(model: str) -> str | None:
    """ "amd" or "intel" for a named model (its versions `-v2` too); None for host / max /
    unknown models, whose vendor is the host's. Hygon's Dhyana reports an AMD-compatible
    layout; Zhaoxin's YongFeng an Intel one."""
    if _AMD.match(model):
        return "amd"
    if _INTEL.match(model):
        return "intel"
    return None
