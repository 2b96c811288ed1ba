"""Advice: bounded searches, cooperative cancel, and fixes that say everything they change."""

from __future__ import annotations

import time

from tui.engine import Config, replay
from tui.engine.advice import Bounds, advise, suggest
from tui.engine.units import GiB, PiB

from .conftest import config, dimm, machine, vmem


def _fs_after_vmem() -> Config:
    return config(
        machine(maxmem=68 * GiB, memory_backend="memfd"),
        memory=[vmem("vmem0", 64 * GiB, backend="memfd", share=True)],
        vhost=[
            {
                "kind": "vhost-user",
                "id": "fs0",
                "max_mem_slots": 32,
                "backend_name": "virtiofsd (before 2024)",
            }
        ],
        timeline=[("cold", "vmem0"), ("hotplug", "fs0")],
    )


def test_issue_file_with_a_petabyte_maxmem_is_answered_in_a_few_replays() -> None:
    """The 136-byte file of issue 8: the maxmem search used to replay every GiB up to 4 PiB."""
    cfg = Config.model_validate(
        {
            "machine": {"ram": "4G", "maxmem": PiB, "phys_bits": 52},
            "memory_devices": [
                {"kind": "virtio-mem", "id": "v", "size": "1G", "memaddr": 0x40000000}
            ],
        }
    )
    start = time.monotonic()
    result = advise(cfg)
    assert result.complete
    assert result.replays <= 4  # the largest maxmem and slots are tried first: neither helps
    assert result.suggestions == ()
    assert time.monotonic() - start < 5


def test_five_thousand_dimms_on_a_machine_that_will_not_start() -> None:
    dimms = [dimm(f"d{i}", 1 * GiB) for i in range(5000)]
    cfg = config(machine(maxmem=6000 * GiB, slots=5000, phys_bits=52), memory=dimms)
    start = time.monotonic()
    result = advise(cfg, bounds=Bounds(max_seconds=20))
    assert time.monotonic() - start < 20
    assert [s.title for s in result.suggestions] == ["Use slots=256"]
    fix = result.suggestions[0]
    assert fix.partial and len(fix.fixes) == 256  # 256 DIMMs plug, the 257th still fails
    assert fix.remaining[0] == 256
    assert fix.changes == ("machine slots: 5000 → 256",)


def test_a_cancelled_search_stops_before_its_first_replay() -> None:
    result = advise(_fs_after_vmem(), bounds=Bounds(cancelled=lambda: True))
    assert (result.complete, result.stopped_by, result.replays) == (False, "cancelled", 0)


def test_the_replay_cap_stops_the_search_and_keeps_what_was_found() -> None:
    complete = advise(_fs_after_vmem())
    assert complete.complete and len(complete.suggestions) >= 2
    capped = advise(_fs_after_vmem(), bounds=Bounds(max_replays=1))
    assert (capped.complete, capped.stopped_by, capped.replays) == (False, "replays", 1)
    assert capped.suggestions == complete.suggestions[:1]


def test_the_cancel_check_is_polled_between_replays() -> None:
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    result = advise(_fs_after_vmem(), bounds=Bounds(cancelled=cancelled))
    assert (result.complete, result.stopped_by, result.replays) == (False, "cancelled", 1)
    assert len(calls) == 3  # polled before the first candidate's validation and replay
    assert [s.title for s in result.suggestions] == ["Plug fs0 before vmem0"]


def test_plug_before_says_the_hotplug_becomes_a_cold_plug_and_the_memslots_then() -> None:
    fix = next(s for s in suggest(_fs_after_vmem()) if s.title == "Plug fs0 before vmem0")
    assert "fs0 becomes a cold plug (on the command line) instead of a hotplug" in fix.detail
    assert "fs0: hotplug → cold plug (on the command line)" in fix.changes
    assert "vmem0: 64 → 1 memslot(s)" in fix.changes
    assert fix.fixes == (1,) and not fix.partial
    assert [(m.device, m.memslots, m.memslot_limit) for m in fix.memslots] == [("vmem0", 1, 1)]


def test_vhost_user_fix_names_a_vhost_user_back_end_and_renames_it() -> None:
    fix = next(s for s in suggest(_fs_after_vmem()) if s.title.startswith("Give fs0"))
    assert "modprobe" not in fix.detail and "max_mem_regions" not in fix.detail
    assert "GET_MAX_MEM_SLOTS" in fix.detail
    fs0 = fix.config.device("fs0")
    assert fs0.kind == "vhost-user" and fs0.max_mem_slots == 509  # type: ignore[union-attr]
    assert fs0.backend_name == "virtiofsd"  # type: ignore[union-attr]
    assert "fs0 backend_name: 'virtiofsd (before 2024)' → 'virtiofsd'" in fix.changes
    assert "fs0 max_mem_slots: 32 → 509" in fix.changes


