"""Benchmarks: ``python bench/run.py [stage ...]`` prints a table and writes JSON.

Each benchmark writes ``bench/results/<stage>.json`` with flat numeric keys plus
``machine`` and ``when``. Speeds are ratios measured in the same run (x faster than
real time), never bare times alone. Runs on the bundled sample (generated into
``samples/`` if missing) and on the shared real media where a stage needs it.

Stages:
    pipeline   every stage of the line on the sample, timed; seconds per minute of episode
    speech     word error rate on the shared real speech and the sample, word start error,
               ASR and audio-feature speed (bench/speech.py)
    candidates planted-moment recall at 3, decoys, baselines, sentence boundaries
               (bench/candidates.py)
    camera     virtual camera on the sample's truth and the shared face clips: coverage
               against centre/follow/tripod baselines, reversals, jerk, speed limit,
               solve time (bench/camera.py)
    vision     scene-cut F1 on the sample and the shared clips against PySceneDetect, exact
               cut frames, face recall/precision/id switches, speaker activity, stage speed
               against the decode floor on the sample, a 1080p mix and HEVC (bench/vision.py)
    realworld  the whole line (snakemake) on a corpus of real episodes built from the shared
               media (bench/corpus.py): ok/failed per episode with its reason, true peak,
               peak RSS per rule, x duration and RSS per hour on the long ones; contact
               sheets in bench/results/realworld_sheets/ (bench/realworld.py;
               SHORTFACTORY_BENCH_QUICK=1 skips the long episodes)
    languages  language ID, WER/CER per language, speed and translate on real non-English
               speech fetched from public packages (bench/languages.py)

    render     render speed with every packaging feature on and captions only, loudness
               and true peak of every Short, caption limits and sync, emoji drawn
               (bench/render.py)

    metadata   titles that carry the planted moment's key line (tuned on the sample) and
               empty titles over the real-episode runs (bench/metadata.py)
    analytics  a simulated channel on the real runs' features: tuned vs hidden weights,
               uplift over the untuned recipe and over transcript-only selection on
               held-out episodes, trigger recall (bench/analytics.py)
    community  reply drafts vs the channel's true replies on a held-apart part of the
               bundled corpus (style_similarity vs a fixed template), skip recall on
               planted spam/abuse, language match (bench/community.py)

``bench/gpu_proxy.py`` (the proxy decoded by NVDEC against the CPU, per core count) runs
on its own, on a machine with an NVIDIA GPU; ``bench/scale.py`` (the 40 s sample locally
and through a single-node SLURM, ``slurm_overhead_x``) runs on its own, as root.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from analytics import bench_analytics
from camera import bench_camera
from candidates import bench_candidates
from community import bench_community
from languages import bench_languages
from metadata import bench_metadata
from realworld import bench_realworld
from render import bench_render
from speech import bench_speech
from vision import bench_vision

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SAMPLE = REPO / "samples" / "sample.mp4"


def machine() -> str:
    import os

    return (f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
            f"Python {platform.python_version()}")


def ensure_sample() -> Path:
    if not SAMPLE.exists():
        from shortfactory.sample.generator import generate_sample

        generate_sample(SAMPLE, SAMPLE.with_name("sample.truth.json"), progress=False)
    return SAMPLE


def decode_floor(source: Path) -> float:
    """Seconds for a bare full decode of the video stream: the physical floor."""
    from shortfactory.core.media import ffmpeg_exe

    start = time.perf_counter()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(source), "-map", "0:v:0", "-f",
                    "null", "-"], check=True)
    return time.perf_counter() - start


def bench_pipeline() -> dict[str, float]:
    """Time each stage on the sample with the default recipe, as the rules call them."""
    from shortfactory.clips import camera, candidates, metadata, render, subtitles
    from shortfactory.core.recipe import load_recipe
    from shortfactory.ingest import stage as ingest
    from shortfactory.speech import audio, transcribe
    from shortfactory.vision import faces, scenes

    source = ensure_sample()
    r = load_recipe(REPO / "recipes" / "default.yaml")
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = fn()
        timings[name] = time.perf_counter() - start
        return result

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        probe = timed("probe", lambda: ingest.probe_source(source, "sample"))
        duration = probe.duration_s
        timed("extract_audio", lambda: ingest.write_audio(source, r.ingest, tmp / "a.wav"))
        timed("make_proxy", lambda: ingest.write_proxy(source, r.ingest, tmp / "p.mp4"))
        tr = timed("transcribe", lambda: transcribe.transcribe(tmp / "a.wav", r.transcribe,
                                                               progress=False))
        feats = timed("audio_features", lambda: audio.features_from_files(
            tmp / "a.wav", tr, r.audio))
        cuts = timed("detect_scenes", lambda: scenes.detect_scenes(
            tmp / "p.mp4", r.vision.scenes, duration_s=duration, source=source))
        fc = timed("track_faces", lambda: faces.track_faces(
            tmp / "p.mp4", cuts, r.vision.faces, source_width=probe.video.width,
            source_height=probe.video.height))
        cands = timed("select_candidates", lambda: candidates.select_candidates(
            tr, feats, cuts, fc, r.candidates, episode="sample", duration_s=duration))
        clip = cands.clips[0]
        crop = timed("plan_camera_one_clip", lambda: camera.plan_camera(
            clip.id, clip.start_s, clip.end_s, probe, fc, cuts, r.camera, transcript=tr))
        ass = tmp / "s.ass"
        timed("write_subtitles_one_clip", lambda: ass.write_text(subtitles.write_subtitles(
            tr, clip.start_s, clip.end_s, r.subtitles, r.render.speed)[0], encoding="utf-8"))
        timed("write_metadata_one_clip", lambda: metadata.build_metadata(
            clip, tr, r.metadata, episode="sample", recipe_hash="bench"))
        timed("render_one_clip", lambda: render.render_short(
            source, crop, ass, r.render, tmp / "short.mp4", progress=False))
        floor = decode_floor(source)

    minutes = duration / 60
    out: dict[str, float] = {"episode_s": round(duration, 2), "clips": len(cands.clips),
                             "clip_s": round(clip.end_s - clip.start_s, 2)}
    for name, seconds in timings.items():
        span = clip.end_s - clip.start_s if name.endswith("_one_clip") else duration
        out[f"{name}_s"] = round(seconds, 3)
        out[f"{name}_x_realtime"] = round(span / seconds, 2) if seconds > 0 else float("inf")
    analysis = sum(v for k, v in timings.items() if not k.endswith("_one_clip"))
    out["analysis_s_per_episode_min"] = round(analysis / minutes, 2)
    out["analysis_x_realtime"] = round(duration / analysis, 2)
    out["decode_floor_x_realtime"] = round(duration / floor, 2)
    return out


BENCHES: dict[str, Callable[[], dict[str, float]]] = {
    "pipeline": bench_pipeline,
    "speech": bench_speech,
    "candidates": bench_candidates,
    "camera": bench_camera,
    "vision": bench_vision,
    "realworld": bench_realworld,
    "languages": bench_languages,
    "render": bench_render,
    "metadata": bench_metadata,
    "analytics": bench_analytics,
    "community": bench_community,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", help=f"any of {', '.join(BENCHES)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.stages) - set(BENCHES)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    for stage in args.stages or list(BENCHES):
        write_result(stage, BENCHES[stage]())
    return 0


def write_result(stage: str, figures: dict[str, float]) -> Path:
    """bench/results/<stage>.json with the machine and the time, and the table printed
    (also for the benches that run on their own: scale.py, gpu_proxy.py)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {**figures, "machine": machine(),
              "when": datetime.now(UTC).isoformat(timespec="seconds")}
    path = RESULTS / f"{stage}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"\n== {stage} ==")
    for key, value in figures.items():
        print(f"  {key:<36} {value}")
    print(f"  -> {path}")
    return path


if __name__ == "__main__":
    sys.exit(main())
