"""Layering: formats, qemu and cli never import Textual or the app (the CLI opens the app
only when asked, and then imports it lazily). Every module of those packages is checked,
including ones added later, in a fresh interpreter running this tree."""

from __future__ import annotations

import json

import pytest

from tests.conftest import fresh_interpreter

FORBIDDEN = ("textual", "tui.app")

CODE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
names = [package.__name__] + [
    m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
]
for name in names:
    importlib.import_module(name)
bad = sorted(
    m for m in sys.modules
    if any(m == f or m.startswith(f + ".") for f in json.loads(sys.argv[2]))
)
print(json.dumps({"modules": names, "forbidden": bad}))
"""


@pytest.mark.parametrize("package", ["tui.formats", "tui.qemu", "tui.cli"])
def test_package_imports_neither_textual_nor_the_app(package: str) -> None:
    found = fresh_interpreter(CODE, package, json.dumps(FORBIDDEN))
    assert len(found["modules"]) > 1  # the walk saw the package's modules
    assert found["forbidden"] == [], f"{package} pulls in {found['forbidden']}"
