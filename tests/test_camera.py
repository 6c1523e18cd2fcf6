"""The virtual camera on synthetic face tracks with known motion."""

from __future__ import annotations

import numpy as np
import pytest

from shortfactory.artifacts import (
    AudioStream,
    Cut,
    Detection,
    FaceFrame,
    Faces,
    SceneCuts,
    Shot,
    SourceProbe,
    VideoStream,
)
from shortfactory.camera import plan_camera
from shortfactory.recipe import CameraSection

W, H, FPS, AFPS = 1920, 1080, 24.0, 6.0


def params(**overrides) -> dict:
    return {**CameraSection().model_dump(mode="json"), **overrides}


def probe(duration: float) -> SourceProbe:
    return SourceProbe(episode="t", path="t.mp4", size_bytes=1, container="mp4",
                       duration_s=duration, video=VideoStream(codec="h264", width=W, height=H,
                                                              fps=FPS),
                       audio=AudioStream(codec="aac", sample_rate=48000, channels=2))


def scenes(duration: float, cuts: tuple[float, ...] = ()) -> SceneCuts:
    edges = [0.0, *cuts, duration]
    return SceneCuts(analysis_fps=AFPS, duration_s=duration,
                     cuts=[Cut(time_s=c, kind="hard") for c in cuts],
                     shots=[Shot(index=i, start_s=a, end_s=b)
                            for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False))])


def faces(duration: float, centre_of, size: float = 200, focus=(W / 2, H / 2)) -> Faces:
    """``centre_of(t)`` -> list of (track_id, x centre) for the faces visible at t."""
    frames = []
    for i in range(int(duration * AFPS)):
        t = i / AFPS
        dets = [Detection(box=(x - size / 2, 300, size, size), score=1.0, backend="test",
                          track_id=tid) for tid, x in centre_of(t)]
        frames.append(FaceFrame(t=t, detections=dets, focus=None if dets else focus))
    return Faces(analysis_fps=AFPS, source_width=W, source_height=H, frames=frames)


def centres(path) -> np.ndarray:
    return np.array(path.x) + path.crop_width / 2


def test_constant_speed_face_stays_in_frame() -> None:
    duration = 10.0
    move = lambda t: [(0, 300 + 120 * t)]  # noqa: E731 - 120 px/s, below the speed limit
    path = plan_camera("c", 0, duration, probe(duration), faces(duration, move),
                       scenes(duration), params())
    t = np.arange(len(path.x)) / FPS
    face = 300 + 120 * t
    left = np.array(path.x)
    assert np.all(face - 100 >= left - 1) and np.all(face + 100 <= left + path.crop_width + 1)
    assert path.crop_width == 608 and path.crop_height == 1080
    assert path.shots[0].mode in ("tracking", "panning") and path.shots[0].focus == "face:0"


def test_window_is_inside_frame_and_speed_limited() -> None:
    duration = 8.0
    jumpy = lambda t: [(0, 100 if int(t) % 2 else 1800)]  # noqa: E731 - teleports every second
    p = params(max_speed_px_s=400.0)
    path = plan_camera("c", 0, duration, probe(duration), faces(duration, jumpy),
                       scenes(duration), p)
    left = np.array(path.x)
    assert left.min() >= 0 and left.max() <= W - path.crop_width
    speed = np.abs(np.diff(left)) * FPS
    assert speed.max() <= 400.0 + 1e-6


def test_one_frame_detection_does_not_move_the_window() -> None:
    duration = 6.0

    def scene(t: float):
        out = [(0, 500.0)]
        if abs(t - 3.0) < 1e-6:
            out.append((7, 1600.0))  # a bigger face for one analysis frame
        return out

    path = plan_camera("c", 0, duration, probe(duration), faces(duration, scene),
                       scenes(duration), params())
    assert np.ptp(path.x) < 1.0
    assert path.shots[0].mode == "stationary"


def test_vanished_face_holds_then_eases_to_fallback() -> None:
    duration = 8.0
    early = lambda t: [(0, 300.0)] if t < 2.0 else []  # noqa: E731
    path = plan_camera("c", 0, duration, probe(duration),
                       faces(duration, early, focus=(1600.0, 540.0)), scenes(duration),
                       params(lost_face_hold_s=1.0))
    c = centres(path)
    frame = lambda s: int(s * FPS)  # noqa: E731
    assert abs(c[frame(2.5)] - c[frame(1.5)]) < 40  # holding
    assert c[frame(7.9)] > 1200  # eased toward the fallback focus
    steps = np.abs(np.diff(c))
    assert steps.max() * FPS <= params()["max_speed_px_s"] + 1e-6  # never a jump
    assert path.fallback[frame(6.0)] and not path.fallback[frame(1.0)]


def test_cut_allows_a_jump_but_shots_do_not() -> None:
    duration = 8.0
    sides = lambda t: [(0 if t < 4 else 1, 300.0 if t < 4 else 1600.0)]  # noqa: E731
    path = plan_camera("c", 0, duration, probe(duration), faces(duration, sides),
                       scenes(duration, cuts=(4.0,)), params())
    left = np.array(path.x)
    k = int(4.0 * FPS)
    assert left[k] - left[k - 1] > 1000  # cut: jump straight to the new subject
    inside = np.abs(np.diff(np.r_[left[:k], ]))
    assert inside.max() < 1.0 and len(path.shots) == 2


@pytest.mark.parametrize("strategy", ["group", "speaker"])
def test_two_faces(strategy: str) -> None:
    duration = 6.0
    pair = lambda t: [(0, 800.0), (1, 1120.0)]  # noqa: E731 - 470 px span: fits 608 px
    path = plan_camera("c", 0, duration, probe(duration), faces(duration, pair, size=150),
                       scenes(duration), params(multi_face=strategy))
    c = centres(path)
    if strategy == "group":
        assert np.allclose(c, 960, atol=5)
    else:
        assert np.allclose(c, 800, atol=5) or np.allclose(c, 1120, atol=5)
