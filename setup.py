"""Packaging beyond pyproject.toml: the top-level presets/ ships inside the wheel.

presets/ stays where engineers look for it (the repository root); setuptools maps it to the
package tui._presets (and its lessons/ to tui._presets.lessons), so an installed copy finds
its presets next to tui/presets.py. Package discovery itself stays automatic (tui*).
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["tui*"]), "tui._presets", "tui._presets.lessons"],
    package_dir={"tui._presets": "presets"},
    package_data={"": ["*.tcss", "*.toml"], "tui._presets": ["*.toml", "lessons/*.toml"]},
)
