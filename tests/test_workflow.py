"""The Snakemake line end to end on a short cut of the sample, checked by decoding.

One module-scoped run feeds several tests: the outputs, partial recomputation after a
recipe edit (read from dry-runs), bad input and bad recipes, lint and the profiles.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from shortfactory.clips.subtitles import ass_seconds
from shortfactory.core.artifacts import Candidates, CropPath
from shortfactory.core.io import read_model, write_model
from shortfactory.core.media import iter_frames
from shortfactory.recipe_checks import modify_recipe

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
EPISODE_FILE = "Épisode 1 — l'essai.mp4"
EPISODE = "Épisode-1-l-essai"

pytestmark = pytest.mark.slow


def snakemake(workdir: Path, *args: str, env: dict[str, str] | None = None,
              check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    return proc


def planned_jobs(output: str) -> dict[str, int]:
    """Rule -> count from the 'Job stats' table of a (dry-)run."""
    jobs: dict[str, int] = {}
    table = output.split("Job stats:", 1)[1] if "Job stats:" in output else ""
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match or match.group(1) == "total":
            break
        jobs[match.group(1)] = int(match.group(2))
    return jobs


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work dir with a 40 s sample episode (odd name) after one full run of the line."""
    from shortfactory.sample.generator import generate_sample

    work = tmp_path_factory.mktemp("line")
    (work / "episodes").mkdir()
    generate_sample(work / "episodes" / EPISODE_FILE, work / "truth.json", duration_s=40.0,
                    progress=False)
    (work / "recipe.yaml").write_text(
        f"extends: {REPO / 'recipes' / 'default.yaml'}\n"
        "render:\n  preset: ultrafast  # test speed\n"
    )
    snakemake(work, "--config", f"recipe={work / 'recipe.yaml'}")
    return work


def test_shorts_are_real_vertical_videos(line: Path) -> None:
    out = line / "out" / EPISODE
    videos = sorted(out.glob("*.mp4"))
    assert len(videos) >= 2
    index = json.loads((out / "shorts.json").read_text())
    assert [Path(s["video"]).name for s in index["shorts"]] == [
        f"{c.id}.mp4" for c in read_model(line / "results" / EPISODE / "candidates.json",
                                          Candidates).clips]
    for video in videos:
        with av.open(str(video)) as container:
            v, a = container.streams.video[0], container.streams.audio[0]
            assert (v.codec_context.width, v.codec_context.height) == (1080, 1920)
            assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
            duration = container.duration / 1e6
            assert 15.0 <= duration <= 60.5
        meta = json.loads(video.with_suffix(".json").read_text())
        assert meta["title"] and meta["clip_id"] == video.stem
        # The caption track to upload with it: cues on the Short's own timeline.
        srt = video.with_suffix(".srt").read_text(encoding="utf-8")
        stamps = re.findall(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> ", srt)
        assert stamps, video
        last = max(int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
                   for h, m, s, ms in stamps)
        assert last < duration
    assert [Path(s["captions"]).name for s in index["shorts"]] == [
        Path(s["video"]).with_suffix(".srt").name for s in index["shorts"]]
    for entry in index["shorts"]:  # the thumbnail: a full-size frame of its Short
        png = line / entry["thumbnail"]
        assert png.name == Path(entry["video"]).with_suffix(".png").name
        with Image.open(png) as image:
            assert image.size == (1080, 1920)


def _frame_at(video: Path, t: float) -> np.ndarray:
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            if frame.time >= t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"{video} ends before {t}")


def _first_cue(ass: Path) -> tuple[float, float]:
    for line in ass.read_text(encoding="utf-8").splitlines():
        if line.startswith("Dialogue:"):
            fields = line.split(",", 9)
            return ass_seconds(fields[1]), ass_seconds(fields[2])
    raise AssertionError(f"{ass} has no Dialogue line")


def test_frames_follow_the_crop_path_and_show_subtitles(line: Path) -> None:
    video = sorted((line / "out" / EPISODE).glob("*.mp4"))[0]
    clip_dir = line / "results" / EPISODE / "clips" / video.stem
    crop = read_model(clip_dir / "crop_path.json", CropPath)
    start, end = _first_cue(clip_dir / "subtitles.ass")
    t = (start + end) / 2
    rendered = _frame_at(video, t).astype(np.float32)
    k = min(len(crop.x) - 1, int(round(t * crop.fps)))
    _, source = next(iter_frames(line / "episodes" / EPISODE_FILE, start_s=crop.start_s + t))
    x, y = int(round(crop.x[k])), int(round(crop.y[k]))
    widths, heights = crop.frame_sizes()
    w, h = int(widths[k]), int(heights[k])
    # A zoomed-out window is taller than the source (y < 0): the source fills the rows
    # between the blurred bands; compare those rows only.
    window = source[max(0, y):min(source.shape[0], y + h), x:x + w]
    scale = 1920 / h
    top = round(max(0, -y) * scale)
    rows = round(window.shape[0] * scale)
    import cv2

    expected = cv2.resize(window, (1080, rows), interpolation=cv2.INTER_AREA).astype(np.float32)
    diff = np.full((1920, 1080), np.nan, np.float32)
    diff[top:top + rows] = np.abs(rendered[top:top + rows] - expected).mean(axis=2)
    band = diff[int(1920 * 0.55):int(1920 * 0.9)]
    outside = np.r_[diff[: int(1920 * 0.5)].ravel(), diff[int(1920 * 0.95):].ravel()]
    outside = outside[~np.isnan(outside)]
    # The picture matches the planned crop window; the subtitle band does not (text).
    assert outside.size > 100_000 and np.median(outside) < 12.0
    assert (band[~np.isnan(band)] > 60).mean() > 0.01


