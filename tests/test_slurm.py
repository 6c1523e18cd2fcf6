"""The line through ``--profile profiles/slurm`` on a real single-node SLURM on localhost.

tests/slurm_cluster.py starts munged, slurmctld and slurmd from Debian's packages in a
temporary folder; the 40 s sample runs through the SLURM executor plugin exactly as on a
cluster (sbatch per job, states read with squeue), and the test proves from SLURM's own
record of finished jobs that every job ran there, with the resources the profile and the
rules ask for, before decoding the Shorts. Skips only where SLURM cannot run here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import av
import pytest
from ruamel.yaml import YAML
from slurm_cluster import ClusterUnavailable, SlurmCluster, why_unavailable

from shortfactory.workflow import audio_features_mem_mb, render_mem_mb

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "profiles" / "slurm"
VENV_BIN = Path(sys.executable).parent
EPISODE_FILE = "Épisode 1 — l'essai.mp4"
EPISODE = "Épisode-1-l-essai"
# Rules that run once per episode and once per clip: each must be one SLURM job.
EPISODE_RULES = ("probe_source", "extract_audio", "make_proxy", "transcribe",
                 "compute_audio_features", "detect_scenes", "track_faces",
                 "select_candidates", "collect_shorts")
CLIP_RULES = ("plan_camera", "write_subtitles", "write_metadata", "render_short",
              "export_metadata", "export_captions", "make_thumbnail")
# Test-only overrides: first squeue after 1 s (the plugin adds 10 s per idle check) instead
# of the profile's cluster-friendly 40 s; keep every job's log (SLURM job id -> rule).
FAST_POLL = ("--slurm-init-seconds-before-status-checks", "1",
             "--slurm-keep-successful-logs")

pytestmark = pytest.mark.slow


def slurm_run_args(workdir: Path, recipe: Path, cluster: SlurmCluster) -> list[str]:
    """The snakemake command line: the profile as users pass it, fitted to this node."""
    profile = YAML(typ="safe").load((PROFILE / "config.yaml").read_text())
    args = [str(VENV_BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "-d", str(workdir),
            "--profile", str(PROFILE), "--config", f"recipe={recipe}", *FAST_POLL,
            # sbatch rejects a job asking for more CPUs than the node has.
            "--max-threads", str(cluster.cpus)]
    # ... or more memory: cap the profile's fixed requests at the node's memory.
    too_big = [f"{rule}:mem_mb={cluster.memory_mb}"
               for rule, res in (profile.get("set-resources") or {}).items()
               if isinstance(res.get("mem_mb"), int) and res["mem_mb"] > cluster.memory_mb]
    if too_big:
        args += ["--set-resources", *too_big]
    return args


def venv_env(cluster: SlurmCluster) -> dict[str, str]:
    """The cluster's environment with the venv first on PATH: the jobs call python from it
    (sbatch --export=ALL passes PATH and SLURM_CONF on to them)."""
    env = dict(cluster.env)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def job_rules(slurm_logs: Path) -> dict[str, str]:
    """SLURM job id -> rule, from the executor's per-job logs: rule_<name>/<wcs>/<id>.log."""
    found = {}
    for log in slurm_logs.glob("rule_*/**/*.log"):
        rule_dir = next(p for p in log.relative_to(slurm_logs).parts if p.startswith("rule_"))
        found[log.stem] = rule_dir.removeprefix("rule_")
    return found


def mem_mb(tres: str) -> int:
    """The memory a job was given, from jobcomp's ``Tres=cpu=2,mem=6000M,node=1``."""
    match = re.search(r"mem=(\d+(?:\.\d+)?)([MGT])", tres)
    assert match, tres
    return round(float(match.group(1)) * {"M": 1, "G": 1024, "T": 1024 ** 2}[match.group(2)])


