"""The package is laid out by stage, and its imports follow the line.

``core`` (artifacts, recipe models, media I/O) imports no stage; a stage imports core
and earlier stages, never a later one; the sample generator is apart from the line;
nothing inside a package imports the house modules (cli, workflow, recipe_checks)
that sit above them all. Checked twice: statically over every import statement (lazy
ones inside functions too), and by importing each module in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shortfactory import workflow

PACKAGE_DIR = Path(workflow.__file__).resolve().parent
# The line's order: a package may import those before it, never one after.
ORDER = ("core", "ingest", "speech", "vision", "clips", "release", "report", "analytics",
         "community")
APART = {"sample": ("core",)}  # may import only these (and itself)


def allowed(package: str) -> set[str]:
    if package in APART:
        return {package, *APART[package]}
    return set(ORDER[: ORDER.index(package) + 1])


def modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        if len(parts) == 2:  # inside a stage package
            found.append(".".join(("shortfactory", *parts)).removesuffix(".__init__"))
    return found


def package_of(module: str) -> str:
    """``core`` for ``shortfactory.core.media``; ``house`` for cli, workflow and the rest."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in {*ORDER, *APART} else "house"


def test_every_module_sits_in_a_known_package() -> None:
    packages = {m.split(".")[1] for m in modules()}
    assert packages == {*ORDER, *APART}
    house = {p.stem for p in PACKAGE_DIR.glob("*.py")}
    assert house == {"__init__", "cli", "workflow", "recipe_checks"}


@pytest.mark.parametrize("module", modules())
def test_imports_follow_the_line(module: str) -> None:
    package = module.split(".")[1]
    path = workflow.module_path(module)
    imported = workflow.imported_modules(path, module)
    bad = [m for m in imported
           if m != "shortfactory" and package_of(m) not in allowed(package)]
    assert not bad, f"{module} ({package}) imports {bad}"


LOADED = (
    "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith('shortfactory.'))))"
)


@pytest.mark.parametrize("package", ["core", "speech", "vision", "sample"])
def test_importing_a_package_loads_nothing_it_may_not_use(package: str) -> None:
    for module in (m for m in modules() if m.split(".")[1] == package):
        out = subprocess.run([sys.executable, "-c", LOADED, module], capture_output=True,
                             text=True, check=True)
        loaded = {m.split(".")[1] for m in json.loads(out.stdout)}
        assert loaded <= allowed(package), f"importing {module} loads {loaded}"
