"""The virtual camera: a smooth, speed-limited 9:16 window over the source.

A controller, not a tracker. Per shot it picks what to look at (a face track with
hysteresis, a group of faces, or a fallback focus when faces vanish), ignores motion
inside a dead zone, and solves the whole shot's path at once as a regularized least
squares problem (penalizing acceleration), then enforces the speed and acceleration
limits. The window never jumps inside a shot; at a cut it may.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

from .artifacts import CameraShot, CropPath, FaceFrame, Faces, SceneCuts, SourceProbe

ROUNDING_PX = 0.01  # crop_path.json stores positions to this precision
HOLD_WEIGHT = 200.0  # how hard a "hold" frame pins the path (vs 1 for a followed face)


@dataclass(slots=True)
class Focus:
    """What the camera wants to see at one analysis time."""

    t: float
    x: float  # centre, source px
    top: float | None  # top of the face(s), source px; None when no face
    label: str
    fallback: bool


def crop_size(width: int, height: int, aspect: tuple[int, int], zoom: float) -> tuple[int, int]:
    """Largest even-sized window of the output aspect at the given zoom."""
    crop_h = min(height, int(round(height / zoom / 2)) * 2)
    crop_w = int(round(crop_h * aspect[0] / aspect[1] / 2)) * 2
    if crop_w > width:
        crop_w = width - width % 2
        crop_h = min(height, int(round(crop_w * aspect[1] / aspect[0] / 2)) * 2)
    return crop_w, crop_h


def shot_bounds(start: float, end: float, scenes: SceneCuts) -> list[tuple[float, float]]:
    """Clip-absolute shot spans inside ``[start, end)``."""
    cuts = sorted(c.time_s for c in scenes.cuts if start < c.time_s < end)
    edges = [start, *cuts, end]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b - a > 1e-6]


def _centre(box: tuple[float, float, float, float]) -> float:
    return box[0] + box[2] / 2


class TargetChooser:
    """Picks the face to follow with hysteresis, so the camera never ping-pongs."""

    def __init__(self, params: dict[str, Any], crop_w: int, frame_w: int) -> None:
        self.strategy = params["multi_face"]
        self.min_hold_s = float(params["min_hold_s"]) if self.strategy != "largest" else 0.0
        self.lost_hold_s = float(params["lost_face_hold_s"])
        self.fallback = params["fallback"]
        self.crop_w = crop_w
        self.frame_w = frame_w
        self.current: int | None = None
        self.challenger: tuple[int, float] | None = None
        self.last: Focus | None = None

    def reset(self) -> None:
        """A new shot: nothing carries over a cut."""
        self.current, self.challenger, self.last = None, None, None

    def choose(self, frame: FaceFrame) -> Focus:
        dets = [d for d in frame.detections if d.track_id is not None]
        if not dets:
            return self._lost(frame)
        if self.strategy == "group" and len(dets) > 1:
            left = min(d.box[0] for d in dets)
            right = max(d.box[0] + d.box[2] for d in dets)
            if right - left <= self.crop_w * 0.9:
                focus = Focus(frame.t, (left + right) / 2, min(d.box[1] for d in dets),
                              "group", False)
                self.last = focus
                return focus
        # Bigger faces and livelier faces (mouth activity) are more likely the subject.
        weight = {d.track_id: d.box[2] * d.box[3] * (0.5 + d.score) for d in dets}
        best = max(weight, key=lambda k: (weight[k], -k))
        if self.current not in weight:
            self.current, self.challenger = best, None
        elif best != self.current and weight[best] > 1.3 * weight[self.current]:
            if self.challenger is None or self.challenger[0] != best:
                self.challenger = (best, frame.t)
            if frame.t - self.challenger[1] >= self.min_hold_s:
                self.current, self.challenger = best, None
        else:
            self.challenger = None
        det = next(d for d in dets if d.track_id == self.current)
        focus = Focus(frame.t, _centre(det.box), det.box[1], f"face:{self.current}", False)
        self.last = focus
        return focus

    def _lost(self, frame: FaceFrame) -> Focus:
        if self.last is not None and not self.last.fallback and \
                frame.t - self.last.t <= self.lost_hold_s:
            return Focus(frame.t, self.last.x, self.last.top, "hold", True)
        if self.fallback == "motion" and frame.focus is not None:
            return Focus(frame.t, frame.focus[0], None, "fallback:motion", True)
        return Focus(frame.t, self.frame_w / 2, None, "fallback:centre", True)


def dead_zone_filter(target: np.ndarray, half_width: float) -> np.ndarray:
    """A rope: the output moves only when the target pulls beyond ``half_width``."""
    out = np.empty_like(target)
    pos = target[0]
    for i, value in enumerate(target):
        if value - pos > half_width:
            pos = value - half_width
        elif pos - value > half_width:
            pos = value + half_width
        out[i] = pos
    return out


def smooth_path(target: np.ndarray, fps: float, smoothing_s: float,
                weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted least squares fit to ``target`` with an acceleration penalty (one solve).

    Minimizes ``sum w (x - target)^2 + lam |D2 x|^2``; ``lam`` grows with the smoothing
    time constant in frames, to the fourth power as a second-difference filter needs.
    Heavy weights pin frames that must not move early (a hold after a lost face).
    """
    n = len(target)
    if n < 3 or smoothing_s <= 0:
        return target.copy()
    w = np.ones(n) if weights is None else weights
    lam = (smoothing_s * fps) ** 4 / 16.0
    d2 = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n))
    system = sparse.diags(w) + lam * (d2.T @ d2)
    return np.asarray(spsolve(system.tocsc(), w * target))