@pytest.fixture(scope="module")
def slurm_line(tmp_path_factory: pytest.TempPathFactory):
    """One run of the line on a 40 s sample through SLURM; the cluster's record of it."""
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    from shortfactory.sample.generator import generate_sample

    work = tmp_path_factory.mktemp("slurm")
    (work / "episodes").mkdir()
    generate_sample(work / "episodes" / EPISODE_FILE, work / "truth.json", duration_s=40.0,
                    progress=False)
    recipe = work / "recipe.yaml"
    # Two Shorts are enough to prove the per-clip jobs; each one more is 7 more SLURM jobs.
    recipe.write_text(f"extends: {REPO / 'recipes' / 'default.yaml'}\n"
                      "candidates:\n  min_clips: 2\n  max_clips: 2\n"
                      "render:\n  preset: ultrafast  # test speed\n")
    try:
        cluster = SlurmCluster().__enter__()
    except ClusterUnavailable as err:
        pytest.skip(f"cannot start a local SLURM: {err}")
    try:
        proc = subprocess.run(slurm_run_args(work, recipe, cluster), capture_output=True,
                              text=True, env=venv_env(cluster), cwd=work, timeout=900)
        jobs = cluster.jobs_done()
        node = SimpleNamespace(name=cluster.node_name, memory_mb=cluster.memory_mb)
        queue = subprocess.run(["squeue", "-h", "-t", "PENDING,RUNNING"], capture_output=True,
                               text=True, env=cluster.env, timeout=30).stdout
    finally:
        cluster.stop()
    assert proc.returncode == 0, f"snakemake --profile slurm failed:\n{proc.stderr[-6000:]}"
    return SimpleNamespace(work=work, proc=proc, jobs=jobs, node=node, queue=queue,
                           base=cluster.base)


def test_every_job_ran_through_slurm(slurm_line: SimpleNamespace) -> None:
    log = slurm_line.proc.stdout + slurm_line.proc.stderr
    run_id = re.search(r"SLURM run ID: (\S+)", log)
    assert run_id, log[-3000:]
    jobs = {job["JobId"]: job for job in slurm_line.jobs}
    # Every SLURM job of the run finished well on this node, and nothing is left queued.
    assert jobs and not slurm_line.queue.strip()
    for job in jobs.values():
        assert job["Name"] == run_id.group(1), job
        assert (job["JobState"], job["ExitCode"]) == ("COMPLETED", "0:0"), job
        assert job["NodeList"] == slurm_line.node.name
    # Each job's log names its rule: every rule of the line ran as SLURM jobs, once per
    # episode or once per Short, and no job went unrecorded.
    rules = job_rules(slurm_line.work / ".snakemake" / "slurm_logs")
    assert set(rules) == set(jobs)
    counts = Counter(rules.values())
    shorts = len(list((slurm_line.work / "out" / EPISODE).glob("*.mp4")))
    assert shorts >= 2
    assert {rule: counts[rule] for rule in EPISODE_RULES} == dict.fromkeys(EPISODE_RULES, 1)
    assert {rule: counts[rule] for rule in CLIP_RULES} == dict.fromkeys(CLIP_RULES, shorts)


def test_slurm_jobs_get_the_profiles_resources(slurm_line: SimpleNamespace) -> None:
    """set-resources and the rules' episode-sized memory reach sbatch --mem / -c."""
    profile = YAML(typ="safe").load((PROFILE / "config.yaml").read_text())
    rules = job_rules(slurm_line.work / ".snakemake" / "slurm_logs")
    given = {rules[job["JobId"]]: job for job in slurm_line.jobs}
    wanted = min(profile["set-resources"]["transcribe"]["mem_mb"], slurm_line.node.memory_mb)
    assert mem_mb(given["transcribe"]["Tres"]) == wanted
    assert mem_mb(given["probe_source"]["Tres"]) == profile["default-resources"]["mem_mb"]
    # The sized requests, computed by the rules' own helpers from this episode's files.
    results = slurm_line.work / "results" / EPISODE
    audio = audio_features_mem_mb(results / "audio.wav")
    render = render_mem_mb(results / "source.json")
    assert mem_mb(given["compute_audio_features"]["Tres"]) == audio
    assert mem_mb(given["render_short"]["Tres"]) == render
    assert render != profile["default-resources"]["mem_mb"] != audio


def test_slurm_shorts_decode_as_vertical_videos(slurm_line: SimpleNamespace) -> None:
    out = slurm_line.work / "out" / EPISODE
    index = json.loads((out / "shorts.json").read_text())
    videos = [slurm_line.work / entry["video"] for entry in index["shorts"]]
    assert videos and sorted(videos) == sorted(out.glob("*.mp4"))
    for video in videos:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (1080, 1920)
            frames = sum(1 for _ in container.decode(video=0))
        assert frames >= 15 * 24, (video, frames)  # >= 15 s of picture, fully decodable


def test_cluster_is_gone_after_the_run(slurm_line: SimpleNamespace) -> None:
    """The daemons were stopped and their folder removed: nothing outlives the test."""
    assert not slurm_line.base.exists()
    leftover = [p for p in Path("/proc").glob("[0-9]*/cmdline")
                if str(slurm_line.base).encode() in _read(p)]
    assert leftover == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
