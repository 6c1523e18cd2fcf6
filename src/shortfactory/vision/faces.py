"""Faces on the analysis proxy: detections per frame, tracks within shots, motion fallback.

Three layers, each replaceable on its own:

1. **Backends** (:class:`FaceBackend`: ``detect(rgb) -> [(box, score)]``) find faces
   in one frame. ``haar`` is OpenCV's bundled ``frontalface_alt2`` cascade (live action,
   frontal faces), ``animeface`` is nagadomi's anime face detector (drawn faces, which
   photo-trained detectors miss), ``mediapipe`` is used only where the package and a
   face-detector model are installed. A backend that cannot load (package missing or
   broken, model missing or corrupt) is skipped with a warning and named, with a
   one-line reason, in ``Faces.options["unavailable"]`` (``{"mediapipe": "..."}``), so
   faces.json shows what a later install would add: missing faces degrade the
   camera to its motion fallback, they never stop the line. The detections of all
   backends in a frame are merged by non-maximum suppression.
   **Which frames run what** (the cost of the stage): the whole-frame pass (20-40 ms a
   360p frame for Haar) runs on each shot's first frame, then at most every
   ``detect_every_s`` (recipe default 2 s) while faces are followed and every
   ``search_every_s`` (1 s) while none is, and only on frames that changed. In between,
   each face seen is looked for near where it was (:func:`detect_near`: Haar on a small
   region at a finer scale step, ~1 ms, which also finds faces the coarse whole-frame
   pass misses; MediaPipe, whose network costs the same on any input, on the whole
   frame, once per frame: so while it follows a face, each changed frame is a
   whole-frame pass, new faces included); a frame that barely differs from the last one
   searched (held cels, a static camera) keeps its faces; a face found late is followed
   back through the frames before it. On the sample cartoon: recall 0.98, precision 1.0
   against its truth with ~60 whole-frame runs; the whole-frame pass alone on every
   changed frame made 341 runs for recall 0.92. On the filmed 1080p mix
   (``recipes/live.yaml``) this keeps 94 % of the tracked faces that MediaPipe on every
   changed frame finds, at 60 % of its cost (``face_recall_vs_dense_mix1080_live``).
   Each detection records which of these found it (``kind``).
2. **Tracking** (:func:`link_tracks`) links detections frame to frame, greedily, by
   IoU and centre distance against a constant-velocity prediction. It never links
   across a shot boundary (from ``scene_cuts.json``), bridges gaps of up to
   ``max_gap_s`` (a missed detection or a blink of the detector; the gap is filled with
   interpolated boxes), and drops tracks shorter than ``min_track_s``: a one-frame
   detection is almost always a false positive, a face that persists is not.
3. **Per-frame signals**: ``activity`` (the share of the frame that moved, [0, 1]) and,
   for frames without a tracked face, a ``focus`` point at the centre of motion, so the
   camera has something better than the frame centre to follow. Each detection gets an
   ``activity`` of its own, the change of the mouth area that motion cannot explain
   (:func:`mouth_change`: the previous frame's mouth area is searched over small
   shifts, so a moving head or a pan cancels out), averaged along its track over
   +-0.2 s; each track the mean. On the sample it ranks the speaking face above the
   silent one of the same frame with AUC 0.83. A hint for choosing the active speaker
   frame by frame, not a lip reader.
4. **Per-shot statistics** (``Faces.shots``): the shots of ``scene_cuts.json`` with the
   mean number of tracked faces per frame, the share of frames with one, the tracks.

Boxes are ``[x, y, w, h]`` in **source** pixels (scaled from the proxy); ``min_size_px``
applies at the proxy's scale, where the detectors run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import cv2
import numpy as np
from tqdm import tqdm

from shortfactory.core.artifacts import Detection, FaceFrame, Faces, SceneCuts, Shot, Track
from shortfactory.core.media import iter_frames, probe_video_only
from shortfactory.core.recipe import FaceSection

log = logging.getLogger(__name__)

# Where a helper below has a default for a value the recipe sets (the smallest face), it
# is the recipe's own default, read from :class:`FaceSection`: the model is the one
# place that says what the defaults are.
_RECIPE_DEFAULTS = FaceSection()

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
# Gradient magnitude (Sobel on the blurred thumbnail, 0-255 grey scale) that counts a
# pixel as an edge for the frame's edge density (busy, detailed frames vs flat ones).
EDGE_LEVEL = 40.0
# Below this edge density a frame is too flat to have a salient point: the centre is used.
MIN_EDGE_DENSITY = 0.005
# Width the spectral-residual saliency is computed at (Hou & Zhang 2007: the method
# works on coarse images; 64 px is its usual scale).
SALIENCY_WIDTH = 64
# Share of the most salient thumbnail pixels whose centroid is the salient point.
SALIENT_SHARE = 0.05
# A frame that differs from the last frame the detectors ran on in less than this share
# of its pixels (same shot) keeps that frame's detections instead of running them again:
# 0.2 % is smaller than any face the detectors can find, and held cels (anime) or a
# static podcast camera make most frames like that (69 % of the sample episode's).
REUSE_SHARE = 0.002
# The mouth area of a face box (x0, x1, y0, y1 as shares of its width and height), the
# face height it is compared at and the shifts searched to cancel motion (see
# :func:`mouth_change`): +-3 px of a 32 px face is +-9 % of the face per analysis frame.
MOUTH_REGION = (0.2, 0.8, 0.55, 1.0)
MOUTH_FACE_PX = 32
MOUTH_SEARCH_PX = 3
# Mouth change (0-1 of the grey range) that maps to an activity of 1 - 1/e ~ 0.63.
# On the sample a speaking face's median change was 0.0027, a silent one's 0.0001.
ACTIVITY_SCALE = 0.005
# A detection's activity is the mean mouth change of its track within this many seconds
# either side (one analysis frame at 6 fps): it ranked the speaking face above the
# silent ones with AUC 0.85 on the sample instead of 0.79 frame by frame.
ACTIVITY_SMOOTH_S = 0.2
# The whole-frame detectors run on a shot's first frame and then at most every
# ``detect_every_s`` (recipe) on frames that changed since, or every ``search_every_s``
# while no face is being followed in the shot: each pass that finds nothing then doubles
# that wait, up to the follow-back window, so a face that shows up is found at most
# FOLLOW_BACK_S late and followed back to where it appeared, and a faceless shot (most of
# a cartoon without photo-like faces) costs a third of the whole-frame runs for no loss
# in recall. In between, each face seen is looked for in a region around where it was:
# its box grown by NEAR_MARGIN x its size each side, scaled so the face is NEAR_FACE_PX
# tall, searched with the finer scale step NEAR_SCALE_FACTOR (Haar's own window is 20 px).
# A face the whole-frame pass finds for the first time is looked for in up to this many
# seconds of the frames before it (in the same shot), so finding it late loses nothing.
FOLLOW_BACK_S = 3.0
NEAR_MARGIN = 0.6
NEAR_FACE_PX = 40
NEAR_SCALE_FACTOR = 1.08
NEAR_SIZE_RATIO = 1.4
# Longest reason kept for a backend that cannot load (faces.json stays readable).
REASON_CHARS = 300


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

    def detect(self, rgb: np.ndarray, grey: np.ndarray | None = None,
               ) -> list[tuple[BoxT, float]]:
        """Faces in one RGB uint8 frame (``grey``: the same frame in grey, where the
        caller has it; a backend that works on grey uses it instead of converting)."""


@dataclass(slots=True)
class HaarBackend:
    """OpenCV's ``haarcascade_frontalface_alt2``: frontal live-action faces, CPU only.

    ``alt2`` gave fewer false positives than ``default`` on the shared clips. The score
    maps the cascade's neighbour count (how many overlapping windows agreed) onto
    [0, 1]: false positives rarely gather more than 5, clear faces 10 to 30.
    """

    min_size_px: int = _RECIPE_DEFAULTS.min_size_px
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

    def detect(self, rgb: np.ndarray, grey: np.ndarray | None = None,
               ) -> list[tuple[BoxT, float]]:
        if grey is None:
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        boxes, neighbours = self._cascade.detectMultiScale2(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_size_px, self.min_size_px))
        return [((float(x), float(y), float(w), float(h)), _haar_score(n))
                for (x, y, w, h), n in zip(boxes, np.ravel(neighbours), strict=True)]

    def detect_near(self, rgb: np.ndarray, box: BoxT, grey: np.ndarray | None = None,
                    ) -> list[tuple[BoxT, float]]:
        """Faces about the size of ``box`` around it: the cheap, finer search.

        The region (``box`` grown by :data:`NEAR_MARGIN` each side) is scaled so that the
        expected face is :data:`NEAR_FACE_PX` tall, and the cascade runs with a finer
        scale step (:data:`NEAR_SCALE_FACTOR`) over sizes within :data:`MAX_SIZE_RATIO`:
        about 1 ms instead of 20-40 ms for the whole 360p frame, and it finds faces the
        coarse whole-frame pass misses (a face it saw in the frame before, slightly
        turned). The neighbour threshold is the whole-frame one: no looser.
        """
        if grey is None:
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        region = near_region(box, grey.shape)
        if region is None:
            return []
        x0, y0, x1, y1 = region
        k = min(1.0, NEAR_FACE_PX / max(box[3], 1.0))
        roi = grey[y0:y1, x0:x1]
        if k < 1.0:
            roi = cv2.resize(roi, (max(1, round(roi.shape[1] * k)),
                                   max(1, round(roi.shape[0] * k))),
                             interpolation=cv2.INTER_AREA)
        lo = max(20, int(min(box[2], box[3]) * k / NEAR_SIZE_RATIO))
        hi = max(lo + 1, int(max(box[2], box[3]) * k * NEAR_SIZE_RATIO) + 1)
        boxes, neighbours = self._cascade.detectMultiScale2(
            roi, scaleFactor=NEAR_SCALE_FACTOR, minNeighbors=self.min_neighbors,
            minSize=(lo, lo), maxSize=(hi, hi))
        return [((x0 + float(x) / k, y0 + float(y) / k, float(w) / k, float(h) / k),
                 _haar_score(n))
                for (x, y, w, h), n in zip(boxes, np.ravel(neighbours), strict=True)]


def _haar_score(neighbours: float) -> float:
    return 1.0 - float(np.exp(-float(neighbours) / 10.0))


def near_region(box: Sequence[float], shape: Sequence[int], margin: float | None = None,
                ) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` of ``box`` grown by ``margin`` (default :data:`NEAR_MARGIN`)
    times its size each side, clipped to an image of ``shape`` (rows, cols); ``None``
    when too little of it is inside."""
    margin = NEAR_MARGIN if margin is None else margin
    x, y, w, h = box
    size = max(w, h)
    x0, y0 = int(max(0, x - margin * size)), int(max(0, y - margin * size))
    x1 = int(min(shape[1], x + w + margin * size))
    y1 = int(min(shape[0], y + h + margin * size))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return x0, y0, x1, y1


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

    def detect(self, rgb: np.ndarray, grey: np.ndarray | None = None,
               ) -> list[tuple[BoxT, float]]:
        from PIL import Image

        out = []
        for face in self._detect(Image.fromarray(rgb)):
            pos = face.face.pos
            out.append(((float(pos.x), float(pos.y), float(pos.width), float(pos.height)),
                        float(np.clip(face.likelihood, 0.0, 1.0))))
        return out