def test_no_op_dry_run(line: Path) -> None:
    proc = snakemake(line, "-n", "--config", f"recipe={line / 'recipe.yaml'}")
    assert planned_jobs(proc.stdout + proc.stderr) == {}


def _dry_run_after_edit(line: Path, edit) -> dict[str, int]:
    recipe = line / "recipe-edited.yaml"
    recipe.write_text((line / "recipe.yaml").read_text())
    with modify_recipe(recipe) as data:
        edit(data)
    proc = snakemake(line, "-n", "--config", f"recipe={recipe}")
    return planned_jobs(proc.stdout + proc.stderr)


ANALYSIS = {"probe_source", "extract_audio", "make_proxy", "transcribe",
            "compute_audio_features", "detect_scenes", "track_faces", "select_candidates"}


def test_subtitle_edit_reruns_only_subtitles_and_downstream(line: Path) -> None:
    jobs = _dry_run_after_edit(line, lambda d: d.update({"subtitles": {"font_size": 90}}))
    assert {"write_subtitles", "render_short", "export_captions"} <= set(jobs)
    assert set(jobs) <= {"write_subtitles", "render_short", "export_captions", "make_thumbnail",
                         "collect_shorts", "all"}
    assert jobs["write_subtitles"] == jobs["render_short"] >= 2


def test_camera_edit_keeps_transcription_and_vision(line: Path) -> None:
    jobs = _dry_run_after_edit(line, lambda d: d.update({"camera": {"dead_zone": 0.2}}))
    assert "plan_camera" in jobs and "render_short" in jobs
    assert not set(jobs) & ANALYSIS
    assert "write_subtitles" not in jobs and "write_metadata" not in jobs


def rerun_for_params(output: str) -> set[str]:
    """Rules a dry-run plans because their params (here: their code version) changed,
    from Snakemake's summary line of provenance-triggered rules."""
    match = re.search(r"Rules with provenance triggered jobs: (.*)", output)
    return set(match.group(1).replace(",", " ").split()) if match else set()


def test_a_code_edit_reruns_exactly_the_stages_that_use_it(line: Path, tmp_path: Path) -> None:
    # The package is imported from a copy (PYTHONPATH wins over the editable install);
    # an identical copy changes nothing, an edit reruns the rules whose scripts import the
    # edited module, directly or through another one.
    src = tmp_path / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(src)}
    args = ("-n", "--config", f"recipe={line / 'recipe.yaml'}")
    assert planned_jobs(_output(snakemake(line, *args, env=env))) == {}
    package = src / "shortfactory"
    with (package / "vision" / "panels.py").open("a") as f:  # imported by scenes.py only
        f.write("\n# an edit\n")
    assert rerun_for_params(_output(snakemake(line, *args, env=env))) == {"detect_scenes"}
    original = REPO / "src" / "shortfactory" / "vision" / "panels.py"
    (package / "vision" / "panels.py").write_bytes(original.read_bytes())
    with (package / "speech" / "audio.py").open("a") as f:  # audio features, and transcribe's VAD
        f.write("\n# an edit\n")
    output = _output(snakemake(line, *args, env=env))
    # Both stages that import it, and what reads their artifacts; nothing upstream, no
    # vision. (The audio features read the transcript: Snakemake names that reason first.)
    assert rerun_for_params(output) == {"transcribe"}
    assert set(planned_jobs(output)) == {"transcribe", "compute_audio_features",
                                         "select_candidates", "collect_shorts", "all"}


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def test_reordering_clips_rebuilds_nothing(line: Path) -> None:
    path = line / "results" / EPISODE / "candidates.json"
    original, stat = path.read_bytes(), path.stat()
    ranked = read_model(path, Candidates)
    reordered = ranked.model_copy(update={"clips": [
        clip.model_copy(update={"rank": i + 1}) for i, clip in enumerate(reversed(ranked.clips))
    ]})
    try:
        write_model(path, reordered)
        proc = snakemake(line, "-n", "--config", f"recipe={line / 'recipe.yaml'}")
        assert set(planned_jobs(proc.stdout + proc.stderr)) <= {"collect_shorts", "all"}
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_adding_an_episode_plans_only_its_jobs(line: Path) -> None:
    added = line / "episodes" / "Episode 2.mp4"
    added.symlink_to(line / "episodes" / EPISODE_FILE)
    try:
        proc = snakemake(line, "-n", "--config", f"recipe={line / 'recipe.yaml'}")
    finally:
        added.unlink()
    jobs = planned_jobs(_output(proc))
    # Its analysis, once each; its clips are known only after its checkpoint has run.
    assert ANALYSIS <= set(jobs) and all(n == 1 for n in jobs.values()), jobs
    assert "Episode-2" in _output(proc) and "render_short" not in jobs


