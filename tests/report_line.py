"""One real run of the line for the report and timeline tests, shared within a session.

Both test files need the same thing (a 40 s sample through `all`, then `report` and
`timeline`); the run is made once under the session's temporary folder and reused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
EPISODE_FILE = "Épisode 2 — rapport.mp4"  # an odd name: the links must be encoded
EPISODE = "Épisode-2-rapport"


def snakemake(workdir: Path, *targets: str) -> None:
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2",
           *targets, "--config", f"recipe={workdir / 'recipe.yaml'}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(targets)} failed ({proc.returncode}):\n"
                             f"{proc.stderr[-6000:]}")


def report_line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The work dir after `snakemake`, then `snakemake report timeline` (made once)."""
    work = tmp_path_factory.getbasetemp() / "report_line"
    done = work / "done"
    if done.exists():
        return work
    from shortfactory.sample.generator import generate_sample

    (work / "episodes").mkdir(parents=True, exist_ok=True)
    generate_sample(work / "episodes" / EPISODE_FILE, work / "truth.json", duration_s=40.0,
                    progress=False)
    (work / "recipe.yaml").write_text(
        f"extends: {REPO / 'recipes' / 'default.yaml'}\n"
        "render:\n  preset: ultrafast  # test speed\n"
    )
    snakemake(work)
    snakemake(work, "report", "timeline")
    done.touch()
    return work
