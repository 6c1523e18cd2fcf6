"""Face detectors for one frame, behind one interface, for the faces stage.

The detectors are the part of :mod:`shortfactory.vision.faces` most likely to change
(another model, another package), so they live apart from the loop that schedules them
and from the tracking: each backend (:class:`FaceBackend`: ``detect(rgb) -> [(box,
score)]``) finds faces in one frame. ``haar`` is OpenCV's bundled ``frontalface_alt2``
cascade (live action, frontal faces), ``animeface`` is nagadomi's anime face detector
(drawn faces, which photo-trained detectors miss), ``mediapipe`` is used only where the
package and a face-detector model are installed. A backend that cannot load (package
missing or broken, model missing or corrupt) is skipped with a warning and named, with a
one-line reason (:func:`make_backends`, :func:`one_line`), in
``Faces.options["unavailable"]`` (``{"mediapipe": "..."}``), so faces.json shows what a
later install would add. The detections of all backends in a frame are merged by
non-maximum suppression (:func:`detect_frame`). Between whole-frame runs the stage
looks for each face it follows near where it was (:func:`detect_near`: Haar on a small
region at a finer scale step, ~1 ms, which also finds faces the coarse whole-frame pass
misses; MediaPipe, whose network costs the same on any input, on the whole frame, once
per frame).

Boxes here are ``[x, y, w, h]`` in the pixels of the frame the detectors ran on (the
proxy's); :func:`scale_box` takes them to source pixels.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import cv2
import numpy as np

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
# Between whole-frame runs, each face seen is looked for in a region around where it was
# (:func:`detect_near`): its box grown by NEAR_MARGIN x its size each side, scaled so the
# face is NEAR_FACE_PX tall, searched with the finer scale step NEAR_SCALE_FACTOR (Haar's
# own window is 20 px), for faces within NEAR_SIZE_RATIO of its size.
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
        scale step (:data:`NEAR_SCALE_FACTOR`) over sizes within :data:`NEAR_SIZE_RATIO`:
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