def test_vhost_kernel_fix_is_the_module_parameter() -> None:
    dimms = [dimm(f"d{i}", 1 * GiB) for i in range(70)]
    cfg = config(
        machine(slots=80, maxmem=84 * GiB),
        memory=dimms,
        vhost=[{"kind": "vhost-kernel", "id": "net0"}],
        timeline=[*[("hotplug", d["id"]) for d in dimms], ("hotplug", "net0")],
    )
    fix = next(s for s in suggest(cfg) if s.title.startswith("Give net0"))
    assert "max_mem_regions=509" in fix.detail and "modprobe.d" in fix.detail
    assert replay(fix.config).ok


def test_raise_maxmem_fix_states_the_fixed_event_and_its_memslots() -> None:
    cfg = config(
        machine(slots=1, maxmem=20 * GiB),
        memory=[dimm("d0", 12 * GiB), vmem("vmem0", 8 * GiB)],
        timeline=[("cold", "d0"), ("hotplug", "vmem0")],
    )
    fix = suggest(cfg)[0]
    assert fix.title == "Raise maxmem by 4G to 24G"
    assert fix.fixes == (1,)
    assert fix.changes[0] == "machine maxmem: '20G' → '24G'"
    [fixed] = fix.memslots
    assert fixed.device == "vmem0" and fixed.memslots == replay(fix.config).events[1].memslots


def test_advice_reads_codes_and_facts_never_the_message_text(monkeypatch) -> None:
    """With every QEMU message replaced by the same meaningless text, the fixes are the same."""
    from tui.engine import refusals

    cases = [
        _fs_after_vmem(),
        config(
            machine(slots=1, maxmem=20 * GiB),
            memory=[dimm("d0", 12 * GiB), vmem("vmem0", 8 * GiB)],
            timeline=[("cold", "d0"), ("hotplug", "vmem0")],
        ),
        config(
            machine(maxmem=36 * GiB), memory=[{"kind": "hv-balloon", "id": "hvb", "size": 32 * GiB}]
        ),
        config(
            machine(ram=1 * GiB, maxmem=23 * GiB, slots=16, phys_bits=36, cpu_vendor="intel"),
            memory=[dimm("d", 1 * GiB)],
        ),
    ]
    before = [[(s.title, s.fixes, s.changes) for s in suggest(c)] for c in cases]
    assert all(before)
    monkeypatch.setattr(refusals, "message", lambda code, facts, rules: "refused")
    assert replay(cases[0]).events[1].error == "refused"
    after = [[(s.title, s.fixes, s.changes) for s in suggest(c)] for c in cases]
    assert after == before


def test_larger_dimms_offers_the_most_dimms_that_plug_even_when_counts_are_not_monotonic() -> None:
    """openEuler case (preset s05): 62 × 1G DIMMs and 4 vhost-net NICs at 64 regions. 56 DIMMs
    of 1152M plug, although 52 to 55 DIMMs (1280M each, rounded to 128M) do not."""
    from pathlib import Path

    from tui.formats.toml import load

    preset = Path(__file__).resolve().parents[2] / "presets"
    cfg = load(preset / "s05-openeuler-dimms-with-vhost-net-nics.toml")
    titles = [s.title for s in suggest(cfg)]
    assert "Use 56 DIMMs of 1152M instead of 62" in titles


def test_larger_dimms_rules_out_by_arithmetic_the_counts_that_cannot_fit_the_space() -> None:
    """250 × 1G DIMMs behind a 128-slot vhost-user back-end: equal DIMMs rounded up to 128M
    overflow maxmem − ram for most counts below 250; 125 DIMMs of 2G fit and plug (3 boot RAM
    regions + 125 = 128), 126 would not."""
    dimms = [dimm(f"d{i}", 1 * GiB, backend="memfd", share=True) for i in range(250)]
    cfg = config(
        machine(slots=250, maxmem=254 * GiB, memory_backend="memfd"),
        memory=dimms,
        vhost=[{"kind": "vhost-user", "id": "fs0", "max_mem_slots": 128}],
        timeline=[("cold", "fs0"), *[("hotplug", d["id"]) for d in dimms]],
    )
    result = advise(cfg)
    assert "Use 125 DIMMs of 2G instead of 250" in [s.title for s in result.suggestions]
    assert result.replays < 20


def test_event_numbers_are_one_based_and_compact() -> None:
    from tui.engine.report import event_numbers

    assert event_numbers([1]) == "2"
    assert event_numbers(range(256)) == "1–256"
    assert event_numbers([0, 1, 4, 5, 6, 9]) == "1, 2, 5–7, 10"
    assert event_numbers([]) == ""
