"""A thumbnail for each Short: its best frame, as a PNG next to the mp4.

Shorts shelves and the upload form show one still; a blurred mid-motion frame or an
empty background loses the click. Candidates are the Short's frames twice a second
after the hook banner (the banner already carries the title), each scored by
sharpness (variance of the Laplacian, the usual focus measure, on a small grey copy of
the picture between banner and captions)
and by the largest face the Haar cascade finds in it (a face seen clearly is what a
viewer stops on). The full-size frame is then decoded once more and written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from shortfactory.core.errors import InputError
from shortfactory.core.io import atomic_path
from shortfactory.core.media import iter_frames, probe_video_only
from shortfactory.vision.face_backends import BackendUnavailable, HaarBackend

log = logging.getLogger(__name__)

SAMPLE_FPS = 2.0
SCORE_HEIGHT = 480  # px of the copy frames are scored on
FACE_WEIGHT = 2.0  # a frame-filling face doubles a frame's score; none leaves sharpness
# Sharpness is measured on the picture between the hook banner and the captions: burned
# text is the sharpest thing in any frame and would pick the frame with the most words.
PICTURE_ROWS = (0.3, 0.62)


@dataclass(frozen=True, slots=True)
class FrameScore:
    time_s: float
    sharpness: float  # Laplacian variance, relative to the sharpest candidate
    face: float  # largest face's height over the frame height
    total: float


def sharpness(grey: np.ndarray) -> float:
    """Variance of the Laplacian: high for crisp edges, low for blur and flat frames."""
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def score_frames(times: list[float], sharp: list[float], faces: list[float],
                 ) -> list[FrameScore]:
    """Sharpness relative to the sharpest frame, plus the face bonus."""
    top = max(sharp, default=0.0) or 1.0
    return [FrameScore(t, s / top, f, s / top * (1 + FACE_WEIGHT * f))
            for t, s, f in zip(times, sharp, faces, strict=True)]


def best_frame_time(video: str | Path, *, skip_s: float) -> FrameScore:
    """The best candidate frame of ``video`` after ``skip_s`` seconds (from the start
    when the video is shorter)."""
    _, _, duration = probe_video_only(video)
    start = skip_s if duration > skip_s + 1.0 else 0.0
    try:
        detector: HaarBackend | None = HaarBackend()
    except BackendUnavailable as err:
        log.warning("%s: thumbnails without face scores: %s", video, err)
        detector = None
    times, sharp, faces = [], [], []
    for t, rgb in iter_frames(video, fps=SAMPLE_FPS, height=SCORE_HEIGHT, start_s=start):
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        times.append(t)
        h = grey.shape[0]
        sharp.append(sharpness(grey[int(PICTURE_ROWS[0] * h): int(PICTURE_ROWS[1] * h)]))
        found = detector.detect(rgb, grey) if detector is not None else []
        faces.append(max((box[3] for box, _ in found), default=0.0) / rgb.shape[0])
    if not times:
        raise InputError(f"{video}: no frame decoded for the thumbnail")
    return max(score_frames(times, sharp, faces), key=lambda s: s.total)


def write_thumbnail(video: str | Path, out: str | Path, *, skip_s: float) -> FrameScore:
    """The best frame of ``video`` as a full-size PNG, written atomically."""
    best = best_frame_time(video, skip_s=skip_s)
    frame = next(iter(iter_frames(video, start_s=best.time_s, duration_s=1.0)), None)
    if frame is None:
        raise InputError(f"{video}: frame at {best.time_s:.2f} s cannot be decoded")
    with atomic_path(out, suffix=".png") as tmp:
        Image.fromarray(frame[1]).save(tmp, format="PNG")
    log.info("%s: thumbnail at %.1f s (sharpness %.2f, face %.2f)", video, best.time_s,
             best.sharpness, best.face)
    return best
