"""The real-episode benchmark: its corpus builder on real media, and its classifier.

Every media case here is a few seconds of the shared real media; nothing runs the line
or builds the long episodes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, shared_media

from shortfactory.core.artifacts import SCHEMA_VERSION
from shortfactory.core.media import ffmpeg_exe


def _load(name: str, file: str):  # noqa: ANN202 - a module
    # bench/ is not a package: load its modules by path under their own names.
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("bench_corpus", "corpus.py")
realworld = _load("bench_realworld", "realworld.py")

SMALL = (320, 180)


def _pcm16k(path: Path) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-ac", "1", "-ar",
                          "16000", "-f", "s16le", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.int16)


def _zero_runs_s(samples: np.ndarray, rate: int = 16000) -> list[float]:
    edges = np.diff(np.concatenate([[0], (samples == 0).astype(np.int8), [0]]))
    return [(b - a) / rate for a, b in zip(np.flatnonzero(edges == 1),
                                           np.flatnonzero(edges == -1), strict=True)]


def _gray_frames(path: Path, size: tuple[int, int], fps: int = 2) -> np.ndarray:
    w, h = size
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf",
                          f"fps={fps},scale={w}:{h}", "-pix_fmt", "gray", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w).astype(np.float64)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture
def media_ok() -> None:
    shared_media("speech/faster_whisper/jfk.flac")
    shared_media("faces/chaplin/chaplin.mp4")


# --- the corpus builder ---------------------------------------------------------------


def test_digital_silence_gaps_and_tail_are_exact_zero_after_aac(tmp_path: Path,
                                                                  media_ok: None) -> None:
    out = tmp_path / "gaps.mp4"
    corpus.compose(out, video=[corpus.CHAPLIN],
                   audio=[corpus.Clip(corpus.JFK.path, 0, 2.0), corpus.Gap(0.6),
                          corpus.Clip(corpus.JFK.path, 2.0, 2.0), corpus.Gap(0.5)], size=SMALL)
    samples = _pcm16k(out)
    assert len(samples) / 16000 == pytest.approx(5.1, abs=0.1)
    long_runs = [r for r in _zero_runs_s(samples) if r >= 0.2]
    # The gap and the tail, decoded through AAC and resampled to 16 kHz, stay exact zero.
    assert len(long_runs) == 2 and min(long_runs) >= 0.4
    assert np.abs(samples[: 16000]).max() > 1000  # real speech before the gap


def test_rotated_phone_twin_carries_rotation_and_shows_the_upright_picture(
        tmp_path: Path, media_ok: None) -> None:
    upright = tmp_path / "upright.mp4"
    corpus.compose(upright, video=[corpus.Clip(corpus.CHAPLIN.path, 1.0, 3.0)],
                   audio=[corpus.Clip(corpus.JFK.path, 0, 3.0)], size=(180, 320), fill=True)
    rotated = tmp_path / "rotated.mp4"
    corpus.rotate_phone(upright, rotated)
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(rotated)],
                          capture_output=True, text=True).stderr
    assert "320x180" in info  # stored landscape
    assert "rotation of 90.00 degrees" in info or "rotation of -90.00 degrees" in info
    # ffmpeg applies the display matrix when decoding: the picture is the upright one.
    shown, truth = _gray_frames(rotated, (90, 160)), _gray_frames(upright, (90, 160))
    assert shown.shape == truth.shape
    assert _psnr(shown, truth) > 30


def test_anamorphic_twin_is_stored_squeezed_and_displays_like_the_square_one(
        tmp_path: Path, media_ok: None) -> None:
    import av

    square = tmp_path / "square.mp4"
    corpus.compose(square, video=[corpus.Clip(corpus.CHAPLIN.path, 0, 2.0)],
                   audio=[corpus.Clip(corpus.JFK.path, 0, 2.0)], size=SMALL)
    squeezed = tmp_path / "squeezed.mp4"
    corpus.squeeze(square, squeezed, size=SMALL)
    with av.open(str(squeezed)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (160, 180)
        assert stream.sample_aspect_ratio == 2
    # Scaled back to display geometry it is the same picture.
    assert _psnr(_gray_frames(squeezed, SMALL), _gray_frames(square, SMALL)) > 28


def test_truncation_keeps_the_front_of_a_faststart_mp4(tmp_path: Path, media_ok: None) -> None:
    full = tmp_path / "full.mp4"
    corpus.compose(full, video=[corpus.CHAPLIN], audio=[corpus.Clip(corpus.JFK.path, 0, 6.0)],
                   size=SMALL, extra=["-movflags", "+faststart"])
    cut = tmp_path / "cut.mp4"
    corpus.truncate(full, cut)
    data = cut.read_bytes()
    assert len(data) == int(full.stat().st_size * 0.6)
    assert data.find(b"moov") < data.find(b"mdat")  # still opens: the index is in front
    decoded = len(_pcm16k(cut)) / 16000
    assert 2.0 < decoded < 5.5  # the media stops early


def test_corpus_covers_the_cases_of_issue_17() -> None:
    keys = [e.key for e in corpus.EPISODES]
    assert len(keys) == len(set(keys)) >= 12
    assert all(e.made and e.expect in ("shorts", "either") for e in corpus.EPISODES)
    names = {e.key: e.name for e in corpus.EPISODES}
    assert names["lecture_avi"].endswith(".avi") and names["broadcast_ts"].endswith(".ts")
    assert os.fsencode(names["latin1_name"]) == b"ep\xe9.mp4"
    assert {"long_12min", "long_24min"} <= {e.key for e in corpus.EPISODES if e.long}
    # 4 blocks of the whole speech list: over 20 minutes.
    assert "4 blocks" in next(e.made for e in corpus.EPISODES if e.key == "long_24min")


# --- the classifier -------------------------------------------------------------------


def _workdir(tmp_path: Path) -> Path:
    wd = tmp_path / "wd"
    (wd / "results" / "ep").mkdir(parents=True)
    (wd / "out" / "ep").mkdir(parents=True)
    (wd / "logs" / "probe_source").mkdir(parents=True)
    return wd


def test_a_traceback_in_a_rule_log_is_a_failure(tmp_path: Path) -> None:
    wd = _workdir(tmp_path)
    (wd / "logs" / "probe_source" / "ep.log").write_text(
        "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
        "    boom()\nKeyError: 'rotation'\n")
    ev = realworld.gather(wd, realworld.Evidence(returncode=1, output="Error in rule x"))
    verdict = realworld.classify(ev)
    assert verdict.outcome == "failed" and verdict.reason == "traceback: KeyError: 'rotation'"


@pytest.mark.parametrize("text", ['{"loudness_lufs": [-20.0, NaN, -21.0]}',
                                  '{"loudness_lufs": [-20.0, Infinity]}',
                                  '{"loudness_lufs": [-20.0,\n  null,\n  -21.0]}'])
def test_nan_or_null_numbers_in_any_json_are_a_failure(tmp_path: Path, text: str) -> None:
    wd = _workdir(tmp_path)
    (wd / "results" / "ep" / "extra.json").write_text(text)
    verdict = realworld.classify(realworld.gather(wd, realworld.Evidence()))
    assert verdict.outcome == "failed" and "results/ep/extra.json" in verdict.reason


def test_an_artifact_that_breaks_its_contract_is_a_failure(tmp_path: Path) -> None:
    wd = _workdir(tmp_path)
    (wd / "results" / "ep" / "candidates.json").write_text('{"schema_version": 1}')
    verdict = realworld.classify(realworld.gather(wd, realworld.Evidence()))
    assert verdict.outcome == "failed" and "not a valid Candidates" in verdict.reason


def test_temp_files_left_in_out_are_a_failure(tmp_path: Path) -> None:
    wd = _workdir(tmp_path)
    (wd / "out" / "ep" / ".c0010-0040.x8f2.mp4").write_bytes(b"")
    verdict = realworld.classify(realworld.gather(wd, realworld.Evidence()))
    assert verdict.outcome == "failed" and ".c0010-0040.x8f2.mp4" in verdict.reason


def test_one_line_refusal_is_ok_only_where_no_short_is_a_right_answer(tmp_path: Path) -> None:
    wd = _workdir(tmp_path)
    said = "skipped x\nerror: episodes/x.mp4: has no audio stream\n[Mon] Error in rule probe"
    either = realworld.gather(wd, realworld.Evidence(expect="either", returncode=1, output=said))
    assert realworld.classify(either) == realworld.Verdict(
        "ok", "error: episodes/x.mp4: has no audio stream")
    must = realworld.gather(wd, realworld.Evidence(expect="shorts", returncode=1, output=said))
    verdict = realworld.classify(must)
    assert verdict.outcome == "failed" and verdict.reason.startswith("expected Shorts, got: error")
    silent = realworld.classify(realworld.Evidence(returncode=1, output="Error in rule x"))
    assert silent.outcome == "failed" and "without a one-line reason" in silent.reason


def test_no_short_needs_a_message_and_the_sample_is_a_silent_skip(tmp_path: Path) -> None:
    wd = _workdir(tmp_path)
    (wd / "out" / "ep" / "shorts.json").write_text(json.dumps(
        {"schema_version": SCHEMA_VERSION, "episode": "ep", "shorts": [],
         "message": "nothing scores above candidates.min_score"}))
    ok = realworld.classify(realworld.gather(wd, realworld.Evidence(expect="either")))
    assert ok == realworld.Verdict("ok", "no Short: nothing scores above candidates.min_score")
    (wd / "out" / "sample").mkdir()
    skipped = realworld.classify(realworld.gather(wd, realworld.Evidence(expect="either")))
    assert skipped.outcome == "failed" and "silent skip" in skipped.reason
    assert realworld._SAMPLE_PLANNED.search("    make_sample          1")


def test_peak_rss_is_the_max_over_every_benchmark_tsv(tmp_path: Path) -> None:
    head = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for rel, rss in (("transcribe/ep.tsv", "442.19"), ("render_short/ep/c0001-0030.tsv",
                                                       "812.5"), ("probe_source/ep.tsv", "NA")):
        path = tmp_path / "benchmarks" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(head + f"1.0\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t1\n")
    assert realworld.benchmark_rss(tmp_path) == (812.5, "render_short/ep/c0001-0030")


def test_true_peak_and_contact_sheet_of_a_real_short(tmp_path: Path, media_ok: None) -> None:
    from PIL import Image

    short = tmp_path / "c0001-0004.mp4"
    corpus.compose(short, video=[corpus.CHAPLIN], audio=[corpus.Clip(corpus.JFK.path, 0, 4.0)],
                   size=(180, 320), fill=True)
    assert realworld.short_problem(short) is None
    peak = realworld.true_peak_dbtp(short)
    assert peak is not None and -30 < peak < 3
    sheet = realworld.contact_sheet([short, short], tmp_path / "sheet.png", "two rows")
    w, h = realworld.THUMB
    image = Image.open(sheet)
    assert image.size[0] > 4 * w and image.size[1] > 2 * h
    assert np.asarray(image).std() > 10  # real frames, not an empty canvas


def test_a_short_whose_video_stops_before_its_audio_is_bad(tmp_path: Path,
                                                            media_ok: None) -> None:
    short = tmp_path / "c0001-0005.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-t", "2", "-i",
                    str(corpus.media(corpus.CHAPLIN.path)), "-t", "4", "-i",
                    str(corpus.media(corpus.JFK.path)), "-map", "0:v", "-map", "1:a", "-vf",
                    "scale=180:320,setsar=1", *corpus.H264, *corpus.AAC, str(short)], check=True)
    assert realworld.short_problem(short) == "c0001-0005.mp4: video 2.0 s but audio 4.0 s"


def test_an_error_that_points_above_carries_the_skipped_line() -> None:
    said = ("skipped episodes/ep\\xe9.mp4: file name is not valid UTF-8; rename it\n"
            "error: episodes: no usable episode (1 file(s) skipped, see above)\n")
    assert realworld.error_line(said) == (
        "error: episodes: no usable episode (1 file(s) skipped, see above) | "
        "skipped episodes/ep\\xe9.mp4: file name is not valid UTF-8; rename it")


def test_optional_nulls_and_text_are_not_taken_for_nan(tmp_path: Path) -> None:
    path = tmp_path / "extra.json"
    path.write_text('{"frames": null, "text": "null, 5, NaN", "zoom_range": [0.5, 1.0]}')
    assert realworld.json_problem(path) is None


def test_long_episode_figures_come_from_the_two_lengths() -> None:
    def record(duration: float, wall: float, rss: float, outcome: str = "ok") -> dict:
        return {"outcome": outcome, "reason": "", "shorts": 4, "duration_s": duration,
                "wall_s": wall, "cores": 2, "max_rss_mb": rss}

    per = {"talk": record(90, 60, 450), realworld.MID_KEY: record(720, 360, 600),
           realworld.LONG_KEY: record(1440, 900, 700)}
    out = realworld.summarise(per, [-1.2, -1.0], [(450, "a"), (700, "b")], cores=2)
    assert out["episodes"] == 3 and out["episodes_ok"] == 3 and out["episodes_failed"] == 0
    assert out["x_duration"] == 0.625 and out["x_duration_cores"] == 2
    assert out["rss_mb_per_hour"] == 500.0  # +100 MB over 0.2 h
    assert out["max_true_peak_dbtp"] == -1.0 and out["max_rss_mb"] == 700
    assert out[f"{realworld.LONG_KEY}.wall_s"] == 900
    per[realworld.LONG_KEY] = record(1440, 3, 80, outcome="failed")
    out = realworld.summarise(per, [], [], cores=2)
    assert "x_duration" not in out and "rss_mb_per_hour" not in out
