"""Local run against SLURM run of the same 40 s sample: what the cluster costs on one node.

``python bench/scale.py`` (as root, with Debian's munge/slurmctld/slurmd installed) runs
the whole line twice on a fresh 40 s sample: once with the local executor, once through
``--profile profiles/slurm`` on the single-node SLURM of tests/slurm_cluster.py, and
writes ``bench/results/scale.json``: ``local_wall_s``, ``slurm_wall_s`` and their ratio
``slurm_overhead_x``. On one node SLURM can only add cost (one sbatch and one Snakemake
start per job, and the executor polling squeue), so the ratio is the price of the cluster
on a short episode, which a cluster repays with many nodes on many episodes.

The SLURM run uses the test's polling override (first squeue after 1 s instead of the
profile's 40 s): the profile's default adds up to ~40 s per step of the DAG, a cost of
the plugin's settings and not of SLURM. Wall times on a shared machine are noisy.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import write_result

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from slurm_cluster import SlurmCluster, why_unavailable  # noqa: E402
from test_slurm import slurm_run_args, venv_env  # noqa: E402

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
DURATION_S = 40.0


def prepare(work: Path) -> Path:
    """A work dir with the 40 s sample as its only episode; the recipe file to run with."""
    from shortfactory.sample.generator import generate_sample

    (work / "episodes").mkdir(parents=True)
    generate_sample(work / "episodes" / "sample40.mp4", work / "truth.json",
                    duration_s=DURATION_S, progress=False)
    recipe = work / "recipe.yaml"
    recipe.write_text(f"extends: {REPO / 'recipes' / 'default.yaml'}\n")
    return recipe


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall seconds of one snakemake run; a failed run stops the benchmark with its log."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"error: {' '.join(cmd[:6])} ... failed:\n{proc.stderr[-4000:]}")
    return wall


def bench_scale() -> dict[str, float]:
    """The same line, local then SLURM, each on its own fresh copy of the sample."""
    reason = why_unavailable()
    if reason:
        sys.exit(f"error: cannot run the SLURM half: {reason}")
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp_name:
        local, slurm = Path(tmp_name) / "local", Path(tmp_name) / "slurm"
        recipe = prepare(local)
        prepare(slurm)
        local_wall = timed([SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(local),
                            "--cores", "all", "--config", f"recipe={recipe}"], cwd=local)
        with SlurmCluster() as cluster:
            slurm_wall = timed(slurm_run_args(slurm, slurm / "recipe.yaml", cluster),
                               cwd=slurm, env=venv_env(cluster))
            jobs = len(cluster.jobs_done())
            cpus = cluster.cpus
        shorts = len(list((slurm / "out").glob("*/*.mp4")))
    return {"episode_s": DURATION_S, "node_cpus": cpus, "slurm_jobs": jobs, "shorts": shorts,
            "local_wall_s": round(local_wall, 1), "slurm_wall_s": round(slurm_wall, 1),
            "slurm_overhead_x": round(slurm_wall / local_wall, 2),
            "slurm_s_per_job": round((slurm_wall - local_wall) / jobs, 2) if jobs else 0.0}


def main() -> int:
    write_result("scale", bench_scale())
    return 0


if __name__ == "__main__":
    sys.exit(main())
