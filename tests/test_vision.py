"""Vision stage: scene cuts and face tracks.

Two layers: pure helpers on synthetic arrays (distances, thresholds, boxes, tracking),
and golden checks on real decoded frames from the shared media (skipped, with the
reason, where that folder is absent). Cut truth comes from
``scenecuts/verified_cuts.json`` (times of the first frame of each new shot).
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest

from shortfactory import faces as F
from shortfactory import scenes as S
from shortfactory.artifacts import Faces, SceneCuts, Shot
from shortfactory.io import read_model, write_model
from shortfactory.media import ffmpeg_exe, iter_frames, make_proxy, probe_video_only
from shortfactory.recipe import FaceSection, SceneSection

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
needs_media = pytest.mark.skipif(
    not MEDIA.is_dir(), reason=f"shared test media not found at {MEDIA} (research machine only)")

# Tuned on the shared clips at 6 fps (see the report in scenes.py's docstring): the
# recipe's threshold 3.0 misses most of Sintel's fast-action cuts.
SCENES = SceneSection(threshold=2.0, min_distance=0.3).model_dump()
FACES = FaceSection(backends=["haar", "animeface"]).model_dump()
TOLERANCE_S = 0.5


def truth(rel: str) -> list[float]:
    data = json.loads((MEDIA / "scenecuts" / "verified_cuts.json").read_text())
    return data[rel]["cuts_s"]


def matched(found: list[float], expected: list[float], tol: float = TOLERANCE_S) -> int:
    """Cuts of ``expected`` with a distinct found cut within ``tol`` seconds."""
    left = list(found)
    hits = 0
    for t in expected:
        near = [f for f in left if abs(f - t) <= tol]
        if near:
            left.remove(min(near, key=lambda f: abs(f - t)))
            hits += 1
    return hits


def lavfi_video(path: Path, source: str, seconds: float = 2.0) -> Path:
    """A small synthetic video from one of ffmpeg's lavfi sources."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"{source}:duration={seconds}", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def one_shot(duration_s: float) -> SceneCuts:
    return SceneCuts(analysis_fps=6.0, duration_s=duration_s,
                     shots=[Shot(index=0, start_s=0.0, end_s=duration_s)])


# --- scenes: pure helpers ---------------------------------------------------------


def test_histogram_distance_is_total_variation() -> None:
    a = np.array([0.5, 0.5, 0.0, 0.0])
    b = np.array([0.0, 0.0, 0.5, 0.5])
    c = np.array([0.5, 0.0, 0.5, 0.0])
    assert S.histogram_distance(a, a) == 0.0
    assert S.histogram_distance(a, b) == pytest.approx(1.0)
    assert S.histogram_distance(a, c) == pytest.approx(0.5)
    assert S.histogram_distances(np.stack([a, b, c])) == pytest.approx([0.0, 1.0, 0.5])


def test_hsv_histogram_sees_colour_not_size() -> None:
    red = np.zeros((40, 60, 3), np.uint8)
    red[..., 0] = 220
    blue = np.zeros((90, 160, 3), np.uint8)
    blue[..., 2] = 220
    big_red = np.repeat(np.repeat(red, 2, axis=0), 2, axis=1)
    assert S.hsv_histogram(red).sum() == pytest.approx(1.0)
    assert S.histogram_distance(S.hsv_histogram(red), S.hsv_histogram(big_red)) < 1e-6
    assert S.histogram_distance(S.hsv_histogram(red), S.hsv_histogram(blue)) > 0.99


def test_compensated_difference_forgives_motion_not_new_content() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (60, 100)).astype(np.uint8)
    base = np.kron(base, np.ones((2, 2), np.uint8))[:48, :80]  # some structure
    moved = np.roll(base, (2, 3), axis=(0, 1))
    other = rng.integers(0, 255, base.shape).astype(np.uint8)
    assert S.luma_difference(base, moved) > 0.1  # raw difference calls motion change
    assert S.compensated_difference(base, moved) < 0.03  # ... compensation does not
    assert S.compensated_difference(base, other) > 0.15


