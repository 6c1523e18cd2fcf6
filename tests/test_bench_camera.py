"""The camera benchmark's helpers: truth needs, coverage, baselines and motion figures."""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace

import numpy as np
from conftest import REPO

from shortfactory.core.recipe import CameraSection

# bench/ is not a package: load bench/camera.py by path under a name that cannot
# collide with the package's own camera module.
_spec = importlib.util.spec_from_file_location("bench_camera", REPO / "bench" / "camera.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_camera"] = bench
_spec.loader.exec_module(bench)


def box(character: str, x: int, speaking: bool = False) -> SimpleNamespace:
    return SimpleNamespace(character=character, box=(x, 300, 200, 200), speaking=speaking)


def truth(frames: dict[int, list]) -> SimpleNamespace:
    return SimpleNamespace(width=1920, faces=[SimpleNamespace(frame=k, faces=v)
                                             for k, v in frames.items()])


def test_truth_needs_speaker_only_face_and_silent_groups() -> None:
    t = truth({0: [box("a", 100)], 1: [box("a", 100), box("b", 1000, speaking=True)],
               2: [box("a", 100), box("b", 1000)], 3: [box("a", -50)]})
    needs = bench.truth_needs(t, 5)
    assert needs[0] == [(100, 300)] and needs[1] == [(1000, 1200)]
    assert needs[2] is None and needs[4] is None  # nobody named; no face
    assert needs[3] == [(0, 150)]  # clipped to the frame
    assert bench.truth_needs(t, 5, silent_groups=True)[2] == [(100, 300), (1000, 1200)]


def test_coverage_counts_fully_inside_only() -> None:
    needs = [[(100, 300)], None, [(100, 300)], [(600, 700)]]
    x = np.array([0.0, 0.0, 200.0, 200.0])
    assert bench.coverage(x, 608, needs) == 2 / 3  # frame 2 cuts the face in half
    assert bench.coverage(x, 608, needs, letterbox=np.array([0, 0, 1, 0], bool)) == 1.0


def test_motion_stats_reversals_jumps_and_speed() -> None:
    fps = 10.0
    x = np.r_[np.linspace(0, 100, 11), np.linspace(100, 50, 6)[1:], [50, 500, 500]]
    m = bench.motion_stats(x, [0, len(x)], fps, limit=200.0)
    assert m["within_shot_jumps"] == 1  # the 450 px step
    assert m["max_speed_px_s"] == 4500.0
    assert m["reversals_per_s"] == 2 / (len(x) / fps)  # right, left, right
    # The same jump across a shot edge is a cut, not a jump.
    assert bench.motion_stats(x, [0, 17, len(x)], fps, limit=200.0)["within_shot_jumps"] == 0


def test_tripod_waits_for_confirmation_and_moves_slowly() -> None:
    target = np.full(40, 400.0)
    target[10] = 1500.0  # one stray detection
    target[20:] = 1500.0  # a real move
    x = bench.tripod_path(target, [0, 40], 608, 1920 - 608, frames_per_analysis=1)
    assert np.all(x[:22] == x[0])  # the stray frame and the first two confirmations: still
    steps = np.diff(x[22:])
    assert steps.max() <= bench.TRIPOD_FAST_PX and steps.min() >= 0 and x[-1] > x[0]


def test_follow_holds_where_there_is_no_target() -> None:
    target = np.array([np.nan, 700.0, np.nan, 1000.0])
    x = bench.follow_path(target, [0, 4], 608, 1312.0)
    assert list(x) == [656.0, 396.0, 396.0, 696.0]


def test_coverage_with_zoomed_widths_and_split_panels() -> None:
    needs = [[(1000, 1200)], [(1000, 1200)], [(1000, 1200)]]
    x = np.array([0.0, 0.0, 0.0])
    assert bench.coverage(x, np.array([608, 1216, 608]), needs) == 1 / 3  # zoomed out
    x2 = np.array([np.nan, np.nan, 900.0])  # frame 2: a split shot's lower panel
    assert bench.coverage(x, 608, needs, x2=x2) == 1 / 3


def test_oracle_follows_the_truth_within_the_limits() -> None:
    # One shot, the only face still at the right: the oracle's window sits on it.
    t = truth({k: [box("a", 1500)] for k in range(48)})
    t.cuts = []
    needs = bench.truth_needs(t, 48)
    params = CameraSection(max_speed_px_s=500.0, max_accel_px_s2=1200.0, smoothing_s=0.6)
    x = bench.oracle_path(t, needs, 48, 24.0, 608, 1312.0, params)
    assert bench.coverage(x, 608, needs) == 1.0