@dataclass(slots=True)
class MediaPipeBackend:
    """MediaPipe Tasks ``FaceDetector`` (BlazeFace full range): live-action faces.

    On the shared live-action clips it found 2-7x more faces than Haar in 3-5 ms a
    360p frame instead of 10-50 ms. On the cartoon sample's drawn faces it reached
    recall 0.96 (Haar 0.985) in 60 % of Haar's time, so the default recipe keeps Haar
    and the live-action one prefers this. mediapipe 1.2.x ships no
    model: ``shortfactory fetch-models`` (run by ``make install``) takes BlazeFace from
    the 0.10.14 wheel; ``SHORTFACTORY_MEDIAPIPE_MODEL`` points at another ``.tflite``.
    """

    # MediaPipe's usual 0.5 dropped a walking person's small face in every other frame
    # of the shared clips (scores 0.37-0.57); tracking and min_track_s drop strays.
    min_score: float = 0.4
    model: str = "face_detection_full_range_sparse.tflite"
    # Set when its near search ran on crops, whose boxes for a small face came out up to
    # 1.5x the size of its whole-frame boxes (about 9 px of its 192 px input); kept for
    # the whole-frame near search, which was measured with it (bench/vision.py).
    near_size_ratio: float = 1.8
    # Its near search is a whole-frame run (see detect_near): the network sees a fixed
    # 192 px input, so a crop costs as much as the frame, and on crops it lost faces it
    # found in the frame (Chaplin, 46 px, scored 0.53 in the frame and nothing in crops
    # 2-7x his size): a followed face's evidence is the scene around it too.
    near_in_whole_frame: ClassVar[bool] = True
    name: str = "mediapipe"
    _detector: Any = None
    _mp: Any = None
    _last: tuple[np.ndarray, list[tuple[BoxT, float]]] | None = None  # (frame, its faces)

    def __post_init__(self) -> None:
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as err:
            raise BackendUnavailable(f"mediapipe is not installed ({err})") from None
        from shortfactory.core.models import find_model

        model = os.environ.get("SHORTFACTORY_MEDIAPIPE_MODEL") or find_model(self.model)
        if not model or not Path(model).is_file():
            raise BackendUnavailable(
                f"no MediaPipe face model {self.model}: run `shortfactory fetch-models` "
                "or set SHORTFACTORY_MEDIAPIPE_MODEL to a BlazeFace .tflite")
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_path=str(model)),
            min_detection_confidence=self.min_score)
        self._mp = mp
        # A file that is no model (truncated download, wrong format) fails here, with
        # whatever MediaPipe raises (RuntimeError, ValueError): a backend that cannot run.
        try:
            with native_stderr_silenced():
                self._detector = vision.FaceDetector.create_from_options(options)
                self.detect(np.zeros((64, 64, 3), np.uint8))  # its first call logs too
        except Exception as err:
            self.close()
            raise BackendUnavailable(
                f"MediaPipe cannot load the face model {model}: {one_line(err)}") from None

    def detect(self, rgb: np.ndarray, grey: np.ndarray | None = None,
               ) -> list[tuple[BoxT, float]]:
        # The same frame again (a near search per followed face, after a whole-frame
        # pass): the answer is the same, so the network runs once per frame. Only
        # read-only frames (the decoder's) are remembered: they cannot change meanwhile.
        if self._last is not None and self._last[0] is rgb:
            return list(self._last[1])
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                               data=np.ascontiguousarray(rgb))
        # LiteRT warns (once, at a random call) when numpy's buffer is not 64-byte aligned.
        with native_stderr_silenced():
            found = self._detector.detect(image).detections
        out = []
        for det in found:
            bb = det.bounding_box
            score = det.categories[0].score if det.categories else 0.0
            out.append(((float(bb.origin_x), float(bb.origin_y), float(bb.width),
                         float(bb.height)), float(score)))
        self._last = None if rgb.flags.writeable else (rgb, out)
        return list(out)

    def close(self) -> None:
        """Free the native detector now: left to ``__del__`` at interpreter exit it
        fails noisily (its module globals are already gone)."""
        if self._detector is not None:
            with native_stderr_silenced():
                self._detector.close()
            self._detector = None


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Drop what native code writes to fd 2 meanwhile: LiteRT logs ~50 INFO/WARNING
    lines per model load and no environment variable turns them off. Python-level
    errors still propagate as exceptions."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