def test_local_median_excludes_the_frame_itself() -> None:
    x = np.array([0.1, 0.1, 0.9, 0.1, 0.1])
    assert S.local_median(x, 2)[2] == pytest.approx(0.1)


def test_adaptive_threshold_needs_local_and_absolute_bar() -> None:
    calm = np.full(40, 0.05)
    calm[20] = 0.4  # 8x the neighbourhood and above the floor: a cut
    calm[30] = 0.2  # 4x the neighbourhood but under the floor: not a cut
    busy = np.full(40, 0.3)
    busy[20] = 0.5  # above the floor but <2x a busy neighbourhood: action, not a cut
    kw = {"half_window": 6, "threshold": 2.0, "min_distance": 0.3}
    assert np.flatnonzero(S.adaptive_threshold(calm, **kw)).tolist() == [20]
    assert not S.adaptive_threshold(busy, **kw).any()
    spike_at_start = np.r_[0.9, np.zeros(10)]
    assert not S.adaptive_threshold(spike_at_start, **kw)[0]  # frame 0 has no predecessor


def test_enforce_min_gap_keeps_the_strongest() -> None:
    times = [1.0, 1.2, 3.0, 0.3]
    strengths = [0.4, 0.9, 0.5, 1.0]
    # 1.2 beats 1.0 (closer than 0.6 s); 0.3 is too close to the start.
    assert S.enforce_min_gap(times, strengths, 0.6) == [1, 2]
    assert S.enforce_min_gap(times, strengths, 0.6, start=None) == [3, 1, 2]


def test_fades_are_one_cut_after_black_and_absorb_ramp_cuts() -> None:
    luma = np.array([0, 0, 5, 40, 90, 100, 100, 60, 20, 5, 2, 3, 30, 80, 100, 100, 50, 4, 1],
                    dtype=float)
    assert S.dark_runs(luma, 18) == [(0, 2), (9, 11), (17, 18)]
    det = S.FadeDetector(black_level=18)
    thumb = np.zeros((8, 8), np.uint8)
    for i, y in enumerate(luma):
        det.process_frame(i, i / 6, S.FrameFeatures(np.zeros(4), thumb, y))
    found = det.finish(6.0)
    assert [(c.kind, c.index) for c in found] == [("black", 3), ("fade", 12), ("black", 18)]
    fade = found[1]
    assert fade.covers is not None and fade.covers[0] <= 8 and fade.covers[1] >= 13
    hard = [S.CutCandidate(4, 4 / 6, "hard", 0.6),  # opening fade-in ramp: echo
            S.CutCandidate(13, 13 / 6, "hard", 0.7),  # closing ramp of the mid fade: echo
            S.CutCandidate(16, 16 / 6, "hard", 0.9)]  # closing fade-out: echo
    merged = S.merge_cuts([*found, *hard], min_shot_s=0.3)
    assert [(c.kind, c.index) for c in merged] == [("fade", 12)]


def test_build_shots_tiles_the_episode() -> None:
    times = np.arange(60) / 6
    motion = np.where(times < 4, 0.01, 0.2)
    shots = S.build_shots([4.0], 10.0, times, motion)
    assert [(s.start_s, s.end_s) for s in shots] == [(0.0, 4.0), (4.0, 10.0)]
    assert shots[0].mean_motion == pytest.approx(0.01)
    assert shots[1].mean_motion == pytest.approx(0.2)


# --- faces: pure helpers ----------------------------------------------------------


def test_iou_and_nms() -> None:
    assert F.iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert F.iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert F.iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert F.iou_matrix(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 10, 10]])
    assert F.nms(boxes, np.array([0.5, 0.9, 0.1])) == [1, 2]


def _moving_face(n: int, x0: float = 100, vx: float = 12) -> list[tuple]:
    return [(x0 + vx * i, 80.0, 40.0, 40.0) for i in range(n)]


