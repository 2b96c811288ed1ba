"""Built-in default configuration and the preset library (repo `presets/` plus a user dir).

A broken user preset must never break the listing: it is listed with its load error instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tui.engine.model import Config, Event, Machine, VhostKernel, VirtioMem
from tui.engine.units import GiB

APP_NAME = "memslot-explorer"
PACKAGED_PRESETS = "_presets"
"""tui/_presets/: where an installed wheel carries presets/ (setup.py maps it)."""

GROUPS: dict[str, str] = {
    "worked-example": "Worked examples",
    "field-case": "Field cases",
    "version-rule": "Version rules",
    "device-rule": "Device and machine rules",
}
"""A preset's `group` key → the picker's heading, in the picker's order."""
OTHER_GROUP = "Other presets"
USER_GROUP = "Your presets"
LESSON_GROUP = "Lessons"


@dataclass(frozen=True)
class PresetInfo:
    """One preset file as the app's picker shows it."""

    path: Path
    title: str
    description: str
    error: str | None = None
    """The ConfigError text when the file does not load (title falls back to the file name)."""
    group: str = OTHER_GROUP
    """The picker's heading: GROUPS[preset's `group`], or "Your presets" for the user's."""

    @property
    def ok(self) -> bool:
        """Whether the preset loads."""
        return self.error is None


def default_config() -> Config:
    """The configuration the app opens without a file: small, valid, and instructive.

    q35 under KVM, 4G boot RAM, maxmem 68G, a vhost-net NIC at the kernel's default
    max_mem_regions=64 and a 64G virtio-mem with dynamic-memslots=on. Because 64 < 509 the
    virtio-mem device gets a memslot limit of 1 (one memslot for 64G): the 509 rule in action.
    """
    return Config(
        title="Default: vhost-net (64) caps a dynamic virtio-mem at 1 memslot",
        description=(
            "q35/KVM, -m 4G,maxmem=68G, -netdev tap,vhost=on (host max_mem_regions=64) and a "
            "64G virtio-mem-pci with dynamic-memslots=on. The overall memslot maximum is "
            "min(KVM 32764, vhost 64) = 64 < 509, so QEMU gives the virtio-mem device a limit "
            "of 1: it uses a single 64G memslot. Raise max_mem_regions to 509 (Fedora's "
            "default) and it gets 64 memslots of 1G instead."
        ),
        machine=Machine(type="q35", accel="kvm", ram=4 * GiB, maxmem=68 * GiB),
        vhost_devices=(VhostKernel(id="net0", device="net", max_mem_regions=64),),
        memory_devices=(
            VirtioMem(id="vmem0", size=64 * GiB, requested_size=0, dynamic_memslots=True),
        ),
        timeline=(
            Event(action="cold", device="net0"),
            Event(action="cold", device="vmem0"),
        ),
    )


def repo_preset_dir() -> Path:
    """`presets/` of the checkout this package runs from (may not exist when installed)."""
    return Path(__file__).resolve().parent.parent / "presets"


def shipped_preset_dir() -> Path:
    """The shipped presets: the checkout's presets/ when running from one, else the copy an
    installed wheel carries as package data (tui/_presets)."""
    repo = repo_preset_dir()
    if repo.is_dir():
        return repo
    return Path(__file__).resolve().parent / PACKAGED_PRESETS


def shipped_preset_dirs() -> list[Path]:
    """Directories of the presets that ship with memslot-explorer (read-only in the app): the
    checkout's presets/ and the wheel's package data."""
    return [repo_preset_dir(), Path(__file__).resolve().parent / PACKAGED_PRESETS]


def is_shipped(path: Path) -> bool:
    """Whether `path` is (or resolves into) a shipped preset directory."""
    try:
        resolved = Path(path).expanduser().resolve()
    except (OSError, RuntimeError):
        return False
    return any(resolved.is_relative_to(d.resolve()) for d in shipped_preset_dirs())


def user_preset_dir() -> Path:
    """The user's own presets: `user_preset_dir` of the settings file, else platformdirs'
    user data dir for memslot-explorer, + presets/."""
    from tui.settings import load_settings

    configured = load_settings().user_preset_dir
    if configured is not None:
        return configured
    try:
        from platformdirs import user_data_dir
    except ImportError:  # platformdirs comes with textual; fall back to the XDG default
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return Path(base) / APP_NAME / "presets"
    return Path(user_data_dir(APP_NAME)) / "presets"


def preset_dirs() -> list[Path]:
    """Where presets are looked up, built-in first: the repo's presets/, then the user dir."""
    return [shipped_preset_dir(), user_preset_dir()]


def list_presets(dirs: list[Path] | None = None) -> list[PresetInfo]:
    """Every *.toml preset in `dirs` (default preset_dirs()), sorted by name within a dir."""
    found: list[PresetInfo] = []
    user = user_preset_dir()
    for directory in preset_dirs() if dirs is None else dirs:
        try:
            paths = sorted(p for p in directory.glob("*.toml") if p.is_file())
        except OSError:
            continue
        for path in paths:
            found.append(_info(path, directory == user))
    return found


def group_label(group: str) -> str:
    """The picker's heading for a preset's `group` value."""
    return GROUPS.get(group, group or OTHER_GROUP)


def _info(path: Path, user: bool = False) -> PresetInfo:
    from tui.formats.toml import ConfigError, load  # not needed for the default config

    try:
        config = load(path)
    except ConfigError as exc:
        group = USER_GROUP if user else OTHER_GROUP
        return PresetInfo(path=path, title=path.stem, description="", error=str(exc), group=group)
    return PresetInfo(
        path=path,
        title=config.title or path.stem,
        description=config.description,
        group=USER_GROUP if user else group_label(config.group),
    )