BACKENDS = {"haar": HaarBackend, "animeface": AnimeFaceBackend, "mediapipe": MediaPipeBackend}


def one_line(err: BaseException, limit: int = REASON_CHARS) -> str:
    """Why a backend could not load, as one line of at most ``limit`` characters: the
    first line of the message (native libraries append whole logs), prefixed with the
    exception's type unless it is our own :class:`BackendUnavailable`."""
    text = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
    if not isinstance(err, BackendUnavailable):
        text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def make_backends(names: Sequence[str], *, min_size_px: int = _RECIPE_DEFAULTS.min_size_px,
                  first_only: bool = False) -> tuple[list[FaceBackend], dict[str, str]]:
    """Instantiate the named backends; return them and ``{name: one-line reason}`` for
    those that cannot run here (logged as warnings, never raised: faces are fail-soft).

    Any exception while loading counts, not only :class:`BackendUnavailable`: an
    installed but broken package (an import that fails with AttributeError on a
    mismatched dependency, a native library that will not load) must cost its faces,
    not the stage. ``first_only`` keeps only the first backend that loads: the rest of
    ``names`` are fallbacks (MediaPipe where installed, else Haar) rather than extra
    detectors.
    """
    backends: list[FaceBackend] = []
    unavailable: dict[str, str] = {}
    for name in dict.fromkeys(names):
        if first_only and backends:
            break
        cls = BACKENDS.get(name)
        try:
            if cls is None:
                raise BackendUnavailable(f"unknown face backend {name!r}")
            backends.append(cls(min_size_px=min_size_px) if cls is HaarBackend else cls())
        except Exception as err:
            unavailable[name] = one_line(err)
            log.warning("face backend %s skipped: %s", name, unavailable[name])
    return backends, unavailable