def test_link_tracks_follows_bridges_and_drops() -> None:
    fps = 6.0
    n = 24
    times = list(np.arange(n) / fps)
    face = _moving_face(n)
    boxes: list[list[tuple]] = [[face[i]] for i in range(n)]
    for i in (8, 9, 10):  # a 0.5 s gap: bridged at max_gap 0.7 s
        boxes[i] = []
    boxes[15].append((400.0, 200.0, 30.0, 30.0))  # a one-frame false positive
    kw = {"min_iou": 0.2, "max_gap_s": 0.7, "min_track_s": 0.4, "frame_s": 1 / fps}
    tracks = F.link_tracks(times, [0] * n, boxes, **kw)
    assert len(tracks) == 1
    assert [f for f, _ in tracks[0]] == [i for i in range(n) if i not in (8, 9, 10)]
    # The same gap with a shorter bridge splits the track in two.
    split = F.link_tracks(times, [0] * n, boxes, **{**kw, "max_gap_s": 0.3})
    assert [len(t) for t in split] == [8, 13]


def test_link_tracks_never_crosses_a_shot() -> None:
    fps = 6.0
    times = list(np.arange(12) / fps)
    boxes = [[(100.0, 80.0, 40.0, 40.0)] for _ in times]  # same place in both shots
    shots = [0] * 6 + [1] * 6
    tracks = F.link_tracks(times, shots, boxes, min_iou=0.2, max_gap_s=0.7, min_track_s=0.4,
                           frame_s=1 / fps)
    assert [[f for f, _ in t] for t in tracks] == [list(range(6)), list(range(6, 12))]


def test_link_tracks_keeps_two_side_by_side_faces_apart() -> None:
    times = list(np.arange(10) / 6)
    left, right = _moving_face(10, 50, 4), _moving_face(10, 300, -4)
    boxes = [[right[i], left[i]] if i % 2 else [left[i], right[i]] for i in range(10)]
    tracks = F.link_tracks(times, [0] * 10, boxes, min_iou=0.2, max_gap_s=0.7,
                           min_track_s=0.4, frame_s=1 / 6)
    assert len(tracks) == 2
    for track in tracks:
        xs = [boxes[f][d][0] for f, d in track]
        assert np.all(np.abs(np.diff(xs)) < 10)


def test_motion_energy_points_at_what_moves() -> None:
    prev = np.zeros((90, 160), np.uint8)
    cur = prev.copy()
    cur[20:40, 120:140] = 200
    share, centre = F.motion_energy(prev, cur)
    assert share == pytest.approx(400 / (90 * 160))
    assert centre == pytest.approx((129.5, 29.5))
    assert F.motion_energy(prev, prev) == (0.0, None)
    assert F.motion_energy(None, cur) == (0.0, None)


def test_mouth_change_ignores_whole_face_motion() -> None:
    rng = np.random.default_rng(1)
    prev = rng.integers(0, 255, (100, 100)).astype(np.uint8)
    talking = prev.copy()
    talking[60:80, 30:70] = 255 - talking[60:80, 30:70]
    shifted = np.roll(prev, 5, axis=1)
    box = (20, 20, 60, 60)
    assert F.mouth_change(prev, talking, box) > 0.1
    assert F.mouth_change(prev, shifted, box) < 0.02
    assert F.mouth_change(None, talking, box) is None


def test_backends_fail_soft(caplog: pytest.LogCaptureFixture,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "pillow_version", lambda: "12.0.0")
    with caplog.at_level(logging.WARNING, logger="shortfactory.faces"):
        backends, unavailable = F.make_backends(["haar", "animeface", "mediapipe"])
    assert backends[0].name == "haar"
    assert "animeface" not in [b.name for b in backends]
    assert "Pillow" in unavailable["animeface"]
    assert "animeface" in caplog.text


