"""Per-frame motion signals and the linking of detections into tracks.

Pure functions of frames and boxes, apart from the stage's loop in
:mod:`shortfactory.vision.faces` so they can be tested on synthetic input:

- **Tracking** (:func:`link_tracks`) links detections frame to frame, greedily, by IoU
  and centre distance against a constant-velocity prediction. It never links across a
  shot boundary (from ``scene_cuts.json``), bridges gaps of up to ``max_gap_s`` (a
  missed detection or a blink of the detector), and drops tracks shorter than
  ``min_track_s``: a one-frame detection is almost always a false positive, a face that
  persists is not.
- **Motion** (:func:`motion_energy`: the share of the frame that moved and its centre;
  :func:`edge_density`; :func:`salient_point`: where a still frame draws the eye) gives
  the camera something better than the frame centre to follow where no face is tracked.
- **Mouth activity** (:func:`mouth_change`): the change of a face's mouth area that
  motion cannot explain (the previous frame's mouth area is searched over small shifts,
  so a moving head or a pan cancels out), mapped onto [0, 1) by :func:`activity_of`. A
  hint for choosing the active speaker frame by frame, not a lip reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from shortfactory.vision.face_backends import BoxT, iou

# Centre distance, as a share of the face height, within which a prediction and a
# detection may be the same face even when their boxes barely overlap (fast motion):
# a base allowance plus a growth per second since the track was last seen, because
# the prediction gets less certain the longer the face was missing.
MAX_CENTRE_DIST = 0.5
CENTRE_DIST_PER_S = 1.0
# History the constant-velocity prediction averages over, seconds.
VELOCITY_S = 0.5
# A detection may not be more than this factor larger or smaller than the track.
MAX_SIZE_RATIO = 1.8
# Grey-level change (0-255) that counts a pixel as moving for the per-frame activity.
MOTION_LEVEL = 18
# Below this share of moving pixels a frame has no usable centre of motion.
MIN_MOTION_SHARE = 0.002
# Gradient magnitude (Sobel on the blurred thumbnail, 0-255 grey scale) that counts a
# pixel as an edge for the frame's edge density (busy, detailed frames vs flat ones).
EDGE_LEVEL = 40.0
# Width the spectral-residual saliency is computed at (Hou & Zhang 2007: the method
# works on coarse images; 64 px is its usual scale).
SALIENCY_WIDTH = 64
# Share of the most salient thumbnail pixels whose centroid is the salient point.
SALIENT_SHARE = 0.05
# The mouth area of a face box (x0, x1, y0, y1 as shares of its width and height), the
# face height it is compared at and the shifts searched to cancel motion (see
# :func:`mouth_change`): +-3 px of a 32 px face is +-9 % of the face per analysis frame.
MOUTH_REGION = (0.2, 0.8, 0.55, 1.0)
MOUTH_FACE_PX = 32
MOUTH_SEARCH_PX = 3
# Mouth change (0-1 of the grey range) that maps to an activity of 1 - 1/e ~ 0.63.
# On the sample a speaking face's median change was 0.0027, a silent one's 0.0001.
ACTIVITY_SCALE = 0.005


# --- motion -----------------------------------------------------------------------


def motion_energy(prev: np.ndarray | None, grey: np.ndarray,
                  level: int = MOTION_LEVEL) -> tuple[float, tuple[float, float] | None]:
    """Share of moving pixels in [0, 1] and the centre of motion (x, y in ``grey`` px).

    The centre is the change-weighted mean of the moving pixels; ``None`` when too
    little moved to say where (or there is no previous frame).
    """
    if prev is None or prev.shape != grey.shape:
        return 0.0, None
    diff = cv2.absdiff(prev, grey)
    moving = diff > level
    share = float(np.count_nonzero(moving)) / moving.size
    if share < MIN_MOTION_SHARE:
        return share, None
    m = cv2.moments(np.where(moving, diff, 0).astype(np.float32))  # centroid, no index grids
    return share, (m["m10"] / m["m00"], m["m01"] / m["m00"])


def edge_density(small: np.ndarray) -> float:
    """Share of edge pixels in [0, 1]: how much detail the frame shows (a busy, textured
    frame against a flat one), the still-frame half of its visual activity."""
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    return float(np.count_nonzero(cv2.magnitude(gx, gy) > EDGE_LEVEL)) / small.size


def salient_point(small: np.ndarray) -> tuple[float, float]:
    """Where a still frame draws the eye (x, y in ``small`` px): spectral residual
    saliency (Hou & Zhang 2007), the centroid of its most salient pixels.

    The fallback focus for a shot with no face in which nothing has moved yet: an
    off-centre subject on a plain background beats the frame centre. Costs ~0.1 ms.
    """
    h, w = small.shape
    sh = max(4, round(SALIENCY_WIDTH * h / w))
    img = cv2.resize(small, (SALIENCY_WIDTH, sh), interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(img.astype(np.float64))
    log_amplitude = np.log(np.abs(spectrum) + 1e-9)
    residual = log_amplitude - cv2.blur(log_amplitude, (3, 3))
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = cv2.GaussianBlur(saliency, (0, 0), 2.5)
    cutoff = np.quantile(saliency, 1.0 - SALIENT_SHARE)
    ys, xs = np.nonzero(saliency >= cutoff)
    weights = saliency[ys, xs]
    return (float((xs * weights).sum() / weights.sum() + 0.5) * w / SALIENCY_WIDTH,
            float((ys * weights).sum() / weights.sum() + 0.5) * h / sh)


def mouth_change(prev: np.ndarray | None, grey: np.ndarray, box: Sequence[float]) -> float | None:
    """Change (0-1 of the grey range) of the mouth area of a face box since ``prev``
    that motion cannot explain.

    The lower part of the box (:data:`MOUTH_REGION`) of both frames is scaled so the
    face is :data:`MOUTH_FACE_PX` tall, and the previous one is searched over shifts of
    up to :data:`MOUTH_SEARCH_PX` px for its best match: a head that moves, a camera
    that pans or a box that jitters finds a match and scores near 0, a mouth that opens
    or closes does not. ``None`` without a previous frame (shot start) or a usable box.
    """
    if prev is None or prev.shape != grey.shape:
        return None
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return None
    k = MOUTH_FACE_PX / h
    r = MOUTH_SEARCH_PX
    margin = r / k
    fx0, fx1, fy0, fy1 = MOUTH_REGION
    x0, x1 = int(max(0, x + fx0 * w - margin)), int(min(grey.shape[1], x + fx1 * w + margin))
    y0, y1 = int(max(0, y + fy0 * h - margin)), int(min(grey.shape[0], y + fy1 * h + margin))
    size = (round((x1 - x0) * k), round((y1 - y0) * k))
    if min(size) < 2 * r + 2:
        return None
    # Blurred a little, so that a head moving by a fraction of a pixel still matches.
    before = cv2.GaussianBlur(cv2.resize(prev[y0:y1, x0:x1], size,
                                         interpolation=cv2.INTER_AREA), (3, 3), 0)
    now = cv2.GaussianBlur(cv2.resize(grey[y0:y1, x0:x1], size,
                                      interpolation=cv2.INTER_AREA), (3, 3), 0)
    core = now[r:-r, r:-r]
    ch, cw = core.shape
    best, at = np.inf, (r, r)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            diff = cv2.norm(core, before[dy: dy + ch, dx: dx + cw], cv2.NORM_L1)
            if diff < best:
                best, at = diff, (dy, dx)
    # Around the best whole-pixel shift, each pixel may match any neighbour: what a
    # sub-pixel move leaves over vanishes, a mouth opening (a new shape) does not.
    per_pixel = None
    for dy in range(max(0, at[0] - 1), min(2 * r, at[0] + 1) + 1):
        for dx in range(max(0, at[1] - 1), min(2 * r, at[1] + 1) + 1):
            diff = cv2.absdiff(core, before[dy: dy + ch, dx: dx + cw])
            per_pixel = diff if per_pixel is None else cv2.min(per_pixel, diff)
    return float(per_pixel.mean()) / 255.0


def activity_of(change: float | None) -> float | None:
    """A mouth change (:func:`mouth_change`) mapped onto [0, 1) by :data:`ACTIVITY_SCALE`."""
    if change is None:
        return None
    return 1.0 - float(np.exp(-change / ACTIVITY_SCALE))


# --- tracking ---------------------------------------------------------------------


@dataclass(slots=True)
class _TrackState:
    """A track being built: its detections as ``(frame, detection)`` index pairs."""

    shot: int
    members: list[tuple[int, int]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    boxes: list[BoxT] = field(default_factory=list)

    def predict(self, t: float) -> BoxT:
        """Constant-velocity guess of the box at time ``t`` (size held).

        The velocity spans up to :data:`VELOCITY_S` of history, not just the last two
        detections: a repeated frame (a stuttering source, a reused detection) would
        otherwise stop the prediction dead.
        """
        x, y, w, h = self.boxes[-1]
        first = len(self.times) - 1
        while first > 0 and self.times[-1] - self.times[first - 1] <= VELOCITY_S + 1e-6:
            first -= 1
        dt = self.times[-1] - self.times[first]
        if dt <= 0:
            return x, y, w, h
        px, py, pw, ph = self.boxes[first]
        vx = ((x + w / 2) - (px + pw / 2)) / dt
        vy = ((y + h / 2) - (py + ph / 2)) / dt
        ahead = t - self.times[-1]
        return x + vx * ahead, y + vy * ahead, w, h


def _affinity(pred: BoxT, det: BoxT, min_iou: float, elapsed: float) -> float | None:
    """How well a detection fits a track's prediction ``elapsed`` seconds after the
    track was last seen; ``None`` if it cannot be the same face."""
    ratio = det[3] / max(pred[3], 1e-6)
    if not 1 / MAX_SIZE_RATIO <= ratio <= MAX_SIZE_RATIO:
        return None
    overlap = iou(pred, det)
    dx = (det[0] + det[2] / 2) - (pred[0] + pred[2] / 2)
    dy = (det[1] + det[3] / 2) - (pred[1] + pred[3] / 2)
    dist = float(np.hypot(dx, dy)) / max(pred[3], det[3], 1e-6)
    reach = MAX_CENTRE_DIST + CENTRE_DIST_PER_S * max(0.0, elapsed)
    if overlap < min_iou and dist > reach:
        return None
    return overlap + 0.5 * max(0.0, 1.0 - dist / reach)


def link_tracks(times: Sequence[float], shots: Sequence[int],
                boxes: Sequence[Sequence[BoxT]], *, min_iou: float, max_gap_s: float,
                min_track_s: float, frame_s: float) -> list[list[tuple[int, int]]]:
    """Link per-frame boxes into tracks; pure, so it is tested on synthetic boxes.

    Args:
        times: time of each frame (ascending).
        shots: shot index of each frame; a track never spans two shots.
        boxes: the boxes found in each frame.
        min_iou: IoU with the prediction that is enough to continue a track (a close
            centre is enough too, for fast motion where boxes stop overlapping).
        max_gap_s: longest gap without a detection that a track survives.
        min_track_s: tracks shorter than this (counting each frame as ``frame_s``
            long) are dropped as noise.
        frame_s: duration of one analysis frame.

    Returns:
        Tracks in order of first appearance, each a list of ``(frame, detection)``.
    """
    active: list[_TrackState] = []
    done: list[_TrackState] = []
    for f, (t, shot, frame_boxes) in enumerate(zip(times, shots, boxes, strict=True)):
        still = []
        for tr in active:
            # A track ends at a shot boundary or after too long without a detection.
            if tr.shot != shot or t - tr.times[-1] > max_gap_s + 1e-6:
                done.append(tr)
            else:
                still.append(tr)
        active = still
        pairs = []
        for ti, tr in enumerate(active):
            pred = tr.predict(t)
            for di, box in enumerate(frame_boxes):
                score = _affinity(pred, box, min_iou, t - tr.times[-1])
                if score is not None:
                    pairs.append((score, ti, di))
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _, ti, di in sorted(pairs, key=lambda p: -p[0]):
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            tr = active[ti]
            tr.members.append((f, di))
            tr.times.append(t)
            tr.boxes.append(tuple(frame_boxes[di]))
        for di, box in enumerate(frame_boxes):
            if di not in used_d:
                active.append(_TrackState(shot=shot, members=[(f, di)], times=[t],
                                          boxes=[tuple(box)]))
    done.extend(active)
    kept = [tr for tr in done if tr.times[-1] - tr.times[0] + frame_s >= min_track_s - 1e-6]
    kept.sort(key=lambda tr: tr.members[0])
    return [tr.members for tr in kept]
