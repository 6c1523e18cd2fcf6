"""The whole line on real episodes the sample never resembles (issue 17), run as a user
runs it: ``snakemake`` in a folder with ``episodes/``. Each episode is built from the
shared real media with ffmpeg (real speech over real video)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import shared_media
from test_workflow import REPO, SNAKEMAKE, planned_jobs, snakemake

from shortfactory.core.media import ffmpeg_exe

pytestmark = pytest.mark.slow

TEARS = "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
TWO_SPEAKERS = "speech/pyannote_sample/sample.wav"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


def fast_recipe(work: Path) -> Path:
    recipe = work / "recipe.yaml"
    recipe.write_text(f"extends: {REPO / 'recipes' / 'default.yaml'}\n"
                      "render:\n  preset: ultrafast  # test speed\n")
    return recipe


def silence_episode(path: Path) -> Path:
    """34 s: two real speakers with 1 s of exact-zero samples at 10 s and a 3 s
    digital-silence tail (as real files end), over real looped live action."""
    zeros = "anullsrc=r=16000:cl=mono"
    ffmpeg("-stream_loop", "-1", "-i", str(shared_media(TEARS)), "-i",
           str(shared_media(TWO_SPEAKERS)), "-filter_complex",
           f"[1:a]atrim=0:10,asetpts=N/SR/TB[a1];[1:a]atrim=10:30,asetpts=N/SR/TB[a2];"
           f"{zeros},atrim=0:1[z1];{zeros},atrim=0:3[z2];[a1][z1][a2][z2]concat=n=4:v=0:a=1[a]",
           "-map", "0:v", "-map", "[a]", "-t", "34", "-c:v", "libx264", "-preset", "ultrafast",
           "-c:a", "aac", str(path))
    return path


def all_finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(v is not None and all_finite(v) for v in value)
    return True


def leftovers(work: Path) -> list[Path]:
    """Temporary files anywhere under out/ and results/ or in the staging folder."""
    found = [p for top in ("out", "results") if (work / top).is_dir()
             for p in (work / top).rglob(".*") if p.is_file()]
    partial = work / ".snakemake" / "partial"
    return found + (sorted(partial.iterdir()) if partial.is_dir() else [])


def test_digital_silence_and_a_killed_run(tmp_path: Path) -> None:
    """Exact-zero audio gives finite loudness (the floor) and Shorts; a run killed with
    SIGKILL mid-render reruns without --unlock and leaves no temp file anywhere."""
    (tmp_path / "episodes").mkdir()
    silence_episode(tmp_path / "episodes" / "talk.mp4")
    recipe = fast_recipe(tmp_path)
    cmd = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "-d", str(tmp_path), "--cores", "2",
           "--config", f"recipe={recipe}"]
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    partial = tmp_path / ".snakemake" / "partial"
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if partial.is_dir() and any(p.suffix == ".mp4" and "-c0" in p.name
                                        for p in partial.iterdir()):
                break  # a Short is being written
            time.sleep(0.2)
        assert proc.poll() is None, "the run ended before a render started"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (tmp_path / ".snakemake" / "locks").is_dir() and leftovers(tmp_path)
    rerun = snakemake(tmp_path, "--config", f"recipe={recipe}")
    assert "removed the lock left by a killed run" in rerun.stderr
    assert leftovers(tmp_path) == []
    features = json.loads((tmp_path / "results" / "talk" / "audio_features.json").read_text())
    assert all_finite(features)
    hop = features["hop_s"]
    tail = features["loudness_lufs"][int(31.5 / hop):]
    assert tail and max(tail) == -70.0  # the digital-silence tail sits at the floor
    videos = sorted((tmp_path / "out" / "talk").glob("*.mp4"))
    assert videos
    for video in videos:
        meta = json.loads(video.with_suffix(".json").read_text())
        assert meta["title"].strip()


def test_video_without_audio_gives_shorts(tmp_path: Path) -> None:
    """20 s of real live action and animation with no audio stream: Shorts from the
    pictures, with a silent AAC track, and no subtitles."""
    (tmp_path / "episodes").mkdir()
    episode = tmp_path / "episodes" / "silent film.mp4"
    ffmpeg("-i", str(shared_media(TEARS)), "-i",
           str(shared_media("animated/blender/sintel_clip_10s.mp4")), "-filter_complex",
           "[0:v]scale=640:360,setsar=1,fps=24[a];[1:v]scale=640:360,setsar=1,fps=24[b];"
           "[a][b]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-c:v", "libx264", "-preset",
           "ultrafast", str(episode))
    snakemake(tmp_path, "--config", f"recipe={fast_recipe(tmp_path)}")
    source = json.loads((tmp_path / "results" / "silent-film" / "source.json").read_text())
    assert source["audio"] is None
    videos = sorted((tmp_path / "out" / "silent-film").glob("*.mp4"))
    assert videos
    with av.open(str(videos[0])) as container:
        assert container.streams.video[0].codec_context.height == 1920
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac"
        pcm = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio)])
    assert np.abs(pcm).max() < 1e-4  # silence, not noise
    meta = json.loads(videos[0].with_suffix(".json").read_text())
    assert meta["title"].strip()


def test_episode_folder_with_no_video_never_runs_the_sample(tmp_path: Path) -> None:
    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "notes.txt").write_text("not an episode")
    proc = snakemake(tmp_path, "-n", check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "skipped episodes/notes.txt: not a video container (.txt)" in output
    assert "episodes: no usable episode" in output
    assert "make_sample" not in planned_jobs(output)


def test_an_avi_is_found_and_other_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "episodes").mkdir()
    ffmpeg("-i", str(shared_media(TEARS)), "-t", "2", "-c:v", "mpeg4", "-an",
           str(tmp_path / "episodes" / "old tape.avi"))
    (tmp_path / "episodes" / "cover.jpg").write_bytes(b"\xff\xd8")
    proc = snakemake(tmp_path, "-n")
    output = proc.stdout + proc.stderr
    jobs = planned_jobs(output)
    assert "make_sample" not in jobs and jobs["probe_source"] == 1
    assert "old-tape" in output
    assert "skipped episodes/cover.jpg: not a video container (.jpg)" in output