# --- real media: scenes -----------------------------------------------------------


@needs_media
def test_sintel_cuts_match_verified_times(tmp_path: Path) -> None:
    rel = "animated/blender/sintel_clip_10s.mp4"
    proxy = tmp_path / "proxy.mp4"
    make_proxy(MEDIA / rel, proxy, height=360, fps=6)
    result = S.detect_scenes(proxy, SCENES, duration_s=10.0, progress=False)
    found = [c.time_s for c in result.cuts]
    expected = truth(rel)
    hits = matched(found, expected)
    assert hits >= 6, (found, expected)  # one cut hides in fast action at 6 fps
    assert len(found) - hits <= 1, found
    assert len(result.frame_scores) == 60
    assert result.shots[0].start_s == 0.0 and result.shots[-1].end_s == 10.0
    assert all(a.end_s == b.start_s for a, b in zip(result.shots, result.shots[1:], strict=False))


@needs_media
def test_tears_of_steel_cuts_and_artifact_round_trip(tmp_path: Path) -> None:
    rel = "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
    result = S.detect_scenes(MEDIA / rel, SCENES, duration_s=10.0, fps=6, height=360,
                             progress=False)
    found = [c.time_s for c in result.cuts]
    assert matched(found, truth(rel)) == 3 and len(found) == 3, found
    out = tmp_path / "scene_cuts.json"
    write_model(out, result)
    assert read_model(out, SceneCuts) == result


@needs_media
def test_caminandes_fast_motion_is_not_cut() -> None:
    rel = "animated/blender/caminandes1_clip_10s.mp4"
    result = S.detect_scenes(MEDIA / rel, SCENES, duration_s=10.0, fps=6, height=360,
                             progress=False)
    assert len(result.cuts) <= 1, result.cuts
    assert len(result.shots) == len(result.cuts) + 1


@needs_media
def test_fades_through_black_are_fade_cuts() -> None:
    # PySceneDetect's fades.mp4: fade-out/fade-in around 3.36 s and 6.68 s (middle of
    # black); ours sit on the first frame after black, so allow the half-black length.
    result = S.detect_scenes(MEDIA / "scenecuts/pyscenedetect/fades.mp4", SCENES,
                             duration_s=10.0, fps=6, height=360, progress=False)
    assert [c.kind for c in result.cuts] == ["fade", "fade"], result.cuts
    assert matched([c.time_s for c in result.cuts], [3.36, 6.68], tol=0.5) == 2


# --- real media: faces ------------------------------------------------------------


@needs_media
def test_haar_finds_the_face_in_a_live_action_close_up() -> None:
    clip = MEDIA / "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
    _, frame = next(iter_frames(clip, height=360, start_s=9.6, duration_s=0.2))
    found = F.detect_frame(frame, [F.HaarBackend()], min_size_px=24, min_score=0.0)
    assert len(found) == 1
    (x, y, w, h), score, backend = found[0]
    assert backend == "haar" and score > 0.5
    assert 180 < x + w / 2 < 420 and 120 < y + h / 2 < 260 and h > 120  # the woman's face


@needs_media
def test_two_walking_people_give_two_tracks_in_source_pixels(tmp_path: Path) -> None:
    clip = MEDIA / "faces/intel_sample_videos/face-demographics-walking.gif"
    width, height, _ = probe_video_only(clip)
    result = F.track_faces(clip, one_shot(2.9), FACES, source_width=width,
                           source_height=height, fps=6, height=360, progress=False)
    assert len(result.tracks) == 2, [(t.start_s, t.end_s) for t in result.tracks]
    for track in result.tracks:
        assert track.end_s - track.start_s >= 1.0
        assert all(0 <= x and x + w <= width and 0 <= y and y + h <= height
                   for x, y, w, h in track.boxes)  # source pixels, not proxy pixels
        assert 0.05 < track.mean_size < 0.3 and 0 < track.persistence <= 1
        assert 0 <= track.activity <= 1
    assert result.backends["haar"] >= 15
    assert result.analysis_fps == 6.0 and abs(len(result.frames) - 2.9 * 6) <= 1
    out = tmp_path / "faces.json"
    write_model(out, result)
    assert read_model(out, Faces) == result


