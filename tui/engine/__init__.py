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
from .replay import replay
from .report import Budget, EventResult, Report, Step, VhostBudget

__all__ = [
    "Budget",
    "Config",
    "Consumer",
    "Event",
    "EventResult",
    "HvBalloon",
    "Machine",
    "Nvdimm",
    "PcDimm",
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
