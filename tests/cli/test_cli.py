"""`memslot-explorer`: exit codes 0/1/2, the text and --json outputs, verb dispatch."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tui import __version__
from tui.cli import JSON_SCHEMA, main
from tui.formats.toml import save
from tui.presets import default_config, repo_preset_dir

PRESETS = repo_preset_dir()
OK_PRESET = PRESETS / "ex01-virtio-mem-64-memslots.toml"
FAILING_PRESET = PRESETS / "ex10a-virtiofsd-32-after-virtio-mem.toml"
ROOT = Path(__file__).resolve().parents[2]

BUDGET_KEYS = {
    "kvm_max",
    "kvm_used",
    "kvm_free",
    "vhost",
    "vhost_max",
    "vhost_free",
    "used_region_size",
    "device_memory_space",
    "required_memslots",
    "used_memslots",
    "reserved_memslots",
    "auto_decision_active",
    "soft_limit",
    "safe_max",
}
EVENT_KEYS = {
    "index",
    "id",
    "kind",
    "action",
    "phase",
    "ok",
    "skipped",
    "pending",
    "error",
    "code",
    "hint",
    "warnings",
    "memslot_limit",
    "memslots",
    "memslot_size",
    "requested_size",
    "budget",
}
TOP_KEYS = {
    "schema",
    "expect_mismatches",
    "file",
    "title",
    "qemu_version",
    "rules",
    "startup_error",
    "startup_code",
    "ok",
    "warnings",
    "events",
    "totals",
    "suggestions",
    "suggestions_stopped",
    "headroom",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- check


def test_check_ok_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(OK_PRESET))
    assert code == 0, err
    assert "Result: OK" in out
    assert "vmem0" in out and "virtio-mem" in out
    row = next(line for line in out.splitlines() if " vmem0 " in line)
    assert row.split()[-3:] == ["256", "64", "ok"]  # limit, memslots, verdict
    assert "required 64, used 0, reserved 64" in out
    assert "soft limit 256" in out


def test_check_failure_exits_1_with_qemus_message_and_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "check", str(FAILING_PRESET))
    assert code == 1
    assert "FAILED" in out
    assert (
        "error: some memory device (like virtio-mem) decided how many memory slots to use "
        "based on the overall number of memory slots; this vhost backend would further "
        "restricts the overall number of memory slots"
    ) in out
    assert "hint: Try plugging this vhost backend before plugging such memory devices." in out
    assert "vhost fs1 (vhost-user): " in out and "limit 509" in out
    assert "Result: FAILED — event 2 fails." in out


def test_check_startup_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "slots.toml"
    path.write_text("[machine]\nslots = 4\n")
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    assert "QEMU does not start: slots specified but no max-size" in out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[machine\nram = "4G"\n', ": line 1, column 9: invalid TOML"),
        (
            '[[memory_devices]]\nid = "d"\nkind = "dimm"\nsize = "1G"\n',
            ": memory_devices[0].kind: unknown memory device kind 'dimm'",
        ),
        ('[machine]\nram = "12Q"\n', ": machine.ram: size '12Q' has an unknown suffix 'Q'"),
        ('[machine]\nram = "-1G"\n', ": machine.ram: size '-1G' is negative"),
        ("[machine]\nmaxmem = 18446744073709551616\n", ": machine.maxmem: size "),
        ('[machine]\nram = "4GiB"\n', ": machine.ram: size '4GiB' has an unknown suffix 'GiB'"),
        (
            '[[memory_devices]]\nid = "d\\n"\nkind = "pc-dimm"\nsize = "1G"\n',
            ": memory_devices[0].id: id 'd\\n' is not a valid QEMU id",
        ),
        ("colour = 1\n", ": colour: unknown key 'colour'"),
        (
            '[[memory_devices]]\nid = "d"\nkind = "pc-dimm"\nsize = "1G"\n'
            '[[memory_devices]]\nid = "d"\nkind = "pc-dimm"\nsize = "1G"\n',
            ": memory_devices[1].id: duplicate id 'd'",
        ),
        (
            '[[memory_devices]]\nid = "d"\nkind = "pc-dimm"\nsize = "1G"\n'
            '[[timeline]]\naction = "unplug"\ndevice = "d"\n',
            ": timeline[0].device: 'd' is not plugged",
        ),
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_check_bad_input_exits_2_with_one_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fragment: str, as_json: bool
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = run(capsys, "check", str(path), *(["--json"] if as_json else []))
    assert code == 2
    assert out == ""
    assert err.startswith(f"{path}{fragment}")
    assert "Traceback" not in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("target", ["missing", "directory"])
def test_check_unusable_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    path = tmp_path / "nope.toml" if target == "missing" else tmp_path
    code, out, err = run(capsys, "check", str(path))
    assert code == 2 and out == ""
    reason = "No such file or directory" if target == "missing" else "Is a directory"
    assert err == f"{path}: cannot read: {reason}\n"


def test_check_unexpected_oserror_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tui.engine

    def broken(config: object) -> object:
        raise OSError(5, "Input/output error", "/dev/sda")

    monkeypatch.setattr(tui.engine, "replay", broken)
    code, _, err = run(capsys, "check", str(OK_PRESET))
    assert code == 2
    assert err == "/dev/sda: Input/output error\n"


def test_check_engine_crash_is_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tui.engine

    def broken(config: object) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(tui.engine, "replay", broken)
    monkeypatch.delenv("MEMSLOT_EXPLORER_DEBUG", raising=False)
    code, _, err = run(capsys, "check", str(OK_PRESET))
    assert code == 3
    assert "internal error: ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- --json


def _check_json(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, dict]:
    code, out, err = run(capsys, "check", str(path), "--json")
    assert err == ""
    return code, json.loads(out)


def test_json_document_schema_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _check_json(capsys, OK_PRESET)
    assert code == 0
    assert set(doc) == TOP_KEYS
    assert doc["schema"] == JSON_SCHEMA == "memslot-explorer/check/1"
    assert doc["ok"] is True and doc["startup_error"] is None
    assert doc["qemu_version"] == "10.1" and doc["rules"] == "10.1"
    [event] = doc["events"]
    assert set(event) == EVENT_KEYS
    assert event["index"] == 1 and event["id"] == "vmem0" and event["kind"] == "virtio-mem"
    assert (event["memslot_limit"], event["memslots"], event["memslot_size"]) == (256, 64, 1 << 30)
    assert event["error"] is None and event["phase"] == "cold" and event["action"] == "cold"
    assert set(event["budget"]) == BUDGET_KEYS
    assert set(doc["totals"]) == BUDGET_KEYS
    totals = doc["totals"]
    assert (totals["required_memslots"], totals["used_memslots"], totals["reserved_memslots"]) == (
        64,
        0,
        64,
    )
    assert totals["soft_limit"] == 256 and totals["auto_decision_active"] == 1
    assert doc["suggestions"] == []


def test_json_document_schema_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _check_json(capsys, FAILING_PRESET)
    assert code == 1 and doc["ok"] is False
    assert [e["index"] for e in doc["events"]] == [1, 2, 3]
    failed = doc["events"][1]
    assert failed["ok"] is False and failed["id"] == "fs0" and failed["kind"] == "vhost-user"
    assert failed["memslot_limit"] is None  # a vhost device decides nothing
    assert failed["error"].startswith("some memory device (like virtio-mem) decided")
    assert failed["hint"] == "Try plugging this vhost backend before plugging such memory devices."
    vhost = {v["id"]: v for v in doc["events"][2]["budget"]["vhost"]}
    assert set(vhost["fs1"]) == {"id", "kind", "limit", "used", "regions", "free"}
    assert vhost["fs1"]["limit"] == 509
    assert failed["code"] == "vhost-after-auto-decision"
    assert doc["suggestions"] and doc["suggestions_stopped"] is None
    for suggestion in doc["suggestions"]:
        assert set(suggestion) == {
            "title",
            "detail",
            "fixes",
            "changes",
            "memslots",
            "required_memslots",
            "partial",
            "still_failing",
        }
        assert all(isinstance(i, int) and 1 <= i <= 3 for i in suggestion["fixes"])
        assert suggestion["partial"] is bool(suggestion["still_failing"])
    if doc["suggestions"]:
        assert any(2 in s["fixes"] for s in doc["suggestions"])  # event numbers are 1-based


def test_json_skipped_events_after_a_failed_cold_plug(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = default_config().model_copy(
        update={"machine": default_config().machine.model_copy(update={"maxmem": None})}
    )
    path = tmp_path / "nomaxmem.toml"
    save(config, path)
    code, doc = _check_json(capsys, path)
    assert code == 1
    assert len(doc["events"]) == len(config.timeline)
    vmem = doc["events"][1]
    assert vmem["ok"] is False and vmem["error"] == (
        "the configuration is not prepared for memory devices (e.g., for memory hotplug), "
        "consider specifying the maxmem option"
    )


# --------------------------------------------------------------------------- other verbs


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"memslot-explorer {__version__}"


def test_help_lists_the_verbs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for verb in ("check FILE", "export FILE", "verify FILE"):
        assert verb in out


@pytest.mark.parametrize(
    "argv",
    [["check"], ["check", "--bogus", "a"], ["--bogus"], ["export", "f.toml", "--to", "yaml"]],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and "usage:" in err and "Traceback" not in err


def _fake_module(
    monkeypatch: pytest.MonkeyPatch, name: str, function: str, result: int
) -> list[object]:
    calls: list[object] = []
    module = types.ModuleType(name)

    def handler(arg: object) -> int:
        calls.append(arg)
        return result

    setattr(module, function, handler)
    monkeypatch.setitem(sys.modules, name, module)
    return calls


def test_export_dispatches_with_parsed_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_module(monkeypatch, "tui.formats.export", "run_export_cli", 0)
    assert main(["export", "vm.toml", "--to", "libvirt", "-o", "vm.xml"]) == 0
    [args] = calls
    assert (args.file, args.to, args.output) == (Path("vm.toml"), "libvirt", Path("vm.xml"))


def test_verify_dispatches_with_parsed_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_module(monkeypatch, "tui.qemu.verify", "run_verify_cli", 1)
    assert (
        main(
            [
                "verify",
                "vm.toml",
                "--qemu",
                "/usr/bin/qemu",
                "--accel",
                "tcg",
                "--json",
                "--timeout",
                "7.5",
            ]
        )
        == 1
    )
    [args] = calls
    assert (args.file, args.qemu, args.accel, args.json, args.timeout) == (
        Path("vm.toml"),
        Path("/usr/bin/qemu"),
        "tcg",
        True,
        7.5,
    )


def test_missing_verb_module_is_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tui.qemu.verify", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "tui.formats.export", types.ModuleType("tui.formats.export"))
    code, _, err = run(capsys, "verify", "vm.toml")
    assert code == 3 and "verify: not available in this installation" in err
    code, _, err = run(capsys, "export", "vm.toml", "--to", "qemu")
    assert code == 3 and "run_export_cli is missing" in err


def test_no_verb_opens_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_module(monkeypatch, "tui.app.app", "run_app", 0)
    assert main([]) == 0
    assert main(["vm.toml"]) == 0
    assert calls == [None, Path("vm.toml")]


def test_python_dash_m_tui_check() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui", "check", str(OK_PRESET), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["schema"] == JSON_SCHEMA


# --------------------------------------------------------------------------- advice


def _fake_advice(monkeypatch: pytest.MonkeyPatch, suggest: object, headroom: object) -> None:
    module = types.ModuleType("tui.engine.advice")
    module.suggest = suggest  # type: ignore[attr-defined]
    module.headroom = headroom  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tui.engine.advice", module)


def test_suggestions_are_capped_in_text_and_complete_in_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = [
        types.SimpleNamespace(title=f"fix {i}", detail="why", config=None, fixes=(1,))
        for i in range(7)
    ]
    room = types.SimpleNamespace(text="plenty of room")
    _fake_advice(monkeypatch, lambda config, report: tuple(fake), lambda config, report: room)
    code, out, _ = run(capsys, "check", str(FAILING_PRESET))
    assert code == 1
    assert "  - fix 4 (fixes event 2)" in out and "fix 5" not in out
    assert "… and 2 more (--json lists them all)" in out
    assert "Headroom: plenty of room" in out
    code, doc = _check_json(capsys, FAILING_PRESET)
    assert [s["title"] for s in doc["suggestions"]] == [f"fix {i}" for i in range(7)]
    assert doc["suggestions"][0]["fixes"] == [2]  # engine index 1 → event 2
    assert doc["headroom"] == {"text": "plenty of room"}


def test_broken_advice_never_hides_the_verdict(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(config: object, report: object) -> object:
        raise IndexError("tuple index out of range")

    _fake_advice(monkeypatch, boom, boom)
    code, out, err = run(capsys, "check", str(FAILING_PRESET))
    assert code == 1 and "Result: FAILED" in out
    assert "warning: suggestions unavailable: tuple index out of range" in err
    assert "Traceback" not in err


def test_no_advice_module(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tui.engine.advice", None)
    code, doc = _check_json(capsys, FAILING_PRESET)
    assert code == 1 and doc["suggestions"] == [] and doc["headroom"] is None


def test_text_fixes_say_what_they_fix_change_and_leave(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "check", str(FAILING_PRESET))
    assert code == 1
    assert "  - Plug fs0 before vmem0 (fixes event 2)\n" in out
    assert "fs0 becomes a cold plug (on the command line) instead of a hotplug." in out
    assert "    changes: fs0: hotplug → cold plug (on the command line);" in out
    assert "vmem0: 64 → 1 memslot(s)" in out
    assert (
        "    then: vmem0 1 memslot(s) (limit 1); memory devices require 1 memslot(s) in all" in out
    )
    give = out.index("  - Give fs0 a back-end with 509 memslots")
    assert "modprobe" not in out[give : out.index("  - Set dynamic-memslots")]


def test_failed_rows_and_memdev_less_devices_print_no_memslots(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "vm.toml"
    path.write_text(
        """
