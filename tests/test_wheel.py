"""The wheel carries the presets and lessons: build it, install it into a fresh venv (offline),
and list them from outside the source tree.

Marked `wheel` (CI runs it; `-m "not wheel"` skips it locally). One wheel build (pip's
isolated build environment) and one venv without pip of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.wheel


def _run(argv: list[str], cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_installed_wheel_lists_presets_and_lessons(tmp_path: Path) -> None:
    shipped_presets = sorted(p.name for p in (ROOT / "presets").glob("*.toml"))
    shipped_lessons = sorted(p.stem for p in (ROOT / "presets" / "lessons").glob("*.toml"))
    build = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        cwd=tmp_path,
    )
    if build.returncode and "invalid command 'bdist_wheel'" in build.stderr + build.stdout:
        build = _run(  # setuptools without the wheel command here: let pip isolate the build
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "-w",
                str(tmp_path / "dist"),
                str(ROOT),
            ],
            cwd=tmp_path,
        )
    offline = ("Could not find a version", "No matching distribution", "NewConnectionError")
    if build.returncode and any(text in build.stderr + build.stdout for text in offline):
        pytest.skip("no setuptools/wheel here and no package index to fetch them for the build")
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("memslot_explorer-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert (
        sorted(Path(n).name for n in names if n.startswith("tui/_presets/") and n.count("/") == 2)
        == shipped_presets
    )
    assert "tui/app/app.tcss" in names

    venv = tmp_path / "venv"  # no pip of its own: the outer pip installs into it (faster)
    made = _run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    install = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            str(wheel),
        ],
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    script = (
        "import tui, tui.presets as p\n"
        "from tui.lessons.files import list_lessons\n"
        "assert 'site-packages' in tui.__file__, tui.__file__\n"
        "print(len(p.list_presets()), p.shipped_preset_dir())\n"
        "print(sorted(i.path.stem for i in list_lessons() if not i.user and not i.error))\n"
    )
    listed = _run([str(python), "-c", script], cwd=tmp_path)  # not the checkout: no presets/ here
    assert listed.returncode == 0, listed.stderr[-2000:]
    count, where = listed.stdout.splitlines()[0].split(" ", 1)
    assert int(count) >= len(shipped_presets) and where.endswith("tui/_presets")
    assert listed.stdout.splitlines()[1] == str(shipped_lessons)
    cli = _run([str(venv / "bin" / "memslot-explorer"), "lesson", "--list"], cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    assert sum(1 for line in cli.stdout.splitlines() if line.startswith("shipped")) == len(
        shipped_lessons
    )