def limit_motion(path: np.ndarray, fps: float, max_speed: float,
                 max_accel: float) -> np.ndarray:
    """Enforce speed and acceleration bounds (px/s, px/s^2) by forward integration."""
    # Positions are stored to 0.01 px; keep that rounding inside the limit.
    v_max = max_speed / fps - 2 * ROUNDING_PX
    a_max = max_accel / fps / fps
    out = np.empty_like(path)
    out[0] = path[0]
    velocity = 0.0
    for i in range(1, len(path)):
        wanted = np.clip(path[i] - out[i - 1], -v_max, v_max)
        # Brake early enough to stop at the target without overshoot.
        stop = math.sqrt(2 * a_max * abs(path[i] - out[i - 1])) if a_max > 0 else v_max
        wanted = float(np.clip(wanted, -stop, stop))
        velocity = float(np.clip(wanted, velocity - a_max, velocity + a_max))
        out[i] = out[i - 1] + velocity
    return out


def plan_shot(focus: list[Focus], times: np.ndarray, params: dict[str, Any], fps: float,
              crop_w: int, frame_w: int) -> tuple[np.ndarray, str]:
    """Left edge per output frame of one shot, and the mode chosen."""
    max_left = frame_w - crop_w
    if not focus:
        return np.full(len(times), max_left / 2), "stationary"
    ft = np.array([f.t for f in focus])
    fx = np.array([f.x for f in focus])
    centre = np.interp(times, ft, fx)
    half_dz = float(params["dead_zone"]) * crop_w / 2
    if np.ptp(centre) <= 2 * half_dz:
        left = float(np.clip(np.median(centre) - crop_w / 2, 0, max_left))
        return np.full(len(times), left), "stationary"
    roped = dead_zone_filter(centre, half_dz)
    held = np.array([f.label == "hold" for f in focus], dtype=float)
    nearest = np.clip(np.searchsorted(ft, times, side="right") - 1, 0, len(focus) - 1)
    weights = 1.0 + HOLD_WEIGHT * held[nearest]
    smooth = smooth_path(roped, fps, float(params["smoothing_s"]), weights)
    left = np.clip(smooth - crop_w / 2, 0, max_left)
    left = limit_motion(left, fps, float(params["max_speed_px_s"]),
                        float(params["max_accel_px_s2"]))
    left = np.clip(left, 0, max_left)
    steps = np.diff(left)
    moving = steps[np.abs(steps) > 1e-3]
    mode = "panning" if moving.size and (np.all(moving > 0) or np.all(moving < 0)) else \
        "tracking"
    return left, mode


def plan_camera(clip_id: str, start: float, end: float, source: SourceProbe, faces: Faces,
                scenes: SceneCuts, params: dict[str, Any]) -> CropPath:
    """The crop path of one clip, with per-shot modes and focus sources recorded."""
    width, height, fps = source.video.width, source.video.height, source.video.fps
    aspect = tuple(params["aspect"])
    crop_w, crop_h = crop_size(width, height, aspect, float(params["zoom"]))
    n = max(1, int(round((end - start) * fps)))
    times = start + np.arange(n) / fps
    xs = np.zeros(n)
    ys = np.zeros(n)
    fallback = np.zeros(n, dtype=bool)
    shots: list[CameraShot] = []
    chooser = TargetChooser(params, crop_w, width)
    for a, b in shot_bounds(start, end, scenes):
        chooser.reset()
        in_shot = (times >= a) & (times < b)
        frames = [f for f in faces.frames if a <= f.t < b]
        focus = [chooser.choose(f) for f in frames]
        left, mode = plan_shot(focus, times[in_shot], params, fps, crop_w, width)
        xs[in_shot] = left
        tops = [f.top for f in focus if f.top is not None]
        if crop_h < height and tops:
            top = float(np.median(tops)) - float(params["headroom"]) * crop_h
            ys[in_shot] = float(np.clip(top, 0, height - crop_h))
        elif crop_h < height:
            ys[in_shot] = (height - crop_h) / 2
        if focus:
            ft = np.array([f.t for f in focus])
            nearest = np.clip(np.searchsorted(ft, times[in_shot]), 0, len(focus) - 1)
            fallback[in_shot] = [focus[k].fallback for k in nearest]
            label = Counter(f.label for f in focus).most_common(1)[0][0]
        else:
            fallback[in_shot] = True
            label = "fallback:centre"
        shots.append(CameraShot(start=round(a - start, 3), end=round(b - start, 3), mode=mode,
                                focus=label))
    return CropPath(
        clip_id=clip_id, start_s=start, end_s=end, fps=fps, source_width=width,
        source_height=height, crop_width=crop_w, crop_height=crop_h, options=params,
        x=[round(float(v), 2) for v in xs], y=[round(float(v), 2) for v in ys],
        shots=shots, fallback=[bool(v) for v in fallback],
    )
