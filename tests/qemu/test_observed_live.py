"""The recorded observations still hold on the QEMU installed here (when one is recorded for it).

Why: tests/qemu/observed/ is what real QEMUs answered; the normal suite replays it through the
engine. This re-runs a few recorded cases on the installed QEMU and checks that QEMU still
answers what was recorded (a rebuilt or patched QEMU of the same version would show here).
`python -m tests.qemu.record --qemu PATH` re-records everything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.qemu.record import all_cases, observation
from tui.engine.model import Config
from tui.qemu.verify import format_table, verify

pytestmark = pytest.mark.qemu

OBSERVED = Path(__file__).parent / "observed"
LIVE = [
    "dimm-hot-slots-exhausted",
    "vhost-user-10.0-global-count-after-unplug",
    "vhost-free-per-device-wraps",
    "startup-maxmem-below-ram",
    "shared-backend-hot-virtio-mem-and-pmem",
    "virtio-balloon-two-and-hot-unplug",
]


def _keep(outcome: dict[str, object] | None) -> tuple[object, ...] | None:
    if outcome is None:
        return None
    return (outcome["status"], outcome["error"], outcome["memslots"])


@pytest.mark.parametrize("name", LIVE)
def test_installed_qemu_still_answers_what_was_recorded(name: str, qemu_info) -> None:
    path = OBSERVED / f"qemu-{qemu_info.version_string}.json"
    if not path.exists():
        pytest.skip(f"no recording for QEMU {qemu_info.version_string}")
    recorded = json.loads(path.read_text())["cases"].get(name)
    if recorded is None:
        pytest.skip(f"{name} is not recorded for QEMU {qemu_info.version_string}")
    config = Config.model_validate(all_cases()[name]["config"])
    result = verify(config, qemu=qemu_info.path, timeout=20)
    assert result.error is None, format_table(result)
    now = observation(result)
    assert [_keep(e) for e in now["events"]] == [_keep(e) for e in recorded["events"]], (
        format_table(result)
    )
    assert _keep(now["startup"]) == _keep(recorded["startup"])