def detect_frame(rgb: np.ndarray, backends: Sequence[FaceBackend], *, min_size_px: int,
                 min_score: float, grey: np.ndarray | None = None,
                 ) -> list[tuple[BoxT, float, str]]:
    """All backends on one frame, filtered by size and score, merged by NMS."""
    found: list[tuple[BoxT, float, str]] = []
    for backend in backends:
        for box, score in backend.detect(rgb, grey=grey):
            if min(box[2], box[3]) >= min_size_px and score >= min_score:
                found.append((box, score, backend.name))
    if len(found) < 2:
        return found
    keep = nms(np.array([f[0] for f in found]), np.array([f[1] for f in found]))
    return [found[i] for i in keep]


def detect_near(rgb: np.ndarray, box: BoxT, backend: FaceBackend, *, min_size_px: int,
                min_score: float, grey: np.ndarray | None = None,
                ) -> tuple[BoxT, float, str] | None:
    """The face about ``box``'s size and place in this frame, by ``backend``; or None.

    Uses the backend's own ``detect_near`` where it has one (Haar: a finer search of a
    small region), the whole frame where the backend says a crop is no cheaper
    (``near_in_whole_frame``: MediaPipe), else runs ``detect`` on the region's crop. Of
    several candidates the one closest to ``box`` wins.
    """
    if hasattr(backend, "detect_near"):
        found = backend.detect_near(rgb, box, grey=grey)
    elif getattr(backend, "near_in_whole_frame", False):
        found = backend.detect(rgb, grey=grey)
    else:
        region = near_region(box, rgb.shape)
        if region is None:
            return None
        x0, y0, x1, y1 = region
        found = [((x + x0, y + y0, w, h), sc)
                 for (x, y, w, h), sc in backend.detect(np.ascontiguousarray(rgb[y0:y1, x0:x1]))]
    best = None
    size_ratio = getattr(backend, "near_size_ratio", NEAR_SIZE_RATIO)
    for cand, score in found:
        ratio = cand[3] / max(box[3], 1e-6)
        # A followed face may shrink a little under the size that starts one (hysteresis).
        if (min(cand[2], cand[3]) < min_size_px / size_ratio or score < min_score
                or not 1 / size_ratio <= ratio <= size_ratio):
            continue
        dist = float(np.hypot(cand[0] + cand[2] / 2 - box[0] - box[2] / 2,
                              cand[1] + cand[3] / 2 - box[1] - box[3] / 2)) / max(box[3], 1e-6)
        # Closest in place and size: a box that keeps growing or shrinking from frame to
        # frame would drift off the face.
        cost = dist + abs(float(np.log(ratio)))
        if dist <= NEAR_MARGIN + 0.5 and (best is None or cost < best[0]):
            best = (cost, cand, score)
    return None if best is None else (best[1], best[2], backend.name)


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


def shot_starts(scene_cuts: SceneCuts) -> tuple[np.ndarray, np.ndarray]:
    """(start time, index) of each shot, as :func:`shot_of_times` assigns frames to them.

    A cut refined onto its source frame can sit a fraction of a source frame after the
    nominal time of the analysis frame that first showed the new shot (that frame shows
    a source frame a little after its slot); such a frame belongs to the new shot, so
    where the cut kept its ``analysis_time_s`` that is where the new shot starts here.
    """
    starts = np.array([s.start_s for s in scene_cuts.shots], dtype=np.float64)
    if len(scene_cuts.cuts) == len(starts) - 1:
        for i, cut in enumerate(scene_cuts.cuts):
            if cut.analysis_time_s is not None:
                starts[i + 1] = min(starts[i + 1], cut.analysis_time_s)
    return starts, np.array([s.index for s in scene_cuts.shots], dtype=int)


