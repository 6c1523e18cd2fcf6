"""Code versions: a rule's param that changes exactly when the code it runs changes.

The version of a rule is a hash over its script's package modules, every package module
they import (transitively), the installed versions of the distributions that change
their output and the model files they load. Checked here on a copy of the package, so
edits never touch the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from shortfactory import workflow

SCRIPTS = sorted(p.name for p in (REPO / "scripts").glob("*.py"))
PRINT_VERSIONS = (
    "import json, sys; from pathlib import Path; from shortfactory import workflow as w; "
    "print(json.dumps({p.name: w.script_code_version(p) for p in "
    "sorted(Path(sys.argv[1]).glob('*.py'))}))")


def versions(src: Path) -> dict[str, str]:
    """Each script's code version with the package imported from ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", PRINT_VERSIONS, str(REPO / "scripts")],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


@pytest.fixture()
def package_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    return src


def edited(src: Path, module: str) -> dict[str, str]:
    with (src / "shortfactory" / module).open("a") as f:
        f.write("\n# an edit\n")
    return versions(src)


def test_an_edit_to_media_reruns_every_stage_that_decodes_and_nothing_else(
        package_copy: Path) -> None:
    before = versions(package_copy)
    assert before == {s: workflow.script_code_version(REPO / "scripts" / s) for s in SCRIPTS}
    after = edited(package_copy, "core/media.py")
    changed = {s for s in SCRIPTS if before[s] != after[s]}
    assert changed == {
        "probe_source.py", "extract_audio.py", "make_proxy.py", "transcribe.py",
        "compute_audio_features.py", "detect_scenes.py", "track_faces.py",
        "select_candidates.py", "render_short.py", "make_thumbnail.py",
        "preview_camera.py"}


def test_an_edit_to_a_leaf_module_reruns_its_one_stage(package_copy: Path) -> None:
    before = versions(package_copy)
    after = edited(package_copy, "clips/camera.py")
    assert {s for s in SCRIPTS if before[s] != after[s]} == {"plan_camera.py"}


def test_installing_a_face_backend_changes_the_faces_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    faces = REPO / "scripts" / "track_faces.py"
    scenes = REPO / "scripts" / "detect_scenes.py"
    before = workflow.script_code_version(faces), workflow.script_code_version(scenes)
    real = workflow.installed_version
    monkeypatch.setattr(workflow, "installed_version",
                        lambda d: "9.9" if d == "animeface" else real(d))
    assert workflow.script_code_version(faces) != before[0]
    assert workflow.script_code_version(scenes) == before[1]
    assert real("no-such-distribution-here") == "absent"


def test_lazy_and_relative_imports_are_followed() -> None:
    closure = workflow.module_closure(["vision.panels"])
    assert "shortfactory.vision.scenes" in closure  # panels imports scenes inside a function
    assert "shortfactory.core.media" in closure and "shortfactory.core.errors" in closure
    assert "shortfactory.clips.camera" not in closure