[machine]
ram = "4G"
maxmem = "20G"
slots = 1

[[memory_devices]]
kind = "pc-dimm"
id = "d0"
size = "12G"

[[memory_devices]]
kind = "virtio-mem"
id = "vmem0"
size = "8G"
dynamic_memslots = true

[[memory_devices]]
kind = "hv-balloon"
id = "hvb"

[[timeline]]
action = "cold"
device = "hvb"

[[timeline]]
action = "cold"
device = "d0"

[[timeline]]
action = "hotplug"
device = "vmem0"
""",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "check", str(path), "--no-suggestions")
    assert code == 1
    rows = {
        line.split()[3]: line.split() for line in out.splitlines() if line[:3].strip().isdigit()
    }
    assert rows["vmem0"][-3:] == ["-", "-", "FAILED"]  # QEMU decided 8 before refusing it
    assert rows["hvb"][-3:] == ["-", "-", "ok"]
    assert rows["d0"][-3:] == ["-", "1", "ok"]
    assert "Suggestions" not in out
    code, doc = _check_json(capsys, path)
    assert doc["suggestions_stopped"] is None
    assert doc["events"][2]["code"] == "not-enough-space"
    assert doc["events"][2]["memslots"] == 8  # the JSON keeps the engine's decision


def test_no_suggestions_skips_the_search(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(FAILING_PRESET), "--no-suggestions")
    assert code == 1 and "Suggestions" not in out and "Result: FAILED" in out
    code, out, _ = run(capsys, "check", str(FAILING_PRESET), "--no-suggestions", "--json")
    doc = json.loads(out)
    assert doc["suggestions"] == [] and doc["suggestions_stopped"] == "skipped"


@pytest.mark.parametrize(
    "argv",
    [
        ("check", ""),
        ("check", "presets/ex01-virtio-mem-64-memslots.toml", ""),
        ("export", "", "--to", "qemu"),
        ("verify", ""),
        ("sweep", ""),
        ("compare", "a.toml", ""),
        ("",),
    ],
)
def test_an_empty_path_is_a_usage_error_not_the_current_directory(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    """argparse's type=Path made "" the current directory: `check ''` said ".: cannot read:
    Is a directory"."""
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert "an empty path names no file" in err and ".:" not in err
