"""Faces on the analysis proxy: detections per frame, tracks within shots, motion fallback.

Three layers, each replaceable on its own:

1. **Backends** (:class:`FaceBackend`: ``detect(rgb) -> [(box, score)]``) find faces
   in one frame. ``haar`` is OpenCV's bundled ``frontalface_alt2`` cascade (live action,
   frontal faces), ``animeface`` is nagadomi's anime face detector (drawn faces, which
   photo-trained detectors miss), ``mediapipe`` is used only where the package and a
   face-detector model are installed. A backend that cannot run is skipped with a
   warning and named in ``Faces.options["unavailable"]``: missing faces degrade the
   camera to its motion fallback, they never stop the line. The detections of all
   backends in a frame are merged by non-maximum suppression. A frame that barely
   differs from the last frame the detectors ran on (held cels, a static camera) keeps
   that frame's detections: on the sample cartoon that skips 69 % of the detector runs
   with the same accuracy against its truth (recall and precision 0.99).
2. **Tracking** (:func:`link_tracks`) links detections frame to frame, greedily, by
   IoU and centre distance against a constant-velocity prediction. It never links
   across a shot boundary (from ``scene_cuts.json``), bridges gaps of up to
   ``max_gap_s`` (a missed detection or a blink of the detector), and drops tracks
   shorter than ``min_track_s``: a one-frame detection is almost always a false
   positive, a face that persists is not.
3. **Per-frame signals**: ``activity`` (the share of the frame that moved, [0, 1]) and,
   for frames without a tracked face, a ``focus`` point at the centre of motion, so the
   camera has something better than the frame centre to follow. Each track also gets
   an ``activity`` estimate, the change inside the lower half of the face box beyond
   the change in its upper half (:func:`mouth_change`): moving mouths score, a still
   or merely moving head does not. On the sample cartoon a speaking face averaged
   0.011 per frame, a silent one 0.002. It is a hint for choosing the active speaker,
   not a lip reader.

Boxes are ``[x, y, w, h]`` in **source** pixels (scaled from the proxy); ``min_size_px``
applies at the proxy's scale, where the detectors run.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from tqdm import tqdm

from .artifacts import Detection, FaceFrame, Faces, SceneCuts, Track
from .media import iter_frames, probe_video_only

log = logging.getLogger(__name__)

BoxT = tuple[float, float, float, float]

# Boxes of different backends (or the same backend at two scales) overlapping more than
# this are one face.
NMS_IOU = 0.3
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
# Width of the thumbnail motion is measured on (enough for a centre, cheap).
MOTION_WIDTH = 160
# Below this share of moving pixels a frame has no usable centre of motion.
MIN_MOTION_SHARE = 0.002
# A frame that differs from the last frame the detectors ran on in less than this share
# of its pixels (same shot) keeps that frame's detections instead of running them again:
# 0.2 % is smaller than any face the detectors can find, and held cels (anime) or a
# static podcast camera make most frames like that (69 % of the sample episode's).
REUSE_SHARE = 0.002
# Mouth change (lower-half minus upper-half change of the face box, 0-1 of the grey
# range, see :func:`mouth_change`) that maps to a track activity of 1 - 1/e ~ 0.63.
ACTIVITY_SCALE = 0.01


# --- boxes ------------------------------------------------------------------------


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of ``[x, y, w, h]`` boxes, shape ``(len(a), len(b))``."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ax1, ay1 = a[:, 0:1], a[:, 1:2]
    ax2, ay2 = ax1 + a[:, 2:3], ay1 + a[:, 3:4]
    bx1, by1 = b[:, 0], b[:, 1]
    bx2, by2 = bx1 + b[:, 2], by1 + b[:, 3]
    iw = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0, None)
    ih = np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0, None)
    inter = iw * ih
    union = (a[:, 2:3] * a[:, 3:4]) + (b[:, 2] * b[:, 3]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``[x, y, w, h]`` boxes."""
    return float(iou_matrix(np.array([a]), np.array([b]))[0, 0])


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = NMS_IOU) -> list[int]:
    """Indices of the boxes kept by greedy non-maximum suppression, best score first."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    order = list(np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable"))
    if not order:
        return []
    overlaps = iou_matrix(boxes, boxes)
    keep: list[int] = []
    for i in order:
        if all(overlaps[i, j] <= iou_threshold for j in keep):
            keep.append(int(i))
    return keep


def scale_box(box: Sequence[float], sx: float, sy: float) -> BoxT:
    """A proxy-pixel box in source pixels."""
    x, y, w, h = box
    return (round(x * sx, 1), round(y * sy, 1), round(w * sx, 1), round(h * sy, 1))


# --- backends ---------------------------------------------------------------------


class BackendUnavailable(RuntimeError):
    """A face backend cannot run here (package or model missing); the reason says why."""


class FaceBackend(Protocol):
    """One face detector: RGB frame in, ``[(box xywh in frame px, score 0-1)]`` out."""

    name: str

    def detect(self, rgb: np.ndarray) -> list[tuple[BoxT, float]]:
        """Faces in one RGB uint8 frame."""


@dataclass(slots=True)
class HaarBackend:
    """OpenCV's ``haarcascade_frontalface_alt2``: frontal live-action faces, CPU only.

    ``alt2`` gave fewer false positives than ``default`` on the shared clips. The score
    maps the cascade's neighbour count (how many overlapping windows agreed) onto
    [0, 1]: false positives rarely gather more than 5, clear faces 10 to 30.
    """

    min_size_px: int = 24
    scale_factor: float = 1.15  # 1.1 is ~45 % slower for no face found here that 1.15 missed
    min_neighbors: int = 4
    name: str = "haar"
    _cascade: Any = None

    def __post_init__(self) -> None:
        path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_alt2.xml"
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise BackendUnavailable(f"OpenCV Haar cascade not found at {path}")
        self._cascade = cascade

    def detect(self, rgb: np.ndarray) -> list[tuple[BoxT, float]]:
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        boxes, neighbours = self._cascade.detectMultiScale2(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_size_px, self.min_size_px))
        return [((float(x), float(y), float(w), float(h)), 1.0 - float(np.exp(-n / 10.0)))
                for (x, y, w, h), n in zip(boxes, np.ravel(neighbours), strict=True)]


def pillow_version() -> str:
    """The installed Pillow version (a function, so tests can pretend another one)."""
    import PIL

    return PIL.__version__


@dataclass(slots=True)
class AnimeFaceBackend:
    """nagadomi's ``animeface`` (compiled-in model): drawn anime/cartoon faces.

    It silently finds nothing on Pillow 12 or newer, so that case is refused up front
    instead of producing an empty, plausible-looking result.
    """

    name: str = "animeface"
    _detect: Any = None

    def __post_init__(self) -> None:
        version = pillow_version()
        if int(version.split(".")[0]) >= 12:
            raise BackendUnavailable(
                f"animeface finds no faces with Pillow {version} (needs Pillow < 12)")
        try:
            import animeface
        except ImportError as err:
            raise BackendUnavailable(f"animeface is not installed ({err})") from None
        self._detect = animeface.detect

    def detect(self, rgb: np.ndarray) -> list[tuple[BoxT, float]]:
        from PIL import Image

        out = []
        for face in self._detect(Image.fromarray(rgb)):
            pos = face.face.pos
            out.append(((float(pos.x), float(pos.y), float(pos.width), float(pos.height)),
                        float(np.clip(face.likelihood, 0.0, 1.0))))
        return out


@dataclass(slots=True)
class MediaPipeBackend:
    """MediaPipe Tasks ``FaceDetector`` (BlazeFace), when the package and a model exist.

    mediapipe 1.2.x ships no model: point ``SHORTFACTORY_MEDIAPIPE_MODEL`` at
    ``face_detection_short_range.tflite`` (from the mediapipe 0.10.14 wheel, see
    DEPENDENCIES.md), or have it next to the installed package.
    """

    min_score: float = 0.5
    name: str = "mediapipe"
    _detector: Any = None
    _mp: Any = None

    def __post_init__(self) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as err:
            raise BackendUnavailable(f"mediapipe is not installed ({err})") from None
        model = os.environ.get("SHORTFACTORY_MEDIAPIPE_MODEL")
        if not model:
            found = sorted(Path(mp.__file__).parent.rglob("face_detection_short_range.tflite"))
            model = str(found[0]) if found else None
        if not model or not Path(model).is_file():
            raise BackendUnavailable(
                "no MediaPipe face model: set SHORTFACTORY_MEDIAPIPE_MODEL to a "
                "face_detection_short_range.tflite")
        options = vision.FaceDetectorOptions(base_options=BaseOptions(model_asset_path=model),
                                             min_detection_confidence=self.min_score)
        self._detector = vision.FaceDetector.create_from_options(options)
        self._mp = mp

    def detect(self, rgb: np.ndarray) -> list[tuple[BoxT, float]]:
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(rgb))
        out = []
        for det in self._detector.detect(image).detections:
            bb = det.bounding_box
            score = det.categories[0].score if det.categories else 0.0
            out.append(((float(bb.origin_x), float(bb.origin_y), float(bb.width),
                         float(bb.height)), float(score)))
        return out


BACKENDS = {"haar": HaarBackend, "animeface": AnimeFaceBackend, "mediapipe": MediaPipeBackend}


def make_backends(names: Sequence[str], *, min_size_px: int = 24,
                  ) -> tuple[list[FaceBackend], dict[str, str]]:
    """Instantiate the named backends; return them and ``{name: reason}`` for those
    that cannot run here (logged as warnings, never raised: faces are fail-soft)."""
    backends: list[FaceBackend] = []
    unavailable: dict[str, str] = {}
    for name in dict.fromkeys(names):
        cls = BACKENDS.get(name)
        try:
            if cls is None:
                raise BackendUnavailable(f"unknown face backend {name!r}")
            backends.append(cls(min_size_px=min_size_px) if cls is HaarBackend else cls())
        except BackendUnavailable as err:
            unavailable[name] = str(err)
            log.warning("face backend %s skipped: %s", name, err)
    return backends, unavailable


def detect_frame(rgb: np.ndarray, backends: Sequence[FaceBackend], *, min_size_px: int,
                 min_score: float) -> list[tuple[BoxT, float, str]]:
    """All backends on one frame, filtered by size and score, merged by NMS."""
    found: list[tuple[BoxT, float, str]] = []
    for backend in backends:
        for box, score in backend.detect(rgb):
            if min(box[2], box[3]) >= min_size_px and score >= min_score:
                found.append((box, score, backend.name))
    if len(found) < 2:
        return found
    keep = nms(np.array([f[0] for f in found]), np.array([f[1] for f in found]))
    return [found[i] for i in keep]


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
    weights = np.where(moving, diff, 0).astype(np.float64)
    total = weights.sum()
    ys, xs = np.indices(grey.shape)
    return share, (float((xs * weights).sum() / total), float((ys * weights).sum() / total))


def mouth_change(prev: np.ndarray | None, grey: np.ndarray, box: Sequence[float]) -> float | None:
    """Change (0-1) in the lower half of a face box beyond the change in its upper half.

    A moving mouth changes the lower half; a head that moves, or a camera that pans,
    changes both halves alike and cancels out; a blink changes the upper half and is
    clipped to 0. ``None`` without a previous frame (shot start) or a usable box.
    """
    if prev is None or prev.shape != grey.shape:
        return None
    x, y, w, h = (int(round(v)) for v in box)
    x0, x1 = max(0, x), min(grey.shape[1], x + w)
    top, mid, bottom = max(0, y), max(0, y + h // 2), min(grey.shape[0], y + h)
    if x1 <= x0 or bottom <= mid or mid <= top:
        return None
    lower = float(cv2.absdiff(prev[mid:bottom, x0:x1], grey[mid:bottom, x0:x1]).mean())
    upper = float(cv2.absdiff(prev[top:mid, x0:x1], grey[top:mid, x0:x1]).mean())
    return max(0.0, lower - upper) / 255.0


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


# --- the stage entry point --------------------------------------------------------


def shot_of_times(times: np.ndarray, scene_cuts: SceneCuts) -> np.ndarray:
    """Shot index of each time, from the shots of ``scene_cuts`` (one shot if none)."""
    if not scene_cuts.shots:
        return np.zeros(len(times), dtype=int)
    starts = np.array([s.start_s for s in scene_cuts.shots])
    indices = np.array([s.index for s in scene_cuts.shots])
    # Cut times are analysis-frame times: a frame at the cut belongs to the new shot.
    pos = np.searchsorted(starts, np.asarray(times) + 1e-3, side="right") - 1
    return indices[np.clip(pos, 0, len(indices) - 1)]


@dataclass(slots=True)
class _FrameRecord:
    t: float
    dets: list[tuple[BoxT, float, str]]
    mouth: list[float | None]
    activity: float
    motion_centre: tuple[float, float] | None


def track_faces(proxy_path: str | Path, scene_cuts: SceneCuts, params: dict[str, Any], *,
                source_width: int, source_height: int, fps: float | None = None,
                height: int | None = None, progress: bool = True) -> Faces:
    """Detect, track and describe the faces of a video; never fails for lack of faces.

    Args:
        proxy_path: the analysis proxy (or any video with ``fps``/``height`` given).
        scene_cuts: the episode's shots; tracks are cut at every shot boundary.
        params: the recipe's ``vision.faces`` section as a dict (``backends``,
            ``min_size_px``, ``min_score``, ``track_iou``, ``max_gap_s``, ``min_track_s``).
        source_width: width of the source the boxes are reported in.
        source_height: height of the source.
        fps: analysis frame rate; default the proxy's own.
        height: analysis height; default the proxy's own.
        progress: show a tqdm bar (frames) on stderr.

    Returns:
        :class:`Faces` with one :class:`FaceFrame` per analysis frame and the tracks.
    """
    native_fps = probe_video_only(proxy_path)[2]
    rate = float(fps or native_fps)
    min_size = int(params.get("min_size_px", 24))
    min_score = float(params.get("min_score", 0.0))
    names = list(params.get("backends", ["haar", "animeface"]))
    backends, unavailable = make_backends(names, min_size_px=min_size)
    if not backends:
        log.warning("no face backend can run (%s): motion fallback only",
                    "; ".join(f"{k}: {v}" for k, v in unavailable.items()) or "none requested")
    counts = dict.fromkeys(names, 0)

    records: list[_FrameRecord] = []
    sx = sy = 1.0
    prev_grey: np.ndarray | None = None
    prev_small: np.ndarray | None = None
    prev_shot: int | None = None
    # The last frame the detectors ran on, and what they found there.
    key_small: np.ndarray | None = None
    key_dets: list[tuple[BoxT, float, str]] = []
    reused = 0
    total = max(1, round(scene_cuts.duration_s * rate))
    bar = tqdm(total=total, unit="frame", desc="faces", file=sys.stderr, disable=not progress,
               mininterval=1.0)
    with bar:
        for t, rgb in iter_frames(proxy_path, fps=fps, height=height):
            h, w = rgb.shape[:2]
            sx, sy = source_width / w, source_height / h
            shot = int(shot_of_times(np.array([t]), scene_cuts)[0])
            if shot != prev_shot:  # no motion, mouth change or reuse across a cut
                prev_grey = prev_small = key_small = None
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            small = cv2.resize(grey, (MOTION_WIDTH, max(1, round(MOTION_WIDTH * h / w))),
                               interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (3, 3), 0)
            if key_small is not None and motion_energy(key_small, small)[0] < REUSE_SHARE:
                dets = list(key_dets)
                reused += 1
            else:
                dets = detect_frame(rgb, backends, min_size_px=min_size, min_score=min_score)
                key_small, key_dets = small, dets
            for _, _, name in dets:
                counts[name] = counts.get(name, 0) + 1
            share, centre = motion_energy(prev_small, small)
            if centre is not None:
                centre = (centre[0] * w / small.shape[1], centre[1] * h / small.shape[0])
            records.append(_FrameRecord(t=t, dets=dets,
                                        mouth=[mouth_change(prev_grey, grey, d[0]) for d in dets],
                                        activity=share, motion_centre=centre))
            prev_grey, prev_small, prev_shot = grey, small, shot
            bar.update(1)

    times = np.array([r.t for r in records])
    shots = shot_of_times(times, scene_cuts)
    links = link_tracks(times, shots, [[d[0] for d in r.dets] for r in records],
                        min_iou=float(params.get("track_iou", 0.2)),
                        max_gap_s=float(params.get("max_gap_s", 0.7)),
                        min_track_s=float(params.get("min_track_s", 0.4)), frame_s=1.0 / rate)
    track_of: dict[tuple[int, int], int] = {}
    tracks: list[Track] = []
    for tid, members in enumerate(links):
        for key in members:
            track_of[key] = tid
        tracks.append(_describe_track(tid, members, records, int(shots[members[0][0]]), rate,
                                      sx, sy, source_height))
    frames = _describe_frames(records, shots, track_of, sx, sy, source_width, source_height)
    options = dict(params)
    if unavailable:
        options["unavailable"] = unavailable
    log.info("%s: %d frames (%d unchanged, detections reused), %d detections, %d tracks",
             proxy_path, len(records), reused, sum(len(r.dets) for r in records), len(tracks))
    return Faces(analysis_fps=rate, source_width=source_width, source_height=source_height,
                 options=options, backends=counts, frames=frames, tracks=tracks)


def _describe_track(tid: int, members: list[tuple[int, int]], records: list[_FrameRecord],
                    shot: int, rate: float, sx: float, sy: float, source_height: int) -> Track:
    times = [records[f].t for f, _ in members]
    dets = [records[f].dets[d] for f, d in members]
    boxes = [scale_box(d[0], sx, sy) for d in dets]
    span_frames = round((times[-1] - times[0]) * rate) + 1
    changes = [m for f, d in members if (m := records[f].mouth[d]) is not None]
    activity = 1.0 - float(np.exp(-np.mean(changes) / ACTIVITY_SCALE)) if changes else 0.0
    return Track(
        id=tid, shot=shot, start_s=round(times[0], 4), end_s=round(times[-1], 4),
        times=[round(t, 4) for t in times], boxes=boxes,
        mean_score=round(float(np.mean([d[1] for d in dets])), 4),
        mean_size=round(float(np.mean([b[3] for b in boxes])) / source_height, 4),
        persistence=round(len(members) / max(1, span_frames), 4),
        activity=round(activity, 4),
    )


def _describe_frames(records: list[_FrameRecord], shots: np.ndarray,
                     track_of: dict[tuple[int, int], int], sx: float, sy: float,
                     source_width: int, source_height: int) -> list[FaceFrame]:
    frames = []
    held: tuple[float, float] | None = None
    for f, rec in enumerate(records):
        if f == 0 or shots[f] != shots[f - 1]:
            held = None  # a new shot: the old centre of motion means nothing here
        if rec.motion_centre is not None:
            held = (round(rec.motion_centre[0] * sx, 1), round(rec.motion_centre[1] * sy, 1))
        detections = [Detection(box=scale_box(box, sx, sy), score=round(score, 4),
                                backend=name, track_id=track_of.get((f, d)))
                      for d, (box, score, name) in enumerate(rec.dets)]
        tracked = any(det.track_id is not None for det in detections)
        # Without a tracked face: the centre of motion, held through still frames, or
        # the frame centre when nothing has moved yet in this shot.
        focus = None if tracked else (held or (source_width / 2, source_height / 2))
        frames.append(FaceFrame(t=round(rec.t, 4), detections=detections,
                                activity=round(rec.activity, 4), focus=focus))
    return frames