def test_replacing_a_source_file_reruns_that_episode(line: Path) -> None:
    path = line / "episodes" / EPISODE_FILE
    stat = path.stat()
    clips = read_model(line / "results" / EPISODE / "candidates.json", Candidates).clips
    try:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**12))  # a newer file
        proc = snakemake(line, "-n", "--config", f"recipe={line / 'recipe.yaml'}")
    finally:
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    jobs = planned_jobs(_output(proc))
    # Everything of that episode, from the probe on; each clip's jobs at most once.
    assert ANALYSIS <= set(jobs) and all(jobs[rule] == 1 for rule in ANALYSIS), jobs
    assert jobs.get("render_short", len(clips)) == len(clips)
    # Its old timestamp back: nothing to do again.
    restored = snakemake(line, "-n", "--config", f"recipe={line / 'recipe.yaml'}")
    assert planned_jobs(_output(restored)) == {}


def test_bad_input_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "episodes").mkdir()
    bad = tmp_path / "episodes" / "broken episode.mp4"
    bad.write_text("not a video at all\n" * 50)
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    assert "episodes/broken episode.mp4: not a video file" in proc.stdout + proc.stderr
    assert not (tmp_path / "results" / "broken-episode" / "source.json").exists()


def test_bad_recipe_stops_before_any_job(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("camera:\n  zoom: 0.2\n  speed: 3\n")
    proc = snakemake(tmp_path, "--config", f"recipe={recipe}", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"{recipe}:2:3: camera.zoom: Input should be greater than or equal to 1" in output
    assert f"{recipe}:3:3: camera.speed: Extra inputs are not permitted" in output
    assert not (tmp_path / "results").exists() and not (tmp_path / "samples").exists()


def test_lint_has_only_the_environment_finding() -> None:
    proc = subprocess.run([SNAKEMAKE, "--lint", "-s", str(REPO / "Snakefile")],
                          capture_output=True, text=True, cwd=REPO)
    findings = re.findall(r"^\s+\* (.+?):?$", proc.stdout + proc.stderr, flags=re.M)
    assert findings, "lint printed nothing: the parser above is stale"
    assert {f.rstrip(":.") for f in findings} == {
        "Specify a conda environment or container for each rule"}


@pytest.mark.parametrize("profile", ["gpu", "slurm"])
def test_profiles_resolve_by_bare_name(tmp_path: Path, profile: str) -> None:
    from shortfactory.cli import setup_profiles

    setup_profiles(REPO, tmp_path / "config" / "snakemake")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    work = tmp_path / "work"
    work.mkdir()
    proc = snakemake(work, "-n", "--profile", profile, env=env)
    assert "make_sample" in planned_jobs(proc.stdout + proc.stderr)
    if profile == "slurm":
        assert "slurm" in (proc.stdout + proc.stderr).lower()


def test_music_only_webm_episode_still_yields_shorts_next_to_a_broken_one(
        tmp_path: Path) -> None:
    """One batch, one DAG: the broken episode fails its own jobs only (the default
    profile keeps going), with its reason in the output; the good one gets its Shorts."""
    from conftest import shared_media

    source = shared_media("animated/blender/big_buck_bunny_0_30.webm")
    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "Big Buck Bunny.webm").symlink_to(source)
    (tmp_path / "episodes" / "torn.mkv").write_bytes(b"\x1aE\xdf\xa3" + b"\0" * 4000)
    (tmp_path / "recipe.yaml").write_text(
        f"extends: {REPO / 'recipes' / 'default.yaml'}\nrender:\n  preset: ultrafast\n")
    proc = snakemake(tmp_path, "--config", f"recipe={tmp_path / 'recipe.yaml'}", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "episodes/torn.mkv: " in output and "probe_source" in output
    assert not (tmp_path / "results" / "torn").exists()
    assert "Traceback" not in (tmp_path / "logs" / "probe_source" / "torn.log").read_text()
    transcript = json.loads((tmp_path / "results" / "Big-Buck-Bunny" / "transcript.json")
                            .read_text())
    words = sum(len(s["words"]) for s in transcript["segments"])
    assert words <= 3  # music only: nothing (or a stray word) is heard
    videos = sorted((tmp_path / "out" / "Big-Buck-Bunny").glob("*.mp4"))
    assert videos
    with av.open(str(videos[0])) as container:
        assert container.streams.video[0].codec_context.height == 1920
        assert 15.0 <= container.duration / 1e6 <= 30.5