def shot_of_times(times: np.ndarray, scene_cuts: SceneCuts,
                  starts: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Shot index of each analysis-frame time, from ``scene_cuts`` (one shot if none);
    ``starts``: :func:`shot_starts` of it, when already at hand."""
    if not scene_cuts.shots:
        return np.zeros(len(np.atleast_1d(times)), dtype=int)
    begin, indices = starts if starts is not None else shot_starts(scene_cuts)
    # Cut times are analysis-frame times: a frame at the cut belongs to the new shot.
    pos = np.searchsorted(begin, np.asarray(times) + 1e-3, side="right") - 1
    return indices[np.clip(pos, 0, len(indices) - 1)]


@dataclass(slots=True)
class _Det:
    """One face in one analysis frame, in proxy pixels, while the stage runs."""

    box: BoxT
    score: float
    backend: str
    kind: str = "detected"
    mouth: float | None = None
    activity: float | None = None  # set once tracks are known (smoothed along the track)


@dataclass(slots=True)
class _FrameRecord:
    t: float
    shot: int
    dets: list[_Det]
    activity: float
    motion_centre: tuple[float, float] | None
    edges: float = 0.0
    salient: tuple[float, float] | None = None  # where a still frame draws the eye


@dataclass(slots=True)
class _Follow:
    """A face the loop is following inside the current shot, between whole-frame runs.

    Its size is anchored to what the whole-frame pass measured (searches near it pick
    the candidate closest to that size, so the box cannot creep), and its centre moves
    at the velocity seen between its last two sightings.
    """

    box: BoxT
    t: float
    backend: str
    size: float
    velocity: tuple[float, float] = (0.0, 0.0)

    def predict(self, t: float) -> BoxT:
        x, y, w, h = self.box
        dt = t - self.t
        cx = x + w / 2 + self.velocity[0] * dt
        cy = y + h / 2 + self.velocity[1] * dt
        k = self.size / max(h, 1e-6)
        return cx - w * k / 2, cy - self.size / 2, w * k, self.size

    def seen(self, det: _Det, t: float) -> _Follow:
        """This face, seen again as ``det`` at ``t``."""
        dt = t - self.t
        velocity = self.velocity
        if dt > 1e-6:
            x, y, w, h = self.box
            nx, ny, nw, nh = det.box
            now = ((nx + nw / 2 - x - w / 2) / dt, (ny + nh / 2 - y - h / 2) / dt)
            velocity = (0.5 * (velocity[0] + now[0]), 0.5 * (velocity[1] + now[1]))
        size = det.box[3] if det.kind == "detected" else self.size
        return _Follow(det.box, t, det.backend, size, velocity)


def _same_face(a: BoxT, b: BoxT) -> bool:
    """Loose identity for the loop's own bookkeeping (the tracks are linked later).

    Boxes of very different size are not the same face even where they overlap: a
    stray half-size detection inside a followed face (Haar on a turning head) would
    otherwise become its new anchor, and the near search would then look for a face
    half its size and lose it.
    """
    if max(a[3], b[3]) > MAX_SIZE_RATIO * max(1e-6, min(a[3], b[3])):
        return False
    if iou(a, b) > NMS_IOU:
        return True
    dist = np.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2)
    return bool(dist < 0.5 * max(a[3], b[3]))


def _add_if_new(dets: list[_Det], found: _Det | None) -> None:
    """Add a near search's find to a frame's detections unless one of them is that face."""
    if found is not None and not any(_same_face(found.box, d.box) for d in dets):
        dets.append(found)


def activity_of(change: float | None) -> float | None:
    """A mouth change (:func:`mouth_change`) mapped onto [0, 1) by :data:`ACTIVITY_SCALE`."""
    if change is None:
        return None
    return 1.0 - float(np.exp(-change / ACTIVITY_SCALE))


def track_faces(proxy_path: str | Path, scene_cuts: SceneCuts, section: FaceSection, *,
                source_width: int, source_height: int, fps: float | None = None,
                height: int | None = None, progress: bool = True) -> Faces:
    """Detect, track and describe the faces of a video; never fails for lack of faces.

    The whole-frame detectors run on the first frame of every shot and then at most
    every ``detect_every_s`` (``search_every_s`` while no face is being followed), and
    only on frames that changed since their last run; on
    the frames in between each face seen is looked for near where it was
    (:func:`detect_near`, ~1 ms instead of 20-40 ms), and a frame that barely changed
    keeps the last frame's faces. A face that the whole-frame pass finds for the first
    time is followed back through the frames since its previous run, so finding it late
    loses nothing. After linking, a track's gaps (up to ``max_gap_s``) are filled with
    interpolated boxes. Every detection says which of these it came from (``kind``).

    Args:
        proxy_path: the analysis proxy (or any video with ``fps``/``height`` given).
        scene_cuts: the episode's shots; tracks are cut at every shot boundary.
        section: the recipe's ``vision.faces`` section, the validated model: every
            setting comes from it (no defaults of this function's own, so what the
            recipe documents is what runs): ``backends`` and ``use``, ``min_size_px``,
            ``min_score``, ``track_iou``, ``max_gap_s``, ``min_track_s``,
            ``detect_every_s``, ``search_every_s`` (0 runs the whole-frame detectors on
            every changed frame). The artifact echoes the whole section in ``options``,
            with the backends that could not load under ``unavailable``.
        source_width: width of the source the boxes are reported in.
        source_height: height of the source.
        fps: analysis frame rate; default the proxy's own.
        height: analysis height; default the proxy's own.
        progress: show a tqdm bar (frames) on stderr.

    Returns:
        :class:`Faces` with one :class:`FaceFrame` per analysis frame, the tracks, and the
        shots of ``scene_cuts`` with their face statistics.
    """
    backends, unavailable = make_backends(section.backends, min_size_px=section.min_size_px,
                                          first_only=section.use == "first")
    try:
        return _track_faces(proxy_path, scene_cuts, section, backends, unavailable,
                            source_width=source_width, source_height=source_height, fps=fps,
                            height=height, progress=progress)
    finally:
        for backend in backends:
            if hasattr(backend, "close"):
                backend.close()


def _track_faces(proxy_path: str | Path, scene_cuts: SceneCuts, section: FaceSection,
                 backends: list[FaceBackend], unavailable: dict[str, str], *,
                 source_width: int, source_height: int, fps: float | None,
                 height: int | None, progress: bool) -> Faces:
    native_fps = probe_video_only(proxy_path)[2]
    rate = float(fps or native_fps)
    min_size = section.min_size_px
    min_score = section.min_score
    max_gap = section.max_gap_s
    every = section.detect_every_s
    search_every = section.search_every_s
    names = section.backends
    by_name = {b.name: b for b in backends}
    if not backends:
        log.warning("no face backend can run (%s): motion fallback only",
                    "; ".join(f"{k}: {v}" for k, v in unavailable.items()) or "none requested")

    def near(rgb: np.ndarray, grey: np.ndarray, box: BoxT, name: str) -> _Det | None:
        backend = by_name.get(name)
        hit = None if backend is None else detect_near(
            rgb, box, backend, min_size_px=min_size, min_score=min_score, grey=grey)
        return None if hit is None else _Det(hit[0], hit[1], hit[2], "tracked")

    near_is_whole_frame = bool(backends) and all(
        getattr(b, "near_in_whole_frame", False) for b in backends)
    records: list[_FrameRecord] = []
    runs = {"whole_frame": 0, "near": 0, "reused": 0, "followed_back": 0}
    sx = sy = 1.0
    prev_grey: np.ndarray | None = None
    prev_small: np.ndarray | None = None
    prev_shot: int | None = None
    key_small: np.ndarray | None = None  # last frame any detector ran on ...
    key_dets: list[_Det] = []  # ... and what it found there
    full_small: np.ndarray | None = None  # last frame the whole-frame pass ran on
    last_full_t = -np.inf
    empty_passes = 0  # whole-frame passes in a row, in this shot, that found nothing
    moved_in_shot = False  # a centre of motion has been seen in this shot
    following: list[_Follow] = []
    # The last frames of this shot, for following a new face back in time:
    # (record, rgb, grey, previous grey); bounded, so memory does not grow.
    lookback = max(1, round(max(FOLLOW_BACK_S, every) * rate))
    recent: deque[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]] = deque(
        maxlen=lookback)
    starts = shot_starts(scene_cuts)
    total = max(1, round(scene_cuts.duration_s * rate))
    bar = tqdm(total=total, unit="frame", desc="faces", file=sys.stderr, disable=not progress,
               mininterval=1.0)
    with bar:
        for t, rgb in iter_frames(proxy_path, fps=fps, height=height):
            h, w = rgb.shape[:2]
            sx, sy = source_width / w, source_height / h
            shot = int(shot_of_times(np.array([t]), scene_cuts, starts)[0])
            if shot != prev_shot:  # nothing carries over a cut
                prev_grey = prev_small = key_small = full_small = None
                key_dets, following = [], []
                recent.clear()
                last_full_t = -np.inf
                empty_passes = 0
                moved_in_shot = False
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            small = cv2.resize(grey, (MOTION_WIDTH, max(1, round(MOTION_WIDTH * h / w))),
                               interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (3, 3), 0)
            changed_since_full = (full_small is None
                                  or motion_energy(full_small, small)[0] >= REUSE_SHARE)
            # With no face to follow, look again sooner: nothing else would find one.
            interval = every if following else search_interval(
                min(every, search_every), empty_passes, lookback / rate)
            # Where every near search is a whole-frame run anyway (MediaPipe alone), a
            # frame with a face to follow gets the whole-frame pass for free: new faces too.
            if following and near_is_whole_frame:
                interval = 0.0
            if backends and t - last_full_t >= interval - 1e-6 and changed_since_full:
                dets = [_Det(b, sc, n) for b, sc, n in detect_frame(
                    rgb, backends, min_size_px=min_size, min_score=min_score, grey=grey)]
                runs["whole_frame"] += 1
                # Faces followed so far that this pass missed: look near where they were.
                for fol in following:
                    if not any(_same_face(fol.predict(t), d.box) for d in dets):
                        _add_if_new(dets, near(rgb, grey, fol.predict(t), fol.backend))
                # Faces new to this pass: follow them back to where they appeared.
                for d in dets:
                    if d.kind == "detected" and not any(_same_face(f.predict(t), d.box)
                                                        for f in following):
                        runs["followed_back"] += follow_back(d, t, recent, records, near,
                                                                 max_gap)
                last_full_t = t
                empty_passes = 0 if dets else empty_passes + 1
                full_small = key_small = small
                key_dets = dets
            elif key_small is not None and motion_energy(key_small, small)[0] < REUSE_SHARE:
                dets = [_Det(d.box, d.score, d.backend, "reused") for d in key_dets]
                runs["reused"] += 1
            else:
                dets = []
                for fol in following:
                    if t - fol.t <= max_gap + 1e-6:
                        _add_if_new(dets, near(rgb, grey, fol.predict(t), fol.backend))
                runs["near"] += bool(following)
                key_small, key_dets = small, dets
            for d in dets:
                d.mouth = mouth_change(prev_grey, grey, d.box)
            following = _update_following(following, dets, t, max_gap)
            share, centre = motion_energy(prev_small, small)
            to_frame = (w / small.shape[1], h / small.shape[0])
            if centre is not None:
                centre = (centre[0] * to_frame[0], centre[1] * to_frame[1])
                moved_in_shot = True
            edges = edge_density(small)
            salient = None
            # Only where it can be the focus: no face, and nothing has moved yet in this
            # shot (a centre of motion, once seen, is held; see _describe_frames).
            if not dets and not moved_in_shot and edges >= MIN_EDGE_DENSITY:
                sx_, sy_ = salient_point(small)
                salient = (sx_ * to_frame[0], sy_ * to_frame[1])
            records.append(_FrameRecord(t=t, shot=shot, dets=dets, activity=share,
                                        motion_centre=centre, edges=edges, salient=salient))
            recent.append((len(records) - 1, rgb, grey, prev_grey))
            prev_grey, prev_small, prev_shot = grey, small, shot
            bar.update(1)

    times = np.array([r.t for r in records])
    shots = np.array([r.shot for r in records], dtype=int)
    links = link_tracks(times, shots, [[d.box for d in r.dets] for r in records],
                        min_iou=section.track_iou, max_gap_s=max_gap,
                        min_track_s=section.min_track_s, frame_s=1.0 / rate)
    links = [interpolate_track(members, records) for members in links]
    for r in records:
        for d in r.dets:
            d.activity = activity_of(d.mouth)
    for members in links:
        smooth_activity(members, records, ACTIVITY_SMOOTH_S)
    track_of: dict[tuple[int, int], int] = {}
    tracks: list[Track] = []
    for tid, members in enumerate(links):
        for key in members:
            track_of[key] = tid
        tracks.append(_describe_track(tid, members, records, int(shots[members[0][0]]), rate,
                                      sx, sy, source_height))
    frames = _describe_frames(records, shots, track_of, sx, sy, source_width, source_height)
    counts = dict.fromkeys(names, 0)
    for r in records:
        for d in r.dets:
            if d.kind != "interpolated":
                counts[d.backend] = counts.get(d.backend, 0) + 1
    options: dict[str, Any] = section.model_dump(mode="json")
    options["runs"] = runs
    if unavailable:
        options["unavailable"] = unavailable
    log.info("%s: %d frames, detector runs %s, %d detections, %d tracks", proxy_path,
             len(records), runs, sum(len(r.dets) for r in records), len(tracks))
    return Faces(analysis_fps=rate, source_width=source_width, source_height=source_height,
                 options=options, backends=counts, frames=frames, tracks=tracks,
                 shots=shot_stats(scene_cuts, frames, shots, tracks))


def search_interval(base_s: float, empty_passes: int, limit_s: float) -> float:
    """Wait before the next whole-frame search while no face is followed.

    Doubles with every empty pass since the shot began or a face was last seen, never
    beyond ``limit_s`` (the follow-back window) nor below ``base_s``; ``base_s`` 0 keeps
    searching every changed frame.
    """
    if base_s <= 0:
        return 0.0
    return max(base_s, min(limit_s, base_s * 2.0 ** max(0, empty_passes - 1)))


def follow_back(det: _Det, t: float,
                recent: Sequence[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]],
                records: list[_FrameRecord], near: Any, max_gap: float) -> int:
    """Look for a face found at ``t`` in the frames before it (newest first) until it
    has not been seen for ``max_gap`` seconds; add it to the frames where it is found.
    Returns how many frames gained it."""
    box, added, seen_t = det.box, 0, t
    for index, rgb, grey, before in reversed(recent):
        rec = records[index]
        if seen_t - rec.t > max_gap + 1e-6 or any(_same_face(box, d.box) for d in rec.dets):
            break
        found = near(rgb, grey, box, det.backend)
        if found is None:
            continue
        found.mouth = mouth_change(before, grey, found.box)
        rec.dets.append(found)
        box, seen_t = found.box, rec.t
        added += 1
    return added


def _update_following(following: list[_Follow], dets: list[_Det], t: float,
                      max_gap: float) -> list[_Follow]:
    """Move followed faces to this frame's detections; start new ones; drop the lost."""
    out: list[_Follow] = []
    used: set[int] = set()
    for fol in following:
        guess = fol.predict(t)
        match = next((i for i, d in enumerate(dets)
                      if i not in used and _same_face(guess, d.box)), None)
        if match is not None:
            used.add(match)
            out.append(fol.seen(dets[match], t))
        elif t - fol.t <= max_gap + 1e-6:
            out.append(fol)
    out.extend(_Follow(d.box, t, d.backend, d.box[3]) for i, d in enumerate(dets)
               if i not in used)
    return out


def interpolate_track(members: list[tuple[int, int]], records: list[_FrameRecord],
                      ) -> list[tuple[int, int]]:
    """Fill the frames a track skipped (a missed detection, bridged by the linker) with
    boxes interpolated between its detections either side; returns the new members."""
    out: list[tuple[int, int]] = []
    for (f0, d0), (f1, d1) in zip(members, members[1:], strict=False):
        out.append((f0, d0))
        a, b = records[f0].dets[d0], records[f1].dets[d1]
        for f in range(f0 + 1, f1):
            u = (records[f].t - records[f0].t) / max(records[f1].t - records[f0].t, 1e-9)
            box = tuple(round(p + u * (q - p), 2) for p, q in zip(a.box, b.box, strict=True))
            if any(iou(box, d.box) > NMS_IOU for d in records[f].dets):
                continue  # something else is there: leave the gap
            records[f].dets.append(_Det(box, round(min(a.score, b.score), 4), a.backend,
                                        "interpolated"))
            out.append((f, len(records[f].dets) - 1))
    out.append(members[-1])
    return out


def smooth_activity(members: list[tuple[int, int]], records: list[_FrameRecord],
                    half_window_s: float) -> None:
    """Set each member's ``activity`` from the mean mouth change of the track within
    ``half_window_s`` either side (None where none was measured)."""
    times = np.array([records[f].t for f, _ in members])
    mouths = [records[f].dets[d].mouth for f, d in members]
    for i, (f, d) in enumerate(members):
        lo = np.searchsorted(times, times[i] - half_window_s - 1e-6)
        hi = np.searchsorted(times, times[i] + half_window_s + 1e-6, side="right")
        near = [m for m in mouths[lo:hi] if m is not None]
        records[f].dets[d].activity = activity_of(float(np.mean(near))) if near else None


def shot_stats(scene_cuts: SceneCuts, frames: list[FaceFrame], shot_index: np.ndarray,
               tracks: list[Track]) -> list[Shot]:
    """The shots of ``scene_cuts`` with their face statistics: mean tracked faces per
    analysis frame, the share of frames with one, and how many tracks (``shot_index``:
    the shot of each frame, as the loop assigned it)."""
    counts = np.array([sum(d.track_id is not None for d in f.detections) for f in frames])
    out = []
    for shot in scene_cuts.shots:
        inside = shot_index == shot.index
        n = counts[inside]
        out.append(shot.model_copy(update={
            "mean_faces": round(float(n.mean()), 4) if n.size else 0.0,
            "face_share": round(float((n > 0).mean()), 4) if n.size else 0.0,
            "tracks": sum(tr.shot == shot.index for tr in tracks),
        }))
    return out


def _describe_track(tid: int, members: list[tuple[int, int]], records: list[_FrameRecord],
                    shot: int, rate: float, sx: float, sy: float, source_height: int) -> Track:
    times = [records[f].t for f, _ in members]
    dets = [records[f].dets[d] for f, d in members]
    boxes = [scale_box(d.box, sx, sy) for d in dets]
    span_frames = round((times[-1] - times[0]) * rate) + 1
    seen = [d for d in dets if d.kind != "interpolated"]
    changes = [d.mouth for d in seen if d.mouth is not None]
    activity = activity_of(float(np.mean(changes))) if changes else 0.0
    return Track(
        id=tid, shot=shot, start_s=round(times[0], 4), end_s=round(times[-1], 4),
        times=[round(t, 4) for t in times], boxes=boxes,
        mean_score=round(float(np.mean([d.score for d in seen])), 4),
        mean_size=round(float(np.mean([b[3] for b in boxes])) / source_height, 4),
        persistence=round(len(seen) / max(1, span_frames), 4),
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
        detections = []
        for d, det in enumerate(rec.dets):
            act = det.activity
            detections.append(Detection(
                box=scale_box(det.box, sx, sy), score=round(det.score, 4), backend=det.backend,
                track_id=track_of.get((f, d)), kind=det.kind,
                activity=None if act is None else round(act, 4)))
        tracked = any(det.track_id is not None for det in detections)
        # Without a tracked face: the centre of motion, held through still frames; where
        # nothing has moved yet in this shot, the salient point; for a flat frame, the
        # frame centre.
        salient = None if rec.salient is None else (round(rec.salient[0] * sx, 1),
                                                     round(rec.salient[1] * sy, 1))
        focus = None if tracked else (held or salient or (source_width / 2, source_height / 2))
        frames.append(FaceFrame(t=round(rec.t, 4), detections=detections,
                                activity=round(rec.activity, 4), edges=round(rec.edges, 4),
                                focus=focus))
    return frames