@needs_media
def test_tracks_are_cut_at_shot_boundaries() -> None:
    clip = MEDIA / "faces/intel_sample_videos/face-demographics-walking.gif"
    width, height, _ = probe_video_only(clip)
    cuts = SceneCuts(analysis_fps=6.0, duration_s=2.9, shots=[
        Shot(index=0, start_s=0.0, end_s=1.5), Shot(index=1, start_s=1.5, end_s=2.9)])
    result = F.track_faces(clip, cuts, FACES, source_width=width, source_height=height,
                           fps=6, height=360, progress=False)
    for track in result.tracks:
        shot = cuts.shots[track.shot]
        assert all(shot.start_s - 1e-3 <= t < shot.end_s - 1e-3 for t in track.times)
    assert {t.shot for t in result.tracks} == {0, 1}


def test_video_without_faces_gives_fallback_focus(tmp_path: Path) -> None:
    clip = lavfi_video(tmp_path / "testsrc.mp4", "testsrc=size=320x240:rate=12")
    result = F.track_faces(clip, one_shot(2.0), FACES, source_width=640, source_height=480,
                           fps=6, progress=False)
    assert result.tracks == []
    assert len(result.frames) == 12
    assert all(f.focus is not None for f in result.frames)
    assert all(0 <= f.focus[0] <= 640 and 0 <= f.focus[1] <= 480 for f in result.frames)
    assert all(0 <= f.activity <= 1 for f in result.frames)
    assert max(f.activity for f in result.frames) > 0  # testsrc moves


def test_still_video_focus_is_the_centre(tmp_path: Path) -> None:
    clip = lavfi_video(tmp_path / "grey.mp4", "color=c=gray:size=320x180:rate=6")
    cuts = S.detect_scenes(clip, SCENES, duration_s=2.0, progress=False)
    assert cuts.cuts == [] and len(cuts.shots) == 1
    result = F.track_faces(clip, cuts, {**FACES, "backends": ["haar", "mediapipe"]},
                           source_width=1920, source_height=1080, progress=False)
    assert result.tracks == []
    assert {f.focus for f in result.frames} == {(960.0, 540.0)}
    assert set(result.backends) == {"haar", "mediapipe"}


def test_installed_pillow_lets_animeface_work() -> None:
    # animeface silently finds nothing on Pillow >= 12 (DEPENDENCIES.md): guard the pin.
    assert int(F.pillow_version().split(".")[0]) < 12
    backends, unavailable = F.make_backends(["animeface"])
    assert [b.name for b in backends] == ["animeface"], unavailable


def test_a_flash_inside_a_shot_is_not_a_cut_but_a_new_shot_is() -> None:
    rng = np.random.default_rng(3)
    shot_a = np.kron(rng.integers(0, 255, (12, 20, 3)), np.ones((12, 12, 1))).astype(np.uint8)
    shot_b = np.kron(rng.integers(0, 255, (12, 20, 3)), np.ones((12, 12, 1))).astype(np.uint8)
    frames = [np.roll(shot_a, 2 * i, axis=1) for i in range(24)]
    frames[12] = np.full_like(shot_a, 255)  # one white impact frame
    frames += [np.roll(shot_b, 2 * i, axis=1) for i in range(12)]
    det = S.ContentDetector(threshold=2.0, min_distance=0.3, window_s=2.0, fps=6.0)
    for i, rgb in enumerate(frames):
        det.process_frame(i, i / 6, S.frame_features(rgb))
    assert det.scores[12] > 0.5 and det.scores[13] > 0.5  # the flash jumps both ways...
    assert [c.index for c in det.finish(6.0)] == [24]  # ...but only the new shot is a cut
