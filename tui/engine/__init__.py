"""The pure core: configuration models and QEMU's memslot rules. No Textual, no Rich, no I/O."""

from .model import (
    Config,
    Consumer,
    Event,
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
from .refusals import Code, Facts, Refusal
from .replay import replay
from .report import Budget, EventResult, Report, Step, VhostBudget

__all__ = [
    "Budget",
    "Code",
    "Config",
    "Consumer",
    "Event",
    "EventResult",
    "Facts",
    "HvBalloon",
    "Machine",
    "Nvdimm",
    "PcDimm",
    "Refusal",
    "Report",
    "Step",
    "VhostBudget",
    "VhostKernel",
    "VhostUser",
    "VhostVdpa",
    "VirtioMem",
    "VirtioPmem",
    "replay",
]
